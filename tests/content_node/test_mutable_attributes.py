"""Mutable attributes on one content node, in-process: initial values from the indexing
expression, mutate per phase, flush and recovery (graceful and without close), thread safety."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.node import ContentNode
from content_node.store.mutable_attributes import initial_value
from searchlib.errors import SchemaError
from searchlib.query.yql import parse_yql
from searchlib.schema.model import Field, FieldType

MUSIC_APP = Path(__file__).resolve().parents[1] / "apps" / "music"


def _field(indexing: str, kind: str = "long") -> Field:
    return Field("c", FieldType(kind), indexing=indexing, is_attribute=True, in_document=False,
                 attribute_properties=frozenset({"mutable"}))


@pytest.mark.parametrize("indexing, kind, expected", [
    ("attribute | summary", "long", 0.0), ("7 | to_long | attribute | summary", "long", 7.0),
    ("-2 | to_int | attribute", "int", -2.0), ("2.5 | to_double | attribute", "double", 2.5),
    ("2.9 | attribute", "long", 2.0), ("1.5 | to_long | attribute", "double", 1.0)])
def test_initial_value_from_indexing(indexing, kind, expected):
    assert initial_value(_field(indexing, kind)) == expected


def test_unsupported_indexing_step_is_a_schema_error():
    with pytest.raises(SchemaError, match="to_lowercase"):
        initial_value(_field("7 | to_lowercase | attribute"))


def _app_with_initial_seven(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(MUSIC_APP, app)
    sd = app / "schemas" / "music.sd"
    text = sd.read_text()
    sd.write_text(text.replace("""    field match_count type long {
        indexing: attribute | summary""", """    field match_count type long {
        indexing: 7 | to_long | attribute | summary"""))
    return app


def _put(node: ContentNode, i: int, album: str) -> None:
    node.put(f"id:test:music::{i}", json.dumps({"album": album, "year": 2000 + i}))


def _stats(node: ContentNode, ids) -> list[dict]:
    from searchlib.docid import global_id
    docsums = node.fill("music", "", "rank_phase_statistics", [global_id(f"id:test:music::{i}") for i in ids],
                        None, {}, 0)
    return [d.fields for d in docsums]


def _query(node: ContentNode, text: str, profile: str = "rank_albums_track", hits: int = 10):
    parsed = parse_yql(f"select * from music where {text}")
    return node.search("music", profile, matcher.SearchParams(query=parsed.where, hits=hits))


def test_new_documents_start_at_the_indexing_constant_and_count_from_there(tmp_path):
    node = ContentNode(_app_with_initial_seven(tmp_path), tmp_path / "data", 0)
    for i in range(3):
        _put(node, i, "head" if i < 2 else "tail")
    _query(node, "album contains 'head'")
    assert [s["match_count"] for s in _stats(node, range(3))] == [8, 8, 7]
    assert [s["first_phase_count"] for s in _stats(node, range(3))] == [1, 1, 0]
    _query(node, "true", profile="rank_albums_reset_on_match")
    assert [s["match_count"] for s in _stats(node, range(3))] == [0, 0, 0]
    node.close()


def test_second_phase_mutates_only_the_rerank_heap_and_summary_only_filled_docs(tmp_path):
    node = ContentNode(MUSIC_APP, tmp_path / "data", 0)
    for i in range(5):
        _put(node, i, "head")
    outcome = _query(node, "true", hits=5)
    stats = _stats(node, range(5))
    assert sum(s["second_phase_count"] for s in stats) == 1  # rerank-count: 1
    best = outcome.hits[0].global_id
    node.fill("music", "rank_albums_track", "", [best], None, {}, 0)
    node.fill("music", "rank_albums", "", [best], None, {}, 0)  # no mutate in this profile
    from searchlib.docid import global_id
    counts = {global_id(f"id:test:music::{i}"): s["summary_count"] for i, s in enumerate(_stats(node, range(5)))}
    assert counts == {gid: int(gid == best) for gid in counts}
    node.close()


def test_values_survive_graceful_restart_and_a_flush_without_close(tmp_path):
    node = ContentNode(MUSIC_APP, tmp_path / "data", 0)
    for i in range(4):
        _put(node, i, "head" if i % 2 else "tail")
    _query(node, "album contains 'head'")
    _query(node, "true")
    node.close()
    node = ContentNode(MUSIC_APP, tmp_path / "data", 0)
    assert [s["match_count"] for s in _stats(node, range(4))] == [1, 2, 1, 2]
    _query(node, "true")
    node.databases["music"].flush_mutable_attributes()  # what the periodic flusher does
    crashed = ContentNode(MUSIC_APP, tmp_path / "data", 0)  # recovers without the first being closed
    assert [s["match_count"] for s in _stats(crashed, range(4))] == [2, 3, 2, 3]
    node.close()
    crashed.close()


def test_refeeding_a_document_keeps_its_counters(tmp_path):
    node = ContentNode(MUSIC_APP, tmp_path / "data", 0)
    _put(node, 0, "head")
    _query(node, "true")
    _put(node, 0, "tail and more words")  # re-indexed under a new local id
    _query(node, "true")
    assert _stats(node, [0])[0]["match_count"] == 2
    node.close()


def test_concurrent_mutations_lose_no_increments(tmp_path):
    schema = ContentNode(MUSIC_APP, tmp_path / "probe", 0).application.schemas["music"]
    db = DocumentDB(schema, tmp_path / "db")
    for i in range(50):
        db.put(f"id:test:music::{i}", {"album": "x", "year": i})
    rows = np.arange(50, dtype=np.int64)

    def hammer() -> None:
        for _ in range(200):
            db.mutate("match_count", rows, "+=", 1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.attribute("match_count")[rows].tolist() == [1600.0] * 50
    db.close()


CATALOG_APP = Path(__file__).resolve().parents[1] / "apps" / "catalog"


def test_counters_are_usable_in_ranking(tmp_path):
    node = ContentNode(CATALOG_APP, tmp_path / "data", 0)
    for i in range(4):
        node.put(f"id:test:item::{i}", json.dumps({"title": "red" if i < 2 else "blue", "year": 2000 + i}))
    parse = lambda text: parse_yql(f"select * from item where {text}").where  # noqa: E731
    node.search("item", "counted", matcher.SearchParams(query=parse("title contains 'red'"), hits=0))
    ranked = node.search("item", "by_views", matcher.SearchParams(query=parse("true"), hits=4))
    # views start at 3 and counted adds 2 (on-match and on-first-phase) to the two red items
    assert [h.relevance for h in ranked.hits] == [501.0, 500.0, 303.0, 302.0]
    node.close()
