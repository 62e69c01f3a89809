"""Evidence detectors: what kind of specific content a passage holds.

Weak drafts talk about the same topics as strong ones; what separates them is specificity: figures,
amounts, dates, named sources, alternatives compared, targets... Each detector counts one kind of
specific content in a French text. The judge combines these counts with retrieval scores, and the
feedback names the kinds an indicator calls for that were not found.
"""

from __future__ import annotations

import re

from assistant.text.french import fold

_MONTHS = (
    "janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre|"
    "janv|fevr|sept|oct|nov|dec"
)

# Patterns run on folded text (lowercase, no accents) unless noted.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[ .,]\d{3})*(?:[.,]\d+)?(?![\w])")
_PERCENT = re.compile(r"\d(?:[\d ,.]*\d)?\s*(?:%|pour ?cent|points?\b|pts\b)")
_AMOUNT = re.compile(
    r"\d(?:[\d  .,]*\d)?\s*(?:k\s?€|m\s?€|€|euros?\b|keur\b|k?eur\b|ht\b|ttc\b)|€\s*\d|\bbudget (?:de|total)\s+\d"
)
_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\w*(?:\s+\d{{4}})?|(?:{_MONTHS})\w*\s+\d{{4}}|"
    r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|20[2-3]\d|t[1-4]\s+20\d\d|s\d{1,2}\b|semaine\s+\d+|"
    r"j\s?[-+]\s?\d+|q[1-4]\b)"
)
_DURATION = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:jours?|semaines?|mois|ans?|annees?|heures?|h\b|min(?:utes)?\b|trimestres?)\b"
)
_SOURCE = re.compile(
    r"\b(?:insee|xerfi|statista|kantar|nielsen|credoc|mediametrie|ifop|ipsos|bva|opinionway|harris|"
    r"gfk|circana|iri|ademe|bpifrance|cci|fevad|arcep|cnil|eurostat|oecd|ocde|data\.gouv|"
    r"google trends|semrush|similarweb|societe\.com|pappers|observatoire|barometre|federation|"
    r"source\s*:|sources\s*:|selon (?:l'|le |la |les )|d'apres (?:l'|le |la |les )|enquete|etude de|"
    r"questionnaire|entretiens?|interview|sondage|panel|rapport (?:annuel|de)|"
    r"\(\s*20\d\d\s*\)|\[\d+\])"
)
_ALTERNATIVE = re.compile(
    r"\b(?:option|solution|scenario|piste|hypothese|variante|formule|alternative)s?\s*(?:n°\s*)?(?:[1-9a-c]\b|"
    r"une|deux|trois|1er|premier|seconde?)|\b(?:avantages?|inconvenients?|limites?|points? forts?|"
    r"points? faibles?|versus|vs\.?|compar(?:e|ee|es|aison|atif|ons))\b|\bplutot que\b|\bau lieu de\b"
)
_KPI = re.compile(
    r"\b(?:kpis?|indicateurs?|taux|ctr|cpc|cpm|roi|roas|nps|conversion|engagement|portee|impressions?|"
    r"abonnes|followers|trafic|visites?|sessions?|clics?|leads?|ventes|chiffre d'affaires|ca\b|notoriete|"
    r"panier moyen|retombees|reach|audience|open rate|taux d'ouverture)\b"
)
_TARGET = re.compile(
    r"(?:[+-]\s?\d+(?:[.,]\d+)?\s*%|\bobjectifs?\b[^.\n]{0,60}\d|\bd'ici\b[^.\n]{0,30}(?:\d|"
    rf"{_MONTHS}|fin|mi-)|\batteindre\b[^.\n]{{0,40}}\d|\bcible\s*:\s*\d|\b(?:au moins|minimum|jusqu'a)\s+\d)"
)
_ROLE = re.compile(
    r"\b(?:chef de projet|chargee? de|responsable|directeur|directrice|graphiste|designer|developpeur|"
    r"developpeuse|community manager|photographe|videaste|redacteur|redactrice|imprimeur|agence|prestataire|"
    r"freelance|stagiaire|alternante?|traiteur|regisseur|technicien|commerciale?s?|assistante?|consultante?|"
    r"webmaster|motion designer|influenceur|influenceuse|attachee? de presse)s?\b"
)
_LEGAL = re.compile(
    r"\b(?:rgpd|cnil|loi evin|l\.?\s?33\d\d|mentions? legales?|droit (?:a l'image|d'auteur)|droits d'auteur|"
    r"cgu|cgv|lcen|arpp|dgccrf|code de la consommation|code de la sante|consentement|cookies?|"
    r"article l|loi (?:du|n°)|reglementation|reglementaire|accessibilite|rgaa|copyright|licence|"
    r"collaboration commerciale|publicite)\b"
)
_RISK = re.compile(
    r"\b(?:risques?|aleas?|imprevus?|plan b|solution de repli|repli|retards?|contingence|marge de securite|"
    r"parade|anticip\w+|mitigation|probleme|difficulte|incident|depassement)s?\b"
)
_MEETING = re.compile(
    r"\b(?:reunions?|points? (?:hebdo\w*|d'avancement|quotidien|hebdomadaires?|mensuels?)|comite de pilotage|"
    r"copil|codir|compte[- ]rendus?|comptes[- ]rendus|daily|stand-?up|briefing|debriefing|retroplanning|"
    r"kick-?off|atelier)\b"
)
_TOOL = re.compile(
    r"\b(?:tableau de bord|dashboard|gantt|trello|asana|notion|monday|jira|excel|google sheets?|"
    r"looker studio|google analytics|ga4|matomo|hootsuite|agorapulse|meta business suite|semrush|"
    r"search console|brevo|mailchimp|hubspot|salesforce|crm|slack|teams|reporting|suivi budgetaire|"
    r"tableur)\b"
)
_METHOD = re.compile(
    r"\b(?:swot|pestel?|porter|benchmark\w*|personas?|matrice|mix marketing|4p|7p|bcg|ansoff|"
    r"questionnaire|entretiens?|focus group|analyse (?:concurrentielle|qualitative|quantitative)|"
    r"methode|methodologie|grille|mapping|positionnement|segmentation|parcours client|smart|raci|"
    r"agile|scrum|kanban|cycle en v)\b"
)
_CHANNEL = re.compile(
    r"\b(?:instagram|facebook|linkedin|tiktok|youtube|twitter|x\.com|pinterest|snapchat|twitch|threads|"
    r"newsletter|e-?mailing|site (?:web|internet)|blog|podcast|radio|television|tv|presse|affichage|"
    r"flyers?|brochure|catalogue|salon|evenement|google ads|sea|seo|sms|whatsapp|print)\b"
)
_AUDIENCE = re.compile(
    r"\b(?:\d{2}\s*(?:-|a)\s*\d{2}\s*ans|\d{2}\s*ans|csp\+?|cadres?|etudiants?|familles?|seniors?|"
    r"jeunes actifs|retraites|menages|personas?|b2b|b2c|urbains?|habitants?)\b"
)
_SEQUENCE = re.compile(
    r"\b(?:etape|phase|jalon|lot|sprint|vague)s?\s*\d|\b(?:puis|ensuite|enfin|d'abord|premierement|"
    r"deuxiemement|avant|apres)\b|\bsemaine\s+\d|\bj\s?-\s?\d"
)
# Vagueness: quantities and sources left unnamed. Evaluative words of an argued text (« pertinent »,
# « adapté », « efficace ») are not vague: a strong qualitative draft is full of them.
_VAGUE = re.compile(
    r"\b(?:plusieurs|divers(?:es)?|certains?|nombreux|quelques|etc|environ|a peu pres|"
    r"sera (?:defini|precise|determine|etabli)e?s?|seront (?:definie?s|precises|determines)|a definir|"
    r"a preciser|nous veillerons|si possible|le cas echeant|eventuellement|globalement|en general|"
    r"de maniere generale|au mieux|un blog|des blogs|des posts|des articles|sur internet|sur le web|"
    r"des sites|selon (?:plusieurs|certaines?|des) (?:etudes|sources|articles|experts)|des etudes montrent)\b"
)
# What the candidate says is not done (yet): deferral, admitted absence, scope exclusion.
_PP = (  # what is deferred when it is "to be ..." (not plain future actions: « sera lancée le 3 mars »)
    r"(?:revu|defini|precise|etabli|affine|chiffre|determine|fixe|valide|formalise|arbitre|estime|decide|"
    r"quantifie|date|planifie|detaille|consolide|complete|confirme|approfondi|etudie)"
)
_DEFERRAL = re.compile(
    r"\ba (?:definir|preciser|valider|confirmer|determiner|completer|affiner|chiffrer|revoir|arbitrer|"
    r"etudier|consolider|construire|formaliser|negocier|planifier|quantifier|prevoir|trouver|approfondir)\b|"
    r"\brest(?:e|ent|era|eront) a \w+|"
    rf"\b(?:sera|seront|serait|seraient|devra|devront)(?: \w+){{0,2}} {_PP}e?s?\b|"
    r"\bdans un (?:second|deuxieme|prochain|autre) temps|\bulterieurement|\bplus tard\b|\bpar la suite\b|"
    r"\bhors (?:du |de ce |de notre )?(?:perimetre|champ|sujet|cadre)|\bpas encore\b|"
    r"\b(?:n'|ne )(?:a|ont|avons|avais|avait|ai|est|sont|sera|seront)(?: \w+)? pas (?:encore |pu |eu |ete |su )?"
    r"(?:le temps|pu|eu|ete|fait|realise|mesure|chiffre|defini|prevu|identifie|formalise|etudie|possible|"
    r"disponible|connu|encore)|"
    rf"\bnon (?:encore )?{_PP}e?s?\b|\bfaute de (?:temps|budget|moyens|donnees|recul|informations?|acces)|"
    r"\ben attente (?:de|d')|\ben cours de (?:definition|validation|reflexion|chiffrage|redaction|construction)|"
    r"\bprochaine etape|\btbd\b|\b(?:nous n'avons|je n'ai|on n'a) (?:pas|aucune?) (?:encore|pu|eu|le temps|"
    r"reussi|obtenu|trouve|mesure|chiffre|defini|fixe|demande|recu|de donnees|de chiffres?|de devis|de retour|"
    r"d'indicateurs?|d'objectifs?|de budget|de date|acces|moyen)|"
    r"\bpas (?:de|d') (?:donnees|chiffres?|budget|devis|date|echeance|calendrier|indicateurs?|objectifs?)\b|"
    r"\baucune? (?:\w+ )?(?:n'a|n'est|n'ont|ne sont|n'a ete|n'ont ete|prevue?s?|definie?s?|chiffree?s?|"
    r"formalisee?s?|datee?s?|encore)|"
    r"\bsans (?:date|echeance|chiffrage|montant|budget|objectif|indicateur|cible|devis|source|mesure|parade|"
    r"calendrier|delai)s?\b|\bpour l'instant\b|\bpour le moment\b|\bsi le temps le permet\b|\bidealement\b"
)
_REASON = re.compile(
    r"\b(?:car|parce que|puisque|afin de|afin que|pour que|c'est pourquoi|ce qui (?:permet|explique|montre)|"
    r"en effet|donc|ainsi|grace a|etant donne|compte tenu|au regard de|justifi\w+|argument\w*|raison\w*|"
    r"repond(?:ant)? a|coherente? avec|en raison de|du fait de|permet(?:tant|tra)? de)\b"
)
_EVALUATION = re.compile(
    r"\b(?:efficac\w*|performant\w*|reussi\w*|echec\w*|forces?|faiblesses?|points? forts?|points? faibles?|"
    r"atouts?|limites?|inconvenients?|avantages?|risque de|mieux que|moins bien|plus efficace|moins efficace|"
    r"fonctionne|ne fonctionne pas|succes|resultats?|retour sur investissement|impact|porte ses fruits|"
    r"s'essouffl\w*|decevant\w*|convaincant\w*|pertinen\w*|en retrait|en avance|leader|challenger|"
    r"menace|opportunite)\b"
)
_MEASURE = re.compile(
    r"\b(?:pour (?:eviter|limiter|reduire|prevenir|parer|anticiper)|(?:parade|mesure preventive|mesure corrective|"
    r"solution de repli|plan b|plan de secours|alternative|marge|reserve|provision|clause|penalite|assurance|"
    r"double validation|validation prealable|back-?up|sauvegarde|test prealable|repetition|doublure|"
    r"prestataire de secours|report)s?|en cas de|si \w+ (?:ne|n')|nous prevoyons|nous avons prevu)\b"
)
_LIMIT = re.compile(
    r"\b(?:limites?|inconvenients?|points? faibles?|faiblesses?|risques?|contraintes?|cout eleve|plus cher|"
    r"moins|mais|cependant|toutefois|en revanche|neanmoins|par contre|desavantages?)\b"
)
_ADVANTAGE = re.compile(
    r"\b(?:avantages?|atouts?|points? forts?|forces?|benefices?|interets?|permet(?:trait)? de|plus\b)"
)
_HEDGE = re.compile(
    r"\b(?:\w{3,}(?:rait|raient|rions|riez)|eventuellement|peut-etre|a terme|si possible|envisag\w*|"
    r"pourquoi pas|le cas echeant|selon les cas|en fonction de|au besoin|probablement|sans doute)\b"
)
# Proper nouns: capitalised words not at a sentence start (run on the original text).
_PROPER = re.compile(r"(?<=[a-zà-ÿ0-9,;:)] )[A-ZÀ-Ý][\wÀ-ÿ'&-]{2,}")

