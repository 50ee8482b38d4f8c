"""Two content clusters (tests/apps/two_clusters: `music` holds songs, `library` books), one node
each: documents are routed by type, queries fan out to the clusters holding the schemas asked for
and the hits merge in the one hit order; the forms of `from` (`sources a, b`, `sources *`,
`cluster.*`, schemas or clusters) and YQL comments. Profile `byyear`: relevance = the year.

  songs  s1 "red river" 1990   s2 "blue moon" 1970   s3 "red sky" 2010
  books  b1 "red book"  2000   b2 "green river" 1980 b3 "red lines" 1960

`title contains "red"` over both: s3 2010, b1 2000, s1 1990, b3 1960.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster

APP = Path(__file__).resolve().parents[1] / "apps" / "two_clusters"
DOCS = {("song", "s1"): ("red river", 1990), ("song", "s2"): ("blue moon", 1970), ("song", "s3"): ("red sky", 2010),
        ("book", "b1"): ("red book", 2000), ("book", "b2"): ("green river", 1980), ("book", "b3"): ("red lines", 1960)}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("two_clusters"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            for (doctype, user_id), (title, year) in DOCS.items():
                response = client.post(f"/document/v1/test/{doctype}/docid/{user_id}",
                                       json={"fields": {"title": title, "year": year}})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, source: str = "sources *", **parameters) -> dict:
    response = http.get("/search/", params={"yql": f'select * from {source} where title contains "red"',
                                           "ranking": "byyear", **parameters})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def ids(root: dict) -> list[str]:
    return [hit["id"].rsplit(":", 1)[1] for hit in root.get("children", [])]


def test_each_node_holds_only_its_clusters_documents(http) -> None:
    nodes = http.get("/state/v1/nodes").json()["nodes"]
    assert [(n["cluster"], n["distribution_key"], n["documents"]) for n in nodes] == [("music", 0, 3), ("library", 1, 3)]
    book = http.get("/document/v1/test/book/docid/b1")
    assert book.status_code == 200 and book.json()["fields"]["title"] == "red book"
    visited = http.get("/document/v1/", params={"cluster": "library"}).json()["documents"]
    assert sorted(d["id"] for d in visited) == ["id:test:book::b1", "id:test:book::b2", "id:test:book::b3"]
    visited = http.get("/document/v1/test/song/docid").json()["documents"]
    assert sorted(d["id"] for d in visited) == ["id:test:song::s1", "id:test:song::s2", "id:test:song::s3"]


def test_query_over_all_clusters_merges_hits_in_one_order(http) -> None:
    root = search(http)
    assert ids(root) == ["s3", "b1", "s1", "b3"]
    assert root["fields"]["totalCount"] == 4
    assert [hit["relevance"] for hit in root["children"]] == [2010, 2000, 1990, 1960]
    assert [hit["source"] for hit in root["children"]] == ["music", "library", "music", "library"]
    assert root["coverage"]["full"] and root["coverage"]["coverage"] == 100
    assert ids(search(http, hits=2, offset=1)) == ["b1", "s1"]  # the window is cut after the merge
    assert ids(search(http, sorting="+year")) == ["b3", "s1", "b1", "s3"]


@pytest.mark.parametrize("source, parameters, expected", [
    ("song", {}, ["s3", "s1"]),  # a schema
    ("sources library", {}, ["b1", "b3"]),  # a content cluster by its id
    ("sources music, book", {}, ["s3", "b1", "s1", "b3"]),
    ("sources song, book", {}, ["s3", "b1", "s1", "b3"]),  # two schemas, one in each cluster
    ("sources music.*", {}, ["s3", "s1"]),  # `cluster.*` names the cluster
    ("sources library.*, song", {}, ["s3", "b1", "s1", "b3"]),
    ("sources music, song", {}, ["s3", "s1"]),  # a cluster and its own schema: each hit once
    ("sources", {}, ["s3", "b1", "s1", "b3"]),  # `from sources where`: every source
    ("sources *", {"sources": "library"}, ["b1", "b3"]),  # model.sources
    ("sources *", {"restrict": "song"}, ["s3", "s1"]),  # model.restrict
])
def test_sources_and_restrict_select_clusters(http, source, parameters, expected) -> None:
    root = search(http, source, **parameters)
    assert ids(root) == expected and root["fields"]["totalCount"] == len(expected)


def test_comments_in_yql_are_blanks(http) -> None:
    yql = ('select /* every field */ * from sources library, // the books\n music '
           'where title /* the field */ contains "red" // not "blue"\n'
           'and year > 1965 /* drops b3 */ order by year desc')
    response = http.get("/search/", params={"yql": yql, "ranking": "byyear"})
    assert response.status_code == 200, response.text
    assert ids(response.json()["root"]) == ["s3", "b1", "s1"]
    unterminated = http.get("/search/", params={"yql": 'select * from sources * where true /* never closed'})
    assert unterminated.status_code == 400
    error = unterminated.json()["root"]["errors"][0]
    assert error["code"] == 3 and "Unterminated comment" in error["message"]  # Illegal query, as any YQL error


GROUPING = "all(output(count()) all(group(year) order(-max(year)) max(2) each(output(count()) max(1) " \
           "each(output(summary())))))"


def test_grouping_over_clusters_gives_each_clusters_root_group(http) -> None:
    """Vespa groups in each cluster's search chain and federation keeps every cluster's result:
    one `group:root:0` per cluster (music first, as services.xml lists it), counted over that
    cluster alone. year > 1965 matches s1 1990, s2 1970, s3 2010 (music) and b1 2000, b2 1980
    (library); a merge (which Vespa does not do) would give one root with count 5 and 2010, 2000."""
    response = http.get("/search/", params={"yql": f"select * from sources * where year > 1965 | {GROUPING}",
                                             "ranking": "byyear", "hits": 2})
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    assert root["fields"]["totalCount"] == 5
    hits = [c for c in root["children"] if not c["id"].startswith("group:")]
    assert [(h["id"].rsplit(":", 1)[1], h["source"]) for h in hits] == [("s3", "music"), ("b1", "library")]
    groups = [c for c in root["children"] if c["id"].startswith("group:")]
    assert [g["id"] for g in groups] == ["group:root:0", "group:root:0"]
    assert [g["fields"]["count()"] for g in groups] == [3, 2]
    for group, years, titles, source in [(groups[0], ["2010", "1990"], ["red sky", "red river"], "music"),
                                         (groups[1], ["2000", "1980"], ["red book", "green river"], "library")]:
        [year_list] = group["children"]
        assert year_list["id"] == "grouplist:year"
        assert [g["value"] for g in year_list["children"]] == years
        assert [g["fields"]["count()"] for g in year_list["children"]] == [1, 1]
        listed = [g["children"][0]["children"] for g in year_list["children"]]
        assert [[h["fields"]["title"] for h in hits] for hits in listed] == [[t] for t in titles]
        assert {h["source"] for hits in listed for h in hits} == {source}
    one_cluster = http.get("/search/", params={"yql": f"select * from book where year > 1965 | {GROUPING}"})
    assert one_cluster.status_code == 200
    [only] = [c for c in one_cluster.json()["root"]["children"] if c["id"].startswith("group:")]
    assert only["fields"]["count()"] == 2


def test_bad_requests_across_clusters_are_4xx(http) -> None:
    unknown = http.get("/document/v1/", params={"cluster": "nope"})
    assert unknown.status_code == 400 and "no content cluster 'nope'" in unknown.json()["message"]
