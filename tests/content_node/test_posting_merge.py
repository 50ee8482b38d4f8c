"""Posting segments merged by offsets (content_node/store/posting_segment.py `merge_segments`) are
the segments `build_segment` makes of both segments' postings together, sorted anew (how they
were merged before): same arrays, same dtypes, dead documents dropped."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from content_node.store.posting_segment import (
    EMPTY_SEGMENT, FlatPostings, PostingSegment, build_segment, merge_segments)


def _flat(rng: np.random.Generator, first_doc: int, docs: int, num_terms: int, big: bool) -> FlatPostings:
    """Postings of documents first_doc.. in the order a write batch appends them (by document, then term)."""
    term_ids, doc_ids, freqs, positions = [], [], [], []
    for doc in range(first_doc, first_doc + docs):
        terms = np.sort(rng.choice(num_terms, size=int(rng.integers(0, min(num_terms, 6) + 1)), replace=False))
        for term in terms.tolist():
            freq = int(rng.integers(1, 4)) if not (big and rng.random() < 0.05) else 70_000
            term_ids.append(term)
            doc_ids.append(doc)
            freqs.append(freq)
            top = 70_000 if big else 50
            positions.extend(np.sort(rng.choice(max(top, freq), size=freq, replace=False)).tolist())
    as32 = [np.asarray(values, dtype=np.int32) for values in (term_ids, doc_ids, freqs, positions)]
    return FlatPostings(*as32)


def _rebuilt(older: PostingSegment, newer: FlatPostings, num_terms: int, alive: np.ndarray) -> PostingSegment:
    """The merge as it was: both flattened, concatenated, sorted again."""
    return build_segment(FlatPostings.concatenate([older.flatten(), newer]), num_terms, alive)


def _same(merged: PostingSegment, expected: PostingSegment) -> None:
    for name in ("term_offsets", "position_offsets", "doc_ids", "term_freqs", "positions"):
        got, want = getattr(merged, name), getattr(expected, name)
        assert got.dtype == want.dtype, name
        assert np.array_equal(got, want), name
    assert not merged.doc_ids.flags.writeable and not merged.term_offsets.flags.writeable


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), tiers=st.integers(1, 4), terms=st.integers(1, 40),
       dead=st.floats(0, 0.5), big=st.booleans())
def test_merging_by_offsets_gives_the_rebuilt_segment(seed, tiers, terms, dead, big):
    rng = np.random.default_rng(seed)
    alive = np.ones(400, dtype=bool)
    older, rebuilt, first = EMPTY_SEGMENT, EMPTY_SEGMENT, 0
    num_terms = 0
    for _ in range(tiers):
        num_terms = min(terms, num_terms + int(rng.integers(1, terms + 1)))  # the dictionary grows
        docs = int(rng.integers(0, 30))
        newer = _flat(rng, first, docs, num_terms, big)
        first += docs
        alive[rng.random(len(alive)) < dead / tiers] = False  # removals between merges
        as_segment = rng.random() < 0.5  # a delta merged into main comes as a segment
        given_newer = build_segment(newer, num_terms, alive) if as_segment else newer
        merged = merge_segments(older, given_newer, num_terms, alive)
        expected = _rebuilt(rebuilt, newer, num_terms, alive)
        _same(merged, expected)
        older, rebuilt = merged, expected


def test_a_merge_moves_each_terms_newer_postings_after_its_older_ones():
    alive = np.ones(10, dtype=bool)
    older = build_segment(FlatPostings(*(np.asarray(a, dtype=np.int32) for a in
                                         ([0, 2, 0], [0, 0, 1], [1, 2, 1], [5, 3, 4, 7]))), 3, alive)
    newer = FlatPostings(*(np.asarray(a, dtype=np.int32) for a in ([2, 1, 3], [4, 4, 5], [1, 1, 2], [9, 8, 1, 2])))
    merged = merge_segments(older, newer, 4, alive)
    assert merged.term_offsets.tolist() == [0, 2, 3, 5, 6]
    assert merged.doc_ids.tolist() == [0, 1, 4, 0, 4, 5]
    assert merged.positions.tolist() == [5, 7, 8, 3, 4, 9, 1, 2]


@pytest.mark.parametrize("big", [False, True])
@pytest.mark.parametrize("dead", [1, 40, 200])
@pytest.mark.parametrize("new_docs", [0, 25])
def test_documents_dead_in_the_older_segment_are_masked_out_as_the_rebuild_drops_them(big, dead, new_docs):
    """Removals since the last merge: older keeps its order (no sort), its offsets shrink."""
    rng = np.random.default_rng(dead * 2 + big)
    alive = np.ones(300, dtype=bool)
    flat = _flat(rng, 0, 200, 30, big)
    older = build_segment(flat, 30, alive)
    alive[rng.choice(200, size=dead, replace=False)] = False
    newer = _flat(rng, 200, new_docs, 30, big)
    merged = merge_segments(older, newer, 30, alive)
    _same(merged, _rebuilt(older, newer, 30, alive))
    assert len(merged.doc_ids) < len(older.doc_ids) + len(newer.doc_ids)


@pytest.mark.parametrize("offsets", [np.int64, np.uint32])
def test_a_merge_of_nothing_new_has_the_rebuilds_offsets(offsets):
    """EMPTY_SEGMENT and segments of older images hold int64 offsets; a merge gives uint32."""
    alive = np.ones(10, dtype=bool)
    built = build_segment(FlatPostings(*(np.asarray(a, dtype=np.int32) for a in
                                         ([0, 1], [0, 1], [1, 2], [5, 3, 4]))), 2, alive)
    image = built if offsets == np.uint32 else PostingSegment(
        built.term_offsets.astype(offsets), built.position_offsets.astype(offsets),
        built.doc_ids, built.term_freqs, built.positions)
    nothing = FlatPostings(*(np.zeros(0, dtype=np.int32) for _ in range(4)))
    for older, num_terms in ((image, 2), (EMPTY_SEGMENT, 0)):
        merged = merge_segments(older, nothing, num_terms, alive)
        _same(merged, _rebuilt(older, nothing, num_terms, alive))
        assert merged.term_offsets.dtype == merged.position_offsets.dtype == np.uint32
