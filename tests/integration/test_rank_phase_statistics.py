"""phased-ranking.md "Rank phase statistics" end to end on a real 2-node cluster: the music schema,
rank_albums_track counters checked against counts computed here, the reset profiles sent to every
node with model.searchPath, values surviving a restart, and no lost increments under concurrency."""
from __future__ import annotations

import collections
import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from searchlib.docid import global_id

MUSIC_APP = Path(__file__).resolve().parents[1] / "apps" / "music"
NODES = 2
WORDS = ("head", "love", "night", "blue", "road")
DOC_COUNT = 30
COUNTERS = ("match_count", "first_phase_count", "second_phase_count", "summary_count")
PHASES = ("match", "first_phase", "second_phase", "summary")


def _doc_id(i: int) -> str:
    return f"id:test:music::{i}"


def _album(i: int) -> str:
    return f"{WORDS[i % len(WORDS)]} {WORDS[(i * 3 + 1) % len(WORDS)]} album {i}"


# The first-phase score (user_profile * category score) falls as the global id rises, so the hit
# order is the same whether ties are broken by score or by global id.
_BY_GID = sorted(range(DOC_COUNT), key=lambda i: global_id(_doc_id(i)))
SCORE = {i: float(DOC_COUNT - rank) for rank, i in enumerate(_BY_GID)}


def _fields(i: int) -> dict:
    return {"artist": f"artist {i % 7}", "album": _album(i), "year": 1980 + i,
            "category_scores": {"cells": [{"address": {"cat": "pop"}, "value": SCORE[i]}]}}


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    with LocalCluster(MUSIC_APP, tmp_path_factory.mktemp("music"), nodes=NODES) as running:
        yield running


@pytest.fixture(scope="module")
def http(music):
    with httpx.Client(base_url=music.url, timeout=30.0) as client:
        for i in range(DOC_COUNT):
            response = client.post(f"/document/v1/test/music/docid/{i}", json={"fields": _fields(i)})
            assert response.status_code == 200, response.text
        yield client


