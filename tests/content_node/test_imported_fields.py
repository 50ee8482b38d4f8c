"""Imported fields on one content node: the child's reference followed to the parent's database at
each read (so a parent's write is seen at once), unset values where the parent is missing."""
from __future__ import annotations

import math

import numpy as np
import pytest

from content_node.global_documents import OwnedDocuments
from content_node.imported_fields import ReferencingDocumentDB, bind_parents, open_database
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.numbers import UNSET_INTEGER
from searchlib.schema.application import application_from_sources

PARENT = """schema parent {
    document parent {
        field score type int { indexing: attribute }
        field weight type double { indexing: attribute }
        field name type string { indexing: attribute | summary }
        field pos type position { indexing: attribute | summary }
    }
}
"""
CHILD = """schema child {
    document child {
        field ref type reference<parent> { indexing: attribute }
    }
    import field ref.score as score {}
    import field ref.weight as weight {}
    import field ref.name as name {}
    import field ref.pos as pos {}
}
"""


@pytest.fixture
def databases(tmp_path):
    app = application_from_sources({"schemas/parent.sd": PARENT, "schemas/child.sd": CHILD})
    dbs = {name: open_database(schema, tmp_path / name) for name, schema in app.schemas.items()}
    bind_parents(dbs)
    yield dbs
    for db in dbs.values():
        db.close()


def feed(dbs) -> None:
    dbs["parent"].put("id:t:parent::p1", {"score": 7, "weight": 0.5, "name": "one", "pos": {"lat": 1.0, "lng": 2.0}})
    dbs["parent"].put("id:t:parent::p2", {"score": 9, "name": "two"})
    for i, ref in enumerate(["id:t:parent::p1", "id:t:parent::p2", "id:t:parent::p9", None, "id:t:parent::p1"]):
        dbs["child"].put(f"id:t:child::c{i}", {"ref": ref} if ref else {})


def test_imported_attributes_follow_the_reference(databases) -> None:
    feed(databases)
    child = databases["child"]
    assert isinstance(child, ReferencingDocumentDB)
    assert child.attribute("score").tolist() == [7, 9, UNSET_INTEGER, UNSET_INTEGER, 7]
    weights = child.attribute("weight")
    assert weights[0] == 0.5 and weights[4] == 0.5 and all(math.isnan(w) for w in weights[1:4])
    assert child.attribute("name").tolist() == ["one", "two", None, None, "one"]
    points = child.attribute("pos")  # the parent's point, once for each of its children
    assert points.owners.tolist() == [0, 4] and points.limit == 5
    assert points.x.tolist() == [2_000_000, 2_000_000] and points.y.tolist() == [1_000_000, 1_000_000]
    assert child.document(0, {"name", "pos"})["name"] == "one"
    assert "name" not in child.document(2, {"name"})  # p9 was never fed
    assert "score" not in child.get("id:t:child::c0")  # imported values are not the child's own


def test_a_parents_update_and_removal_are_seen_at_the_next_read(databases) -> None:
    feed(databases)
    child, parent = databases["child"], databases["parent"]
    parent.update("id:t:parent::p1", {"score": {"assign": 70}})
    assert child.attribute("score").tolist()[::4] == [70, 70]
    parent.remove("id:t:parent::p1")
    assert child.attribute("score").tolist() == [UNSET_INTEGER, 9, UNSET_INTEGER, UNSET_INTEGER, UNSET_INTEGER]
    assert "name" not in child.document(0, {"name"})
    parent.put("id:t:parent::p9", {"score": 3})  # a dangling reference resolves once its parent comes
    assert child.attribute("score").tolist()[2] == 3


def test_a_node_searches_only_the_global_documents_of_its_own_buckets(databases) -> None:
    feed(databases)
    parent = databases["parent"]
    masks = [OwnedDocuments(key, (0, 1)).mask(parent) for key in (0, 1)]
    assert not (masks[0] & masks[1]).any() and (masks[0] | masks[1]).sum() == 2
    for key, mask in enumerate(masks):
        owned = {parent.document_id(i) for i in np.flatnonzero(mask)}
        assert owned == {d for d in ("id:t:parent::p1", "id:t:parent::p2")
                         if node_in_group(global_id(d), (0, 1)) == key}
