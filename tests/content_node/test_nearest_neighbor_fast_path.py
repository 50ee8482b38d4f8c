"""The nearestNeighbor fast path answers exactly as the general one: the closeness/distance
features read the distances the operator computed for its hits (instead of gathering the
vectors again), and single-vector fields skip the per-document minimum. Compared bit for bit
with the recomputing path, and with numpy brute force on a small set."""
from __future__ import annotations

import numpy as np
import pytest

from content_node import docsums
from content_node.document_db import DocumentDB
from content_node.matching.nearest_neighbor import FoundNeighbors
from content_node.store import hnsw_index
from content_node.store.hnsw_index import VectorFieldIndex, _best_distinct_documents, _best_documents
from searchlib.query import tree as q
from searchlib.tensor import Tensor
from tests.content_node.ranking_support import RankingBed

DIM, N = 24, 600
FIELD = """
        field {name} type tensor<float>(x[{dim}]) {{
            indexing: attribute | index
            attribute {{ distance-metric: {metric} }}
            index {{ hnsw {{ max-links-per-node: 16 neighbors-to-explore-at-insert: 100 }} }}
        }}"""
SD = f"""
schema doc {{
    document doc {{
        {FIELD.format(name="angular", dim=DIM, metric="prenormalized-angular")}
        {FIELD.format(name="euclid", dim=DIM, metric="euclidean")}
        field year type int {{ indexing: attribute }}
    }}
    rank-profile near {{
        inputs {{ query(q) tensor<float>(x[{DIM}]) }}
        first-phase {{ expression: closeness(field, angular) + closeness(field, euclid) }}
        match-features {{
            closeness(field, angular) distance(field, angular) closeness(field, euclid)
            distance(field, euclid) closeness(label, a) itemRawScore(a)
        }}
    }}
}}
"""
RNG = np.random.default_rng(7)
VECTORS = RNG.normal(size=(N, DIM)).astype(np.float32)
VECTORS /= np.linalg.norm(VECTORS, axis=1, keepdims=True)
QUERIES = RNG.normal(size=(12, DIM)).astype(np.float32)
QUERIES /= np.linalg.norm(QUERIES, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    docs = [{"angular": {"values": v.tolist()}, "euclid": {"values": v.tolist()}, "year": i % 10}
            for i, v in enumerate(VECTORS)]
    testbed = RankingBed(SD, docs, tmp_path_factory.mktemp("nnfast"))
    yield testbed
    testbed.close()


def _nn(field: str, explore: int = 0, approximate: bool = True, label: str = "") -> q.NearestNeighbor:
    return q.NearestNeighbor(field, "q", 10, approximate=approximate, explore_additional_hits=explore, label=label)


QUERY_SHAPES = {
    "one item": lambda: _nn("angular", label="a"),
    "explore": lambda: _nn("angular", explore=40, label="a"),
    "exact": lambda: _nn("angular", approximate=False, label="a"),
    "two fields": lambda: q.Or((_nn("angular", label="a"), _nn("euclid"))),
    "filtered": lambda: q.And((q.Range("year", 0, 4), _nn("angular", label="a"))),
    "hybrid": lambda: q.Or((q.Range("year", 0, 0), _nn("angular", label="a"))),  # candidates NN did not find
}


@pytest.mark.parametrize("shape", QUERY_SHAPES)
def test_hits_relevance_and_features_equal_the_recomputing_path_bit_for_bit(bed, shape, monkeypatch):
    query = QUERY_SHAPES[shape]()
    features = [{"query(q)": Tensor.dense(f"tensor<float>(x[{DIM}])", v)} for v in QUERIES]
    fast = [_hits(bed, query, f) for f in features]
    monkeypatch.setattr(FoundNeighbors, "distances", lambda *args: None)  # the features compute again
    slow = [_hits(bed, query, f) for f in features]
    assert fast == slow  # relevance and match-feature floats compared with ==
    assert all(len(hits) >= 10 for hits in fast)


def _hits(bed, query, features):
    outcome = bed.search("near", query, hits=20, query_features=features)
    return [(h.global_id, h.relevance, sorted(h.match_features.items())) for h in outcome.hits]


def test_single_field_ranking_reads_the_operator_distances(bed, monkeypatch):
    calls = []
    original = VectorFieldIndex.document_distances
    monkeypatch.setattr(VectorFieldIndex, "document_distances",
                        lambda self, *a: calls.append(self.field) or original(self, *a))
    features = {"query(q)": Tensor.dense(f"tensor<float>(x[{DIM}])", QUERIES[0])}
    bed.search("near", q.Or((_nn("angular", label="a"), _nn("euclid"))), hits=10, query_features=features)
    assert calls == []  # every closeness/distance feature read what its item found
    bed.search("near", QUERY_SHAPES["hybrid"](), hits=10, query_features=features)
    assert calls and set(calls) == {"angular"}  # documents the item did not find: computed


def test_approximate_with_enough_exploration_is_the_exact_answer_with_brute_force_closeness(bed):
    for vector in QUERIES:
        features = {"query(q)": Tensor.dense(f"tensor<float>(x[{DIM}])", vector)}
        approximate = bed.search("near", _nn("angular", explore=200, label="a"), hits=10, query_features=features)
        exact = bed.search("near", _nn("angular", approximate=False, label="a"), hits=10, query_features=features)
        assert [h.global_id for h in approximate.hits] == [h.global_id for h in exact.hits]
        assert [h.match_features for h in approximate.hits] == [h.match_features for h in exact.hits]
        dots = VECTORS.astype(np.float64) @ vector.astype(np.float64)
        truth = np.argsort(-dots, kind="stable")[:10]
        numbers = [int(bed.ids[h.global_id].rsplit(":", 1)[1]) for h in approximate.hits]
        assert sorted(numbers) == sorted(truth.tolist())
        closeness = np.array([h.match_features["closeness(field,angular)"] for h in approximate.hits])
        np.testing.assert_allclose(closeness, 1 / (1 + (1 - dots[numbers])), rtol=1e-6)


def test_best_distinct_documents_equals_the_general_rule():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(0, 40))
        docs = rng.permutation(1000)[:n].astype(np.int32)
        dist = rng.integers(0, 6, n).astype(np.float64) / 4  # many ties: broken by local id
        k = int(rng.integers(1, 15))
        threshold = None if rng.random() < 0.5 else float(rng.integers(0, 6)) / 4
        fast, general = _best_distinct_documents(docs, dist, k, threshold), _best_documents(docs, dist, k, threshold)
        assert np.array_equal(fast.local_ids, general.local_ids) and np.array_equal(fast.distances, general.distances)
        assert fast.local_ids.dtype == general.local_ids.dtype and fast.distances.dtype == general.distances.dtype


