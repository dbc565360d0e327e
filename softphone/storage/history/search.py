"""Search keys for the call history: text folded without case or accents, numbers as their
digits, and the FTS5 queries and documents the store searches them with.

Every call has a folded ``search_key`` (digits of the number, then the name without case or
accents). Fragments of three characters and more are looked up in an FTS5 trigram index
(``trigram_query``); fragments of one or two in ``calls_grams``, an FTS5 index of the distinct
one- and two-character pieces of each key (``gram_document``, ``gram_token``). Pure functions:
no database here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_SEPARATOR: Final = "\x1f"  # between number and name in search_key: no fragment spans both

_NUMBER_LIKE = re.compile(r"[\d+\-\s().]+")
_NUMBER_PUNCTUATION = re.compile(r"[+\-\s().]")


def fold_text(text: str) -> str:
    """Case- and accent-free text: "José  Müller" → "jose muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def number_key(number: str) -> str:
    """Dialled characters only: "+1 (555) 010-2030" → "15550102030"; "Alice" → "alice"."""
    return _NUMBER_PUNCTUATION.sub("", fold_text(number))


def search_key(number: str, name: str) -> str:
    return f"{number_key(number)}{_SEPARATOR}{fold_text(name)}"


def short_grams(key: str) -> set[str]:
    """The distinct one- and two-character pieces of a search key, none across the separator."""
    grams: set[str] = set()
    for part in key.split(_SEPARATOR):
        grams.update(part)
        grams.update(part[i : i + 2] for i in range(len(part) - 1))
    return grams


def gram_token(gram: str) -> str:
    """A piece as one token of FTS5's ``ascii`` tokenizer: its code points in hex, joined by
    "x" ("a" → "61", "jo" → "6ax6f"), so any character, "+", "%" or "ç", is a plain token."""
    return "x".join(f"{ord(ch):x}" for ch in gram)


def gram_document(key: str) -> str:
    """What ``calls_grams`` indexes for a search key (sorted, so it is the same every time)."""
    return " ".join(sorted(gram_token(g) for g in short_grams(key)))


def match_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def trigram_query(fragment: str) -> str:
    """An FTS5 query for rows holding every trigram of ``fragment`` (3 characters or more);
    the caller checks the fragment itself, as the trigrams may be apart."""
    trigrams = sorted({fragment[i : i + 3] for i in range(len(fragment) - 2)})
    return " AND ".join(match_phrase(t) for t in trigrams)


def fragment_key(text: str) -> str:
    """What a typed fragment is matched as: digits for a number ("+1 555" → "1555"), else
    folded text."""
    text = "".join(ch for ch in text if ch.isprintable())
    if _NUMBER_LIKE.fullmatch(text) and any(ch.isdigit() for ch in text):
        return _NUMBER_PUNCTUATION.sub("", text)
    return fold_text(text)
