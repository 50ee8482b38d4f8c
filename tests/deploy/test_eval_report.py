"""`phasedsearch eval --ranking a,b`: the report's numbers on a tiny input checked by hand, and the
files (report.json, report.html) the command writes."""
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from deploy import cli
from deploy.beir_eval import QueryRun, load_dataset
from deploy.eval_report import EvaluatedRanking, build_report, explorer_url
from deploy.eval_report_html import render_html

TEXTS = {"q1": "alpha wing", "q2": "beta", "q3": "gamma", "q4": 'delta "flow"'}
# baseline finds q1's document only; the other finds q1's, q2's and q3's: nDCG@10 1,0,0,0 and 1,1,1,0
BASELINE = {"alpha wing": ["d1"], "beta": ["d9"], "gamma": ["d9"], 'delta "flow"': ["d9"], "delta flow": ["d9"]}
BETTER = {"alpha wing": ["d1"], "beta": ["d2", "d9"], "gamma": ["d3"], 'delta "flow"': [], "delta flow": []}


@pytest.fixture
def beir_dir(tmp_path):
    root = tmp_path / "tiny"
    (root / "qrels").mkdir(parents=True)
    (root / "corpus.jsonl").write_text("".join(json.dumps({"_id": f"d{i}", "text": "x"}) + "\n" for i in range(1, 10)))
    (root / "queries.jsonl").write_text("".join(json.dumps({"_id": q, "text": t}) + "\n" for q, t in TEXTS.items()))
    (root / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"q{i}\td{i}\t1\n" for i in range(1, 5)))
    return root


def outcome_of(answers, latencies_ms):
    outcome = QueryRun()
    for (query_id, text), latency in zip(TEXTS.items(), latencies_ms):
        outcome.run[query_id] = answers[text]
        outcome.latencies[query_id] = latency / 1000
    return outcome


def test_report_numbers_match_the_hand_computed_ones(beir_dir):
    dataset = load_dataset(beir_dir)
    rankings = [EvaluatedRanking("bm25", "bm25", "bm25", outcome_of(BASELINE, [10, 20, 30, 40])),
                EvaluatedRanking("boost", None, "bm25-title-boost", outcome_of(BETTER, [5, 5, 5, 90]))]
    report = build_report(dataset, rankings, endpoint="http://c:8080/", concurrency=2)
    base, boost = report["profiles"]
    # k of 4 queries resampled: Binomial(4, 1/4) for the baseline -> [0, 3/4]; Binomial(4, 3/4) -> [1/4, 1]
    assert base["metrics"]["ndcg@10"] == {"mean": 0.25, "low": 0.0, "high": 0.75}
    assert boost["metrics"]["ndcg@10"] == {"mean": 0.75, "low": 0.25, "high": 1.0}
    assert boost["metrics"]["recall@100"]["mean"] == 0.75
    assert base["latency_ms"] == {"p50": 20.0, "p99": 40.0, "mean": 25.0}
    assert boost["latency_ms"]["p50"] == 5.0 and boost["latency_ms"]["p99"] == 90.0
    [comparison] = report["comparisons"]
    ndcg = comparison["metrics"]["ndcg@10"]
    # deltas 0, 1, 1, 0: |sum| 2 is reached by 8 of the 16 sign assignments
    assert (ndcg["mean_delta"], ndcg["p_value"], ndcg["exact"]) == (0.5, 0.5, True)
    assert (ndcg["wins"], ndcg["ties"], ndcg["losses"]) == (2, 2, 0)
    # the bootstrap of the deltas: Binomial(4, 1/2) halves: cumulative 1/16 at 0, 15/16 at 3/4 -> [0, 1]
    assert (ndcg["low"], ndcg["high"]) == (0.0, 1.0)
    q4 = report["queries"][3]
    assert q4["metrics"] == {"bm25": {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0},
                             "boost": {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0}}
    # the baseline is a query profile: the text goes as typed, with the query profile
    assert q4["explorer"] == {"boost": "http://c:8080/explorer/?query=delta+%22flow%22&ranking=bm25"
                                       "&compare=bm25-title-boost&queryProfile=bm25"}
    plain = explorer_url("http://c", 'delta "flow"', "bm25")
    assert parse_qs(urlsplit(plain).query) == {"query": ['delta "flow"'], "ranking": ["bm25"]}