def test_found_neighbors_answers_only_for_candidates_one_search_found():
    found = FoundNeighbors()
    found.add("f", "q", hnsw_index.NeighborHits(np.array([2, 5, 9], dtype=np.int32), np.array([0.5, 0.1, 0.7])))
    assert found.distances("f", "q", np.array([5, 9], dtype=np.int32)).tolist() == [0.1, 0.7]
    assert found.distances("f", "q", np.empty(0, dtype=np.int32)).tolist() == []
    assert found.distances("f", "q", np.array([5, 10], dtype=np.int32)) is None
    assert found.distances("f", "q", np.array([1, 2, 5, 9], dtype=np.int32)) is None
    assert found.distances("f", "other", np.array([5], dtype=np.int32)) is None
    assert found.distances("g", "q", np.array([5], dtype=np.int32)) is None


def test_a_summary_of_ids_only_reads_nothing_from_the_document_store(bed, monkeypatch):
    reads = []
    original = DocumentDB.document
    monkeypatch.setattr(DocumentDB, "document", lambda self, *a: reads.append(a) or original(self, *a))
    gids = list(bed.db.global_ids[:5])
    ids_only = docsums.fill(bed.db, None, bed.schema, "", gids, None, {}, 0.0)
    assert reads == []  # the default summary of vector-only documents: ids, rendered by the container
    assert [d.document_id for d in ids_only] == [bed.ids[g] for g in gids] and all(d.fields == {} for d in ids_only)
