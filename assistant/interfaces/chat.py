"""The conversation engine: one session per user, three roles, offline by default.

Offline, messages are routed by intent (help, explain a verdict, advice, assess a file, compare
drafts, question about the référentiel) to the same functions as the CLI, and answered with the
templates in ``prompts/``. With a chat model configured, the facts gathered the same way are handed
to the model as delimited data to write a friendlier answer; the citations shown always come from our
own data, and any model failure falls back to the offline answer with a visible notice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from assistant.assessment.feedback import texts
from assistant.config.prompting import load_yaml, render
from assistant.domain.errors import AccessDenied, CoachError
from assistant.domain.referentiel import PART_LABELS_FR
from assistant.domain.vocabulary import VERDICT_FR, VERDICT_RANK
from assistant.text.french import fold, tokens

Role = Literal["candidat", "jury", "formateur"]
ROLES: tuple[Role, ...] = ("candidat", "jury", "formateur")
_INDICATOR_ID = re.compile(r"\b(\d(?:\.\d)?\.C\d+(?:\.I\d+)?)\b", re.IGNORECASE)

HELP = {
    "candidat": (
        "Je peux :\n"
        "- évaluer votre livrable : /evaluer FICHIER.pdf [unité] (ou déposez-le dans l'application web) ;\n"
        "- expliquer un verdict : « Pourquoi 2.C3.I3 n'est pas validé ? », « pourquoi mon budget ? » ;\n"
        "- conseiller : « Comment améliorer mes objectifs ? », « Que dois-je ajouter ? » ;\n"
        "- comparer vos brouillons : « Qu'est-ce qui a progressé ? » ;\n"
        "- répondre sur le référentiel : « Qu'attend-on pour la charte de community management ? »."
    ),
    "jury": (
        "Je peux : lister les grilles (« grilles »), résumer une grille (« grille ID »), expliquer un "
        "verdict de la dernière évaluation, et répondre sur le référentiel avec citations."
    ),
    "formateur": (
        "Posez vos questions sur le référentiel : unités, critères, indicateurs, productions attendues, "
        "modalités d'évaluation. Chaque réponse cite l'unité, le critère et l'indicateur."
    ),
}
OFFLINE_LIMITS = ("Sans modèle de langage configuré, je réponds à partir du référentiel et des résultats de "
                  "l'évaluation, avec des textes types : je ne rédige pas de texte libre ni de reformulation "
                  "de votre document.")


@dataclass
class ChatReply:
    text: str
    citations: list[dict] = field(default_factory=list)
    intent: str = "question"
    used_model: bool = False
    notice: str | None = None


@dataclass
class Turn:
    role: Literal["user", "assistant"]
    text: str


class ChatSession:
    def __init__(
        self,
        coach,  # noqa: ANN001
        role: Role = "candidat",
        candidate: str | None = None,
        *,
        read_files: bool = True,
    ) -> None:
        """``read_files=False`` disables ``/evaluer FICHIER`` (a server must never read a path a user typed)."""
        if role not in ROLES:
            raise CoachError(f"Rôle inconnu « {role} » : candidat, jury ou formateur.", code="bad_role")
        self.coach = coach
        self.role = role
        self.candidate = candidate
        self.read_files = read_files
        self.history: list[Turn] = []
        self.assessment = None
        self.previous = None

    # State ---------------------------------------------------------------------------------------
    def attach_assessment(self, assessment) -> None:  # noqa: ANN001
        if self.role == "formateur":
            raise AccessDenied("Le rôle formateur n'a pas accès aux évaluations des candidats.")
        if self.role == "candidat" and self.candidate and assessment.candidate not in {None, self.candidate}:
            raise AccessDenied("Cette évaluation concerne un autre candidat.")
        self.previous, self.assessment = self.assessment, assessment

    # Public API ----------------------------------------------------------------------------------
    def respond(self, message: str) -> ChatReply:
        replies = list(self._run(message))
        return replies[-1]

    def stream(self, message: str) -> Iterator[str]:
        """Yield the growing answer text (for streaming UIs)."""
        for reply in self._run(message):
            yield reply.text

    # Engine --------------------------------------------------------------------------------------
    def _run(self, message: str) -> Iterator[ChatReply]:
        message = message.strip()
        self.history.append(Turn("user", message))
        intent, offline = self._offline(message)
        final = offline
        model = self.coach.chat_model if intent in {"explain", "advice", "question"} else None
        if model is not None and offline.citations is not None:
            final = yield from self._with_model(model, message, offline)
        else:
            yield from _pieces(offline)
        self.history.append(Turn("assistant", final.text))
        return final

    def _with_model(self, model, message: str, offline: ChatReply):  # noqa: ANN001, ANN202
        from langchain_core.messages import HumanMessage, SystemMessage

        prompt = load_yaml("llm/chat.yaml")
        title = self.coach.referentiel().title
        messages = [
            SystemMessage(render(prompt["system"][self.role], referentiel_title=title)),
            HumanMessage(render(prompt["user"], question=message, facts=offline.text)),
        ]
        text = ""
        try:
            for chunk in model.stream(messages):
                piece = chunk.content if isinstance(chunk.content, str) else ""
                text += piece
                if piece:
                    yield ChatReply(text=text, citations=offline.citations, intent=offline.intent, used_model=True)
            if not text.strip():
                raise ValueError("réponse vide")
        except Exception as exc:  # noqa: BLE001 - any model failure: offline answer with a notice
            notice = f"(Modèle de langage indisponible : {exc.__class__.__name__}. Réponse hors ligne.)"
            fallback = ChatReply(text=f"{offline.text}\n\n{notice}", citations=offline.citations,
                                 intent=offline.intent, notice=notice)
            yield fallback
            return fallback
        sources = _sources_block(offline.citations)
        final = ChatReply(text=text.strip() + (f"\n\n{sources}" if sources else ""), citations=offline.citations,
                          intent=offline.intent, used_model=True)
        yield final
        return final

    def _offline(self, message: str) -> tuple[str, ChatReply]:
        folded = fold(message)
        if not message or folded in {"/aide", "aide", "help", "?"}:
            return "help", ChatReply(text=HELP[self.role] + "\n\n" + (OFFLINE_LIMITS if not self.coach.chat_model
                                                                    else ""), intent="help")
        if folded.startswith("/evaluer"):
            return "assess", self._assess_command(message)
        if self.role != "formateur" and re.search(r"\b(progres|progresse|compar|brouillon|version precedente)", folded):
            return "compare", self._compare()
        if self.role == "jury" and re.match(r"^(grilles?|liste des grilles)\b", folded):
            return "grids", self._grids(folded)
        wants_why = re.search(r"\b(pourquoi|explique|justifie)\b", folded)
        wants_advice = re.search(r"\b(comment ameliorer|ameliorer|que dois-je|quoi ajouter|ajouter|conseil|"
                                 r"comment faire|que faut-il)\b", folded)
        if (wants_why or wants_advice) and self.role != "formateur":
            if self.assessment is None:
                return "explain", ChatReply(
                    text="Je n'ai pas encore d'évaluation de votre document : déposez-le ou tapez "
                         "/evaluer FICHIER.pdf, puis posez votre question.", intent="explain", citations=[])
            target = self._resolve_indicators(message)
            if wants_why:
                return "explain", self._explain(target)
            return "advice", self._advice(target)
        return "question", self._question(message)

    # Intents ---------------------------------------------------------------------------------------
    def _question(self, message: str) -> ChatReply:
        answer = self.coach.ask(message)
        cites = [c.model_dump() for c in answer.citations]
        text = answer.answer
        if cites:
            text += "\n\n" + _sources_block(cites)
        return ChatReply(text=text, citations=cites, intent="question")

    def _resolve_indicators(self, message: str) -> list:
        """Indicators of the last assessment the message is about (explicit ids, else by topic)."""
        items = self.assessment.indicators
        ids = [m.upper() for m in _INDICATOR_ID.findall(message)]
        if ids:
            chosen = [i for i in items if any(i.id.upper() == x or i.criterion_id.upper() == x for x in ids)]
            if chosen:
                return chosen
        words = set(tokens(message)) - set(tokens("pourquoi comment ameliorer critere indicateur valide mon ma mes "
                                                  "pas est n'est ajouter conseil"))
        scored = []
        from assistant.judging.hints import hint_for

        ref = self.coach.referentiel(self.assessment.referentiel)
        for i in items:
            _, _, ind = ref.find(i.id)
            hint = hint_for(ref, ind)
            vocab = set(tokens(" ".join([i.text, i.criterion, *hint.keywords])))
            overlap = len(words & vocab)
            if overlap:
                scored.append((overlap, i))
        if scored:
            best = max(s for s, _ in scored)
            return [i for s, i in scored if s == best][:3]
        gaps = [i for i in items if i.verdict in {"not_evidenced", "partial"}]
        return sorted(gaps, key=lambda i: i.verdict != "not_evidenced")[:3]

    def _explain(self, indicators: list) -> ChatReply:
        labels = texts()["found_kinds"]
        lines = []
        cites = []
        for i in indicators:
            result = next((r for r in self.assessment.results if r.indicator_id == i.id), None)
            lines.append(f"**{i.id}** — {i.text} : {VERDICT_FR[i.verdict]} (confiance {i.confidence:.2f}).")
            lines.append(f"  {i.feedback}")
            if result is not None and result.looked_for:
                looked = ", ".join(labels.get(k, k) for k in result.looked_for)
                found = ", ".join(labels.get(k, k) for k in result.found) or "aucun de ces éléments"
                pages = ", ".join(map(str, result.pages_examined)) or "—"
                lines.append(f"  Ce qui était recherché : {looked}. Trouvé dans les passages les plus proches "
                             f"(p. {pages}) : {found}.")
            for e in i.evidence:
                lines.append(f"  > p. {e.page} : « {e.quote} »")
            if i.advice:
                lines.append(f"  Conseil : {i.advice}")
            cites.append({"unit": self.assessment.unit, "criterion_id": i.criterion_id, "indicator_id": i.id,
                          "part": "criteria", "text": i.text})
        return ChatReply(text="\n".join(lines), citations=cites, intent="explain")

    def _advice(self, indicators: list) -> ChatReply:
        lines = ["Pour progresser :"]
        cites = []
        for i in indicators:
            lines.append(f"- **{i.id}** ({VERDICT_FR[i.verdict]}) — {i.advice or i.feedback}")
            cites.append({"unit": self.assessment.unit, "criterion_id": i.criterion_id, "indicator_id": i.id,
                          "part": "criteria", "text": i.text})
        return ChatReply(text="\n".join(lines), citations=cites, intent="advice")

    def _assess_command(self, message: str) -> ChatReply:
        if self.role == "formateur":
            return ChatReply(text="Le rôle formateur ne peut pas évaluer de document de candidat.", intent="assess")
        if not self.read_files:
            return ChatReply(text="Déposez votre PDF dans le formulaire de la page : la commande /evaluer n'est pas "
                                  "disponible ici.", intent="assess")
        parts = message.split()
        if len(parts) < 2:
            return ChatReply(text="Usage : /evaluer FICHIER.pdf [unité]", intent="assess")
        path = Path(parts[1]).expanduser()
        unit = parts[2] if len(parts) > 2 else None
        try:
            result = self.coach.assess(path, unit=unit, candidate=self.candidate)
        except CoachError as exc:
            return ChatReply(text=str(exc), intent="assess")
        self.attach_assessment(result)
        counts = {v: sum(i.verdict == v for i in result.indicators) for v in VERDICT_FR}
        lines = [f"Évaluation de {result.document.file} (unité {result.unit}) : "
                 + ", ".join(f"{n} {VERDICT_FR[v]}" for v, n in counts.items() if n) + ".",
                 "Priorités :"] + [f"  {n}. {p}" for n, p in enumerate(result.summary.priorities, 1)]
        if result.warnings:
            lines.append("Alertes : " + " ; ".join(w.message for w in result.warnings))
        lines.append("Demandez « pourquoi 2.C1.I6 ? » ou « comment améliorer … ? » pour le détail.")
        return ChatReply(text="\n".join(lines), intent="assess")

    def _compare(self) -> ChatReply:
        if self.assessment is None or self.previous is None:
            if self.candidate and self.assessment is not None:
                from assistant.assessment.progress import progress, progress_text

                try:
                    return ChatReply(text=progress_text(progress(self.coach.settings, self.candidate,
                                                                 self.assessment.unit)), intent="compare")
                except CoachError as exc:
                    return ChatReply(text=str(exc), intent="compare")
            return ChatReply(text="Il faut au moins deux versions évaluées du même livrable pour les comparer.",
                             intent="compare")
        before = {i.id: i.verdict for i in self.previous.indicators}
        rank = VERDICT_RANK
        up = [i.id for i in self.assessment.indicators if rank.get(i.verdict, -1) > rank.get(before.get(i.id), -1)]
        down = [i.id for i in self.assessment.indicators if rank.get(i.verdict, 9) < rank.get(before.get(i.id), 9)]
        text = (f"Par rapport à la version précédente : {len(up)} indicateur(s) en progrès"
                + (f" ({', '.join(up)})" if up else "") + f", {len(down)} en recul"
                + (f" ({', '.join(down)})" if down else "") + ".")
        return ChatReply(text=text, intent="compare")

    def _grids(self, folded: str) -> ChatReply:
        from assistant.records.grid import list_grids

        grids = list_grids(self.coach.settings)
        if not grids:
            return ChatReply(text="Aucune grille pour l'instant (rncp-coach grid prefill …).", intent="grids")
        lines = [f"- {g.id} : {g.candidate}, unité {g.unit}, {g.file} ({g.status})" for g in grids[:20]]
        return ChatReply(text="Grilles :\n" + "\n".join(lines), intent="grids")


def _sources_block(citations: list[dict]) -> str:
    if not citations:
        return ""
    lines = ["Sources :"]
    for c in citations:
        ident = c.get("indicator_id") or c.get("criterion_id") or f"unité {c['unit']}"
        lines.append(f"- [{ident}] unité {c['unit']} · {PART_LABELS_FR.get(c['part'], c['part'])} — « {c['text']} »")
    return "\n".join(lines)


def _pieces(reply: ChatReply) -> Iterator[ChatReply]:
    """Stream an offline answer line by line."""
    lines = reply.text.split("\n")
    for n in range(1, len(lines) + 1):
        yield ChatReply(text="\n".join(lines[:n]), citations=reply.citations, intent=reply.intent,
                        used_model=reply.used_model, notice=reply.notice)
