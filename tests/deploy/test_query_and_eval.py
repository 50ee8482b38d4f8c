"""Query parameters and result printing; the BEIR loader, query sanitizing and the eval run."""
import asyncio
import json
import math

import httpx
import pytest

from deploy import beir_eval
from deploy.feed_format import FeedOperation, FeedParseError
from deploy.query_client import format_result, query_parameters, result_failed

RESULT = {"root": {
    "id": "toplevel", "relevance": 1.0, "fields": {"totalCount": 2},
    "coverage": {"coverage": 50, "documents": 100, "full": False, "nodes": 1, "results": 1, "resultsFull": 0,
                 "degraded": {"match-phase": False, "timeout": True}},
    "children": [
        {"id": "id:demo:doc::json.dumps", "relevance": 12.5, "source": "content",
         "fields": {"title": "json.<hi>dumps</hi>", "text": "Serialize ``obj`` to a JSON\nformatted str. " * 20}},
        {"id": "index:content/1/abc", "relevance": "-Infinity", "fields": {}},
    ],
    "errors": [{"code": 12, "summary": "Timed out", "message": "node 1 timed out"}],
}}


def test_text_goes_to_user_query_and_select_is_yql():
    assert query_parameters("json dumps", ranking="bm25", hits=5) == {
        "yql": "select * from sources * where userQuery()", "query": "json dumps", "ranking": "bm25", "hits": "5"}
    yql = 'SELECT * from doc where title contains "json"'
    assert query_parameters(yql) == {"yql": yql}
    assert query_parameters("x", extra=["input.query(q)=[1,2]", "type=any"])["input.query(q)"] == "[1,2]"
    with pytest.raises(ValueError):
        query_parameters("x", extra=["novalue"])
    # a query profile brings its own YQL and inputs
    assert query_parameters("json dumps", query_profile="hybrid") == {"query": "json dumps", "queryProfile": "hybrid"}


def test_eval_sends_the_text_as_typed_to_a_query_profile():
    with_profile = beir_eval.eval_query_parameters('is "COVID-19" -flu?', "ignored", "5s", query_profile="hybrid")
    assert with_profile == {"queryProfile": "hybrid", "query": 'is "COVID-19" -flu?', "model.type.syntax": "none",
                            "hits": "100", "timeout": "5s"}
    plain = beir_eval.eval_query_parameters('is "COVID-19" -flu?', "bm25", "5s")
    assert plain["query"] == "is COVID 19 flu?" and plain["ranking"] == "bm25" and "queryProfile" not in plain


def test_result_is_printed_with_rank_relevance_id_title_snippet_and_errors():
    text = format_result(RESULT, snippet_chars=60)
    lines = text.splitlines()
    assert lines[0] == "2 hit(s), coverage 50% of 100 documents on 1 node(s), degraded: timeout"
    assert lines[1] == "  1. 12.5000  id:demo:doc::json.dumps"
    assert lines[2] == "     json.dumps"
    assert lines[3].startswith("     Serialize ``obj`` to a JSON formatted str.") and lines[3].endswith("…")
    assert len(lines[3]) <= 5 + 60
    assert lines[4] == "  2. -Infinity  index:content/1/abc"
    assert lines[-1] == "error 12 (Timed out): node 1 timed out"


def test_a_query_fails_on_http_errors_or_errors_without_hits():
    assert not result_failed(200, RESULT)  # errors but also hits: a partial result
    assert result_failed(504, {"root": {"errors": [{"code": 12}]}})
    assert result_failed(200, {"root": {"errors": [{"code": 4}]}})
    assert not result_failed(200, {"root": {"fields": {"totalCount": 0}}})


def test_query_syntax_is_stripped_for_type_any():
    assert beir_eval.sanitize_query_text('what is "COVID-19"? +vaccine -flu title:x (a)') == \
        "what is COVID 19 ? vaccine flu title x a"


