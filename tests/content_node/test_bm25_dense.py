"""bm25 over a dense candidate set (accumulated posting list by posting list over the local id
space, content_node/matching/core_features.py) gives the same scores, to the last bit, as the
per-candidate path and as a naive scalar computation, with repeated query words, removed
documents and first-phase chunks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from content_node import soft_timeout
from content_node.document_db import DocumentDB
from content_node.matching.rank_features import FeatureCalculator
from searchlib.query import tree as q
from searchlib.schema.model import Field, FieldType, Schema

WORDS = [f"w{i}" for i in range(12)]
DENSITY = [0.9, 0.6, 0.3, 0.2, 0.1, 0.05, 0.05, 0.02, 0.02, 0.01, 0.01, 0.005]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    schema = Schema("doc", "doc", {"text": Field("text", FieldType("string"), is_index=True)})
    database = DocumentDB(schema, tmp_path_factory.mktemp("bm25"))
    rng = np.random.default_rng(11)
    for i in range(600):
        words = [w for w, d in zip(WORDS, DENSITY) for _ in range(rng.integers(1, 4)) if rng.random() < d]
        words += ["filler"] * int(rng.integers(0, 30))
        rng.shuffle(words)
        database.put(f"id:ns:doc::{i}", {"text": " ".join(words)})
    for i in range(0, 600, 7):
        database.remove(f"id:ns:doc::{i}")
    yield database
    database.close()


def naive_bm25(db: DocumentDB, terms: list[str], local_id: int) -> float:
    """Scalar reference: every query word (repeats too), in query order, k1 1.2, b 0.75."""
    text = db.document(local_id)["text"].split()
    average, n_docs = db.average_field_length("text"), db.doc_count
    score = 0.0
    for term in terms:
        df = db.document_frequency("text", term)
        tf = float(text.count(term))
        if df == 0 or tf == 0:
            continue
        idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        score += idf * tf * (1.2 + 1.0) / (tf + 1.2 * (1.0 - 0.75 + 0.75 * len(text) / average))
    return score


@pytest.mark.parametrize("seed", range(6))
def test_dense_and_sparse_bm25_equal_the_naive_scan(db, seed):
    rng = np.random.default_rng(seed)
    terms = [str(w) for w in rng.choice(WORDS + ["absent"], size=int(rng.integers(1, 8)))]
    query = q.Or(tuple(q.Term("text", t) for t in terms))
    alive = np.flatnonzero(db.alive).astype(np.int32)
    sparse = np.sort(rng.choice(alive, size=20, replace=False)).astype(np.int32)

    def calculator() -> FeatureCalculator:
        return FeatureCalculator(db.schema, db, query, {}, 0.0)

    dense_calc = calculator()
    assert dense_calc.is_dense(alive) and not dense_calc.is_dense(sparse)
    dense = dense_calc.compute("bm25(text)", alive)
    only_sparse = calculator().compute("bm25(text)", sparse)  # never saw a dense set: per candidate
    expected = [naive_bm25(db, terms, int(i)) for i in alive]
    assert dense.tolist() == expected
    assert only_sparse.tolist() == [expected[int(np.searchsorted(alive, i))] for i in sparse]


def test_chunked_first_phase_reads_the_one_accumulation(db, monkeypatch):
    monkeypatch.setattr(soft_timeout, "CHUNK_ROWS", 64)
    terms = ["w0", "w3", "w0", "w7"]
    query = q.Or(tuple(q.Term("text", t) for t in terms))
    calc = FeatureCalculator(db.schema, db, query, {}, 0.0)
    alive = np.flatnonzero(db.alive).astype(np.int32)
    ranked, scores, out_of_time = soft_timeout.first_phase(
        lambda rows: calc.compute("bm25(text)", rows), alive, float("inf"))
    assert not out_of_time and ranked.tolist() == alive.tolist()
    assert scores.tolist() == [naive_bm25(db, terms, int(i)) for i in alive]
