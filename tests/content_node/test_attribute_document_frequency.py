"""An attribute field in a fieldset adds its hit estimate to the item's document frequency (issue 22),
as Vespa's OR over the item's per-field blueprints sums their estimates (OrBlueprint::combine, at
most the document count): an attribute with `fast-search` estimates its posting list's size (the
documents holding a matching value), one without it every document. The cluster-wide statistics
carry those counts, so a split corpus ranks as one database. Values worked out by hand."""
from __future__ import annotations

import math

import pytest

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from content_node.term_statistics import collect
from searchlib.corpus_statistics import summed
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text
from searchlib.wire.statistics_codec import decode_statistics, encode_statistics

SD = """schema doc {
    document doc {
        field body type string {
            indexing: index | summary
            index: enable-bm25
        }
        field tag type string {
            indexing: attribute
            attribute: fast-search
        }
        field kind type string {
            indexing: attribute
        }
    }
    fieldset bt { fields: body, tag }
    fieldset bk { fields: body, kind }
    rank-profile items {
        first-phase { expression: bm25(body) }
        match-features: queryTermDocumentFrequency(body) bm25(body)
    }
    rank-profile items_global inherits items {
        rank-properties {
            vespa.ranking.globalstatistics: true
        }
    }
}
"""
SCHEMA = application_from_text(SD, name="doc.sd").schemas["doc"]
# red: body of docs 0, 2 (2); tag red of 0, 1, 3 ("Red": attributes match case-insensitively) (3)
# green: body of docs 1, 5 (2); tag green of 4 (1)
DOCS = [
    {"body": "red apple", "tag": "red", "kind": "a"},
    {"body": "green apple", "tag": "red", "kind": "b"},
    {"body": "red", "tag": "blue", "kind": "a"},
    {"body": "blue sky", "tag": "Red", "kind": "c"},
    {"body": "sky", "tag": "green", "kind": "d"},
    {"body": "grass green", "kind": "e"},
]
AVERAGE = 10 / 6  # body lengths 2 2 1 2 1 2


def bm25(df: int, tf: int, length: int, documents: int = 6) -> float:
    idf = math.log(1 + (documents - df + 0.5) / (df + 0.5))
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / AVERAGE))


def _database(tmp_path, name: str, docs: list[tuple[int, dict]]) -> DocumentDB:
    db = DocumentDB(SCHEMA, tmp_path / name)
    for i, fields in docs:
        db.put(f"id:test:doc::{i}", dict(fields))
    return db


def _hits(databases: list[DocumentDB], query: q.QueryNode, profile: str, statistics=None) -> dict[str, dict]:
    program = RankProgram(SCHEMA, SCHEMA.rank_profiles[profile])
    found = {}
    for db in databases:
        outcome = matcher.search(db, program, matcher.SearchParams(query=query, hits=100, corpus_statistics=statistics))
        for hit in outcome.hits:
            features = dict(hit.match_features)
            frequencies = {address["term"]: value for address, value in
                           features["queryTermDocumentFrequency(body)"].cells()}
            found[db.document_id(db.local_id(hit.global_id)).rsplit(":", 1)[1]] = {
                "df": frequencies, "bm25": features["bm25(body)"], "relevance": hit.relevance}
    return found


@pytest.fixture()
def whole(tmp_path):
    db = _database(tmp_path, "whole", list(enumerate(DOCS)))
    yield db
    db.close()


def test_fast_search_attribute_adds_its_posting_count(whole) -> None:
    hits = _hits([whole], q.Or((q.Term("bt", "red"), q.Term("bt", "green"))), "items")
    assert set(hits) == {"0", "1", "2", "3", "4", "5"}  # tag matches too: 3 and 4 by tag alone
    assert hits["2"]["df"] == {"0": 5.0, "1": 3.0}  # red 2 + 3, green 2 + 1 (index fields alone: 2, 2)
    assert hits["2"]["bm25"] == pytest.approx(bm25(5, 1, 1))
    assert hits["1"]["bm25"] == pytest.approx(bm25(3, 1, 2))
    assert hits["3"]["bm25"] == 0.0  # a tag match: nothing in body


def test_attribute_without_fast_search_counts_every_document(whole) -> None:
    hits = _hits([whole], q.Term("bk", "red"), "items")
    assert set(hits) == {"0", "2"}
    assert hits["0"]["df"] == {"0": 6.0}  # 2 + 6, at most the 6 documents: idf log(1 + 0.5 / 6.5)
    assert hits["0"]["bm25"] == pytest.approx(bm25(6, 1, 2))


def test_removed_documents_leave_the_estimate(whole) -> None:
    whole.remove("id:test:doc::1")  # tag red, body green apple
    hits = _hits([whole], q.Term("bt", "red"), "items")
    assert hits["2"]["df"] == {"0": 4.0}  # body 2 + tag 2 (0 and 3)


def test_cluster_statistics_sum_the_attribute_counts(tmp_path, whole) -> None:
    parts = [_database(tmp_path, "a", [(i, DOCS[i]) for i in (0, 2, 4)]),
             _database(tmp_path, "b", [(i, DOCS[i]) for i in (1, 3, 5)])]
    try:
        query = q.Or((q.Term("bt", "red"), q.Term("bk", "green")))
        counts = [collect(db, SCHEMA, query) for db in parts]
        assert [(c.terms[("tag", "red")], c.terms[("kind", "green")]) for c in counts] == [(1, 3), (2, 3)]
        statistics = decode_statistics(encode_statistics(summed(counts)))
        assert (statistics.terms[("tag", "red")], statistics.terms[("kind", "green")]) == (3, 6)
        split = _hits(parts, query, "items_global", statistics)
        assert split == _hits([whole], query, "items")  # one database ranks with its own counts
        assert split["2"]["df"] == {"0": 5.0, "1": 6.0}  # green: body 2 + every document, at most 6
        # per node, node a (docs 0, 2, 4): red in body 2, tag 1 -> 3 of its 3 documents
        assert _hits(parts, query, "items")["2"]["df"] == {"0": 3.0, "1": 3.0}
    finally:
        for db in parts:
            db.close()
