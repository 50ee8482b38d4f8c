"""Words remembered across write batches (content_node/store/word_term_ids.py) give the index the
same terms, ids, postings and statistics as stemming and looking up every batch's words anew."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from content_node.store import word_term_ids
from content_node.store.inverted_index import FieldIndex, field_tokens
from content_node.store.local_ids import LocalIds
from content_node.store.term_dictionary import TermDictionary
from searchlib.linguistics import stems
from searchlib.match_modes import MatchMode
from tests.integration.conftest import shared_data_dir


def _scifact(count: int) -> list[tuple[object, str]]:
    path = shared_data_dir() / "scifact" / "corpus.jsonl"
    assert path.exists(), f"the shared corpus {path} is missing"
    rng = random.Random(20)
    values = []
    with path.open(encoding="utf-8") as lines:
        for n, line in zip(range(count), lines):
            record = json.loads(line)
            value = record["text"] if n % 9 else [record["title"], record["text"]]  # arrays too
            values.append((value, rng.choice(["", "", "de", "en"])))  # detected and given languages
    return values


@pytest.mark.parametrize("generation, mode", [(word_term_ids.GENERATION, MatchMode()),
                                              (300, MatchMode()),  # 300: the generations turn over
                                              (300, MatchMode(max_occurrences=2))])
def test_scifact_in_random_batches_is_indexed_as_each_documents_field_tokens(monkeypatch, generation, mode):
    monkeypatch.setattr(word_term_ids, "GENERATION", generation)
    values = _scifact(700)
    local_ids = LocalIds()
    index = FieldIndex("text", local_ids, mode)
    rng = random.Random(3)
    expected: dict[str, list] = {}
    start = 0
    while start < len(values):
        index.stage()
        for n in range(start, min(len(values), start + rng.choice([1, 4, 16, 64]))):
            value, language = values[n]
            local_id = local_ids.allocate(f"id:ns:doc::{n}", n.to_bytes(12, "little"))
            index.add(local_id, value, language)
            tokens, positions = field_tokens(value, language, mode)
            at: dict[str, list[int]] = {}
            for term, position in zip(tokens, positions.tolist()):
                at.setdefault(term, []).append(position)
            for term, found in at.items():
                expected.setdefault(term, []).append((local_id, len(found), found))
        index.flush()
        start = n + 1
    assert len(list(index.terms())) == len(expected)
    for term, rows in expected.items():
        postings = index.postings(term)
        assert [(int(d), int(f), postings.positions(i).tolist())
                for i, (d, f) in enumerate(zip(postings.doc_ids, postings.term_freqs))] == rows, term
        assert index.document_frequency(term) == len(rows)
    lengths = index.field_lengths(local_ids.limit).tolist()
    assert lengths == [len(field_tokens(value, language, mode)[0]) for value, language in values]


def test_remembered_words_map_to_the_dictionarys_ids_and_new_terms_come_in_first_occurrence_order(monkeypatch):
    monkeypatch.setattr(word_term_ids, "GENERATION", 4)
    dictionary = TermDictionary()
    words = word_term_ids.WordTermIds(dictionary, "en")
    batches = [["running", "runs", "cat", "running"], ["dog", "runs", "cats", "ran"],
               ["bird", "dog", "running", "cat", "fish", "ran"], ["runner", "runs", "dog"]]
    for batch in batches:
        ids = words.ids(batch).tolist()
        assert ids == [dictionary.get(term) for term in stems(batch, "en")]
    first = dict.fromkeys(term for batch in batches for term in stems(batch, "en"))
    assert list(dictionary) == list(first)
    assert len(words._young) <= 6 and len(words._old) <= 6  # bounded: a generation holds about a batch
    unstemmed = word_term_ids.WordTermIds(dictionary, None)
    assert unstemmed.ids(["running", "run", "zebra"]).tolist() == [len(first), dictionary.get("run"), len(first) + 1]
    assert words.ids([]).dtype == np.int32
