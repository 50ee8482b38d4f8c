"""near/onear matching against a brute force over every choice of positions (within an element
of a multi-value field unless the profile sets an element gap); equiv's merged
postings; weighted tokens refusing tensor fields."""
from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from content_node.matching.element_gap import mover
from content_node.matching.proximity import merged_postings, near_matches
from content_node.matching.weighted_tokens import token_scores
from content_node.store.element_layout import ELEMENT_GAP as STORED_GAP, ElementLengths
from content_node.store.posting_segment import Postings
from searchlib.errors import InvalidParameterError
from searchlib.query.tree import Near, WeightedTokens

WORDS = "abcd"


def index_of(docs: list[list[str]]):
    def postings(field: str, term: str) -> Postings:
        ids, offsets, flat = [], [0], []
        for doc, words in enumerate(docs):
            positions = [i for i, word in enumerate(words) if word == term]
            if positions:
                ids.append(doc)
                flat.extend(positions)
                offsets.append(len(flat))
        return Postings(np.array(ids, dtype=np.int32), np.diff(offsets).astype(np.int32),
                        np.array(offsets, dtype=np.int64), np.array(flat, dtype=np.int32))
    return postings


def brute_force(node: Near, words: list[str]) -> bool:
    where = [[i for i, w in enumerate(words) if w == term] for term in node.terms]
    negative = [i for i, w in enumerate(words) if w in node.negative]
    for chosen in itertools.product(*where):
        if node.ordered and any(b <= a for a, b in zip(chosen, chosen[1:])):
            continue
        first, last = min(chosen), max(chosen)
        if last - first > node.distance:
            continue
        if any(first - node.exclusion_distance <= p <= last + node.exclusion_distance for p in negative):
            continue
        return True
    return False


def test_hand_worked_documents() -> None:
    docs = [list("axb"), list("axxxb"), list("bxa"), list("abc"), list("axcb")]
    postings = index_of(docs)
    assert near_matches(Near("f", ("a", "b")), "f", postings).tolist() == [0, 2, 3]
    assert near_matches(Near("f", ("a", "b"), ordered=True), "f", postings).tolist() == [0, 3]
    assert near_matches(Near("f", ("a", "b"), distance=4), "f", postings).tolist() == [0, 1, 2, 3, 4]
    # c within 1 of the a..b window excludes docs 3 (abc) and 4 (axcb: c inside the window)
    assert near_matches(Near("f", ("a", "b"), ("c",), distance=3), "f", postings).tolist() == [0, 2]


@settings(max_examples=300, deadline=None)
@given(
    docs=st.lists(st.lists(st.sampled_from(WORDS), max_size=9), min_size=1, max_size=6),
    terms=st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True),
    negative=st.lists(st.just("d"), max_size=1),
    distance=st.integers(0, 5), exclusion=st.integers(0, 2), ordered=st.booleans(),
)
def test_near_equals_brute_force(docs, terms, negative, distance, exclusion, ordered) -> None:
    node = Near("f", tuple(terms), tuple(negative), distance, exclusion, ordered)
    expected = [i for i, words in enumerate(docs) if brute_force(node, words)]
    assert near_matches(node, "f", index_of(docs)).tolist() == expected


def test_merged_postings_is_one_term_occurring_wherever_any_does() -> None:
    postings = index_of([list("axb"), list("xx"), list("bba")])
    merged = merged_postings([postings("f", "a"), postings("f", "b"), postings("f", "a")])
    assert merged.doc_ids.tolist() == [0, 2]
    assert merged.term_freqs.tolist() == [2, 3]
    assert merged.positions(0).tolist() == [0, 2] and merged.positions(1).tolist() == [0, 1, 2]
    assert len(merged_postings([postings("f", "z")]).doc_ids) == 0


def test_weighted_tokens_refuse_tensor_fields_with_a_400_error() -> None:
    tensor = SimpleNamespace(type=SimpleNamespace(kind="tensor"), is_index=True, is_attribute=True)
    schema = SimpleNamespace(fields={"e": tensor})
    with pytest.raises(InvalidParameterError, match="cannot search the tensor field 'e'"):
        token_scores(WeightedTokens("wand", "e", (("a", 1),)), ("e",), schema, 1, None, None)


