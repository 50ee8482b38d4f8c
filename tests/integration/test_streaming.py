"""Streaming mode (tests/apps/streaming: `mail` in mode="streaming", two nodes): a query with
`streaming.groupname`/`streaming.userid`/`streaming.selection` searches exactly that group's
documents. Profile `bysize`: relevance = size.

  id:mail:mail:g=alice:1  "hello world"   size 10
  id:mail:mail:g=alice:2  "hello there"   size 20
  id:mail:mail:g=alice:3  "goodbye"       size 30
  id:mail:mail:g=bob:4    "hello bob"     size 40
  id:mail:mail:n=7:5      "hello seven"   size 50

and, for matching (Vespa's streaming search: words tokenized and normalized, never stemmed; each
field matched by its `match` algorithm, or a term by its {prefix|substring|suffix: true}):

  id   group  subject                   title (prefix)     tags (substring)  domain (suffix)   code (exact)  folder (attribute, prefix)
  10   alice  "Weekly meetings planned" "Quarterly report" "roadmap"         "mail.example.com" "AB-12"      "inbox/work"
  11   alice  "One meeting today"       "Reporting daily"  "sidequest"       "example.org"      "ab-12x"     "archive"
  12   bob    "weekly meetings too"     "Quarterly numbers" "roadmap"        "mail.example.com" "AB-12"      "inbox"
"""
from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster

APP = Path(__file__).resolve().parents[1] / "apps" / "streaming"
DOCS = [("group/alice", "1", "hello world", 10), ("group/alice", "2", "hello there", 20),
        ("group/alice", "3", "goodbye", 30), ("group/bob", "4", "hello bob", 40), ("number/7", "5", "hello seven", 50)]
TEXT_FIELDS = ("subject", "title", "tags", "domain", "code", "folder")
TEXT_DOCS = [("group/alice", "10", ("Weekly meetings planned", "Quarterly report", "roadmap", "mail.example.com",
                                    "AB-12", "inbox/work")),
             ("group/alice", "11", ("One meeting today", "Reporting daily", "sidequest", "example.org", "ab-12x",
                                    "archive")),
             ("group/bob", "12", ("weekly meetings too", "Quarterly numbers", "roadmap", "mail.example.com", "AB-12",
                                  "inbox"))]


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("streaming"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            for location, key, subject, size in DOCS:
                response = client.post(f"/document/v1/mail/mail/{location}/{key}",
                                       json={"fields": {"subject": subject, "size": size}})
                assert response.status_code == 200, response.text
            for location, key, values in TEXT_DOCS:
                response = client.post(f"/document/v1/mail/mail/{location}/{key}",
                                       json={"fields": dict(zip(TEXT_FIELDS, values))})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, **parameters) -> httpx.Response:
    return http.get("/search/", params={"yql": 'select * from mail where subject contains "hello"',
                                       "ranking": "bysize", **parameters})


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["fields"]["documentid"] for hit in response.json()["root"].get("children", [])]


@pytest.mark.parametrize("parameters, expected", [
    ({"streaming.groupname": "alice"}, ["id:mail:mail:g=alice:2", "id:mail:mail:g=alice:1"]),
    ({"streaming.groupname": "bob"}, ["id:mail:mail:g=bob:4"]),
    ({"streaming.groupname": "carol"}, []),
    ({"streaming.userid": "7"}, ["id:mail:mail:n=7:5"]),
    ({"streaming.selection": 'id.group == "alice" and mail.size > 15'}, ["id:mail:mail:g=alice:2"]),
    ({}, ["id:mail:mail:n=7:5", "id:mail:mail:g=bob:4", "id:mail:mail:g=alice:2", "id:mail:mail:g=alice:1"]),
])
def test_a_query_searches_exactly_its_group(http, parameters, expected) -> None:
    response = search(http, **parameters)
    assert ids(response) == expected
    assert response.json()["root"]["fields"]["totalCount"] == len(expected)


def test_documents_are_read_back_by_their_group_path(http) -> None:
    response = http.get("/document/v1/mail/mail/group/alice/3")
    assert response.status_code == 200 and response.json()["id"] == "id:mail:mail:g=alice:3"
    assert http.get("/document/v1/mail/mail/number/x/3").status_code == 400


@pytest.mark.parametrize("parameters, message", [
    ({"streaming.userid": "seven"}, "Invalid streaming.userid"),
    ({"streaming.selection": "mail.nosuch == 1"}, "Invalid streaming.selection"),
    ({"streaming.groupname": 'a"b'}, "Invalid streaming.groupname"),
])
def test_bad_streaming_parameters_are_400(http, parameters, message) -> None:
    response = search(http, **parameters)
    assert response.status_code == 400 and message in response.json()["root"]["errors"][0]["message"]


def matched(http: httpx.Client, where: str, group: str = "alice") -> list[str]:
    response = http.get("/search/", params={"yql": f"select * from mail where {where}", "ranking": "text",
                                            "streaming.groupname": group})
    return sorted(hit.split(":")[-1] for hit in ids(response))


