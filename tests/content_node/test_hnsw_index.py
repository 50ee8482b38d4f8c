"""HNSW vector index: recall against brute force for every metric, updates/removes, multi-vector
documents, persistence across DocumentDB restarts (restored, not rebuilt) and stale-file rebuilds."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.store.hnsw_index import VectorFieldIndex
from content_node.store.vector_metrics import closeness, distances
from searchlib.schema.model import Field, FieldType, HnswParams, Schema

DIM = 24


def vector_field(metric: str = "euclidean", tensor_type: str = f"tensor<float>(x[{DIM}])",
                 hnsw: HnswParams | None = HnswParams(16, 200), name: str = "vec") -> Field:
    return Field(name, FieldType("tensor", tensor_type=tensor_type), is_attribute=True,
                 is_index=hnsw is not None, distance_metric=metric, hnsw=hnsw)


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Gaussian clusters: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, DIM)) * 3
    return (centers[rng.integers(0, 20, n)] + rng.normal(size=(n, DIM))).astype(np.float32)


def brute_force(metric: str, vectors: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    return set(np.argsort(distances(metric, vectors, query), kind="stable")[:k].tolist())


@pytest.mark.parametrize("metric, explore", [
    ("euclidean", 90), ("angular", 90), ("prenormalized-angular", 90),
    ("dotproduct", 190)])  # inner product search needs a wider beam for the same recall
def test_recall_at_10_against_brute_force(metric, explore):
    vectors = clustered(4000, seed=1)
    if metric == "prenormalized-angular":
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorFieldIndex(vector_field(metric))
    for i, v in enumerate(vectors):
        index.set(i, {"values": v.tolist()})
    queries = clustered(50, seed=2)
    if metric == "prenormalized-angular":
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    found = 0
    for query in queries:
        hits = index.approximate(query, 10, explore, None)
        assert len(hits.local_ids) == 10
        # reported distances are exact for the documents found
        np.testing.assert_allclose(hits.distances, distances(metric, vectors[hits.local_ids], query))
        found += len(set(hits.local_ids.tolist()) & brute_force(metric, vectors, query, 10))
    recall = found / (10 * len(queries))
    assert recall >= 0.95, recall


def test_exact_search_is_brute_force():
    vectors = clustered(500)
    index = VectorFieldIndex(vector_field(hnsw=None))
    for i, v in enumerate(vectors):
        index.set(i, v.tolist())  # the bare-list JSON form
    query = clustered(1, seed=9)[0]
    hits = index.exact(query, 7, None)
    assert set(hits.local_ids.tolist()) == brute_force("euclidean", vectors, query, 7)
    assert np.all(np.diff(hits.local_ids) > 0)


def test_removed_and_updated_vectors_are_reflected():
    vectors = clustered(1000, seed=3)
    index = VectorFieldIndex(vector_field())
    for i, v in enumerate(vectors):
        index.set(i, {"values": v.tolist()})
    query = vectors[17]
    assert 17 in index.approximate(query, 5, 20, None).local_ids
    index.remove(17)
    assert 17 not in index.approximate(query, 5, 20, None).local_ids
    assert 17 not in index.exact(query, 5, None).local_ids
    # another document moves onto the query point; its reused slot is searchable again
    index.set(500, {"values": query.tolist()})
    hits = index.approximate(query, 1, 20, None)
    assert hits.local_ids.tolist() == [500] and hits.distances[0] == pytest.approx(0.0, abs=1e-6)
    index.set(17, {"values": (query + 0.001).tolist()})
    assert 17 in index.approximate(query, 3, 20, None).local_ids
    assert index.document_count == 1000 and index.vector_count == 1000


def test_multi_vector_documents_use_their_closest_paragraph():
    field = vector_field(tensor_type="tensor<float>(p{}, x[3])")
    index = VectorFieldIndex(field)
    index.set(0, {"blocks": {"a": [10, 0, 0], "b": [0, 0, 1]}})
    index.set(1, {"blocks": {"a": [0, 0, 3]}})
    index.set(2, {"blocks": [{"address": {"p": "x"}, "values": [5, 5, 5]},
                             {"address": {"p": "y"}, "values": [0, 1, 0]}]})
    query = np.array([0, 0, 1], dtype=np.float32)
    hits = index.approximate(query, 2, 0, None)
    assert hits.local_ids.tolist() == [0, 2]  # 0 via "b" (0.0), 2 via "y" (sqrt 2), 1 is at 2.0
    np.testing.assert_allclose(hits.distances, [0.0, np.sqrt(2)])
    best, slots = index.document_distances(query, np.array([0, 1, 2, 7]))
    np.testing.assert_allclose(best, [0.0, 2.0, np.sqrt(2), np.inf])
    assert index.slot_labels(slots) == ["b", "a", "y", ""]


def test_hamming_is_exact_popcount_over_int8_cells():
    field = vector_field("hamming", tensor_type="tensor<int8>(x[2])")
    index = VectorFieldIndex(field)
    index.set(0, [0, 0])
    index.set(1, [1, 3])  # 1 + 2 bits
    index.set(2, [-1, 0])  # 0xFF: 8 bits
    hits = index.approximate(np.array([0, 0], dtype=np.float32), 3, 0, None)
    np.testing.assert_allclose(hits.distances, [0, 3, 8])


def test_closeness_per_metric():
    np.testing.assert_allclose(closeness("euclidean", np.array([0.0, 1.0, np.inf])), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(closeness("dotproduct", np.array([-3.0])), [3.0])


def schema_with_vectors() -> Schema:
    fields = [Field("year", FieldType("int"), is_attribute=True), vector_field(),
              vector_field(tensor_type="tensor<float>(p{}, x[3])", name="paragraphs")]
    return Schema("doc", "doc", {f.name: f for f in fields})


def _feed(db: DocumentDB, vectors: np.ndarray, start: int = 0) -> None:
    for i, v in enumerate(vectors, start=start):
        db.put(f"id:ns:doc::{i}", {"year": i % 10, "vec": {"values": v.tolist()},
                                   "paragraphs": {"blocks": {"p0": v[:3].tolist(), "p1": v[3:6].tolist()}}})


def _neighbors(db: DocumentDB, query: np.ndarray, k: int = 10) -> list[str]:
    hits = db.vector_index("vec").approximate(query, k, 30, None)
    return sorted(db.document_id(int(i)) for i in hits.local_ids)


def test_restart_restores_the_saved_graph_with_updates_and_removes(tmp_path):
    schema = schema_with_vectors()
    vectors = clustered(800, seed=4)
    db = DocumentDB(schema, tmp_path)
    _feed(db, vectors)
    db.remove("id:ns:doc::5")
    db.remove("id:ns:doc::6")
    db.update("id:ns:doc::7", {"vec": {"assign": {"values": (vectors[0] + 0.01).tolist()}}})
    before = _neighbors(db, vectors[0])
    assert "id:ns:doc::7" in before
    db.close()  # snapshot: documents and the graph at the same sequence

    db = DocumentDB(schema, tmp_path)
    assert db.vector_indexes_restored
    assert db.vector_index("vec").document_count == 798
    assert db.vector_index("paragraphs").vector_count == 2 * 798
    assert _neighbors(db, vectors[0]) == before
    assert "id:ns:doc::5" not in _neighbors(db, vectors[5])
    db.close()


def test_writes_after_the_snapshot_are_replayed_into_the_restored_graph(tmp_path):
    schema = schema_with_vectors()
    vectors = clustered(300, seed=5)
    db = DocumentDB(schema, tmp_path)
    _feed(db, vectors[:200])
    db.snapshot()
    _feed(db, vectors[200:], start=200)  # only in the write-ahead log
    db.remove("id:ns:doc::3")
    db._wal.close()  # a crash: no snapshot at close

    db = DocumentDB(schema, tmp_path)
    assert db.vector_indexes_restored
    assert db.vector_index("vec").document_count == 299
    assert "id:ns:doc::250" in _neighbors(db, vectors[250], 1)
    assert "id:ns:doc::3" not in _neighbors(db, vectors[3])
    db.close()


def test_missing_or_stale_saved_index_is_rebuilt_from_stored_vectors(tmp_path):
    schema = schema_with_vectors()
    vectors = clustered(200, seed=6)
    db = DocumentDB(schema, tmp_path)
    _feed(db, vectors)
    db.close()
    for path in (tmp_path / "hnsw").glob("vec.*.hnsw"):
        path.unlink()
    db = DocumentDB(schema, tmp_path)
    assert not db.vector_indexes_restored
    assert db.vector_index("vec").document_count == 200
    assert "id:ns:doc::42" in _neighbors(db, vectors[42], 1)
    db.close()


def test_an_empty_vector_field_restores_without_a_graph_file(tmp_path):
    schema = schema_with_vectors()
    db = DocumentDB(schema, tmp_path)
    db.put("id:ns:doc::1", {"year": 1})  # no vectors at all
    db.close()
    db = DocumentDB(schema, tmp_path)
    assert db.vector_indexes_restored and db.vector_index("vec").document_count == 0
    db.put("id:ns:doc::2", {"vec": {"values": [1.0] * DIM}})
    assert db.vector_index("vec").approximate(np.ones(DIM, dtype=np.float32), 1, 0, None).local_ids.size == 1
    db.close()


def test_a_damaged_saved_index_is_rebuilt_not_a_crash(tmp_path):
    schema = schema_with_vectors()
    vectors = clustered(100, seed=7)
    db = DocumentDB(schema, tmp_path)
    _feed(db, vectors)
    db.close()
    for path in (tmp_path / "hnsw").glob("vec.*.npz"):
        path.write_bytes(path.read_bytes()[:200])  # a cut zip archive
    db = DocumentDB(schema, tmp_path)
    assert not db.vector_indexes_restored and db.vector_index("vec").document_count == 100
    assert "id:ns:doc::42" in _neighbors(db, vectors[42], 1)
    db.close()


def _flush(index: VectorFieldIndex) -> None:
    index.insert_taken(index.take_staged())  # what a write batch's end does (write_batch.py)


def test_staged_inserts_go_to_the_graph_in_one_call_with_the_same_recall():
    """A write batch's vectors (stage → set → take_staged → insert_taken): one add_items for the
    batch, recall as good as inserting one by one, and removing or replacing a staged document in
    the same batch works."""
    vectors = clustered(2000, seed=3)
    index = VectorFieldIndex(vector_field())
    for start in range(0, len(vectors), 250):
        index.stage()
        for i in range(start, start + 250):
            index.set(i, {"values": vectors[i].tolist()})
        assert index.document_count == start  # recorded only, until the batch ends
        inserts = index.take_staged()
        assert index.document_count == start + 250
        assert index._ensure_graph().get_current_count() == start  # nothing in the graph yet
        index.insert_taken(inserts)
        assert index._graph.get_current_count() == start + 250
    index.stage()
    index.set(5000, {"values": vectors[0].tolist()})
    index.remove(5000)  # staged, then removed in the same batch
    index.set(1, {"values": (vectors[1] + 100).tolist()})  # replaced
    index.set(7, {"values": (vectors[3] + 0.01).tolist()})
    index.set(7, {"values": vectors[7].tolist()})  # put twice in one batch: the first is inserted, then deleted
    _flush(index)
    assert 5000 not in index.approximate(vectors[0], 5, 50, None).local_ids.tolist()
    assert index.approximate(vectors[7], 1, 50, None).local_ids.tolist() == [7]
    assert index.document_count == 2000
    found = 0
    for query in clustered(40, seed=4):
        hits = index.approximate(query, 10, 90, None)
        expected = vectors.copy()
        expected[1] += 100
        found += len(set(hits.local_ids.tolist()) & brute_force("euclidean", expected, query, 10))
    assert found / 400 >= 0.95


def test_a_search_waits_for_the_graph_inserts_of_a_batch_it_could_see():
    """Between the end of a batch's write-lock hold and its graph inserts, searches of the field
    wait (hnswlib must not be searched while it inserts): they see all of the batch or none."""
    vectors = clustered(300, seed=5)
    index = VectorFieldIndex(vector_field())
    index.stage()
    for i in range(300):
        index.set(i, {"values": vectors[i].tolist()})
    inserts = index.take_staged()
    answers = []
    search = threading.Thread(target=lambda: answers.append(index.approximate(vectors[42], 1, 20, None)))
    search.start()
    search.join(0.3)
    assert search.is_alive() and not answers  # waiting for the inserts
    index.insert_taken(inserts)
    search.join(5)
    assert answers[0].local_ids.tolist() == [42]
