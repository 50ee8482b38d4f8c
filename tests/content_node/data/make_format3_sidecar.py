"""Produce a data directory with the on-disk format of main at b023d37: segment snapshots (manifest
format 3) whose timestamps and tombstones are in whole-file sidecars (timestamps-*.jsonl), + WAL."""
import json, sys, shutil
from pathlib import Path
import numpy as np
from content_node.document_db import DocumentDB
from searchlib.schema.model import Field, FieldType, HnswParams, Schema

out = Path(sys.argv[1]); shutil.rmtree(out, ignore_errors=True)
schema = Schema("doc", "doc", {
    "title": Field("title", FieldType("string"), is_index=True, is_summary=True),
    "year": Field("year", FieldType("int"), is_attribute=True),
    "vec": Field("vec", FieldType("tensor", tensor_type="tensor<float>(x[8])"), is_attribute=True,
                 is_index=True, distance_metric="euclidean", hnsw=HnswParams(16, 200)),
})
T = 1_900_000_000_000_000  # microseconds: explicit timestamps, so the expected ones are known
rng = np.random.default_rng(8)
vectors = rng.normal(size=(60, 8)).astype(np.float32)
db = DocumentDB(schema, out)
for i in range(40):
    db.put(f"id:ns:doc::{i}", {"title": f"format3 document {i}", "year": 2000 + i,
                               "vec": {"values": vectors[i].tolist()}}, timestamp=T + i)
db.remove("id:ns:doc::3", timestamp=T + 100)
db.remove("id:ns:doc::never-here", timestamp=T + 101)  # a tombstone of a document never held
db.snapshot()
for i in range(40, 60):
    db.put(f"id:ns:doc::{i}", {"title": f"format3 document {i}", "year": 2000 + i,
                               "vec": {"values": vectors[i].tolist()}}, timestamp=T + i)
db.update("id:ns:doc::4", {"year": {"assign": 1999}}, timestamp=T + 102)
db.remove("id:ns:doc::6", timestamp=T + 103)
db.snapshot()
db.put("id:ns:doc::60", {"title": "only in the log", "year": 1, "vec": {"values": [0.5] * 8}}, timestamp=T + 104)
db.remove("id:ns:doc::5", timestamp=T + 105)
db._wal.close()  # a crash: two snapshots, the log after them
documents = {f"id:ns:doc::{i}": db.get(f"id:ns:doc::{i}") for i in range(61)}
stamps = sorted([s.document_id, s.timestamp, s.removed] for s in db.timestamps.stamps())
(out.parent / f"{out.name}.expected.json").write_text(json.dumps(
    {"documents": {k: v for k, v in documents.items() if v is not None}, "stamps": stamps}) + "\n")
