"""The inverted index of one `index` field: term dictionary, postings, field lengths, statistics.

Writes go to a small pending append buffer; the first read after
a write freezes pending chunks into a `delta` segment, and the delta is merged into the `main`
segment once it exceeds an eighth of it, so merge work stays amortized O(log n) per posting while
reads never scan unsorted data. Removed documents stay in the segments until the next merge but
are filtered out of every read (by the alive mask) and out of the statistics immediately.

Kept raw, never precomputed: term frequencies, positions, field lengths, document frequencies —
the corpus is mutable, so BM25 and friends are computed at query time from these.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable

import numpy as np

from content_node.store.arrays import ensure_capacity, read_only
from content_node.store.element_layout import ELEMENT_GAP, ElementLengths, Layout, convert_image
from content_node.store.local_ids import LocalIds
from content_node.store.term_dictionary import TermDictionary
from content_node.store.posting_segment import (
    EMPTY_POSTINGS, EMPTY_SEGMENT, PendingPostings, PostingSegment, Postings, merge_segments)
from content_node.store.batch_words import word_spans
from content_node.store.word_term_ids import WordTermIds
from searchlib.linguistics import TOKENIZER_VERSION, ascii_word_bytes, stems
from searchlib.lucene_languages import UnsupportedLanguageError
from searchlib.match_modes import (
    TEXT, MatchMode, cap_occurrences, index_words, match_mode, mode_language, text_elements)

_PENDING_POSTINGS_LIMIT = 8192  # freeze while feeding too, bounding per-chunk overhead
_MIN_DELTA_POSTINGS = 32768
log = logging.getLogger("content_node.index")


def field_tokens(value: Any, language: str = "", mode: MatchMode = TEXT) -> tuple[list[str], np.ndarray]:
    """Index terms of a string or array-of-strings value, with their positions, in `language`
    (the document's, from `set_language`), or else in the value's detected language; `mode` is
    the field's match mode (searchlib.match_modes: text, exact/word, gram, stemming, limits)."""
    words, positions, stem_language, _ = field_words(value, language, mode)
    return _capped(words if stem_language is None else stems(words, stem_language), positions, mode)


def field_words(value: Any, language: str = "", mode: MatchMode = TEXT
                ) -> tuple[list[str], np.ndarray, str | None, list[int] | None]:
    """`field_tokens` before stemming and capping: the words, their positions, the language to
    stem them in (None: they are the terms already) and each element's length (None for a string)."""
    elements, stem_language = _element_words(value, language, mode)
    if isinstance(value, str):
        return elements[0], np.arange(len(elements[0]), dtype=np.int32), stem_language, None
    words: list[str] = []
    positions: list[np.ndarray] = []
    next_position = 0
    for element in elements:
        words.extend(element)
        positions.append(np.arange(next_position, next_position + len(element), dtype=np.int32))
        next_position += len(element) + ELEMENT_GAP
    flat = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int32)
    return words, flat, stem_language, [len(element) for element in elements]


def _capped(tokens: list[str], positions: np.ndarray, mode: MatchMode) -> tuple[list[str], np.ndarray]:
    """Only the first max-occurrences occurrences of each term are indexed."""
    if len(tokens) <= mode.max_occurrences:
        return tokens, positions
    keep = cap_occurrences(tokens, mode.max_occurrences)
    return [t for t, k in zip(tokens, keep) if k], positions[np.asarray(keep, dtype=bool)]


def element_tokens(value: Any, language: str = "", mode: MatchMode = TEXT) -> list[list[str]]:
    """The index terms of each element of a value (a string is one element; a weighted set's keys
    in the stored order), tokenized as the index tokenizes them (uncapped)."""
    elements, stem_language = _element_words(value, language, mode)
    return elements if stem_language is None else [stems(words, stem_language) for words in elements]


