"""Inverted index vs a naive dictionary reference, across pending/delta/main tiers and removes."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from content_node.store import inverted_index, term_dictionary
from content_node.store.inverted_index import ELEMENT_GAP, FieldIndex, field_tokens
from searchlib.match_modes import MatchMode
from content_node.store.local_ids import LocalIds
from searchlib.linguistics import tokenize

WORDS = ["alpha", "beta", "gamma", "delta", "omega", "zeta"]


def reference_postings(texts: dict[int, str], term: str):
    rows = []
    for local_id in sorted(texts):
        positions = [i for i, token in enumerate(tokenize(texts[local_id])) if token == term]
        if positions:
            rows.append((local_id, len(positions), positions))
    return rows


def as_rows(postings):
    return [(int(d), int(tf), postings.positions(i).tolist())
            for i, (d, tf) in enumerate(zip(postings.doc_ids, postings.term_freqs))]


operations = st.lists(st.one_of(
    st.tuples(st.just("add"), st.lists(st.sampled_from(WORDS), max_size=12)),
    st.tuples(st.just("remove"), st.integers(0, 40)),
    st.tuples(st.just("read"), st.sampled_from(WORDS)),
    st.tuples(st.just("stage"), st.none()),  # a write batch starts: adds wait for the next read
), max_size=60)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_index_matches_reference(monkeypatch_limits, ops):
    local_ids = LocalIds()
    index = FieldIndex("body", local_ids)
    texts: dict[int, str] = {}
    for kind, argument in ops:
        if kind == "add":
            text = " ".join(argument)
            local_id = local_ids.allocate(f"id:ns:doc::{local_ids.limit}",
                                          local_ids.limit.to_bytes(12, "little"))
            index.add(local_id, text)
            texts[local_id] = text
        elif kind == "remove" and argument in texts:
            index.remove(argument, texts.pop(argument))
            local_ids.release(argument)
        elif kind == "stage":
            index.stage()
        elif kind == "read":
            index.flush()  # a batch ends before readers get the lock
            assert as_rows(index.postings(argument)) == reference_postings(texts, argument)
    index.flush()
    for word in WORDS:
        expected = reference_postings(texts, word)
        assert as_rows(index.postings(word)) == expected
        assert index.document_frequency(word) == len(expected)
    lengths = index.field_lengths(local_ids.limit)
    for local_id in range(local_ids.limit):
        assert lengths[local_id] == (len(tokenize(texts[local_id])) if local_id in texts else 0)
    if texts:
        expected_average = sum(len(tokenize(t)) for t in texts.values()) / len(texts)
        assert index.average_length() == pytest.approx(expected_average)
    else:
        assert index.average_length() == 0.0


@pytest.fixture(scope="module")
def monkeypatch_limits():
    """Tiny tier limits so a few documents exercise pending → delta → main merges."""
    saved = (inverted_index._PENDING_POSTINGS_LIMIT, inverted_index._MIN_DELTA_POSTINGS,
             term_dictionary._MIN_RECENT)
    inverted_index._PENDING_POSTINGS_LIMIT, inverted_index._MIN_DELTA_POSTINGS = 5, 8
    term_dictionary._MIN_RECENT = 2
    yield
    (inverted_index._PENDING_POSTINGS_LIMIT, inverted_index._MIN_DELTA_POSTINGS,
     term_dictionary._MIN_RECENT) = saved


def test_array_elements_are_separated_by_a_position_gap():
    tokens, positions = field_tokens(["red car", "blue"])
    assert tokens == ["red", "car", "blue"]
    assert positions.tolist() == [0, 1, 2 + ELEMENT_GAP]


def test_unknown_term_and_dtypes():
    local_ids = LocalIds()
    index = FieldIndex("body", local_ids)
    index.add(local_ids.allocate("id:ns:doc::a", b"a" * 12), "alpha alpha beta")
    postings = index.postings("alpha")
    assert postings.doc_ids.dtype == np.int32 and postings.term_freqs.dtype == np.int32
    assert postings.flat_positions.dtype == np.int32
    assert postings.positions(0).tolist() == [0, 1]
    assert len(index.postings("missing")) == 0
    assert index.document_frequency("missing") == 0


def test_postings_cannot_be_modified_through_the_returned_arrays():
    local_ids = LocalIds()
    index = FieldIndex("body", local_ids)
    index.add(local_ids.allocate("id:ns:doc::a", b"a" * 12), "alpha")
    with pytest.raises(ValueError):
        index.postings("alpha").doc_ids[0] = 5


def test_large_positions_and_frequencies_survive_compaction():
    local_ids = LocalIds()
    # above Vespa's default max-occurrences (10000), which would keep only the first 10000
    index = FieldIndex("body", local_ids, MatchMode(max_occurrences=100_000))
    long_text = " ".join(["alpha"] * 70000)  # tf and positions beyond uint16
    index.add(local_ids.allocate("id:ns:doc::a", b"a" * 12), long_text)
    index.compact()
    postings = index.postings("alpha")
    assert postings.term_freqs.tolist() == [70000]
    assert postings.positions(0)[-1] == 69999


def test_term_dictionary_ids_are_stable_across_consolidation(monkeypatch):
    monkeypatch.setattr(term_dictionary, "_MIN_RECENT", 3)
    dictionary = term_dictionary.TermDictionary()
    words = [f"w{n}" for n in range(50)] + ["ünïcode", ""]
    first = dictionary.ids(words).tolist()
    assert first == list(range(len(words)))
    assert dictionary.ids(list(reversed(words))).tolist() == list(reversed(first))
    assert [dictionary.get(w) for w in words] == first
    assert dictionary.get("absent") is None
    assert list(dictionary) == words
    assert len(dictionary._recent) < len(words), "most terms were consolidated"


def test_max_occurrences_keeps_the_first_occurrences_of_a_term():
    local_ids = LocalIds()
    index = FieldIndex("body", local_ids, MatchMode(max_occurrences=2))
    index.add(local_ids.allocate("id:ns:doc::a", b"a" * 12), "a b a c a")
    assert index.postings("a").positions(0).tolist() == [0, 2]
    assert index.postings("c").positions(0).tolist() == [3]


@pytest.mark.parametrize("mode", [MatchMode(max_occurrences=3), MatchMode(kind="gram"), MatchMode(stemming=False),
                                  MatchMode(kind="exact")])
def test_a_batch_indexes_each_document_as_field_tokens_does(mode):
    """A batch stems and looks up each distinct word once (per language): its postings, statistics
    and lengths are those of each document's `field_tokens` (languages, arrays, capped values)."""
    values = [("Running runs ran the runner", ""), ("Häuser und Hauses laufen", "de"),
              (["running shoes", "the runner runs"], ""), ("runs runs runs runs runs", "en"),
              ("Häuser running", "en"), ({"laufen": 1, "runs": 2}, "de"), ("", "")]
    local_ids = LocalIds()
    index = FieldIndex("body", local_ids, mode)
    index.stage()
    expected: dict[str, list] = {}
    for n, (value, language) in enumerate(values):
        local_id = local_ids.allocate(f"id:ns:doc::{n}", n.to_bytes(12, "little"))
        index.add(local_id, value, language)
        tokens, positions = field_tokens(value, language, mode)
        for term in dict.fromkeys(tokens):
            at = [int(p) for t, p in zip(tokens, positions) if t == term]
            expected.setdefault(term, []).append((local_id, len(at), at))
    index.flush()
    assert sorted(index.terms()) == sorted(expected)
    for term, rows in expected.items():
        assert as_rows(index.postings(term)) == rows, term
        assert index.document_frequency(term) == len(rows)
    lengths = index.field_lengths(local_ids.limit).tolist()
    assert lengths == [len(field_tokens(value, language, mode)[0]) for value, language in values]
    assert ("run" in expected) == (mode.kind == "text" and mode.stemming)


def test_term_dictionary_tells_terms_apart_when_their_hashes_collide(monkeypatch):
    monkeypatch.setattr(term_dictionary, "_MIN_RECENT", 2)
    monkeypatch.setattr(term_dictionary, "hash", lambda term: len(term) % 3, raising=False)
    dictionary = term_dictionary.TermDictionary()
    words = ["ab", "cd", "abc", "", "é", "xyz", "abcd", "ef"]
    first = dictionary.ids(words).tolist()
    assert first == list(range(len(words)))
    assert not dictionary._recent or len(dictionary._recent) < len(words)
    assert dictionary.ids(["ef", "ab", "new", "cd", "é", ""]).tolist() == [7, 0, 8, 1, 4, 3]
    assert [dictionary.get(w) for w in words] == first