def _search(http: httpx.Client, **params) -> dict:
    response = http.get("/search/", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _hit_ids(body: dict) -> list[str]:
    return [hit["id"] for hit in body["root"].get("children", [])]


def _docs_on_node(http: httpx.Client, node: int) -> set[str]:
    body = _search(http, yql="select * from music where true", hits=400,
                   **{"model.searchPath": f"{node}/0"})
    assert body["root"]["coverage"]["nodes"] == 1
    return set(_hit_ids(body))


def _counters(http: httpx.Client) -> dict[str, dict[str, int]]:
    body = _search(http, yql="select * from music where true", hits=400,
                   **{"presentation.summary": "rank_phase_statistics"})
    stats = {hit["id"]: {c: hit["fields"][c] for c in COUNTERS} for hit in body["root"]["children"]}
    assert len(stats) == DOC_COUNT
    return stats


def _reset_all(http: httpx.Client) -> None:
    for phase in PHASES:
        for node in range(NODES):
            body = _search(http, yql="select * from music where true", ranking=f"rank_albums_reset_on_{phase}",
                           hits=0, **{"model.searchPath": f"{node}/0"})
            assert body["root"]["fields"]["totalCount"] == len(_docs_on_node(http, node))


# (word, hits, offset): a known query load; hits=0 fills nothing, so it adds no summary counts.
LOAD = [("head", 3, 0), ("love", 10, 0), ("night", 0, 0), ("blue", 2, 1), ("road", 5, 0),
        ("head", 1, 0), ("album", 4, 2), ("love", 0, 0), ("night", 6, 0), ("album", 10, 0)]


def _expected_counts(node_of: dict[str, int], returned: list[list[str]]) -> dict[str, dict[str, int]]:
    expected = {_doc_id(i): dict.fromkeys(COUNTERS, 0) for i in range(DOC_COUNT)}
    for (word, _, _), hit_ids in zip(LOAD, returned):
        matched = [i for i in range(DOC_COUNT) if word in _album(i).split()]
        for i in matched:
            expected[_doc_id(i)]["match_count"] += 1
            expected[_doc_id(i)]["first_phase_count"] += 1  # no rank-score-drop-limit
        for node in range(NODES):  # rerank-count 1 is per node: each node's best first-phase doc
            on_node = [i for i in matched if node_of[_doc_id(i)] == node]
            if on_node:
                expected[_doc_id(max(on_node, key=SCORE.__getitem__))]["second_phase_count"] += 1
        for hit_id in hit_ids:  # rank_albums has summary-features, so each filled hit counts
            expected[hit_id]["summary_count"] += 1
    return expected


def test_counters_count_each_phase_exactly_survive_restart_and_reset(music, http):
    node_of = {doc: node for node in range(NODES) for doc in _docs_on_node(http, node)}
    assert len(node_of) == DOC_COUNT and set(node_of.values()) == set(range(NODES))
    _reset_all(http)
    assert all(v == 0 for stats in _counters(http).values() for v in stats.values())

    returned = []
    for word, hits, offset in LOAD:
        body = _search(http, yql=f"select * from music where album contains '{word}'",
                       ranking="rank_albums_track", hits=hits, offset=offset,
                       **{"input.query(user_profile)": "1"})
        returned.append(_hit_ids(body))
        assert len(returned[-1]) == min(hits, max(body["root"]["fields"]["totalCount"] - offset, 0))
    expected = _expected_counts(node_of, returned)
    assert _counters(http) == expected
    assert sum(s["second_phase_count"] for s in expected.values()) > len(LOAD)  # both nodes reranked

    for node in range(NODES):
        music.restart_node(node)
    assert _counters(http) == expected

    sorted_body = _search(http, yql="select * from music where true order by match_count desc, year asc",
                          hits=5, **{"presentation.summary": "rank_phase_statistics"})
    by_count = sorted(expected, key=lambda d: (-expected[d]["match_count"], int(d.rsplit(":", 1)[1])))
    assert _hit_ids(sorted_body) == by_count[:5]

    for phase, counter in zip(PHASES, COUNTERS):
        for node in range(NODES):
            _search(http, yql="select * from music where true", ranking=f"rank_albums_reset_on_{phase}",
                    hits=0, **{"model.searchPath": f"{node}/0"})
        after = _counters(http)
        assert all(stats[counter] == 0 for stats in after.values())
        assert any(stats[c] for stats in after.values() for c in COUNTERS[COUNTERS.index(counter) + 1:]) \
            or counter == COUNTERS[-1]


def test_search_path_sends_the_query_to_one_node_only(music, http):
    _reset_all(http)
    on_zero = _docs_on_node(http, 0)
    _search(http, yql="select * from music where true", ranking="rank_albums_track", hits=0,
            **{"model.searchPath": "0/0"})
    stats = _counters(http)
    assert {doc for doc, s in stats.items() if s["match_count"] == 1} == on_zero
    assert all(s["match_count"] == 0 for doc, s in stats.items() if doc not in on_zero)
    bad = http.get("/search/", params={"yql": "select * from music where true", "model.searchPath": "0/5"})
    assert bad.status_code == 400


def test_concurrent_clients_lose_no_increments(music, http):
    _reset_all(http)
    clients, queries_each = 4, 12

    def run(client_number: int) -> collections.Counter:
        shown: collections.Counter = collections.Counter()
        with httpx.Client(base_url=music.url, timeout=60.0) as own:
            for q in range(queries_each):
                body = _search(own, yql="select * from music where true", ranking="rank_albums_track",
                               hits=(client_number + q) % 4)
                shown.update(_hit_ids(body))
        return shown

    with ThreadPoolExecutor(clients) as pool:
        shown = sum(pool.map(run, range(clients)), collections.Counter())
    total = clients * queries_each
    stats = _counters(http)
    assert all(s["match_count"] == total and s["first_phase_count"] == total for s in stats.values())
    assert sum(s["second_phase_count"] for s in stats.values()) == total * NODES
    assert {doc: s["summary_count"] for doc, s in stats.items() if s["summary_count"]} == dict(shown)


def _flushed_match_counts(music, node: int) -> int:
    path = music.data_dir / f"content-node-{node}" / "music" / "mutable-attributes.json"
    if not path.exists():
        return -1
    content = json.loads(path.read_text())
    column = content["attributes"].index("match_count")
    return sum(row[column] for row in content["documents"].values())


def test_flushed_counters_survive_kill_9(music, http):
    """Counters are flushed at most a second after they change (store/mutable_attributes.py); once
    flushed they survive a crash without a graceful shutdown."""
    _reset_all(http)
    for _ in range(3):
        _search(http, yql="select * from music where true", ranking="rank_albums_track", hits=0)
    on_node = {node: len(_docs_on_node(http, node)) for node in range(NODES)}
    deadline = time.monotonic() + 30
    while any(_flushed_match_counts(music, n) != 3 * on_node[n] for n in range(NODES)):
        assert time.monotonic() < deadline, "mutable attributes were not flushed within 30 s"
        time.sleep(0.2)
    for node in range(NODES):
        music.kill_node(node, signal.SIGKILL)
        music.restart_node(node)
    assert all(s["match_count"] == 3 for s in _counters(http).values())


def test_total_rerank_count_is_spread_over_the_nodes(http) -> None:
    """total-rerank-count: 5 over 2 nodes: each reranks its ceil(5/2) = 3 best, so 6 hits carry the
    second-phase score (the year); a query's totalRerankCount or rerankCount replaces the profile's."""
    def reranked(**params) -> int:
        body = _search(http, yql="select * from music where true", ranking="rank_albums_total", hits=DOC_COUNT,
                       **{"input.query(user_profile)": "1", **params})
        years = {hit["id"]: 1980 + int(hit["id"].rsplit(":", 1)[1]) for hit in body["root"]["children"]}
        return sum(hit["relevance"] == years[hit["id"]] for hit in body["root"]["children"])

    assert reranked() == 2 * 3
    assert reranked(**{"ranking.secondPhase.totalRerankCount": "3"}) == 2 * 2
    assert reranked(**{"ranking.secondPhase.rerankCount": "1"}) == 2 * 1
