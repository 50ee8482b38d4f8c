"""Position and predicate attribute columns against plain per-document references: random writes,
rewrites and clears (the position log compacts on the way), then the flat point set and each
document's value must equal what was written last."""
from __future__ import annotations

import numpy as np

from content_node.store.position_column import PositionColumn
from content_node.store.predicate_column import PredicateColumn
from searchlib.predicate import parse_predicate
from searchlib.schema.model import Field, FieldType


def test_position_column_matches_the_last_writes() -> None:
    column = PositionColumn(Field("p", FieldType("array", FieldType("position"))))
    rng = np.random.default_rng(0)
    last: dict[int, list | None] = {}
    for _ in range(5000):
        doc = int(rng.integers(0, 300))
        value = [{"lat": float(rng.integers(-90, 90)), "lng": float(rng.integers(-180, 180))}
                 for _ in range(int(rng.integers(0, 3)))] or None
        column.set(doc, value)
        last[doc] = value
    points = column.values(300)
    expected = [(doc, int(p["lng"] * 1e6), int(p["lat"] * 1e6)) for doc in sorted(last) if last[doc] for p in last[doc]]
    assert list(zip(points.owners.tolist(), points.x.tolist(), points.y.tolist())) == expected
    assert all(column.get(doc) == value for doc, value in last.items())
    assert column._used < 5000  # compacted: dead points do not pile up


def test_single_positions_and_the_limit() -> None:
    column = PositionColumn(Field("p", FieldType("position")))
    column.set(0, {"lat": 1.5, "lng": -2.25})
    column.set(4, "S1;E2")
    assert column.get(0) == {"lat": 1.5, "lng": -2.25} and column.get(3) is None
    assert column.values(3).owners.tolist() == [0]  # a reader's limit hides later documents
    assert column.values(5).y.tolist() == [1500000, -1000000]


def test_predicate_column_shares_parsed_predicates() -> None:
    column = PredicateColumn(Field("t", FieldType("predicate")))
    for doc, text in enumerate(["a in [x]", "b in [1..2]", "a in [x]", None]):
        column.set(doc, text)
    values = column.values(5)
    assert values.ids.tolist() == [0, 1, 0, -1, -1]
    assert values.predicates == (parse_predicate("a in [x]"), parse_predicate("b in [1..2]"))
    assert column.get(2) == "a in [x]" and column.get(3) is None


def test_positions_and_predicates_survive_a_snapshot_and_the_log(tmp_path) -> None:
    from pathlib import Path

    from content_node.document_db import DocumentDB
    from searchlib.schema.application import load_application

    schema = load_application(Path(__file__).resolve().parents[1] / "apps" / "geo").schemas["place"]
    database = DocumentDB(schema, tmp_path)
    database.put("id:test:place::a", {"pos": {"lat": 1.0, "lng": 2.0}, "target": "a in [x]",
                                      "origin_pos": {"lat": 3.0, "lng": 4.0}})  # origin_pos: held by its attribute
    database.snapshot()
    database.wait_for_snapshot()
    database.put("id:test:place::b", {"stops": [{"lat": 5.0, "lng": 6.0}, {"lat": 7.0, "lng": 8.0}]})  # in the log
    database.close()
    reopened = DocumentDB(schema, tmp_path)
    try:
        assert reopened.attribute("pos").y.tolist() == [1000000]
        assert reopened.attribute("origin_pos").x.tolist() == [4000000]
        assert reopened.attribute("stops").owners.tolist() == [1, 1]
        assert reopened.attribute("target").predicates == (parse_predicate("a in [x]"),)
    finally:
        reopened.close()