DETECTORS: dict[str, re.Pattern[str]] = {
    "figures": _NUMBER,
    "percent": _PERCENT,
    "amounts": _AMOUNT,
    "dates": _DATE,
    "durations": _DURATION,
    "sources": _SOURCE,
    "alternatives": _ALTERNATIVE,
    "kpis": _KPI,
    "targets": _TARGET,
    "roles": _ROLE,
    "legal": _LEGAL,
    "risks": _RISK,
    "meetings": _MEETING,
    "tools": _TOOL,
    "method": _METHOD,
    "channels": _CHANNEL,
    "audience": _AUDIENCE,
    "sequence": _SEQUENCE,
    "vague": _VAGUE,
    "deferral": _DEFERRAL,
    "hedge": _HEDGE,
    "reasons": _REASON,
    "evaluation": _EVALUATION,
    "measures": _MEASURE,
    "limits": _LIMIT,
    "advantages": _ADVANTAGE,
}
# Kinds that describe the wording rather than evidence: never "looked for" as evidence on their own.
WORDING_KINDS = ("vague", "deferral", "hedge")
SIGNAL_KINDS = tuple(k for k in DETECTORS if k not in WORDING_KINDS) + ("names",)

# How a missing kind is said in feedback ("aucun chiffre", ...).
MISSING_FR: dict[str, str] = {
    "figures": "aucun chiffre",
    "percent": "aucun pourcentage",
    "amounts": "aucun montant",
    "dates": "aucune date ni échéance",
    "durations": "aucune durée",
    "sources": "aucune source nommée",
    "alternatives": "aucune comparaison d'options",
    "kpis": "aucun indicateur nommé",
    "targets": "aucune valeur cible",
    "roles": "aucun rôle ni intervenant nommé",
    "legal": "aucune référence réglementaire",
    "risks": "aucun risque ni aléa identifié",
    "meetings": "aucune réunion ni instance de suivi",
    "tools": "aucun outil de suivi nommé",
    "method": "aucune méthode nommée",
    "channels": "aucun canal nommé",
    "audience": "aucune caractérisation chiffrée de la cible",
    "sequence": "aucune étape ordonnée",
    "names": "aucun acteur ni nom propre",
    "reasons": "aucune justification",
    "evaluation": "aucune évaluation",
    "measures": "aucune mesure de prévention",
    "limits": "aucune limite identifiée",
    "advantages": "aucun avantage identifié",
}


def count_signals(text: str) -> dict[str, int]:
    """Count each kind of specific content in a text."""
    folded = fold(text)
    counts = {kind: len(rx.findall(folded)) for kind, rx in DETECTORS.items()}
    counts["names"] = len(_PROPER.findall(text))
    return counts


def words(text: str) -> int:
    return len(text.split())
