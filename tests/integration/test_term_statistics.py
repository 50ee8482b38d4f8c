"""Cluster-wide term statistics end to end: a real 4-node cluster (processes, gRPC, HTTP) ranks a
small seeded corpus with `vespa.ranking.globalstatistics` exactly as one node holding all of it and
as two nodes do (in-process clusters on the same package: the same node and container code);
without the option the 4-node scores differ. The property over many corpora and splits is
tests/content_node/test_term_statistics.py."""
from __future__ import annotations

import math
import random
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.container.in_process import in_process_cluster

APP = Path(__file__).resolve().parents[1] / "apps" / "termstats"
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
QUERIES = ("alpha gamma kappa", "beta", "mu lambda zeta theta", '"gamma delta" iota')
EQUIV = 'select * from doc where default contains equiv("alpha", "mu", phrase("gamma", "delta"))'


def _corpus() -> dict[str, dict]:
    rng = random.Random(22)
    return {str(i): {"title": " ".join(rng.choices(WORDS[:6], k=rng.randint(0, 3))),
                     "text": " ".join(rng.choices(WORDS, k=rng.randint(0, 15)))} for i in range(60)}


def _relevances(get, profile: str, query: str, **params) -> dict[str, float]:
    """Relevance per hit of `query` through userQuery(), or of a YQL query (EQUIV)."""
    if query.startswith("select"):
        root = get(yql=query, ranking=profile, hits=100, **params)
    else:
        root = get(yql="select * from doc where userQuery()", query=query, ranking=profile, hits=100, **params)
    return {hit["id"]: hit["relevance"] for hit in root.get("children", ())}


def _summary_bm25(get, profile: str, query: str) -> dict[str, tuple[float, float]]:
    """(bm25(text) as a match-feature, as a summary-feature) per hit."""
    root = get(yql="select * from doc where userQuery()", query=query, ranking=profile, hits=100)
    return {hit["id"]: (hit["fields"]["matchfeatures"]["bm25(text)"], hit["fields"]["summaryfeatures"]["bm25(text)"])
            for hit in root.get("children", ())}


@pytest.fixture(scope="module")
def four_nodes(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("termstats"), nodes=4) as running, \
            httpx.Client(base_url=running.url, timeout=30.0) as http:
        for user_id, fields in _corpus().items():
            response = http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": fields})
            assert response.status_code == 200, response.text

        def get(**params) -> dict:
            response = http.get("/search/", params=params)
            assert response.status_code == 200, response.text
            return response.json()["root"]
        yield get


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[tuple[int, str, str], dict[str, float]]:
    """Relevances per (nodes, profile, query) on in-process clusters of 1 and 2 nodes."""
    found = {}
    for nodes in (1, 2):
        with in_process_cluster(APP, tmp_path_factory.mktemp(f"n{nodes}"), nodes=nodes) as cluster:
            cluster.feed("doc", _corpus())
            assert all(node.databases["doc"].doc_count for node in cluster.nodes)  # every node holds some
            for profile in ("local", "global"):
                for query in (*QUERIES, EQUIV):
                    found[(nodes, profile, query)] = _relevances(cluster.search, profile, query)
    return found


@pytest.mark.parametrize("query", (*QUERIES, EQUIV))
def test_identical_scores_on_one_two_and_four_nodes(four_nodes, reference, query) -> None:
    one = reference[(1, "global", query)]
    assert one and one == reference[(1, "local", query)]  # a single node's statistics are the corpus's
    assert reference[(2, "global", query)] == one
    assert _relevances(four_nodes, "global", query) == one


def test_per_node_statistics_differ_on_four_nodes(four_nodes, reference) -> None:
    query = QUERIES[0]
    local = _relevances(four_nodes, "local", query)
    assert local.keys() == reference[(1, "local", query)].keys()
    assert local != reference[(1, "local", query)]


def test_a_query_turns_the_option_on(four_nodes, reference) -> None:
    query = QUERIES[0]
    on = _relevances(four_nodes, "local", query, **{"ranking.properties.vespa.ranking.globalstatistics": "true"})
    assert on == reference[(1, "global", query)]
    off = _relevances(four_nodes, "global", query, **{"rankproperty.vespa.ranking.globalstatistics": "false"})
    assert off == _relevances(four_nodes, "local", query)


