"""Word → term id of one field, remembered across write batches, so a batch's words that were
seen before are neither stemmed nor looked up in the term dictionary again: their ids come from one
C-level `map` over the batch's tokens. Term ids are never reassigned (term_dictionary.py), so a
remembered id stays right for the life of the field index.

Bounded as the stem cache is (searchlib.linguistics `_StemCache`): two generations of at most
`GENERATION` words each; words still in use survive a reset. scifact's title and text fields have
~25,000 distinct words each, so a field's working vocabulary fits; rarer words are stemmed again.
"""
from __future__ import annotations

from itertools import repeat

import numpy as np

from content_node.store.batch_words import WordHashes, buffer_term_ids
from content_node.store.term_dictionary import TermDictionary
from searchlib.linguistics import stems_uncached

GENERATION = 32768


class WordTermIds:
    """The term ids of words stemmed in one language (`stem_language` None: a word is its term)."""

    def __init__(self, dictionary: TermDictionary, stem_language: str | None) -> None:
        self._dictionary = dictionary
        self._stem_language = stem_language
        self._young: dict[str, int] = {}
        self._old: dict[str, int] = {}
        self._hashes = WordHashes()  # the same words' ids by the hash of their bytes

    def buffer_ids(self, buffer: bytes, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
        """`ids` of the words at `starts`/`lengths` of a space-separated buffer (batch_words.py);
        None on a hash collision."""
        return buffer_term_ids(buffer, starts, lengths, self._hashes, self.ids)

    @property
    def nbytes(self) -> int:
        """Approximate: the hash table's arrays, ~120 bytes a remembered word (as TermDictionary counts)."""
        return self._hashes.nbytes + 120 * (len(self._young) + len(self._old))

    def ids(self, words: list[str]) -> np.ndarray:
        """The term id of every word, in order; terms not seen before are added to the dictionary
        in the order their first word occurs (as looking up the batch's distinct words does)."""
        ids = np.fromiter(map(self._young.get, words, repeat(-1)), dtype=np.int32, count=len(words))
        missing = np.flatnonzero(ids < 0)
        if not len(missing):
            return ids
        missed = [words[index] for index in missing.tolist()]
        distinct = list(dict.fromkeys(missed))
        known = list(map(self._old.get, distinct))
        new = [word for word, term_id in zip(distinct, known) if term_id is None]
        if new:
            terms = new if self._stem_language is None else stems_uncached(new, self._stem_language)
            new_ids = iter(self._dictionary.ids(terms).tolist())
            known = [next(new_ids) if term_id is None else term_id for term_id in known]
        by_word = dict(zip(distinct, known))
        if len(self._young) + len(by_word) > GENERATION:
            self._old, self._young = self._young, {}
        self._young.update(by_word)
        ids[missing] = np.fromiter(map(by_word.__getitem__, missed), dtype=np.int32, count=len(missed))
        return ids
