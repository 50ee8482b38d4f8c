"""Produce a data directory with the on-disk format of main at 373a365 (snapshot-*.jsonl + WAL + hnsw)."""
import sys, shutil
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
rng = np.random.default_rng(7)
vectors = rng.normal(size=(60, 8)).astype(np.float32)
db = DocumentDB(schema, out)
for i in range(40):
    db.put(f"id:ns:doc::{i}", {"title": f"legacy document {i}", "year": 2000 + i, "vec": {"values": vectors[i].tolist()}})
db.snapshot()
for i in range(40, 60):
    db.put(f"id:ns:doc::{i}", {"title": f"legacy document {i}", "year": 2000 + i, "vec": {"values": vectors[i].tolist()}})
db.remove("id:ns:doc::3")
db.update("id:ns:doc::4", {"year": {"assign": 1999}})
db.snapshot()
db.put("id:ns:doc::60", {"title": "only in the log", "year": 1, "vec": {"values": [0.5] * 8}})
db.remove("id:ns:doc::5")
db._wal.close()  # a crash: two snapshots, the log after them
