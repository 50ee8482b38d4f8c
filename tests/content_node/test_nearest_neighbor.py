"""nearestNeighbor in matching: filters (strict and loose), exact search, thresholds, hybrid OR,
and the closeness/distance/itemRawScore/closest rank features."""
from __future__ import annotations

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.matching.match_sets import MatchEvaluator
from content_node.matching.rank_features import FeatureCalculator
from content_node.store.vector_metrics import distances
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.model import Field, FieldType, HnswParams, Schema
from searchlib.tensor import Tensor

DIM = 16
N = 3000


def _schema() -> Schema:
    fields = [
        Field("text", FieldType("string"), is_index=True),
        Field("year", FieldType("int"), is_attribute=True),
        Field("vec", FieldType("tensor", tensor_type=f"tensor<float>(x[{DIM}])"), is_attribute=True,
              is_index=True, hnsw=HnswParams(16, 100)),
        Field("flat", FieldType("tensor", tensor_type=f"tensor<float>(x[{DIM}])"), is_attribute=True),
        Field("paragraphs", FieldType("tensor", tensor_type="tensor<float>(p{}, x[2])"),
              is_attribute=True, is_index=True, hnsw=HnswParams(8, 50)),
    ]
    return Schema("doc", "doc", {f.name: f for f in fields})


VECTORS = np.random.default_rng(11).normal(size=(N, DIM)).astype(np.float32)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    database = DocumentDB(_schema(), tmp_path_factory.mktemp("nn"))
    for i, v in enumerate(VECTORS):
        database.put(f"id:ns:doc::{i}", {
            "text": "even" if i % 2 == 0 else "odd", "year": i % 1000,
            "vec": {"values": v.tolist()}, "flat": {"values": v.tolist()},
            "paragraphs": {"blocks": {"first": v[:2].tolist(), "second": v[2:4].tolist()}}})
    yield database
    database.close()


def _query(seed: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=DIM).astype(np.float32)


def _features(vector: np.ndarray, name: str = "q") -> dict[str, object]:
    return {f"query({name})": Tensor.dense(f"tensor<float>(x[{DIM}])", vector)}


def _doc_numbers(db: DocumentDB, local_ids: np.ndarray) -> list[int]:
    return sorted(int(db.document_id(int(i)).rsplit(":", 1)[1]) for i in local_ids)