class _ElementIndex:
    """Documents of many elements indexed as the store does: each element STORED_GAP positions
    after the end of the one before, with its element lengths kept (store/element_layout.py)."""

    def __init__(self, docs: list[list[list[str]]]) -> None:
        self.docs = docs
        self.lengths = ElementLengths()
        for doc, elements in enumerate(docs):
            self.lengths.add(doc, [len(e) for e in elements])
        self.stored = []
        for elements in docs:
            words, at = {}, 0
            for element in elements:
                for i, word in enumerate(element):
                    words.setdefault(word, []).append(at + i)
                at += len(element) + STORED_GAP
            self.stored.append(words)

    def element_layout(self, field: str, local_ids: np.ndarray):
        totals = np.array([sum(len(e) for e in elements) for elements in self.docs], dtype=np.int64)
        return self.lengths.layout(local_ids, totals)

    def postings(self, field: str, term: str) -> Postings:
        ids = [doc for doc, words in enumerate(self.stored) if term in words]
        flat = [p for doc in ids for p in self.stored[doc][term]]
        offsets = np.concatenate(([0], np.cumsum([len(self.stored[doc][term]) for doc in ids]))).astype(np.int64)
        return Postings(np.array(ids, dtype=np.int32), np.diff(offsets).astype(np.int32), offsets,
                        np.array(flat, dtype=np.int32))


def _spans(elements: list[list[str]], gap: int | None) -> list[list[str | None]]:
    """The texts near/onear may span: each element alone without a gap, else all joined with `gap`
    positions (holding no word) between elements."""
    if gap is None:
        return elements
    joined: list[str | None] = []
    for k, element in enumerate(elements):
        joined.extend(([None] * gap if k else []) + element)
    return [joined]


@settings(max_examples=300, deadline=None)
@given(
    docs=st.lists(st.lists(st.lists(st.sampled_from(WORDS), max_size=7), max_size=4), min_size=1, max_size=6),
    terms=st.lists(st.sampled_from("abc"), min_size=1, max_size=3, unique=True),
    negative=st.lists(st.just("d"), max_size=1),
    distance=st.sampled_from([0, 1, 3, 17, 20, 40]), exclusion=st.integers(0, 2), ordered=st.booleans(),
    gap=st.sampled_from([None, 0, 1, 3, 30]),
)
@example(docs=[[["a"], ["b"]]], terms=["a", "b"], negative=[], distance=17, exclusion=0, ordered=False, gap=None)
@example(docs=[[["a", "x"], ["c"], ["b"]]], terms=["a", "b"], negative=[], distance=40, exclusion=0, ordered=True,
         gap=None)
def test_near_over_elements_equals_brute_force(docs, terms, negative, distance, exclusion, ordered, gap) -> None:
    """Without an element gap near/onear never spans two elements, however long its distance (the
    stored gap is only 16); with one, the elements are that far apart."""
    node = Near("f", tuple(terms), tuple(negative), distance, exclusion, ordered)
    index = _ElementIndex(docs)
    expected = [i for i, elements in enumerate(docs)
                if any(brute_force(node, text) for text in _spans(elements, gap))]
    assert near_matches(node, "f", index.postings, mover(index, "f", gap)).tolist() == expected


def test_near_far_apart_in_two_elements_without_a_gap() -> None:
    index = _ElementIndex([[["a", "x"], ["b"]], [["a", "b"]]])
    node = Near("f", ("a", "b"), distance=40)
    assert near_matches(node, "f", index.postings).tolist() == [0, 1]  # stored positions alone: 18 apart
    assert near_matches(node, "f", index.postings, mover(index, "f", None)).tolist() == [1]
    assert near_matches(node, "f", index.postings, mover(index, "f", 0)).tolist() == [0, 1]
    assert near_matches(Near("f", ("a", "b"), distance=2), "f", index.postings,
                        mover(index, "f", 1)).tolist() == [1]  # a x | gap | b: 3 apart
