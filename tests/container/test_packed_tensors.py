"""Dense float/double attribute tensors fed as lists (in puts and assigns) go from the container to
the nodes as hex (container/docproc/processor.py `_packed_tensors`): a node fed the packed form holds the same
document, the same attribute cells and the same nearest neighbors as one fed the list, also after
recovery from its log; other tensor fields are sent as fed."""
from __future__ import annotations

import asyncio

import numpy as np

from container.docproc.processor import DocumentProcessor
from content_node.document_db import DocumentDB
from searchlib.schema.application import application_from_text

SCHEMA = """schema doc {
    document doc {
        field title type string { indexing: summary | index }
        field vec type tensor<float>(x[4]) {
            indexing: attribute | index
            attribute { distance-metric: euclidean }
        }
        field grid type tensor<double>(x[2],y[2]) { indexing: attribute | summary }
        field shown type tensor<float>(x[4]) { indexing: summary }
        field small type tensor<int8>(x[4]) { indexing: attribute }
        field mixed type tensor<float>(p{}, x[2]) { indexing: attribute }
    }
}
"""
APPLICATION = application_from_text(SCHEMA, name="doc.sd")


def documents(n: int) -> list[dict]:
    rng = np.random.default_rng(5)
    out = []
    for i in range(n):
        vec = rng.standard_normal(4) * 10.0 ** rng.integers(-8, 8, 4)
        out.append({"title": f"doc {i}", "vec": vec.tolist() if i % 3 else {"values": vec.tolist()},
                    "grid": rng.standard_normal(4).tolist(), "shown": [0.1, 1e-7, 3, -2.5],
                    "small": [1, -2, 3, 4], "mixed": {"blocks": {"a": [0.5, 1.5]}}})
    out[0]["vec"] = [1e39, -1e39, 0, 1]  # past float's range: infinity either way
    return out


def state(db: DocumentDB, n: int) -> dict:
    query = np.array([0.5, -1.0, 2.0, 0.0], dtype=np.float32)
    with db.read_view():
        index = db.vector_index("vec")
        return {"documents": [db.get(f"id:test:doc::{i}") for i in range(n)],  # attribute cells as stored
                "exact": sorted(db.document_id(i) for i in index.exact(query, 5, None).local_ids.tolist()),
                "graph": sorted(db.document_id(i) for i in index.approximate(query, 5, 50, None).local_ids.tolist())}


def test_the_container_packs_dense_float_and_double_attributes_only():
    processor = DocumentProcessor(APPLICATION)
    fed = documents(1)[0] | {"vec": [1.0, 2.0, 3.0, 4.0]}
    sent = asyncio.run(processor.put("doc", fed))
    assert sent["vec"] == {"values": "3f800000400000004040000040800000"}
    assert set(sent["grid"]) == {"values"} and isinstance(sent["grid"]["values"], str)
    assert {name: sent[name] for name in ("title", "shown", "small", "mixed")} == \
        {name: fed[name] for name in ("title", "shown", "small", "mixed")}


def test_nodes_fed_the_packed_form_hold_what_the_list_gives(tmp_path):
    schema = APPLICATION.schemas["doc"]
    processor = DocumentProcessor(APPLICATION)
    fed = documents(40)
    as_lists, packed = DocumentDB(schema, tmp_path / "lists"), DocumentDB(schema, tmp_path / "packed")
    for i, fields in enumerate(fed):
        as_lists.put(f"id:test:doc::{i}", fields)
        packed.put(f"id:test:doc::{i}", asyncio.run(processor.put("doc", fields)))
    for i in range(0, len(fed), 4):  # assigned by partial updates too
        update = {"vec": {"assign": [float(i), -1.5, 1e-9, 2.0]}, "title": {"assign": f"updated {i}"}}
        as_lists.update(f"id:test:doc::{i}", update)
        sent = asyncio.run(processor.update("doc", update))
        assert isinstance(sent["vec"]["assign"]["values"], str) and sent["title"] == update["title"]
        packed.update(f"id:test:doc::{i}", sent)
    expected = state(as_lists, len(fed))
    assert expected["documents"][1]["vec"] and expected["exact"]
    assert state(packed, len(fed)) == expected
    packed.close()
    recovered = DocumentDB(schema, tmp_path / "packed")  # from the log
    assert state(recovered, len(fed)) == expected
    recovered.close()
    as_lists.close()
