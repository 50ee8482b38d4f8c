"""Long attributes are exact beyond 2^53 (as Vespa's int64 attributes): `=`, ranges, `in`,
multi-value matching, sorting, grouping, rank features, restart (WAL replay and snapshot) and the
wire codecs. With float64 columns `big = 2^53` matched the document holding 2^53 + 1."""
from __future__ import annotations

import numpy as np
import pytest

from content_node import grouping, match_phase
from content_node.document_db import DocumentDB
from content_node.matching.match_sets import MatchEvaluator
from content_node.store.snapshots import read_snapshot
from ranking_support import RankingBed
from searchlib.docid import global_id
from searchlib.grouping import parse_grouping
from searchlib.grouping.result import merge_groups
from searchlib.hits import order_rows, sort_value
from searchlib.query import tree as q
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_text
from searchlib.schema.match_phase import MatchPhase
from searchlib.schema.model import Field, FieldType, Schema
from searchlib.wire.grouping_codec import decode_group, encode_group
from searchlib.wire.hits_codec import decode_sort_values, encode_sort_values
from searchlib.wire.query_codec import decode_query, encode_query

SD = """
schema big {
  document big {
    field big type long { indexing: attribute | summary }
    field bigs type array<long> { indexing: attribute | summary }
    field small type int { indexing: attribute | summary }
  }
}
"""
P53 = 2**53
MAX = 2**63 - 1
MIN = -(2**63)  # Vespa's undefined long: a document holding it has no value
VALUES = {"a": P53, "b": P53 + 1, "c": MAX, "d": MAX - 1, "e": MIN + 1, "f": -P53 - 1, "g": 0}
DOCS = {name: {"big": value, "bigs": [value, 7], "small": -(2**31)} for name, value in VALUES.items()}
DOCS["h"] = {"small": 5}  # no big value


@pytest.fixture(scope="module")
def schema():
    return application_from_text(SD, name="big.sd").schemas["big"]


@pytest.fixture()
def db(schema, tmp_path):
    with DocumentDB(schema, tmp_path) as database:
        for name, fields in DOCS.items():
            database.put(f"id:ns:big::{name}", fields)
        yield database


def matching(db, schema, where: str, source: str = "big") -> list[str]:
    exact = {name for name, f in schema.fields.items() if f.is_attribute and not f.is_index}
    tree = parse_yql(f"select * from {source} where {where}", exact_match_fields=exact).where
    tree = decode_query(encode_query(tree))  # as the content node receives it
    with db.read_view():
        local_ids = MatchEvaluator(schema, db).matches(tree)
        return sorted(db.document_id(int(i)).rsplit(":", 1)[1] for i in local_ids)


@pytest.mark.parametrize("where, expected", [
    ("big = 9007199254740992L", ["a"]),
    ("big = 9007199254740993L", ["b"]),
    ("9223372036854775807L = big", ["c"]),
    ("big = -9223372036854775807L", ["e"]),
    ("big > 9007199254740992L", ["b", "c", "d"]),
    ("big >= 9223372036854775806L", ["c", "d"]),
    ("big < -9007199254740992L", ["e", "f"]),
    ("big <= -9007199254740993L", ["e", "f"]),
    ("range(big, 9007199254740993L, 9223372036854775806L)", ["b", "d"]),
    ("big >= 4503599627370495.5", ["a", "b", "c", "d"]),  # a float bound: rounded inward, exactly
    ("big <= -4503599627370495.5", ["e", "f"]),
    ("big < 0.5", ["e", "f", "g"]),
    ("big in (9007199254740993L, 9223372036854775807L)", ["b", "c"]),
    ("bigs = 9007199254740993L", ["b"]),
    ("bigs in (9223372036854775806L)", ["d"]),
    ("range(bigs, 9007199254740993L, 9223372036854775806L)", ["b", "d"]),
    ("small = -2147483648", [n for n in DOCS if n != "h"]),
    ('big contains "9007199254740993"', ["b"]),  # a term on the attribute: parsed exactly too
    ('big contains "[9007199254740993;9223372036854775806]"', ["b", "d"]),
    ('big contains ">9223372036854775806"', ["c"]),
])
def test_matching_is_exact(db, schema, where, expected) -> None:
    assert matching(db, schema, where) == expected


def test_the_column_is_int64_and_unset_is_no_value(db) -> None:
    column = db.attribute("big")
    assert column.dtype == np.int64
    with db.read_view():
        by_name = {db.document_id(i).rsplit(":", 1)[1]: i for i in np.flatnonzero(db.alive)}
    assert {n: int(column[by_name[n]]) for n in VALUES} == VALUES
    assert sort_value(column[by_name["h"]]) != sort_value(column[by_name["h"]])  # NaN: missing


