"""Vespa's LiteralBoostSearcher for fields with `rank: literal` (searchlib.schema.literal_fields):
every word the query searches in such a field f, or in a fieldset holding f, is also added, as
written (lowercased, neither stemmed nor accent-folded, as f_literal indexed it), as a rank term
on f_literal. The terms join a `rank(...)` at the root (a root rank() gets them as more children),
so they never change what matches, only the rank features: a document holding the word as
written matches one more term.

Recorded while words are parsed (the parsed tree holds stemmed terms only), for YQL strings,
userQuery() and userInput() alike; words under a NOT are recorded too (harmless: a document
matching them is not a hit)."""
from __future__ import annotations

from typing import Mapping

from searchlib.match_modes import MatchMode, query_terms
from searchlib.query.tree import QueryNode, Rank, Term


class LiteralBoost:
    def __init__(self, modes: Mapping[str, MatchMode]) -> None:
        self._modes = modes
        self._terms: list[Term] = []

    def note(self, index: str, text: str, language: str) -> None:
        """`text` was searched in `index`: remember its literal words when the index has them."""
        mode = self._modes.get(index)
        for literal_index in mode.literal_indexes if mode is not None else ():
            literal = self._modes.get(literal_index, MatchMode(stemming=False, normalizing=False))
            self._terms.extend(Term(literal_index, word) for word in query_terms(literal, text, language, False))

    def apply(self, where: QueryNode | None) -> QueryNode | None:
        if not self._terms or where is None:
            return where
        if isinstance(where, Rank) and not where.label:
            return Rank((*where.children, *self._terms))
        return Rank((where, *self._terms))
