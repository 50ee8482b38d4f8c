"""Matching in a streaming document type (content_node/streaming.py), against expectations worked
out by hand from Vespa's streaming-search and schema `match` documentation: words are normalized
but never stemmed; `match: prefix|substring|suffix` (or a term's annotation) matches a token that
starts with / holds / ends with the term, and the words it matches rank as one query term."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from content_node.streaming import matching_words, streamed_query
from searchlib.query import tree as q
from searchlib.schema.application import application_from_sources

SD = """schema mail {
    document mail {
        field subject type string {
            indexing: index | summary
            index: enable-bm25
        }
        field title type string {
            indexing: index | summary
            match: prefix
        }
        field folder type string {
            indexing: attribute | summary
            match: suffix
        }
    }
    fieldset default { fields: subject, title }
    rank-profile bm25 {
        first-phase { expression: bm25(subject) }
    }
    rank-profile terms {
        first-phase { expression: fieldTermMatch(subject, 0).occurrences }
        match-features: fieldTermMatch(subject, 0).occurrences fieldTermMatch(subject, 0).firstPosition
    }
}
"""
SERVICES = """<services version="1.0">
  <container id="c" version="1.0"><search/><document-api/></container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="mail" mode="{mode}"/></documents>
    <nodes><node hostalias="node0" distribution-key="0"/></nodes>
  </content>