def test_html_is_self_contained_with_plots_and_escaped_text(beir_dir):
    dataset = load_dataset(beir_dir)
    rankings = [EvaluatedRanking("bm25", None, "bm25", outcome_of(BASELINE, [1, 2, 3, 4])),
                EvaluatedRanking("<b>x</b>", None, "x", outcome_of(BETTER, [1, 2, 3, 4]))]
    page = render_html(build_report(dataset, rankings, endpoint="http://c", concurrency=1))
    assert page.count("<svg") == 5  # three metrics, latency, one difference plot
    assert page.count('class="whisker"') == 8  # one per ranking in each of the four bar charts
    assert page.count('class="delta"') == 4  # one bar per query
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<script" not in page and not re.search(r'(src|href)="(https?:)?//(?!c/)', page)
    # the plain rank profile sends the text without syntax: that is what the explorer gets
    assert 'href="http://c/explorer/?query=delta+flow&amp;ranking=bm25&amp;compare=x"' in page


def test_eval_command_compares_two_rankings_and_writes_both_reports(stub_container, beir_dir, tmp_path, capsys):
    def respond(request):
        params = request.params
        answers = BASELINE if params.get("queryProfile") == "bm25" else BETTER
        assert params.get("queryProfile") or params["ranking"] == "default"
        hits = [{"id": f"id:beir:doc::{doc}", "relevance": 1.0} for doc in answers[params["query"]]]
        return 200, {"root": {"fields": {"totalCount": len(hits)}, "children": hits}}

    stub_container.respond = respond
    out = tmp_path / "out"
    args = ["eval", str(beir_dir), "--ranking", "bm25,default", "--url", stub_container.url,
            "--no-feed", "--out", str(out), "--connections", "1"]
    assert cli.main(args) == 0
    captured = capsys.readouterr()
    assert f"report: {out / 'report.html'}" in captured.err
    table = captured.out
    assert "bm25                  0.2500 [0.0000, 0.7500]" in table
    assert "default               0.7500 [0.2500, 1.0000]" in table
    assert "default               +0.5000 [+0.0000, +1.0000] p=0.5000" in table
    report = json.loads((out / "report.json").read_text())
    assert [p["name"] for p in report["profiles"]] == ["bm25", "default"]
    assert report["profiles"][0]["queryProfile"] == "bm25" and report["profiles"][1]["queryProfile"] is None
    assert report["comparisons"][0]["metrics"]["mrr@10"]["p_value"] == 0.5
    assert report["endpoint"] == stub_container.url
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 5 and f"{stub_container.url}/explorer/?query=alpha+wing" in html

    assert cli.main([*args, "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["comparisons"][0]["metrics"]["ndcg@10"]["mean_delta"] == 0.5


def test_eval_refuses_a_ranking_twice_or_a_query_profile_with_several(beir_dir, capsys):
    assert cli.main(["eval", str(beir_dir), "--ranking", "a,a", "--url", "http://x", "--no-feed"]) == 2
    assert "twice" in capsys.readouterr().err
    assert cli.main(["eval", str(beir_dir), "--ranking", "a,b", "--query-profile", "bm25", "--url", "http://x"]) == 2
    assert "--query-profile goes with one --ranking" in capsys.readouterr().err


def test_eval_refuses_an_out_dir_it_cannot_write_before_querying(beir_dir, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    args = ["eval", str(beir_dir), "--ranking", "bm25", "--url", "http://127.0.0.1:9", "--no-feed",
            "--out", str(blocker / "report")]
    assert cli.main(args) == 2
    assert "cannot write the report to" in capsys.readouterr().err
