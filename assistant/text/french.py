"""French text normalisation for lexical search: lowercase, accents folded, stop words, stemming."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)?")

STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "elles",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "c",
        "d",
        "j",
        "l",
        "m",
        "n",
        "s",
        "t",
        "y",
        "est",
        "sont",
        "ete",
        "etre",
        "avoir",
        "ont",
        "a",
        "as",
        "ai",
        "sera",
        "seront",
        "etait",
        "fait",
        "faire",
        "font",
        "peut",
        "peuvent",
        "doit",
        "doivent",
        "dont",
        "ou",
        "la",
        "ici",
        "tout",
        "tous",
        "toute",
        "toutes",
        "plus",
        "moins",
        "tres",
        "bien",
        "comme",
        "si",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "comment",
        "combien",
        "pourquoi",
        "quand",
        "quoi",
        "est-ce",
        "qu'est-ce",
        "cela",
        "ca",
        "celui",
        "celle",
        "ceux",
        "celles",
        "autre",
        "autres",
        "leur",
        "entre",
        "afin",
        "ainsi",
        "donc",
        "notamment",
        "selon",
        "sans",
        "sous",
        "chez",
        "vers",
        "lors",
        "cas",
    ]
)


def fold(text: str) -> str:
    """Lowercase and strip accents (« Évaluée » -> « evaluee »), typographic quotes normalised."""
    text = text.replace("’", "'").replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    nfkd = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in nfkd if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _stemmer():  # noqa: ANN202
    import snowballstemmer

    return snowballstemmer.stemmer("french")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer().stemWord(word)


def tokens(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Normalised, stemmed tokens of a French text."""
    out = []
    for raw in _WORD.findall(fold(text)):
        # Elisions: l'analyse -> analyse, d'information -> information.
        word = raw.split("'", 1)[1] if "'" in raw and len(raw.split("'", 1)[0]) <= 2 else raw
        word = word.replace("'", "")
        if not keep_stop_words and (word in STOP_WORDS or len(word) < 2):
            continue
        out.append(stem(word))
    return out
