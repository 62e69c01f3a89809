"""Material for the juror-grid tests: two drafts of a unit-2 marketing plan, and synthetic assessments.

The synthetic assessments follow the real unit 2 of the bundled référentiel (4 criteria, 20
indicators) and are stored through the public functions, so statistics can be tested quickly.
"""

from __future__ import annotations

from assistant.assessment.pipeline import Assessment, CriterionReport, DocumentInfo, IndicatorReport, Summary
from assistant.judging.base import Evidence
from assistant.knowledge.registry import bundled_referentiel

# A first draft: intentions, no figures, no budget, no planning.
WEAK_PLAN = [
    "Plan marketing de la brasserie Bière d'Armor\n"
    "La brasserie souhaite se faire connaître davantage. Nous pensons communiquer sur les réseaux\n"
    "sociaux et peut-être organiser quelques événements. La cible est large : tout le monde aime la\n"
    "bière artisanale. Les actions seront choisies plus tard avec la direction.",
    "Suite du plan\n"
    "Il faudra sans doute un peu de budget. L'équipe verra comment s'organiser le moment venu.\n"
    "Nous espérons que les ventes augmenteront.",
]

# The improved draft: quantified objectives, target, budget table, planning, people, follow-up.
STRONG_PLAN = [
    "Plan marketing 2025 de la brasserie Bière d'Armor\n"
    "Problématique : la brasserie vend 80 % de sa production en Bretagne et veut conquérir la clientèle\n"
    "touristique de l'été. Objectifs chiffrés : augmenter les ventes estivales de 15 % d'ici septembre 2025\n"
    "et atteindre 5 000 abonnés Instagram au 31 août.\n"
    "Cible : touristes de 25 à 45 ans, urbains, amateurs de produits locaux, qui préparent leur séjour\n"
    "sur Instagram et TripAdvisor.\n"
    "Actions retenues : campagne Instagram géolocalisée, partenariat avec 12 restaurants du Golfe du\n"
    "Morbihan, visites guidées de la brasserie le samedi.",
    "Budget prévisionnel (devis de trois prestataires comparés)\n"
    "Poste Montant Part\n"
    "Campagne Instagram 6 000 € 40 %\n"
    "Partenariats restaurants 4 500 € 30 %\n"
    "Visites guidées 4 500 € 30 %\n"
    "Le budget total s'élève à 15 000 € hors taxes, validé par la direction le 12 mars 2024.\n"
    "Planning : avril préparation, mai lancement Instagram, juin à août partenariats et visites.\n"
    "Moyens humains : la chargée de communication (50 % de son temps), un photographe free-lance\n"
    "(3 jours) et deux guides saisonniers.\n"
    "Suivi : tableau de bord mensuel (ventes, abonnés, taux d'engagement), revue budgétaire\n"
    "mensuelle et réserve de 10 % pour les aléas.",
]


def synthetic_assessment(
    candidate: str = "cand-1",
    *,
    levels: dict[str, str] | None = None,
    verdict: str = "partial",
    sha256: str = "ab" * 32,
    file: str = "plan.pdf",
) -> Assessment:
    """An assessment of unit 2 with the given criterion levels (default partiellement_acquis)."""
    unit = bundled_referentiel().unit("2")
    levels = levels or {}
    indicators = [
        IndicatorReport(
            id=i.id, criterion_id=c.id, criterion=c.title, text=i.text, verdict=verdict, confidence=0.7,
            evidence=[Evidence(page=1, quote=f"Citation pour {i.id}")] if verdict != "not_evidenced" else [],
            feedback=f"Retour sur {i.id}.", advice="",
        )
        for c in unit.criteria for i in c.indicators
    ]
    criteria = [
        CriterionReport(id=c.id, title=c.title, level=levels.get(c.id, "partiellement_acquis"),
                        rationale=f"Justification {c.id}.")
        for c in unit.criteria
    ]
    return Assessment(
        referentiel=bundled_referentiel().id, unit="2", unit_detected=False, unit_confidence=1.0,
        document=DocumentInfo(file=file, sha256=sha256, pages=2), indicators=indicators, criteria=criteria,
        summary=Summary(strengths=[], priorities=[]), warnings=[], candidate=candidate,
    )