@pytest.fixture
def beir_dir(tmp_path):
    (tmp_path / "qrels").mkdir()
    corpus = [{"_id": "d1", "title": "Cats", "text": "cats purr"}, {"_id": "d2", "title": "", "text": "dogs bark"},
              {"_id": "d3", "title": "Birds", "text": "birds sing"}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(doc) for doc in corpus) + "\n{oops\n")
    queries = [{"_id": "q1", "text": "cats"}, {"_id": "q2", "text": "dogs"}, {"_id": "q3", "text": "unjudged"},
               {"_id": "q4", "text": "birds"}]
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(query) for query in queries) + "\n")
    (tmp_path / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\nq2\td3\t1\nq4\td3\t1\n")
    return tmp_path


def test_dataset_keeps_judged_queries_in_qrels_order(beir_dir):
    dataset = beir_eval.load_dataset(beir_dir)
    assert list(dataset.queries) == ["q1", "q2", "q4"]
    assert dataset.qrels["q2"] == {"d2": 2, "d3": 1}
    assert list(beir_eval.load_dataset(beir_dir, max_queries=1).queries) == ["q1"]
    with pytest.raises(FileNotFoundError, match="qrels/dev.tsv"):
        beir_eval.load_dataset(beir_dir, split="dev")


def test_corpus_becomes_beir_documents_and_bad_lines_are_reported(beir_dir):
    items = list(beir_eval.iter_corpus_operations(beir_eval.load_dataset(beir_dir)))
    assert isinstance(items[0], FeedOperation)
    assert items[0].document_id == "id:beir:doc::d1" and items[0].fields == {"title": "Cats", "text": "cats purr"}
    assert isinstance(items[3], FeedParseError) and items[3].source_line == 4
    assert beir_eval.corpus_size(beir_eval.load_dataset(beir_dir)) == 4


def test_eval_run_sends_any_queries_and_scores_the_hits(beir_dir):
    dataset = beir_eval.load_dataset(beir_dir)
    sent = []
    answers = {"cats": ["d1"], "dogs": ["d3", "d2"]}

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        sent.append(params)
        if params["query"] == "birds":
            return httpx.Response(504, json={"root": {"fields": {"totalCount": 0},
                                                      "errors": [{"code": 12, "message": "timed out"}]}})
        hits = [{"id": f"id:beir:doc::{doc}", "relevance": 1.0} for doc in answers[params["query"]]]
        return httpx.Response(200, json={"root": {"fields": {"totalCount": len(hits)}, "children": hits}})

    outcome = asyncio.run(beir_eval.run_queries_async("http://c", dataset.queries, "bm25", concurrency=2,
                                                      transport=httpx.MockTransport(handle)))
    assert {params["type"] for params in sent} == {"any"}
    assert {params["ranking"] for params in sent} == {"bm25"}
    assert sent[0]["yql"] == "select * from doc where userQuery()" and sent[0]["hits"] == "100"
    assert list(outcome.failures) == ["q4"]
    metrics = beir_eval.evaluate_run(dataset, outcome)
    # q1 perfect; q2 ranked d3 (1), d2 (2): DCG 1 + 2/log2 3, ideal 2 + 1/log2 3; q4 failed: 0
    q2 = (1 + 2 / math.log2(3)) / (2 + 1 / math.log2(3))
    assert metrics["ndcg@10"] == pytest.approx((1 + q2 + 0) / 3)
    assert metrics["mrr@10"] == pytest.approx(2 / 3)
    assert metrics["recall@100"] == pytest.approx(2 / 3)
    assert metrics["queries"] == 3 and metrics["failed"] == 1


def test_eval_counts_empty_queries_and_zero_relevance_hits_and_warns_when_many(beir_dir):
    dataset = beir_eval.load_dataset(beir_dir)
    answers = {"cats": [("d1", 0.0), ("d2", 0.0)], "dogs": [], "birds": [("d3", 2.5)]}

    def handle(request: httpx.Request) -> httpx.Response:
        hits = [{"id": f"id:beir:doc::{doc}", "relevance": relevance}
                for doc, relevance in answers[request.url.params["query"]]]
        return httpx.Response(200, json={"root": {"fields": {"totalCount": len(hits)}, "children": hits}})

    outcome = asyncio.run(beir_eval.run_queries_async("http://c", dataset.queries, "bm25", concurrency=1,
                                                      transport=httpx.MockTransport(handle)))
    metrics = beir_eval.evaluate_run(dataset, outcome)
    assert (metrics["no_hits"], metrics["hits"], metrics["zero_relevance_hits"]) == (1, 3, 2)
    report = beir_eval.format_report(dataset, "bm25", metrics, 1)
    assert "1 queries with no hits, 2 of 3 hits with relevance 0" in report
    assert "warning: 1 of 3 queries returned no hits" in report
    assert "warning: 2 of 3 hits have relevance 0" in report
    quiet = {**metrics, "no_hits": 0, "zero_relevance_hits": 0}
    assert beir_eval.suspicious_results(quiet) == []
