"""Dense tensor attributes: one cell matrix per field, narrow (uint16) while every cell is a token id,
widened losslessly when a value needs it; exact nearestNeighbor over an attribute-only field is
built from the column on first use and follows later writes and restarts."""
from __future__ import annotations

import numpy as np

from content_node.document_db import DocumentDB
from content_node.store.tensor_column import DenseTensorColumn, DenseTensorRows
from searchlib.schema.model import Field, FieldType, HnswParams, Schema


def tensor_field(tensor_type: str = "tensor<float>(d0[4])", name: str = "tokens", metric: str = "euclidean") -> Field:
    return Field(name, FieldType("tensor", tensor_type=tensor_type), is_attribute=True, distance_metric=metric)


def test_token_ids_are_stored_in_two_bytes_a_cell_and_read_back_exactly():
    column = DenseTensorColumn(tensor_field())
    column.set(0, {"values": [101, 2023, 102, 0]})
    column.set(2, [7, 65535, 0, 1])
    rows = column.values(3)
    assert isinstance(rows, DenseTensorRows) and rows.arena.dtype == np.uint16
    assert rows.present.tolist() == [True, False, True]
    assert rows.values().tolist() == [[101, 2023, 102, 0], [0, 0, 0, 0], [7, 65535, 0, 1]]
    assert column.get(0) == {"values": [101.0, 2023.0, 102.0, 0.0]} and column.get(1) is None
    assert column.get(99) is None


def test_documents_without_a_value_cost_no_cells():
    column = DenseTensorColumn(tensor_field("tensor<float>(x[384])", name="embedding"))
    for local_id in range(1000):
        column.set(local_id, None)
    column.set(999, [0.5] * 384)
    assert column.nbytes <= 1024 * 12 + 4096 * 4 < 1000 * 384 * 2  # offsets + the first arena block
    assert column.values(1000).present.sum() == 1


def test_trailing_zeros_are_not_stored_and_replaced_values_are_compacted_away():
    column = DenseTensorColumn(tensor_field("tensor<float>(d0[512])"))
    for local_id in range(100):
        column.set(local_id, [101, 7, local_id + 1, 102] + [0] * 508)  # a short document
    assert column.values(100).lengths.tolist() == [4] * 100
    for _ in range(30):  # rewrites leave garbage until a compaction reclaims it
        for local_id in range(100):
            column.set(local_id, [9] * 300 + [0] * 212)
    assert column._used <= 2 * 100 * 300 + 4096
    rows = column.values(100)
    assert rows.values()[:, :300].min() == 9 and rows.values()[:, 300:].max() == 0
    column.set(3, [0] * 512)  # all zero: present, no cells
    assert column.get(3) == {"values": [0.0] * 512} and column.values(100)[3].lengths.tolist() == [0]


def test_a_value_that_is_not_a_token_id_widens_the_column_without_changing_stored_rows():
    column = DenseTensorColumn(tensor_field())
    column.set(0, [1, 2, 3, 4])
    column.set(1, [0.5, -1.0, 70000, 1e-3])
    rows = column.values(2)
    assert rows.arena.dtype == np.float32
    np.testing.assert_array_equal(rows.values(), [[1, 2, 3, 4], np.float32([0.5, -1.0, 70000, 1e-3])])


def test_cells_forms_and_unset_and_cell_types():
    column = DenseTensorColumn(tensor_field("tensor<double>(x[2])"))
    column.set(0, {"cells": [{"address": {"x": "1"}, "value": 0.1}]})
    column.set(1, [0.25, 3])
    column.set(1, None)  # cleared: reads as zeros, not present
    rows = column.values(2)
    assert rows.arena.dtype == np.float64 and rows.values().tolist() == [[0.0, 0.1], [0.0, 0.0]]
    assert rows.present.tolist() == [True, False]
    int8 = DenseTensorColumn(tensor_field("tensor<int8>(x[2])"))
    int8.set(0, [-3, 5])
    assert int8.values(1).arena.dtype == np.int8 and int8.get(0) == {"values": [-3.0, 5.0]}


def test_rows_select_like_arrays():
    column = DenseTensorColumn(tensor_field())
    for i in range(5):
        column.set(i, [i, i, i, i])
    picked = column.values(5)[np.array([4, 1])]
    assert len(picked) == 2 and picked.values()[:, 0].tolist() == [4.0, 1.0]


def _schema() -> Schema:
    return Schema("doc", "doc", {"tokens": tensor_field("tensor<float>(d0[3])")})


def test_exact_nearest_neighbor_over_an_attribute_only_field_is_built_on_first_use(tmp_path):
    db = DocumentDB(_schema(), tmp_path)
    for i in range(10):
        db.put(f"id:ns:doc::{i}", {"tokens": [i, 0, 0]})
    index = db.vector_index("tokens")
    nearest = index.exact(np.array([7.2, 0, 0], dtype=np.float32), 2, None)
    assert sorted(db.document_id(int(i)) for i in nearest.local_ids) == ["id:ns:doc::7", "id:ns:doc::8"]
    db.put("id:ns:doc::new", {"tokens": [7.25, 0, 0]})  # later writes reach the built index
    db.remove("id:ns:doc::7")
    nearest = db.vector_index("tokens").exact(np.array([7.2, 0, 0], dtype=np.float32), 1, None)
    assert db.document_id(int(nearest.local_ids[0])) == "id:ns:doc::new"
    db.close()

    db = DocumentDB(_schema(), tmp_path)  # restart: rebuilt from the recovered column
    nearest = db.vector_index("tokens").exact(np.array([7.2, 0, 0], dtype=np.float32), 1, None)
    assert db.document_id(int(nearest.local_ids[0])) == "id:ns:doc::new"
    assert db.attribute("tokens").json(int(nearest.local_ids[0])) == {"values": [7.25, 0.0, 0.0]}
    db.close()