def test_sorting_is_exact_and_missing_sorts_last(db) -> None:
    with db.read_view():
        rows = np.flatnonzero(db.alive)
        names = [db.document_id(int(i)).rsplit(":", 1)[1] for i in rows]
        gids = [global_id(db.document_id(int(i))) for i in rows]
    column = db.attribute("big")[rows]
    for ascending in (True, False):
        order = order_rows((q.SortKey("big", ascending),), np.zeros(len(rows)), lambda _: column, gids, 99)
        got = [names[i] for i in order]
        expected = sorted(VALUES, key=VALUES.get, reverse=not ascending) + ["h"]
        assert got == expected
    values = tuple(sort_value(v) for v in column)
    decoded = decode_sort_values(encode_sort_values(values))
    assert [v for v in decoded if v == v] == [VALUES[n] for n in names if n != "h"]
    assert all(type(v) is int for v in decoded if v == v)


def test_grouping_keeps_distinct_longs_apart(db, schema) -> None:
    with db.read_view():
        rows = np.flatnonzero(db.alive)
        gids = [global_id(db.document_id(int(i))) for i in rows]
        for field in ("big", "bigs"):
            root = grouping.run(parse_grouping(f"all(group({field}) each(output(count())))"), db, schema,
                                rows, np.zeros(len(rows)), gids)
            values = sorted(g.value for g in root.lists[0].groups)
            assert values == sorted(set(VALUES.values()) | ({7} if field == "bigs" else set()))
            assert all(type(v) is int for v in values)


def test_sum_min_max_of_longs_are_exact_through_the_wire_and_the_merge(db, schema) -> None:
    def merged(operation: str, parts: list[list[str]]):
        with db.read_view():
            by_name = {db.document_id(int(i)).rsplit(":", 1)[1]: int(i) for i in np.flatnonzero(db.alive)}
            partials = [grouping.run(parse_grouping(operation), db, schema, np.array([by_name[n] for n in part]),
                                     np.zeros(len(part)), [global_id(f"id:ns:big::{n}") for n in part])
                        for part in parts]  # as two nodes would answer
        return merge_groups([decode_group(encode_group(p)) for p in partials]).aggregates

    extremes = merged("all(output(min(big), max(big), count()))", [["a", "c", "h"], ["b", "d", "e", "f", "g"]])
    assert extremes == {"min(big)": MIN + 1, "max(big)": MAX, "count()": 8}
    assert type(extremes["min(big)"]) is int and type(extremes["max(big)"]) is int
    total = merged("all(output(sum(big)))", [["a", "g"], ["b", "h"]])["sum(big)"]
    assert total == 2 * P53 + 1 and type(total) is int  # a double would say 2^54
    empty = grouping.run(parse_grouping("all(output(min(big), max(big), sum(big)))"), db, schema,
                         np.zeros(0, dtype=np.int64), np.zeros(0), [])
    assert np.isnan(empty.aggregates["min(big)"]) and empty.aggregates["sum(big)"] == 0


def test_match_phase_keeps_the_exact_extremes(db) -> None:
    with db.read_view():
        rows = np.flatnonzero(db.alive)
        name = {int(i): db.document_id(int(i)).rsplit(":", 1)[1] for i in rows}
    # the 2 highest: MAX and MAX - 1 (one double); the lowest: MIN + 1, then -2^53 - 1
    assert {name[int(i)] for i in match_phase.limit(db, MatchPhase("big", 2), rows)} == {"c", "d"}
    a_and_b = np.array(sorted(i for i in rows.tolist() if name[i] in ("a", "b")))
    assert [name[int(i)] for i in match_phase.limit(db, MatchPhase("big", 1), a_and_b)] == ["b"]  # not a tie
    assert {name[int(i)] for i in match_phase.limit(db, MatchPhase("big", 1, ascending=True), rows)} == {"e"}
    assert {name[int(i)] for i in match_phase.limit(db, MatchPhase("big", 3, ascending=True), rows)} == {"e", "f", "g"}


def test_the_node_ranks_by_a_double_and_sorts_by_the_exact_long(tmp_path) -> None:
    sd = """schema doc {
      document doc { field big type long { indexing: attribute } }
      rank-profile by_big { first-phase { expression: attribute(big) } }
      rank-profile by_match { first-phase { expression: attributeMatch(big) } }
    }"""
    docs = [{"big": P53 + 1}, {"big": P53}, {}, {"big": MAX}]
    bed = RankingBed(sd, docs, tmp_path)
    term = q.Term("big", "9007199254740993")
    try:  # a rank feature is a double (as in Vespa): 2^53 + 1 ranks as 2^53; unset is NaN (last)
        assert bed.ranked("by_big", hits=4)[0] == ("3", float(MAX))
        assert sorted(r for _, r in bed.ranked("by_big", hits=4) if r == r) == [float(P53)] * 2 + [float(MAX)]
        outcome = bed.search("by_big", hits=4, sorting=(q.SortKey("big", False),))
        assert [h.sort_data[0] for h in outcome.hits][:3] == [MAX, P53 + 1, P53]
        assert bed.ids[outcome.hits[3].global_id].endswith("::2")  # missing: last
        assert bed.ranked("by_match", query=term) == [("0", 1.0)]  # exactly 2^53 + 1, not 2^53
        assert bed.ranked("by_match", query=q.Or((q.TrueItem(), term)), hits=4)[0] == ("0", 1.0)
        assert [r for _, r in bed.ranked("by_match", query=q.Or((q.TrueItem(), term)), hits=4)][1:] == [0.0] * 3
    finally:
        bed.close()