def _element_words(value: Any, language: str, mode: MatchMode) -> tuple[list[list[str]], str | None]:
    """The words of each element and the language they are stemmed in (None: not stemmed). The
    language is only detected when the terms depend on it: stemming, or a Lucene language analyzer."""
    elements = [value] if isinstance(value, str) else list(text_elements(value))
    stemming = mode.kind == "text" and mode.stemming
    if stemming or mode.language_analysis is not None:  # a Lucene language analyzer: by language too
        language = mode_language(mode, value if isinstance(value, str) else " ".join(elements), language)
    try:
        words = [index_words(mode, element, language)[0] for element in elements]
    except UnsupportedLanguageError as error:  # refused at feed: only a since changed package gets here
        log.warning("a value not indexed (the package no longer analyzes its language): %s", error)
        words = [[] for _ in elements]
    return words, (language if stemming else None)


def _element_count(value: Any) -> int:
    return 1 if isinstance(value, str) else sum(1 for _ in text_elements(value))


class FieldIndex:
    """Not thread-safe by itself: the DocumentDB lock guards every call."""

    def __init__(self, name: str, local_ids: LocalIds, mode: MatchMode = TEXT) -> None:
        self.name = name
        self.mode = mode
        self._local_ids = local_ids
        self._term_ids = TermDictionary()
        self._word_ids: dict[str | None, WordTermIds] = {}  # by stemming language, over _term_ids
        self._doc_freqs = np.zeros(0, dtype=np.int32)
        self._lengths = np.zeros(0, dtype=np.int32)
        self._elements = ElementLengths()
        self._total_length = 0
        self._total_elements = 0
        self._documents_with_field = 0
        self._pending = PendingPostings()
        self._staged: dict[int, tuple[Any, str]] | None = None  # `stage()`d adds by local id, None: add at once
        self._delta = EMPTY_SEGMENT
        self._main = EMPTY_SEGMENT

    @classmethod
    def for_field(cls, field, local_ids: LocalIds) -> "FieldIndex":
        """The index of a schema field (model.Field), tokenizing by the field's match mode."""
        return cls(field.name, local_ids, match_mode(field))

    # -- writes -------------------------------------------------------------------------------

    def add(self, local_id: int, value: Any, language: str = "") -> None:
        """Index a document's value now, or with the rest of its batch at `flush()` while staging."""
        if self._staged is not None:
            self._staged[local_id] = (value, language)  # local ids are never reused: ascending
        else:
            self._add_many([(local_id, value, language)])

    def stage(self) -> None:
        """Collect `add`s until `flush()` (a write batch: one term lookup and one postings sort for
        all its documents instead of one each). The DocumentDB lock is held meanwhile, so no read
        sees a staged document missing; `remove` of a staged one flushes first."""
        if self._staged is None:
            self._staged = {}

    def flush(self) -> None:
        staged, self._staged = self._staged, None
        if staged:
            self._add_many([(local_id, value, language) for local_id, (value, language) in staged.items()])

    def _add_many(self, staged: list[tuple[int, Any, str]]) -> None:
        """Index documents of ascending local ids: the postings are appended as adding them one
        by one would (per document, by term id; positions ascending within a term)."""
        counts, positions, element_lengths, ids = self._batch_terms(staged) or self._word_terms(staged)
        for (local_id, _, _), lengths_of in zip(staged, element_lengths):
            self._elements.add(local_id, lengths_of)
        local_ids = np.fromiter((local_id for local_id, _, _ in staged), dtype=np.int32, count=len(staged))
        lengths = counts
        self._total_elements += sum(_element_count(value) for _, value, _ in staged)
        self._lengths = ensure_capacity(self._lengths, int(local_ids.max()) + 1)
        self._lengths[local_ids] = lengths
        self._total_length += int(lengths.sum())
        self._documents_with_field += len(staged)
        if not lengths.any():
            return
        documents = np.repeat(local_ids, lengths)
        positions = np.concatenate(positions)
        order = np.lexsort((ids, documents))  # stable: positions stay ascending per (document, term)
        ids, documents = ids[order], documents[order]
        first = np.ones(len(ids), dtype=bool)
        first[1:] = (ids[1:] != ids[:-1]) | (documents[1:] != documents[:-1])
        starts = np.flatnonzero(first)
        unique_ids = ids[starts]
        counts = np.diff(np.append(starts, len(ids)))
        self._doc_freqs = ensure_capacity(self._doc_freqs, len(self._term_ids))
        terms, documents_per_term = np.unique(unique_ids, return_counts=True)
        self._doc_freqs[terms] += documents_per_term.astype(np.int32)
        self._pending.append(unique_ids, documents[starts], counts, positions[order])
        if self._pending.num_postings > _PENDING_POSTINGS_LIMIT:
            self.freeze()

    # a batch's words to term ids over its bytes (batch_words.py); off: a word at a time (the reference).
    # Its numpy calls cost more than they save below ~16k characters of text a batch (a 64-document
    # batch of scifact titles: ~6k; of abstracts: ~100k), measured in process
    by_bytes = True
    bytes_path_min = 16384

    _batch_failed = False  # logged once a process: the batch path is an optimization, never a reason to fail a write

    def _batch_terms(self, staged: list[tuple[int, Any, str]]) -> tuple[np.ndarray, list, list, np.ndarray] | None:
        """`_buffer_terms`, or None (the per-word path) when it does not apply or fails: ids it gave
        out are never reassigned, so the per-word path gives the same index after a failure."""
        if not self.by_bytes:
            return None
        try:
            return self._buffer_terms(staged)
        except Exception:
            if not FieldIndex._batch_failed:
                FieldIndex._batch_failed = True
                log.exception("indexing %s a batch at a time failed; indexed a word at a time", self.name)
            return None

    def _word_terms(self, staged: list[tuple[int, Any, str]]) -> tuple[np.ndarray, list, list, np.ndarray]:
        """Each document's term count, positions and element lengths, and the batch's term ids in
        order: a string a word."""
        tokenized = [self._words(value, language) for _, value, language in staged]
        counts = np.fromiter((len(tokens) for tokens, _, _, _ in tokenized), dtype=np.int32, count=len(staged))
        ids = self._term_ids_of(tokenized) if counts.any() else np.zeros(0, dtype=np.int32)
        return counts, [positions for _, positions, _, _ in tokenized], [lengths for *_, lengths in tokenized], ids

    def _buffer_terms(self, staged: list[tuple[int, Any, str]]) -> tuple[np.ndarray, list, list, np.ndarray] | None:
        """`_word_terms` over one byte buffer of words a stemming language: an ASCII string value
        is tokenized by one table (`ascii_word_bytes`), any other value's words (`_words`) joined
        by spaces. None where it does not apply (analyzed and whole-value fields, an ASCII value
        over max-occurrences, a hash collision): then `_word_terms`."""
        mode = self.mode
        if mode.kind != "text" or mode.index_analysis or mode.language_analysis is not None \
                or sum(len(value) for _, value, _ in staged if isinstance(value, str)) < self.bytes_path_min:
            return None
        groups: dict[str | None, tuple[list[bytes], list[bool]]] = {}
        documents = []  # (group, index in it, positions (None: 0..count-1), element lengths)
        for _, value, language in staged:
            if isinstance(value, str) and value.isascii():
                stem_language = mode_language(mode, value, language) if mode.stemming else None
                chunk, positions, element_lengths = ascii_word_bytes(value[:mode.max_length]), None, None
            else:
                words, positions, stem_language, element_lengths = self._words(value, language)
                chunk = " ".join(words).encode("utf-8", "surrogatepass")
            chunks, ascii_chunks = groups.setdefault(stem_language, ([], []))
            documents.append((stem_language, len(chunks), positions, element_lengths))
            chunks.append(chunk)
            ascii_chunks.append(positions is None)
        spans = {}
        for stem_language, (chunks, ascii_chunks) in groups.items():
            buffer = b" ".join(chunks)
            starts, lengths = word_spans(buffer)
            chunk_starts = np.cumsum([0] + [len(chunk) + 1 for chunk in chunks[:-1]])
            chunk_of = np.searchsorted(chunk_starts, starts, side="right") - 1
            ascii_chunk = np.asarray(ascii_chunks)
            too_long = (lengths > mode.max_token_length) & ascii_chunk[chunk_of]  # others were filtered by _words
            if too_long.any():
                starts, lengths, chunk_of = starts[~too_long], lengths[~too_long], chunk_of[~too_long]
            counts = np.bincount(chunk_of, minlength=len(chunks))
            if (counts[ascii_chunk] > mode.max_occurrences).any():
                return None
            spans[stem_language] = (buffer, starts, lengths, counts)
        ids_of = {}
        for stem_language, (buffer, starts, lengths, counts) in spans.items():
            ids_of[stem_language] = self._word_ids_of(stem_language).buffer_ids(buffer, starts, lengths)
            if ids_of[stem_language] is None:
                return None
        counts = np.array([spans[group][3][index] for group, index, _, _ in documents], dtype=np.int32)
        if any(positions is not None and len(positions) != count for (_, _, positions, _), count in zip(documents, counts)):
            return None  # a word with a space in it: not this path's
        if len(ids_of) == 1:
            ids = next(iter(ids_of.values()))
        else:
            ends = {group: np.cumsum(spans[group][3]) for group in spans}
            ids = np.concatenate([ids_of[group][ends[group][index] - count:ends[group][index]]
                                  for (group, index, _, _), count in zip(documents, counts.tolist())])
        positions = [np.arange(count, dtype=np.int32) if positions is None else positions
                     for (_, _, positions, _), count in zip(documents, counts.tolist())]
        return counts, positions, [lengths for *_, lengths in documents], ids

    def _words(self, value: Any, language: str) -> tuple[list[str], np.ndarray, str | None, list[int] | None]:
        """`field_words`, capped: a value over max-occurrences is stemmed here (capping counts
        terms); the element lengths are the uncapped ones."""
        words, positions, stem_language, element_lengths = field_words(value, language, self.mode)
        if len(words) <= self.mode.max_occurrences:
            return words, positions, stem_language, element_lengths
        return (*field_tokens(value, language, self.mode), None, element_lengths)

    def _term_ids_of(self, tokenized: list[tuple[list[str], np.ndarray, str | None, list[int] | None]]) -> np.ndarray:
        """The term id of every word of the batch, in order, per stemming language: words seen
        before (in this batch or an earlier one) are mapped at C level, the others stemmed once."""
        groups: dict[str | None, list[str]] = {}
        spans = []  # (group, start, length) per document
        for words, _, stem_language, _ in tokenized:
            group = groups.setdefault(stem_language, [])
            spans.append((stem_language, len(group), len(words)))
            group.extend(words)
        ids = {stem_language: self._word_ids_of(stem_language).ids(words) for stem_language, words in groups.items()}
        if len(ids) == 1:
            return next(iter(ids.values()))
        return np.concatenate([ids[group][start:start + length] for group, start, length in spans])

    def _word_ids_of(self, stem_language: str | None) -> WordTermIds:
        found = self._word_ids.get(stem_language)
        if found is None:
            found = self._word_ids[stem_language] = WordTermIds(self._term_ids, stem_language)
        return found

    def remove(self, local_id: int, value: Any, language: str = "") -> None:
        """Take a document's `value` (as stored, in the language it was added in) out of the
        statistics; postings die with it."""
        if self._staged and local_id in self._staged:  # others wait: the statistics are sums
            self.flush()
            self.stage()
        tokens, _ = field_tokens(value, language, self.mode)
        known = [i for i in map(self._term_ids.get, set(tokens)) if i is not None]
        if known:
            self._doc_freqs[np.asarray(known, dtype=np.int64)] -= 1
        self._total_length -= int(self._lengths[local_id])
        self._total_elements -= _element_count(value)
        self._documents_with_field -= 1
        self._lengths[local_id] = 0
        self._elements.remove(local_id)

    def freeze(self) -> None:
        """Turn pending chunks into sorted arrays (and merge tiers when the delta grows)."""
        alive = self._local_ids.alive
        num_terms = len(self._term_ids)
        if self._pending.num_postings:
            self._delta = merge_segments(self._delta, self._pending.take(), num_terms, alive)
        if self._delta.num_postings > max(_MIN_DELTA_POSTINGS, self._main.num_postings // 8):
            self._main = merge_segments(self._main, self._delta, num_terms, alive)
            self._delta = EMPTY_SEGMENT

    def compact(self) -> None:
        """Merge every tier into one segment without dead postings (e.g. before measuring)."""
        self.freeze()
        alive = self._local_ids.alive
        self._main = merge_segments(self._main, self._delta, len(self._term_ids), alive)
        self._delta = EMPTY_SEGMENT

    # -- index image (store/index_image.py) -----------------------------------------------------

    _SEGMENT_ARRAYS = ("term_offsets", "position_offsets", "doc_ids", "term_freqs", "positions")

    def export_image(self, limit: int) -> dict[str, np.ndarray]:
        """Under the DocumentDB lock: the pending postings frozen, then the (immutable) segments
        by reference and copies of the rest, for rows below `limit`."""
        self.freeze()
        arrays = {f"terms.{name}": array for name, array in self._term_ids.export_image().items()}
        for tier, segment in (("main", self._main), ("delta", self._delta)):
            arrays.update({f"{tier}.{name}": getattr(segment, name) for name in self._SEGMENT_ARRAYS})
        return {**arrays, **self._elements.export_image(limit),
                "analysis": np.frombuffer(self.analysis.encode(), dtype=np.uint8).copy(),
                "doc_freqs": ensure_capacity(self._doc_freqs, len(self._term_ids))[: len(self._term_ids)].copy(),
                "lengths": self.field_lengths(limit).copy(),
                "totals": np.array([self._total_length, self._total_elements, self._documents_with_field], dtype=np.int64)}

    @property
    def analysis(self) -> str:
        """What turns the field's text into its terms (the match mode: kind, stemming, normalizing,
        limits, analyzer chains) and the tokenizer's version, as text an image keeps: an index built
        with other settings (a schema change between restarts, e.g. a type made streaming,
        unstemmed) or by a tokenizer that split words otherwise (an upgrade) is re-indexed from the
        documents, as Vespa reindexes after such a change."""
        return f"{self.mode!r} tokenizer {TOKENIZER_VERSION}"

    @classmethod
    def from_image(cls, field, local_ids: LocalIds, arrays: dict[str, np.ndarray]) -> "FieldIndex":
        index = cls.for_field(field, local_ids)
        built = arrays.get("analysis")  # none: an image from before it was kept
        if built is None or built.tobytes().decode("utf-8", "replace") != index.analysis:
            raise ValueError(f"{field.name} was indexed with other analysis settings than the schema's")
        index._term_ids = TermDictionary.from_image({name[len("terms."):]: array for name, array in arrays.items()
                                                     if name.startswith("terms.")})
        main, delta = (PostingSegment(*(arrays[f"{tier}.{name}"] for name in cls._SEGMENT_ARRAYS))
                       for tier in ("main", "delta"))
        for segment in (main, delta):
            if segment.num_terms > len(index._term_ids) or len(segment.term_freqs) != segment.num_postings \
                    or int(segment.term_offsets[-1]) != segment.num_postings \
                    or int(segment.position_offsets[-1]) != len(segment.positions) \
                    or int(segment.doc_ids.max(initial=-1)) >= local_ids.limit:
                raise ValueError(f"posting segment of {field.name} does not add up")
            for array in (segment.term_offsets, segment.position_offsets, segment.doc_ids):
                array.flags.writeable = False  # postings hand out views of these
        index._main, index._delta = main, delta
        index._doc_freqs = arrays["doc_freqs"].astype(np.int32)
        index._lengths = arrays["lengths"].astype(np.int32)
        if len(index._doc_freqs) != len(index._term_ids) or len(index._lengths) != local_ids.limit:
            raise ValueError(f"statistics of {field.name} do not match its terms and documents")
        index._total_length, index._total_elements, index._documents_with_field = map(int, arrays["totals"])
        if "element_counts" in arrays:
            index._elements = ElementLengths.from_image(arrays["element_counts"], arrays["element_lengths"], local_ids.limit)
        else:  # an image from before element lengths were kept
            index._elements = convert_image([np.repeat(s.doc_ids, s.term_freqs) for s in (main, delta)],
                                            [s.positions for s in (main, delta)], index._lengths, local_ids.alive)
        return index

    # -- reads --------------------------------------------------------------------------------

    def postings(self, term: str) -> Postings:
        term_id = self._term_ids.get(term)
        if term_id is None:
            return EMPTY_POSTINGS
        if self._pending.num_postings:
            self.freeze()
        postings = _concatenate(self._main.postings(term_id), self._delta.postings(term_id))
        if self._local_ids.alive_count == self._local_ids.limit:
            return postings  # every local id alive: none removed or replaced since this database (or its image) was made
        return _only_alive(postings, self._local_ids.alive)

    def document_frequency(self, term: str) -> int:
        term_id = self._term_ids.get(term)
        if term_id is None or term_id >= len(self._doc_freqs):
            return 0
        return int(self._doc_freqs[term_id])

    def field_lengths(self, limit: int) -> np.ndarray:
        self._lengths = ensure_capacity(self._lengths, limit)
        return read_only(self._lengths[:limit])

    def element_layout(self, local_ids: np.ndarray) -> Layout:
        """Where the elements of these documents lie among the stored positions (element_layout.py)."""
        return self._elements.layout(local_ids, ensure_capacity(self._lengths, int(np.max(local_ids, initial=-1)) + 1))

    def average_length(self) -> float:
        if self._documents_with_field <= 0:
            return 0.0
        return self._total_length / self._documents_with_field

    def average_element_length(self) -> float:
        """Mean token count per element over alive documents (elementwise bm25's average)."""
        return self._total_length / self._total_elements if self._total_elements > 0 else 0.0

    @property
    def documents_with_field(self) -> int:
        return self._documents_with_field

    def terms(self) -> Iterable[str]:
        """Every term ever indexed (some may have no alive documents): for prefix expansion."""
        return iter(self._term_ids)

    @property
    def nbytes(self) -> int:
        """Approximate bytes held by the arrays and the term dictionary."""
        return (self._main.nbytes + self._delta.nbytes + self._pending.nbytes + self._doc_freqs.nbytes
                + self._lengths.nbytes + self._term_ids.nbytes + self._elements.nbytes
                + sum(word_ids.nbytes for word_ids in self._word_ids.values()))


def _concatenate(first: Postings, second: Postings) -> Postings:
    if not len(second):
        return first
    if not len(first):
        return second

    def positions_of() -> tuple[np.ndarray, np.ndarray]:
        return (np.concatenate([first.position_offsets, second.position_offsets[1:] + first.position_offsets[-1]]),
                np.concatenate([first.flat_positions, second.flat_positions]))

    return Postings(np.concatenate([first.doc_ids, second.doc_ids]),
                    lambda: np.concatenate([first.term_freqs, second.term_freqs]), positions_of=positions_of)


def _only_alive(postings: Postings, alive: np.ndarray) -> Postings:
    if not len(postings):
        return postings
    keep = alive[postings.doc_ids]
    if keep.all():
        return postings

    def term_freqs() -> np.ndarray:
        return postings.term_freqs[keep]

    def positions_of() -> tuple[np.ndarray, np.ndarray]:
        offsets = np.zeros(int(keep.sum()) + 1, dtype=np.int64)
        np.cumsum(postings.term_freqs[keep], out=offsets[1:])
        return offsets, postings.flat_positions[np.repeat(keep, postings.term_freqs)]

    return Postings(postings.doc_ids[keep], term_freqs, positions_of=positions_of)


def indexed_as_text(field_type) -> bool:  # uri: the whole URI is indexed as text (searchlib.uri)
    if field_type.kind in ("string", "uri"):
        return True
    return field_type.kind in ("string", "array", "weightedset") and field_type.element is not None \
        and field_type.element.kind in ("string", "uri")