def _synthetic_schema() -> Schema:
    text = Field("text", FieldType("string"), is_summary=True)
    tokens = Field("tokens", FieldType("tensor", tensor_type="tensor<float>(d0[3])"), is_attribute=True,
                   in_document=False)
    return Schema("doc", "doc", {"text": text, "tokens": tokens})


def test_attribute_only_synthetic_fields_live_in_the_attribute_and_survive_restarts(tmp_path):
    db = DocumentDB(_synthetic_schema(), tmp_path)
    db.put("id:ns:doc::a", {"text": "hello", "tokens": [101, 7592, 102]})
    db.put("id:ns:doc::b", {"text": "bye", "tokens": [101, 9, 102]})
    db.snapshot()
    db.put("id:ns:doc::b", {"text": "bye"})  # re-fed without tokens: the old ones must go
    db.update("id:ns:doc::a", {"tokens": {"assign": [101, 1, 102]}})  # only in the write-ahead log
    a = db.local_id(db.global_ids[0])
    assert db.document(a) == {"text": "hello"}  # summaries read the document store: no tokens there
    assert db.get("id:ns:doc::a") == {"text": "hello", "tokens": {"values": [101.0, 1.0, 102.0]}}
    assert db.get("id:ns:doc::b") == {"text": "bye"}
    db._wal.close()  # a crash: recovery replays the log over the snapshot

    db = DocumentDB(_synthetic_schema(), tmp_path)
    assert db.get("id:ns:doc::a") == {"text": "hello", "tokens": {"values": [101.0, 1.0, 102.0]}}
    assert db.get("id:ns:doc::b") == {"text": "bye"}
    db.snapshot()  # the snapshot carries the attribute-only values
    db.close()
    db = DocumentDB(_synthetic_schema(), tmp_path)
    assert db.get("id:ns:doc::a")["tokens"] == {"values": [101.0, 1.0, 102.0]}
    assert db.attribute("tokens").present.sum() == 1
    db.close()


def _vector_schema() -> Schema:
    title = Field("title", FieldType("string"), is_summary=True)
    embedding = Field("embedding", FieldType("tensor", tensor_type="tensor<float>(x[4])"), is_attribute=True,
                      is_index=True, is_summary=True, distance_metric="euclidean", hnsw=HnswParams(16, 100))
    return Schema("doc", "doc", {"title": title, "embedding": embedding})


def test_a_dense_tensor_attribute_lives_in_its_column_not_in_the_document_store(tmp_path, monkeypatch):
    db = DocumentDB(_vector_schema(), tmp_path)
    for i in range(200):
        db.put(f"id:ns:doc::{i}", {"title": f"t{i}", "embedding": [i + 0.1, 1.0, 0.0, -2.5]})
    assert db.memory_usage()["documents"] < 200 * 40  # titles only: 384 floats would be KBs a document
    expected = {"title": "t7", "embedding": {"values": [float(np.float32(7.1)), 1.0, 0.0, -2.5]}}
    assert db.get("id:ns:doc::7") == expected  # float cells, as the attribute holds them
    assert db.document(db.local_id(db.global_ids[7])) == expected  # summaries see it too
    assert db.document(db.local_id(db.global_ids[7]), {"title"}) == {"title": "t7"}  # read when wanted

    inserts, index_class = [], type(db.vector_index("embedding"))
    original_set = index_class.set
    monkeypatch.setattr(index_class, "set", lambda self, local_id, value: (
        inserts.append(local_id), original_set(self, local_id, value)))
    db.update("id:ns:doc::7", {"title": {"assign": "seven"}})  # the vector stays in its graph slot
    assert inserts == [] and db.get("id:ns:doc::7")["embedding"] == expected["embedding"]
    db.update("id:ns:doc::7", {"embedding": {"assign": [0.0, 0.0, 0.0, 1.0]}})
    assert len(inserts) == 1
    db.snapshot()
    db.put("id:ns:doc::8", {"title": "eight"})  # re-fed without a vector: it must go
    db._wal.close()  # a crash: the snapshot, then the log

    segment = next(tmp_path.glob("segment-*.seg")).read_bytes()
    assert np.array([9.1, 1.0], dtype=np.float32).tobytes() in segment  # raw float32 cells, not text
    db = DocumentDB(_vector_schema(), tmp_path)
    assert db.get("id:ns:doc::7") == {"title": "seven", "embedding": {"values": [0.0, 0.0, 0.0, 1.0]}}
    assert db.get("id:ns:doc::9")["embedding"] == {"values": [float(np.float32(9.1)), 1.0, 0.0, -2.5]}
    assert db.get("id:ns:doc::8") == {"title": "eight"}
    hits = db.vector_index("embedding").approximate(np.array([0, 0, 0, 1], dtype=np.float32), 1, 10, None)
    assert db.document_id(int(hits.local_ids[0])) == "id:ns:doc::7"
    db.close()
