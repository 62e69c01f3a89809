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
_VAGUE = re.compile(
    r"\b(?:plusieurs|divers(?:es)?|differents|certains?|nombreux|quelques|etc|environ|a peu pres|"
    r"sera (?:defini|precise|determine|etabli)e?s?|seront (?:definie?s|precises|determines)|a definir|"
    r"a preciser|nous veillerons|si possible|le cas echeant|eventuellement|globalement|en general|"
    r"de maniere generale|bien|important(?:e|s)?|efficace(?:s)?|adaptee?s?|pertinente?s?|"
    r"fiables?|optimal(?:e|es)?|maximum|au mieux)\b"
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
}
SIGNAL_KINDS = tuple(k for k in DETECTORS if k != "vague") + ("names",)

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
}


def count_signals(text: str) -> dict[str, int]:
    """Count each kind of specific content in a text."""
    folded = fold(text)
    counts = {kind: len(rx.findall(folded)) for kind, rx in DETECTORS.items()}
    counts["names"] = len(_PROPER.findall(text))
    return counts


def words(text: str) -> int:
    return len(text.split())