</services>
"""
# group, subject, title, folder
DOCS = [("alice", "we meet at the meeting on meetings day", "Reports", "inbox/work"),
        ("alice", "a greeting meeting", "Quarterly", "work"),
        ("alice", "Sheets of paper", "Report", "archive"),
        ("bob", "meeting notes", "Reports", "bob/work")]
VOCABULARY = np.asarray(["meeting", "meetings", "meet", "greet", "sheet", "greeting"], dtype=np.str_)


def _schema(mode: str):
    return application_from_sources({"schemas/mail.sd": SD, "services.xml": SERVICES.format(mode=mode)}).schemas["mail"]


@pytest.mark.parametrize("algorithm, term, expected", [
    ("prefix", "meet", ["meet", "meeting", "meetings"]),
    ("prefix", "greeting", ["greeting"]),
    ("suffix", "eet", ["greet", "meet", "sheet"]),
    ("suffix", "ing", ["greeting", "meeting"]),
    ("substring", "eti", ["greeting", "meeting", "meetings"]),
    ("substring", "xyz", []),
    ("", "meet", ["meet"]),  # no algorithm: the word itself
])
def test_matching_words_by_algorithm(algorithm, term, expected) -> None:
    assert matching_words([VOCABULARY], algorithm, term) == expected


def test_matching_words_over_several_vocabularies_are_distinct_and_sorted() -> None:
    other = np.asarray(["meetup", "meet"], dtype=np.str_)
    assert matching_words([VOCABULARY, other, np.asarray([], dtype=np.str_)], "prefix", "meet") == [
        "meet", "meeting", "meetings", "meetup"]


def test_streamed_query_expands_terms_into_one_equiv_term() -> None:
    schema = _schema("streaming")
    words = {"subject": VOCABULARY, "title": np.asarray(["report", "reports", "quarterly"], dtype=np.str_)}.get
    # the field's algorithm (title: prefix); an annotation on a plain field; a fieldset unites its fields
    assert streamed_query(q.Term("title", "rep"), schema, words) == q.Term(
        "title", q.equiv_key(("report", "reports")), affix="prefix")
    assert streamed_query(q.Term("subject", "ing", affix="suffix"), schema, words) == q.Term(
        "subject", q.equiv_key(("greeting", "meeting")), affix="suffix")
    assert streamed_query(q.Term("title", "quart"), schema, words) == q.Term("title", "quarterly", affix="prefix")
    assert streamed_query(q.Term("default", "meetings", affix="prefix"), schema, words) == q.Term(
        "default", "meetings", affix="prefix")
    # a whole word stays; nothing matched keeps the term (which no dictionary holds)
    assert streamed_query(q.Term("subject", "meet"), schema, words) == q.Term("subject", "meet")
    assert streamed_query(q.Term("title", "zz"), schema, words) == q.Term("title", "zz", affix="prefix")
    # an attribute matches values by the affix itself
    assert streamed_query(q.Term("folder", "work"), schema, words) == q.Term("folder", "work", affix="suffix")
    # inside operators, and fuzzy/regex on an indexed field become the words they match
    tree = q.And((q.Not(q.Term("title", "quart")), q.Fuzzy("subject", "meetinx", max_edit_distance=1),
                  q.Regex("subject", "^gree")))
    assert streamed_query(tree, schema, words) == q.And((
        q.Not(q.Term("title", "quarterly", affix="prefix")), q.Term("subject", "meeting"),
        q.Term("subject", q.equiv_key(("greet", "greeting")))))
    # each word of a phrase on a field with an algorithm matches by it
    assert streamed_query(q.Phrase("title", ("quart", "rep")), schema, words) == q.Phrase(
        "title", ("quarterly", q.equiv_key(("report", "reports"))))
    assert streamed_query(q.Phrase("subject", ("meet", "x")), schema, words) == q.Phrase("subject", ("meet", "x"))
    # an indexed type is matched as before
    assert streamed_query(q.Term("title", "rep"), _schema("index"), words) == q.Term("title", "rep")


@pytest.fixture()
def node(tmp_path: Path):
    schema = _schema("streaming")
    db = DocumentDB(schema, tmp_path / "db")
    for i, (group, subject, title, folder) in enumerate(DOCS):
        db.put(f"id:mail:mail:g={group}:{i}", {"subject": subject, "title": title, "folder": folder})
    yield schema, db
    db.close()


def _search(node, query: q.QueryNode, group: str = "alice", profile: str = "terms") -> dict[str, dict[str, float]]:
    schema, db = node
    program = RankProgram(schema, schema.rank_profiles[profile])
    outcome = matcher.search(db, program, matcher.SearchParams(
        query=query, hits=10, streaming_selection=f'id.group == "{group}"'))
    local = {db.local_id(hit.global_id): hit for hit in outcome.hits}
    if profile != "terms":
        return {db.document_id(row).rsplit(":", 1)[1]: hit.relevance for row, hit in local.items()}
    return {db.document_id(row).rsplit(":", 1)[1]: hit.match_features for row, hit in local.items()}


def test_a_prefix_term_matches_and_ranks_as_one_term_within_the_group(node) -> None:
    found = _search(node, q.Term("subject", "meet", affix="prefix"))
    # doc 0: "we meet at the meeting on meetings day": meet(1), meeting(4), meetings(6) → 3, first at 1
    # doc 1: "a greeting meeting": meeting(2) only (greeting does not start with "meet")
    assert found == {"0": {"fieldTermMatch(subject,0).occurrences": 3.0,
                           "fieldTermMatch(subject,0).firstPosition": 1.0},
                     "1": {"fieldTermMatch(subject,0).occurrences": 1.0,
                           "fieldTermMatch(subject,0).firstPosition": 2.0}}
    assert set(_search(node, q.Term("subject", "meet", affix="prefix"), "bob")) == {"3"}


def test_words_are_not_stemmed_and_field_algorithms_apply(node) -> None:
    assert set(_search(node, q.Term("subject", "meeting"))) == {"0", "1"}
    assert set(_search(node, q.Term("subject", "meetings"))) == {"0"}
    assert set(_search(node, q.Term("subject", "sheet"))) == set()  # "Sheets" is not stemmed to it
    assert set(_search(node, q.Term("subject", "sheet", affix="prefix"))) == {"2"}
    assert set(_search(node, q.Term("title", "report"))) == {"0", "2"}  # match: prefix
    assert set(_search(node, q.Term("folder", "work"))) == {"0", "1"}  # attribute, match: suffix
    assert set(_search(node, q.Fuzzy("subject", "meetinx", max_edit_distance=1))) == {"0", "1"}
    assert set(_search(node, q.Fuzzy("subject", "qqqqqqq", max_edit_distance=1))) == set()  # no word


def test_bm25_counts_the_words_a_prefix_matches_as_one_term(node) -> None:
    # one term "meet*": doc 1 "a greeting meeting": f = 1, |d| = 3; doc 0: f = 3, |d| = 8. Streaming
    # keeps no statistics (term_statistics.StreamedIndex): n = 0 of N = 1, held at 1 of 1 as Vespa's
    # Bm25Utils does, so idf = log(1 + 0.5/1.5) = log(4/3); and avgdl = 100
    idf = math.log(4 / 3)

    def bm25(f: int, length: int) -> float:
        return idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * length / 100))
    found = _search(node, q.Term("subject", "meet", affix="prefix"), profile="bm25")
    assert found == pytest.approx({"0": bm25(3, 8), "1": bm25(1, 3)})
    # a significance model's (frequency, count) (searchlib.significance) is the one statistic it has
    given = _search(node, q.Term("subject", "meet", affix="prefix", document_frequency=(9, 1000)), profile="bm25")
    model_idf = math.log(1 + (1000 - 9 + 0.5) / (9 + 0.5))
    assert given == pytest.approx({"0": bm25(3, 8) * model_idf / idf, "1": bm25(1, 3) * model_idf / idf})


def test_words_under_any_composite_match_by_the_field_algorithm() -> None:
    schema = _schema("streaming")
    words = {"subject": VOCABULARY, "title": np.asarray(["report", "reports", "quarterly"], dtype=np.str_)}.get
    reports = q.equiv_key(("report", "reports"))
    # near/onear words (negatives too), an equiv's words (flattened), a phrase inside near
    assert streamed_query(q.Near("title", ("rep", "quart"), negative=("zz",)), schema, words) == q.Near(
        "title", (reports, "quarterly"), negative=("zz",))
    assert streamed_query(q.Equiv("title", ("rep", "zz", "quart")), schema, words) == q.Equiv(
        "title", ("report", "reports", "zz", "quarterly"))
    assert streamed_query(q.Near("title", (q.phrase_key(("quart", "rep")), "x")), schema, words) == q.Near(
        "title", (q.phrase_key(("quarterly", q.equiv_key(("report", "reports"), inner=True))), "x"))
    # under sameElement (children relative to the field) and deep inside other composites
    assert streamed_query(q.SameElement("title", (q.Term("", "quart"),)), schema, words) == q.SameElement(
        "title", (q.Term("", "quarterly", affix="prefix"),))
    tree = q.Rank((q.WeakAnd((q.Or((q.Term("title", "quart"),)),)), q.Not(q.Near("title", ("rep",)))))
    assert streamed_query(tree, schema, words) == q.Rank((q.WeakAnd((q.Or((
        q.Term("title", "quarterly", affix="prefix"),)),)), q.Not(q.Near("title", (reports,)))))


def test_near_and_equiv_match_with_the_words_a_prefix_matches(node) -> None:
    # title (prefix): doc 0 "Reports", 1 "Quarterly", 2 "Report" (alice); near over one field value
    assert set(_search(node, q.Equiv("title", ("rep", "zz")))) == {"0", "2"}
    assert set(_search(node, q.Equiv("title", ("quart", "zz")))) == {"1"}
    assert set(_search(node, q.Near("title", ("rep",), distance=2))) == {"0", "2"}
    assert set(_search(node, q.Near("subject", ("meet", "day"), distance=2))) == set()  # subject: plain
    assert set(_search(node, q.Near("subject", ("greeting", "meeting"), distance=1, ordered=True))) == {"1"}
    assert set(_search(node, q.Near("default", ("meeting", "rep"), distance=20))) == set()  # two fields


def test_a_fieldset_matches_each_field_by_its_own_algorithm() -> None:
    schema = _schema("streaming")
    words = {"subject": np.asarray(["rep", "repairs"], dtype=np.str_),
             "title": np.asarray(["report", "repairs"], dtype=np.str_)}.get
    # default = subject (plain) + title (prefix): each field's words are its own, in one equiv term
    assert streamed_query(q.Term("default", "rep"), schema, words) == q.Term("default", q.equiv_key((
        q.field_word("subject", "rep"), q.field_word("title", "repairs"), q.field_word("title", "report"))),
        affix="prefix")
    # the query's annotation applies to every field alike
    assert streamed_query(q.Term("default", "rep", affix="prefix"), schema, words) == q.Term(
        "default", q.equiv_key(("rep", "repairs", "report")), affix="prefix")


def test_a_fieldset_term_matches_and_ranks_as_one_term_by_each_fields_algorithm(tmp_path: Path) -> None:
    schema = _schema("streaming")
    db = DocumentDB(schema, tmp_path / "db")
    for i, (subject, title) in enumerate([("repairs done", "Misc"),             # 0: only subject "repairs"
                                          ("rep repairs rep", "Reports weekly"),  # 1: subject "rep" twice
                                          ("nothing", "Repairs")]):               # 2: title prefix
        db.put(f"id:mail:mail:g=alice:{i}", {"subject": subject, "title": title, "folder": "x"})
    try:
        found = _search((schema, db), q.Term("default", "rep"))
        # subject is plain: "rep" (positions 0 and 2), never "repairs"; term 0 is the one query term
        assert found == {"1": {"fieldTermMatch(subject,0).occurrences": 2.0,
                               "fieldTermMatch(subject,0).firstPosition": 0.0},
                         "2": {"fieldTermMatch(subject,0).occurrences": 0.0,
                               "fieldTermMatch(subject,0).firstPosition": 1e6}}
        assert set(_search((schema, db), q.Phrase("default", ("rep", "repairs")))) == {"1"}
        # near/onear read the positions of the words a prefix matches: "Reports weekly" (title)
        assert set(_search((schema, db), q.Near("title", ("week", "rep"), distance=1))) == {"1"}
        assert set(_search((schema, db), q.Near("title", ("rep", "week"), distance=1, ordered=True))) == {"1"}
        assert set(_search((schema, db), q.Near("title", ("week", "rep"), distance=1, ordered=True))) == set()
        assert set(_search((schema, db), q.Near("title", ("rep", "week"), distance=0))) == set()
    finally:
        db.close()


def test_a_data_dir_indexed_with_stemming_is_reindexed_when_the_type_becomes_streaming(tmp_path: Path) -> None:
    # made by a node of the same type in index mode (stemmed words), closed with an index image
    db = DocumentDB(_schema("index"), tmp_path / "db")
    db.put("id:mail:mail:g=alice:0", {"subject": "weekly meetings", "title": "Reports", "folder": "x"})
    db.close()
    assert list((tmp_path / "db").rglob("index-*.img"))
    schema = _schema("streaming")
    db = DocumentDB(schema, tmp_path / "db")  # the image holds "meet": the words are re-indexed unstemmed
    try:
        assert set(_search((schema, db), q.Term("subject", "meetings"))) == {"0"}
        assert set(_search((schema, db), q.Term("subject", "meet"))) == set()
    finally:
        db.close()
