"""Domain model of a candidate's document: the cleaned text of each page, hidden text, chunks.

Invariant that the rest of the product relies on: a :class:`Chunk` is an exact slice of the cleaned
text of its page, ``chunk.text == doc.page(chunk.page).text[chunk.start:chunk.end]``. Quotes given
as evidence are later checked against the page text, so nothing may be rewritten after cleaning.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.domain.errors import NotFoundError

HiddenKind = Literal["tiny", "white", "off_page"]
HIDDEN_KIND_LABELS_FR: dict[str, str] = {
    "tiny": "écrit en police minuscule",
    "white": "écrit en blanc ou invisible",
    "off_page": "placé hors de la page",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Page(_Model):
    """The cleaned text of one page; ``number`` is 1-based."""

    number: int = Field(ge=1)
    text: str


class HiddenText(_Model):
    """Text drawn so that a reader cannot see it (white ink, tiny font, outside the page)."""

    page: int = Field(ge=1)
    kind: HiddenKind
    quote: str


class ExtractedDocument(_Model):
    file_name: str
    sha256: str
    page_count: int = Field(ge=0)
    pages: list[Page]
    hidden: list[HiddenText] = Field(default_factory=list)
    ocr_pages: list[int] = Field(default_factory=list)  # pages whose text was read from their image (OCR)

    @model_validator(mode="after")
    def _pages_in_order(self) -> ExtractedDocument:
        if self.page_count != len(self.pages):
            raise ValueError(f"page_count={self.page_count} mais {len(self.pages)} pages")
        for i, p in enumerate(self.pages, start=1):
            if p.number != i:
                raise ValueError(f"page n°{p.number} à la position {i}")
        return self

    def page(self, n: int) -> Page:
        """The page numbered ``n`` (1-based)."""
        if not 1 <= n <= len(self.pages):
            raise NotFoundError(
                f"Page {n} inexistante : le document « {self.file_name} » compte {len(self.pages)} page(s).",
                code="page_not_found",
            )
        return self.pages[n - 1]

    @property
    def text(self) -> str:
        """All pages' text, separated by a blank line (for display; chunks index pages, not this)."""
        return "\n\n".join(p.text for p in self.pages)


class Chunk(_Model):
    """A passage of one page: ``text == doc.page(page).text[start:end]``, stripped, non-empty."""

    id: str
    index: int = Field(ge=0)
    page: int = Field(ge=1)
    heading: str | None = None
    text: str
    start: int = Field(ge=0)
    end: int

    @model_validator(mode="after")
    def _consistent(self) -> Chunk:
        if self.end - self.start != len(self.text):
            raise ValueError(f"chunk {self.id}: end - start != len(text)")
        if not self.text or self.text != self.text.strip():
            raise ValueError(f"chunk {self.id}: texte vide ou entouré d'espaces")
        return self


def chunk_passage(chunk: Chunk) -> str:
    """The text embedded for a chunk: its heading gives context."""
    return f"{chunk.heading}\n{chunk.text}" if chunk.heading and chunk.heading not in chunk.text else chunk.text