def test_summary_features_use_the_same_statistics(four_nodes) -> None:
    """The fill sends the search's sums again: a summary-feature equals the match-feature."""
    found = _summary_bm25(four_nodes, "global", QUERIES[0])
    assert found and all(match == summary for match, summary in found.values())
    local = _summary_bm25(four_nodes, "local", QUERIES[0])
    assert all(match == summary for match, summary in local.values())
    assert {k: v[0] for k, v in local.items()} != {k: v[0] for k, v in found.items()}


def _tokens(field: str) -> dict[str, list[str]]:
    return {user_id: fields[field].split() for user_id, fields in _corpus().items()}


def _occurrences(words: list[str], phrase: tuple[str, ...]) -> int:
    return sum(words[i:i + len(phrase)] == list(phrase) for i in range(len(words) - len(phrase) + 1))


def _estimate(phrase: tuple[str, ...]) -> int:
    """A word's or phrase's document frequency searched in title and text (the default fieldset):
    per field its rarest word's count, summed over the fields (an OR of per-field blueprints)."""
    return min(sum(min(sum(word in words for words in _tokens(field).values()) for word in phrase)
                   for field in ("title", "text")), len(_corpus()))


def _bm25(alternatives: tuple[tuple[str, ...], ...], field: str) -> dict[str, float]:
    """bm25(field) of one query item over the whole corpus, as Vespa scores it (worked from the
    tokens): a phrase or an equiv is one term; its frequency the phrase's occurrences, an equiv's
    the sum of its alternatives'; its document frequency its blueprint's estimate over both fields
    (an equiv's the largest of its alternatives')."""
    tokens = _tokens(field)
    with_field = [words for words in tokens.values() if words]
    average = sum(len(words) for words in with_field) / len(with_field)
    df = max(_estimate(phrase) for phrase in alternatives)
    idf = math.log(1 + (len(tokens) - df + 0.5) / (df + 0.5))
    found = {}
    for user_id, words in tokens.items():
        tf = sum(_occurrences(words, phrase) for phrase in alternatives)
        if tf:
            found[f"id:test:doc::{user_id}"] = idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(words) / average))
    return found


def test_a_phrase_is_one_bm25_term_on_every_node(four_nodes) -> None:
    """`"gamma delta"` through userQuery(): bm25(text) of every hit is the phrase's one term, on a
    4-node cluster with the corpus's statistics; a hit holding both words apart scores 0 there."""
    root = four_nodes(yql="select * from doc where userQuery()", query='"gamma delta"', ranking="global", hits=100)
    found = {hit["id"]: hit["fields"]["matchfeatures"]["bm25(text)"] for hit in root["children"]}
    expected = _bm25((("gamma", "delta"),), "text")
    assert len(expected) >= 3 and set(expected) <= set(found)
    assert {doc: score for doc, score in found.items() if score} == pytest.approx(expected, rel=1e-12)
    apart = [user_id for user_id, fields in _corpus().items() if {"gamma", "delta"} <= set(fields["text"].split())
             and f"id:test:doc::{user_id}" not in expected]
    assert apart  # the corpus has documents with both words apart, which would score per word


def test_an_equiv_is_one_bm25_term_on_every_node(four_nodes) -> None:
    """equiv("alpha", "mu", "gamma delta") in the default fieldset: bm25(title) and bm25(text) of
    every hit are the equiv's one term (not 0, as when its combined word had no statistics), on a
    4-node cluster with the corpus's statistics."""
    root = four_nodes(yql=EQUIV, ranking="global", hits=100)
    alternatives = (("alpha",), ("mu",), ("gamma", "delta"))
    for field in ("title", "text"):
        found = {hit["id"]: hit["fields"]["matchfeatures"][f"bm25({field})"] for hit in root["children"]}
        expected = _bm25(alternatives, field)
        assert len(expected) >= 3 and set(expected) <= set(found)
        assert {doc: score for doc, score in found.items() if score} == pytest.approx(expected, rel=1e-12)
    two = [user_id for user_id, fields in _corpus().items()
           if sum(_occurrences(fields["text"].split(), phrase) > 0 for phrase in alternatives) >= 2]
    assert two  # documents holding two alternatives, whose frequencies add up
