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
from assistant.domain.errors import AccessDenied, CoachError, UnitUncertain
from assistant.domain.referentiel import PART_LABELS_FR
from assistant.domain.vocabulary import VERDICT_FR, VERDICT_RANK
from assistant.text.french import fold, tokens

Role = Literal["candidat", "jury", "formateur"]
ROLES: tuple[Role, ...] = ("candidat", "jury", "formateur")
_INDICATOR_ID = re.compile(r"\b(\d(?:\.\d)?\.C\d+(?:\.I\d+)?)\b", re.IGNORECASE)
# Words of the question itself, not of its subject.
_QUESTION_WORDS = set(tokens("pourquoi comment ameliorer critere criteres indicateur indicateurs valide validee "
                             "validees valides mon ma mes pas est n'est sont ajouter conseil demontre "
                             "partiel note juge jugee"))
# The question assumes a gap (« pourquoi mes objectifs ne sont-ils pas validés ? »).
_NEGATIVE_PREMISE = re.compile(r"\b(pas|plus|jamais)\s+(encore\s+)?(valide|demontre|accepte|reconnu|bon|ok|suffisant)"
                               r"|\bne\s+\S+(\s+\S+)?\s+pas\b|\bn'\S+\s+pas\b|\b(refuse|rejete|insuffisant|echoue|"
                               r"non valide|non demontre|partiel|manque)")

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
        inline_sources: bool = True,
    ) -> None:
        """``read_files=False`` disables ``/evaluer FICHIER`` (a server must never read a path a user typed);
        ``inline_sources=False`` leaves the « Sources » block out of the text, for a screen that shows the
        citations beside the answer (``last_reply.citations``), so that they appear once."""
        if role not in ROLES:
            raise CoachError(f"Rôle inconnu « {role} » : candidat, jury ou formateur.", code="bad_role")
        self.coach = coach
        self.role = role
        self.candidate = candidate
        self.read_files = read_files
        self.inline_sources = inline_sources
        self.last_reply: ChatReply | None = None
        self.history: list[Turn] = []
        self.assessment = None
        self.previous = None
        self.pending_unit: tuple[Path, list[str]] | None = None  # a file waiting for its unit, and the choices

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
        self.last_reply = final
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
        sources = _sources_block(offline.citations) if self.inline_sources else ""
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
        if self.pending_unit is not None:
            chosen = _unit_answer(folded, self.pending_unit[1])
            if chosen:
                path, _ = self.pending_unit
                self.pending_unit = None
                return "assess", self._assess_file(path, chosen)
            self.pending_unit = None  # another question: the pending file is dropped
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
                return "explain", self._explain(target, message)
            return "advice", self._advice(target)
        return "question", self._question(message)

    # Intents ---------------------------------------------------------------------------------------
    def _question(self, message: str) -> ChatReply:
        answer = self.coach.ask(message)
        cites = [c.model_dump() for c in answer.citations]
        text = answer.answer
        if cites and self.inline_sources:
            text += "\n\n" + _sources_block(cites)
        return ChatReply(text=text, citations=cites, intent="question")

    def _resolve_indicators(self, message: str) -> list:
        """Indicators of the last assessment the message is about: explicit ids first, else the ones whose
        own wording (then criterion and hint keywords) best matches the message's rarer words."""
        import math

        from assistant.judging.hints import hint_for

        items = self.assessment.indicators
        ids = [m.upper() for m in _INDICATOR_ID.findall(message)]
        if ids:
            chosen = [i for i in items if any(i.id.upper() == x or i.criterion_id.upper() == x for x in ids)]
            if chosen:
                return chosen
        words = set(tokens(message)) - _QUESTION_WORDS
        ref = self.coach.referentiel(self.assessment.referentiel)
        vocab = {}
        for i in items:
            _, _, ind = ref.find(i.id)
            hint = hint_for(ref, ind)
            vocab[i.id] = (set(tokens(i.text)), set(tokens(i.criterion)), set(tokens(" ".join(hint.keywords))))
        df = {w: sum(1 for own, crit, kw in vocab.values() if w in own | crit | kw) for w in words}
        n = max(len(items), 1)

        def score(i) -> float:  # noqa: ANN001
            own, crit, kw = vocab[i.id]
            total = 0.0
            for w in words:
                if not df.get(w):
                    continue
                idf = math.log(1 + n / df[w])
                # a word of a short indicator is its subject; in a long one it may be a side remark
                own_weight = 2.0 * (4 / max(4, len(own))) ** 0.5
                total += idf * (own_weight if w in own else 1.0 if w in crit else 0.5 if w in kw else 0.0)
            return total

        scored = sorted(((score(i), n_, i) for n_, i in enumerate(items)), key=lambda t: (-t[0], t[1]))
        if scored and scored[0][0] > 0:  # the best match; a second one only when it matches as well
            best = scored[0][0]
            return [i for s, _, i in scored if s >= best - 1e-9][:2]
        gaps = [i for i in items if i.verdict in {"not_evidenced", "partial"}]
        return sorted(gaps, key=lambda i: i.verdict != "not_evidenced")[:3]

    def _explain(self, indicators: list, message: str = "") -> ChatReply:
        """The verdict first (correcting the question's premise when it is wrong), then the evidence, then
        advice: corrective advice only for an indicator that is not met."""
        labels = texts()["found_kinds"]
        doubts = bool(_NEGATIVE_PREMISE.search(fold(message)))
        lines = []
        cites = []
        for i in indicators:
            result = next((r for r in self.assessment.results if r.indicator_id == i.id), None)
            verdict = VERDICT_FR[i.verdict]
            if i.verdict == "evidenced" and doubts:
                lines.append(f"Votre indicateur **{i.id}** est {verdict} : il est en fait validé — {i.text} "
                             f"(confiance {i.confidence:.2f}).")
            else:
                lines.append(f"Votre indicateur **{i.id}** est {verdict} — {i.text} (confiance {i.confidence:.2f}).")
            lines.append(f"  {i.feedback}")
            if result is not None and result.looked_for and i.verdict != "evidenced":
                looked = ", ".join(labels.get(k, k) for k in result.looked_for)
                found = ", ".join(labels.get(k, k) for k in result.found) or "aucun de ces éléments"
                pages = ", ".join(map(str, result.pages_examined)) or "—"
                lines.append(f"  Ce qui était recherché : {looked}. Trouvé dans les passages les plus proches "
                             f"(p. {pages}) : {found}.")
            for e in i.evidence:
                lines.append(f"  > p. {e.page} : « {e.quote} »")
            if i.advice and i.verdict != "evidenced":  # no corrective advice on a met indicator
                lines.append(f"  Conseil : {i.advice}")
            cites.append({"unit": self.assessment.unit, "criterion_id": i.criterion_id, "indicator_id": i.id,
                          "part": "criteria", "text": i.text})
        return ChatReply(text="\n".join(lines), citations=cites, intent="explain")

    def _advice(self, indicators: list) -> ChatReply:
        lines = ["Pour progresser :"]
        cites = []
        for i in indicators:
            if i.verdict == "evidenced":
                lines.append(f"- **{i.id}** est déjà {VERDICT_FR[i.verdict]} : rien à corriger sur ce point.")
            else:
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
        return self._assess_file(path, unit)

    def _assess_file(self, path: Path, unit: str | None) -> ChatReply:
        try:
            result = self.coach.assess(path, unit=unit, candidate=self.candidate)
        except UnitUncertain as exc:
            if not exc.choices:
                return ChatReply(text=str(exc), intent="assess")
            self.pending_unit = (path, exc.choices)
            options = " ou ".join(exc.choices)
            return ChatReply(text=f"Je ne suis pas sûr de l'unité de ce document. S'agit-il de l'unité {options} ? "
                                  f"Répondez par le numéro de l'unité (par ex. « {exc.choices[0]} »).",
                             intent="assess")
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


def _unit_answer(folded: str, choices: list[str]) -> str | None:
    """The unit a reply names among the offered ones (« 2 », « l'unité 3.1 », « la 2 »), else None."""
    named = re.findall(r"(?<![\d.])(\d(?:\.\d)?)(?![\d.])", folded)
    picked = [u for u in named if u in choices]
    return picked[0] if len(set(picked)) == 1 else None


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
