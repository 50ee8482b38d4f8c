"""Tokenization and normalization used by BOTH feeding and querying, so terms always agree."""
from __future__ import annotations

import re
import unicodedata

_TOKEN = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """Lowercase and strip accents (Vespa normalizes and lowercases text before matching)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokenize(text: str) -> list[str]:
    """Text → index terms, in order (positions are list indexes)."""
    return _TOKEN.findall(normalize(text))