@pytest.mark.parametrize("where, alice, bob", [
    # no stemming: "meeting" and "meetings" are different words (indexed mode stems both to one)
    ('subject contains "meeting"', ["11"], []),
    ('subject contains "meetings"', ["10"], ["12"]),
    ('subject contains "Weekly"', ["10"], ["12"]),  # normalized: lowercased
    # match: prefix — a token starting with the term
    ('title contains "report"', ["10", "11"], []),
    ('title contains "quart"', ["10"], ["12"]),
    ('title contains "port"', [], []),
    ('title contains phrase("quart", "rep")', ["10"], []),  # each word of a phrase by the algorithm
    # match: substring — a token holding the term
    ('tags contains "dma"', ["10"], ["12"]),
    ('tags contains "quest"', ["11"], []),
    ('tags contains "zz"', [], []),
    # match: suffix — a token ending with the term
    ('domain contains "ample"', ["10", "11"], ["12"]),
    ('domain contains "org"', ["11"], []),
    ('domain contains "exam"', [], []),
    # match: exact — the whole value, normalized
    ('code contains "ab-12"', ["10"], ["12"]),
    ('code contains "ab"', [], []),
    # a string attribute with match: prefix — the value starting with the term
    ('folder contains "inbox"', ["10"], ["12"]),
    ('folder contains "work"', [], []),
    # query annotations on a plain text field
    ('subject contains ({prefix: true}"meet")', ["10", "11"], ["12"]),
    ('subject contains ({substring: true}"eeting")', ["10", "11"], ["12"]),
    ('subject contains ({suffix: true}"ing")', ["11"], []),
    ('subject contains ({suffix: true}"ings")', ["10"], ["12"]),
    ('subject contains "meet"', [], []),  # without one: whole words
    # under near/onear/equiv too (near reads the positions of the words a prefix matches)
    ('title contains near("quart", "rep")', ["10"], []),
    ('title contains onear("rep", "quart")', [], []),
    ('title contains equiv("rep", "zz")', ["10", "11"], []),
    # a fieldset: each field by its own algorithm, the word one term
    ('words contains "report"', ["10", "11"], []),
    ('words contains "meeting"', ["11"], []),
    # fuzzy and regex on an indexed field
    ('subject contains ({maxEditDistance: 1}fuzzy("meetinx"))', ["11"], []),
    ('subject matches "^meet"', ["10", "11"], ["12"]),
])
def test_streaming_matching_within_a_group(http, where, alice, bob) -> None:
    assert matched(http, where, "alice") == alice
    assert matched(http, where, "bob") == bob  # documents of other groups never match


@pytest.mark.parametrize("query, alice", [
    ("subject:meet*", ["10", "11"]),  # Vespa's PrefixItem: streaming matches it on any field
    ("subject:meet", []),  # whole words
])
def test_user_query_prefixes_match_in_streaming(http, query, alice) -> None:
    response = http.get("/search/", params={"yql": "select * from mail where userQuery()", "query": query,
                                            "ranking": "text", "streaming.groupname": "alice"})
    assert sorted(hit.split(":")[-1] for hit in ids(response)) == alice


def test_affix_matches_rank_and_are_summarized(http) -> None:
    response = http.get("/search/", params={"yql": 'select * from mail where title contains "report"',
                                            "ranking": "text", "streaming.groupname": "alice"})
    hits = response.json()["root"]["children"]
    assert [hit["fields"]["title"] for hit in hits] == ["Quarterly report", "Reporting daily"] or \
        [hit["fields"]["title"] for hit in hits] == ["Reporting daily", "Quarterly report"]
    for hit in hits:
        assert hit["relevance"] > 0
        assert hit["fields"]["matchfeatures"]["matches(title)"] == 1.0
        assert hit["fields"]["matchfeatures"]["fieldMatch(title).matches"] == 1.0


def test_streaming_ranks_without_term_statistics(http) -> None:
    """Vespa's streaming search collects no term statistics (streaming-search.html): every term's
    significance is 1, bm25's idf that of 0 documents of 1, held at 1 of 1 (Bm25Utils):
    log(1 + 0.5 / 1.5) = log(4/3), and its average field length 100; so a document scores the same
    in whatever group, on whatever node, it is."""
    expected = math.log(4 / 3) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 100))  # "hello x": the term once, length 2
    for group, wanted in (("alice", {"id:mail:mail:g=alice:1", "id:mail:mail:g=alice:2"}),
                          ("bob", {"id:mail:mail:g=bob:4"})):
        response = search(http, ranking="bm25", **{"streaming.groupname": group})
        hits = response.json()["root"]["children"]
        assert {hit["fields"]["documentid"] for hit in hits} == wanted
        for hit in hits:
            features = hit["fields"]["matchfeatures"]
            assert features["bm25(subject)"] == pytest.approx(expected)
            assert hit["relevance"] == pytest.approx(expected)
            assert features["term(0).significance"] == 1.0


@pytest.mark.parametrize("where, field, expected", [
    # {prefix: true} and {substring: true}: every word the item's word begins (Vespa's juniper takes
    # both as prefix-like keywords); a substring in the middle of a word matches but is not highlighted
    ('subject contains ({prefix: true}"meet")', "subject_snippet", {"10": "Weekly <hi>meetings</hi> planned",
                                                            "11": "One <hi>meeting</hi> today"}),
    ('tags contains ({substring: true}"road")', "tags_snippet", {"10": "<hi>roadmap</hi>"}),
    ('tags contains ({substring: true}"quest")', "tags_snippet", {"11": "sidequest"}),
    ('subject contains ({suffix: true}"ings")', "subject_snippet", {"10": "Weekly meetings planned"}),  # not highlighted
])
def test_affix_matches_in_dynamic_summaries(http, where, field, expected) -> None:
    response = http.get("/search/", params={"yql": f"select * from mail where {where}", "streaming.groupname": "alice",
                                           "presentation.summary": "snippets"})
    assert response.status_code == 200, response.text
    found = {hit["id"].rsplit(":", 1)[-1]: hit["fields"][field] for hit in response.json()["root"]["children"]}
    assert found == expected