def test_values_survive_wal_replay_and_snapshot(schema, tmp_path) -> None:
    def values(database):
        column = database.attribute("bigs")
        with database.read_view():
            return {database.document_id(int(i)): (int(database.attribute("big")[i]) if name != "h" else None,
                                                   column[i])
                    for i in np.flatnonzero(database.alive)
                    for name in [database.document_id(int(i)).rsplit(":", 1)[1]]}

    with DocumentDB(schema, tmp_path) as database:
        for name, fields in DOCS.items():
            database.put(f"id:ns:big::{name}", fields)
        before = values(database)
        assert database.get("id:ns:big::b")["big"] == P53 + 1
    with DocumentDB(schema, tmp_path) as database:  # from the WAL
        assert values(database) == before
        database.snapshot()
    with DocumentDB(schema, tmp_path) as database:  # from the snapshot
        assert values(database) == before
        assert database.get("id:ns:big::c") == DOCS["c"]


def test_a_synthetic_long_outside_the_document_is_exact_in_summaries_and_snapshots(tmp_path) -> None:
    stamp = Field("stamp", FieldType("long"), is_attribute=True, is_summary=True, in_document=False)
    schema = Schema("s", "s", {"stamp": stamp})
    with DocumentDB(schema, tmp_path) as database:
        database.put("id:ns:s::1", {"stamp": P53 + 1})
        database.put("id:ns:s::2", {})
        database.snapshot()
    with DocumentDB(schema, tmp_path) as database:
        assert database.get("id:ns:s::1") == {"stamp": P53 + 1}
        assert database.get("id:ns:s::2") == {}


def test_same_element_compares_long_struct_fields_exactly(tmp_path) -> None:
    sd = """schema ev {
      document ev {
        struct event { field at type long {} }
        field events type array<event> { indexing: summary
          struct-field at { indexing: attribute } }
      }
    }"""
    schema = application_from_text(sd, name="ev.sd").schemas["ev"]
    with DocumentDB(schema, tmp_path) as database:
        database.put("id:ns:ev::1", {"events": [{"at": P53 + 1}]})
        database.put("id:ns:ev::2", {"events": [{"at": P53}]})
        for where, expected in (("events contains sameElement(at = 9007199254740993L)", ["1"]),
                                ("events contains sameElement(at < 9007199254740993L)", ["2"]),
                                ('events contains sameElement(at contains "9007199254740992")', ["2"])):
            assert matching(database, schema, where, "ev") == expected, where


def test_a_mutable_long_counts_exactly_and_is_flushed_exactly(tmp_path) -> None:
    counter = Field("counter", FieldType("long"), is_attribute=True, in_document=False,
                    attribute_properties=frozenset({"mutable"}))
    other = Field("title", FieldType("string"), is_summary=True)
    schema = Schema("s", "s", {"counter": counter, "title": other})
    gid = global_id("id:ns:s::1")
    with DocumentDB(schema, tmp_path) as database:
        database.put("id:ns:s::1", {"title": "x"})
        database.mutate("counter", np.array([database.local_id(gid)]), "=", P53)
        database.mutate("counter", np.array([database.local_id(gid)]), "+=", 1.0)
        database.put("id:ns:s::1", {"title": "y"})  # re-fed: the counter is carried over
        assert database.attribute("counter")[database.local_id(gid)] == P53 + 1
        database.mutate("counter", np.array([database.local_id(gid)]), "+=", 2.0)
        snapshot = database.snapshot()
    assert [d.mutable for d in read_snapshot(snapshot)[1]] == [{"counter": P53 + 3}]  # no double holds it
    with DocumentDB(schema, tmp_path) as database:  # the flush file written on close
        assert database.attribute("counter").dtype == np.int64
        assert int(database.attribute("counter")[database.local_id(gid)]) == P53 + 3


def test_arithmetic_updates_of_a_long_are_exact(db) -> None:
    assert db.update("id:ns:big::d", {"big": {"increment": 1}})
    assert db.get("id:ns:big::d")["big"] == MAX and db.attribute("big")[db.local_id(global_id("id:ns:big::d"))] == MAX
    assert db.update("id:ns:big::b", {"big": {"divide": 1}})
    assert db.get("id:ns:big::b")["big"] == P53 + 1
    assert db.update("id:ns:big::f", {"big": {"divide": 2}})
    assert db.get("id:ns:big::f")["big"] == -(P53 // 2)  # truncated toward zero, as an integer division


def test_query_codec_carries_integer_bounds_exactly() -> None:
    for node in (q.Range("big", P53 + 1, MAX), q.Range("big", MIN, None, low_inclusive=False),
                 q.Range("big", 1.5, 2.5), q.Range("big", None, -P53 - 1)):
        decoded = decode_query(encode_query(node))
        assert decoded == node and [type(b) for b in (decoded.low, decoded.high)] == \
            [type(b) for b in (node.low, node.high)]
