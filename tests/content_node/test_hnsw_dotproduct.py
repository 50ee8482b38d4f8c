"""HNSW with distance-metric dotproduct: the graph places every vector under ONE M (x ↦ [x,
sqrt(M² − |x|²)]), raised with headroom and every vector re-placed when a larger norm arrives, so
vectors fed before a larger one do not look closer than they are; hits are the exact top k."""
from __future__ import annotations

import math

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.store.hnsw_index import MIPS_HEADROOM, VectorFieldIndex
from searchlib.schema.model import Field, FieldType, HnswParams, Schema

DIM = 8


def dot_field(name: str = "vec") -> Field:
    return Field(name, FieldType("tensor", tensor_type=f"tensor<float>(x[{DIM}])"), is_attribute=True,
                 is_index=True, distance_metric="dotproduct", hnsw=HnswParams(16, 200))


def growing(n: int, seed: int = 0) -> np.ndarray:
    """Random directions whose norms grow with the feed order (1 → 100)."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(n, DIM))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return (directions * np.geomspace(1, 100, n)[:, None]).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    return np.argsort(-(vectors.astype(np.float64) @ query), kind="stable")[:k].tolist()


def assert_exact_top_k(index: VectorFieldIndex, vectors: np.ndarray, k: int, seed: int) -> None:
    """With a beam as wide as the graph, the graph's own order must be the exact dot product order
    (the search re-ranks what the graph returns; what it leaves out is lost), and so are the hits."""
    graph = index._graph
    graph.set_ef(len(vectors))
    for query in np.random.default_rng(seed).normal(size=(200, DIM)).astype(np.float32):
        labels, _ = graph.knn_query(index._graph_query(query), k=k)
        assert index._slot_doc[labels[0]].tolist() == exact_top(vectors, query, k)  # recall 1.0
        hits = index.approximate(query, k, len(vectors), None)
        order = np.lexsort((hits.local_ids, hits.distances))
        assert hits.local_ids[order].tolist() == exact_top(vectors, query, k)
        np.testing.assert_allclose(hits.distances, -(vectors[hits.local_ids].astype(np.float64) @ query),
                                   rtol=1e-5)


def test_the_reported_case_five_documents_top_two():
    index = VectorFieldIndex(dot_field())
    query = np.array([1.0] + [0.0] * (DIM - 1), dtype=np.float32)
    fed = [0.0, 11.0, 1.0, 0.5, 20.0]  # dot products in feed order; the largest norm comes last
    vectors = np.zeros((5, DIM), dtype=np.float32)
    vectors[:, 0] = fed
    vectors[:, 1] = [3.0, 0.0, 2.0, 2.5, 0.0]  # norms: 3, 11, 2.2, 2.5, 20
    for i, v in enumerate(vectors):
        index.set(i, {"values": v.tolist()})
    assert sorted(index.approximate(query, 2, 0, None).local_ids.tolist()) == [1, 4]


def test_norms_growing_in_feed_order_give_the_exact_top_k():
    vectors = growing(300, seed=1)
    index = VectorFieldIndex(dot_field())
    for i, v in enumerate(vectors):
        index.set(i, {"values": v.tolist()})
    assert_exact_top_k(index, vectors, 5, seed=2)


def test_staged_batches_with_growing_norms_give_the_exact_top_k():
    vectors = growing(300, seed=3)
    index = VectorFieldIndex(dot_field())
    for start in range(0, 300, 50):  # each batch raises M: the earlier batches are re-placed
        index.stage()
        for i in range(start, start + 50):
            index.set(i, {"values": vectors[i].tolist()})
        index.insert_taken(index.take_staged())
    index.stage()  # a removed slot reused by a larger vector in the same batch
    index.remove(7)
    index.set(7, {"values": (vectors[7] * 300).tolist()})
    index.insert_taken(index.take_staged())
    vectors[7] *= 300
    assert index._graph.element_count == 300  # every slot stays one graph element
    assert_exact_top_k(index, vectors, 5, seed=4)


def test_recall_with_a_moderate_beam_and_m_raised_with_headroom_so_re_placing_is_rare():
    vectors = growing(2000, seed=5)
    index = VectorFieldIndex(dot_field())
    rebuilds = []
    replace = index._replace_graph
    index._replace_graph = lambda: (rebuilds.append(index._used), replace())
    for i, v in enumerate(vectors):  # norms 1 → 100
        index.set(i, {"values": v.tolist()})
    assert 1 <= len(rebuilds) <= math.ceil(math.log(100) / math.log(MIPS_HEADROOM)) + 1
    assert np.linalg.norm(vectors[-1]) <= index._radius <= MIPS_HEADROOM * np.linalg.norm(vectors[-1]) + 1e-3
    found = 0
    for query in np.random.default_rng(6).normal(size=(100, DIM)).astype(np.float32):
        found += len(set(index.approximate(query, 5, 50, None).local_ids.tolist()) & set(exact_top(vectors, query, 5)))
    assert found / 500 >= 0.97  # before one M: 0.0


def _db(tmp_path) -> DocumentDB:
    field = dot_field()
    return DocumentDB(Schema("doc", "doc", {field.name: field}), tmp_path)


def test_restart_restores_the_graph_and_its_m(tmp_path):
    vectors = growing(200, seed=6)
    db = _db(tmp_path)
    for i, v in enumerate(vectors):
        db.put(f"id:ns:doc::{i}", {"vec": {"values": v.tolist()}})
    radius = db.vector_index("vec")._radius
    db.close()

    db = _db(tmp_path)
    index = db.vector_index("vec")
    assert db.vector_indexes_restored and index._radius == radius
    by_local = np.array([vectors[int(db.document_id(local).rsplit(":", 1)[1])]
                         for local in range(db.local_id_limit)])
    assert_exact_top_k(index, by_local, 5, seed=7)
    db.put("id:ns:doc::big", {"vec": {"values": (vectors[0] * 1000).tolist()}})  # raises M after the restore
    assert index._radius > radius
    hits = index.approximate(vectors[0], 1, 300, None)  # a beam as wide as the graph (an outlier)
    assert db.document_id(int(hits.local_ids[0])) == "id:ns:doc::big"
    db.close()


@pytest.mark.parametrize("damage", ["old format", "other M"])
def test_a_table_without_m_or_with_another_m_than_the_graph_is_rebuilt(tmp_path, damage):
    """Data dirs saved before one M had graphs placed under a varying M; a crash between writing the
    table and the graph could pair different Ms: both are rebuilt from the stored vectors."""
    vectors = growing(100, seed=8)
    db = _db(tmp_path)
    for i, v in enumerate(vectors):
        db.put(f"id:ns:doc::{i}", {"vec": {"values": v.tolist()}})
    db.close()
    for path in (tmp_path / "hnsw").glob("vec.*.npz"):
        with np.load(path) as saved:
            table = {key: saved[key] for key in saved.files}
        if damage == "old format":
            del table["radius"]
        else:
            table["radius"] = table["radius"] * 2
        np.savez(path, **table)
    db = _db(tmp_path)
    assert not db.vector_indexes_restored and db.vector_index("vec").document_count == 100
    db.close()