def _brute(query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[int]:
    d = distances("euclidean", VECTORS, query)
    if allowed is not None:
        d = np.where(allowed, d, np.inf)
    return sorted(np.argsort(d, kind="stable")[:k].tolist())


def test_approximate_finds_the_true_neighbors(db):
    query = _query()
    found = MatchEvaluator(db.schema, db, _features(query)).matches(q.NearestNeighbor("vec", "q", 10))
    overlap = set(_doc_numbers(db, found)) & set(_brute(query, 10))
    assert len(found) == 10 and len(overlap) >= 9


def test_exact_search_equals_brute_force_with_and_without_hnsw(db):
    query = _query(6)
    matching = MatchEvaluator(db.schema, db, _features(query))
    exact = matching.matches(q.NearestNeighbor("vec", "q", 25, approximate=False))
    assert _doc_numbers(db, exact) == _brute(query, 25)
    no_graph = matching.matches(q.NearestNeighbor("flat", "q", 25))  # attribute without `index`
    assert _doc_numbers(db, no_graph) == _brute(query, 25)


@pytest.mark.parametrize("passing_years", [10, 100, 600])  # 1 % (exact), 10 %, 60 % (HNSW)
def test_filtered_search_returns_only_filtered_documents_and_enough_of_them(db, passing_years):
    query = _query(7)
    node = q.And((q.Range("year", high=passing_years - 1), q.NearestNeighbor("vec", "q", 20)))
    found = MatchEvaluator(db.schema, db, _features(query)).matches(node)
    years = db.attribute("year")[found]
    assert len(found) == 20
    assert np.all(years < passing_years)
    allowed = (np.arange(N) % 1000) < passing_years
    assert len(set(_doc_numbers(db, found)) & set(_brute(query, 20, allowed))) >= 18


def test_a_filter_with_fewer_documents_than_target_hits_returns_all_of_them(db):
    node = q.And((q.Range("year", low=7, high=7), q.NearestNeighbor("vec", "q", 50)))
    found = MatchEvaluator(db.schema, db, _features(_query())).matches(node)
    assert _doc_numbers(db, found) == [7, 1007, 2007]


def test_negative_filters_and_text_filters_combine(db):
    node = q.And((q.Term("text", "even"), q.Not(q.Range("year", high=499)),
                  q.NearestNeighbor("vec", "q", 30)))
    found = MatchEvaluator(db.schema, db, _features(_query(8))).matches(node)
    numbers = _doc_numbers(db, found)
    assert len(numbers) == 30 and all(n % 2 == 0 and n % 1000 >= 500 for n in numbers)


def test_distance_threshold_and_explore_additional_hits(db):
    query = _query(9)
    d = np.sort(distances("euclidean", VECTORS, query))
    threshold = float(d[4]) + 1e-4
    node = q.NearestNeighbor("vec", "q", 10, distance_threshold=threshold, explore_additional_hits=100)
    found = MatchEvaluator(db.schema, db, _features(query)).matches(node)
    assert _doc_numbers(db, found) == _brute(query, 5)


def test_hybrid_or_is_the_union_of_text_and_neighbors(db):
    query = _query(10)
    node = q.Or((q.Term("text", "odd"), q.NearestNeighbor("vec", "q", 10, approximate=False)))
    found = _doc_numbers(db, MatchEvaluator(db.schema, db, _features(query)).matches(node))
    nearest_even = [n for n in _brute(query, 10) if n % 2 == 0]
    assert len(found) == N // 2 + len(nearest_even)


def test_missing_query_tensor_and_wrong_field_are_clear_errors(db):
    matching = MatchEvaluator(db.schema, db, {})
    with pytest.raises(InvalidParameterError, match=r"query\(q\)"):
        matching.matches(q.NearestNeighbor("vec", "q", 10))
    with pytest.raises(InvalidParameterError, match="tensor attribute"):
        MatchEvaluator(db.schema, db, _features(_query())).matches(q.NearestNeighbor("year", "q", 1))


def test_closeness_distance_and_item_raw_score_features(db):
    query = _query(12)
    tree = q.Or((q.Term("text", "odd"), q.NearestNeighbor("vec", "q", 10, label="nns")))
    features = _features(query)
    candidates = MatchEvaluator(db.schema, db, features).matches(tree)
    calculator = FeatureCalculator(db.schema, db, tree, features, 0.0)
    numbers = np.array([int(db.document_id(int(i)).rsplit(":", 1)[1]) for i in candidates])
    expected = distances("euclidean", VECTORS[numbers], query)
    np.testing.assert_allclose(calculator.compute("distance(field,vec)", candidates), expected)
    np.testing.assert_allclose(calculator.compute("closeness(field, vec)", candidates), 1 / (1 + expected))
    np.testing.assert_allclose(calculator.compute("closeness(label,nns)", candidates), 1 / (1 + expected))
    np.testing.assert_allclose(calculator.compute("itemRawScore(nns)", candidates), 1 / (1 + expected))
    # no nearestNeighbor item on the field: Vespa's defaults
    assert np.all(calculator.compute("closeness(field,flat)", candidates) == 0.0)
    assert np.all(calculator.compute("distance(label,other)", candidates) > 1e300)


def test_multi_vector_search_and_closest_feature(db):
    query2 = np.array([0.5, -0.25], dtype=np.float32)
    features = {"query(p)": Tensor.dense("tensor<float>(x[2])", query2)}
    node = q.NearestNeighbor("paragraphs", "p", 5, approximate=False)
    found = MatchEvaluator(db.schema, db, features).matches(node)
    per_paragraph = np.stack([distances("euclidean", VECTORS[:, :2], query2),
                              distances("euclidean", VECTORS[:, 2:4], query2)])
    best = per_paragraph.min(axis=0)
    assert _doc_numbers(db, found) == sorted(np.argsort(best)[:5].tolist())
    approximate = MatchEvaluator(db.schema, db, features).matches(
        q.NearestNeighbor("paragraphs", "p", 5, explore_additional_hits=50))
    assert len(set(_doc_numbers(db, approximate)) & set(_doc_numbers(db, found))) >= 4
    calculator = FeatureCalculator(db.schema, db, node, features, 0.0)
    closest = calculator.compute("closest(paragraphs)", found)
    numbers = _doc_numbers(db, found)
    by_number = {int(db.document_id(int(i)).rsplit(":", 1)[1]): r for r, i in enumerate(found)}
    for number in numbers:
        cells = dict((address["p"], value) for address, value in closest.row(by_number[number]).cells())
        label = "first" if per_paragraph[0, number] <= per_paragraph[1, number] else "second"
        assert cells == {label: 1.0}
    np.testing.assert_allclose(calculator.compute("distance(field,paragraphs)", found),
                               best[[int(db.document_id(int(i)).rsplit(":", 1)[1]) for i in found]])


def test_the_items_hnsw_approximate_threshold_overrides_the_profiles(db, monkeypatch):
    """10 % of the documents pass the filter: above the default threshold (0.02) that is a graph
    search; with the item's hnsw.approximateThreshold 0.5 it is an exact scan, so brute force's
    answer, and with 0.0 even a 1 % filter searches the graph."""
    from content_node.store.hnsw_index import VectorFieldIndex
    graph_searches = []
    original = VectorFieldIndex.approximate
    monkeypatch.setattr(VectorFieldIndex, "approximate",
                        lambda self, *a, **k: graph_searches.append(1) or original(self, *a, **k))
    query = _query(9)
    matching = MatchEvaluator(db.schema, db, _features(query))
    exact = q.NearestNeighbor("vec", "q", 20, hnsw=(("hnsw.approximateThreshold", 0.5),))
    found = matching.matches(q.And((q.Range("year", high=99), exact)))
    assert graph_searches == []
    assert _doc_numbers(db, found) == _brute(query, 20, (np.arange(N) % 1000) < 100)
    graph = q.NearestNeighbor("vec", "q", 5, hnsw=(("hnsw.approximateThreshold", 0.0),))
    assert len(matching.matches(q.And((q.Range("year", high=9), graph)))) == 5
    assert graph_searches == [1]
