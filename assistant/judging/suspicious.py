"""Text addressed to an assessor or an AI inside a candidate's document: flagged, never obeyed."""

from __future__ import annotations

import re

from assistant.domain.documents import ExtractedDocument
from assistant.text.french import fold

_PATTERNS = [
    r"(?:correcteur|correctrice|evaluateur|evaluatrice|examinateur|jury|assistant|outil|logiciel|systeme)"
    r"\s+(?:automatique|automatise|d'evaluation|de correction|ia)",
    r"\b(?:a l'intention|a l'attention)\s+(?:du|de la|des)\s+(?:correcteur|jury|evaluateur|lecteur automatique|ia|"
    r"intelligence artificielle|modele|correction)",
    r"\b(?:intelligence artificielle|chatgpt|gpt-?\d|llm|modele de langage|language model|\bai\b|\bia\b)\b.{0,80}"
    r"\b(?:considere|note|attribue|valide|evalue|ignore|reponds|doit|dois)",
    r"\b(?:ignore|ignorez|oublie|oubliez|ne tiens pas compte|ne tenez pas compte)\b.{0,40}"
    r"\b(?:instructions?|consignes?|regles|criteres|ce qui precede)",
    r"\b(?:considere|considerez|consider)\b.{0,40}\b(?:tous les criteres|all criteria|valide|remplis|acquis)",
    r"\b(?:tous les criteres|tous les indicateurs)\s+(?:sont|doivent etre)\s+(?:remplis|valides|acquis|demontres)",
    r"\b(?:attribue|attribuez|donne|donnez|mets|mettez)\b.{0,30}\b(?:la note maximale|20/20|note maximale|"
    r"acquis partout|la meilleure note)",
    r"\b(?:ignore (?:all |any )?previous instructions|system prompt|you are an?|as an ai)\b",
]
_RX = [re.compile(p) for p in _PATTERNS]
_SENT = re.compile(r"[^.!?\n]+[.!?]?")


def find_instructions(doc: ExtractedDocument) -> list[tuple[int, str]]:
    """(page, sentence) pairs that address an assessor or an AI."""
    found: list[tuple[int, str]] = []
    for page in doc.pages:
        for m in _SENT.finditer(page.text):
            sentence = m.group(0).strip()
            if len(sentence) < 10:
                continue
            folded = fold(sentence)
            if any(rx.search(folded) for rx in _RX):
                found.append((page.number, sentence))
    return found


def without_instructions(doc: ExtractedDocument, found: list[tuple[int, str]]) -> ExtractedDocument:
    """The document with only the sentences addressed to an assessor cut out of their page (the rest of the
    page, the candidate's real evidence, stays): what is chunked and judged. Quotes are still checked
    against the original pages."""
    if not found:
        return doc
    pages = []
    for page in doc.pages:
        text = page.text
        for number, sentence in found:
            if number == page.number:
                text = text.replace(sentence, " ")
        text = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", text))
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        pages.append(page.model_copy(update={"text": text}))
    return doc.model_copy(update={"pages": pages})
