"""`phasedsearch eval --ranking bm25,bm25-title-boost` on cranfield (issue 21, relevance at a
glance): a real 2-node cluster, the whole corpus fed, the first 40 test queries run on both
rankings; report.json has both with intervals and the paired test, report.html the plots and the
explorer links. A BM25-only package keeps the feed quick (no token ids embedded per document)."""
from __future__ import annotations

import json

import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import shared_data_dir
from tests.integration.test_relevance_cranfield import run_cli

CRANFIELD = shared_data_dir() / "cranfield"
QUERIES = 40

SERVICES = """<?xml version="1.0" encoding="utf-8"?>
<services version="1.0">
  <container id="default" version="1.0"><search/><document-api/></container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node hostalias="node0" distribution-key="0"/><node hostalias="node1" distribution-key="1"/></nodes>
  </content>
</services>
"""
SCHEMA = """schema doc {
    document doc {
        field title type string { indexing: index | summary
                                  index: enable-bm25 }
        field text type string { indexing: index | summary
                                 index: enable-bm25 }
    }
    field title_text type string {
        indexing: (input title || "") . " " . (input text || "") | index
        index: enable-bm25
    }
    fieldset default { fields: title, text, title_text }
    rank-profile bm25 { first-phase { expression: bm25(title_text) } }
    rank-profile bm25-title-boost {
        first-phase { expression: 2.0 * bm25(title) + bm25(text) }
    }
}
"""
QUERY_PROFILE = """<query-profile id="bm25">
  <field name="yql">select * from doc where userQuery()</field>
  <field name="model.type">any</field>
  <field name="ranking.profile">bm25</field>
</query-profile>
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    root = tmp_path_factory.mktemp("bm25-app")
    (root / "schemas").mkdir()
    (root / "search" / "query-profiles").mkdir(parents=True)
    (root / "services.xml").write_text(SERVICES)
    (root / "schemas" / "doc.sd").write_text(SCHEMA)
    (root / "search" / "query-profiles" / "bm25.xml").write_text(QUERY_PROFILE)
    return root


@pytest.fixture(scope="module")
def cluster(app, tmp_path_factory):
    with LocalCluster(app, tmp_path_factory.mktemp("cluster"), nodes=2) as running:
        yield running


def test_two_rankings_on_cranfield_write_both_reports(app, cluster, tmp_path):
    out = tmp_path / "report"
    code, printed, err = run_cli("eval", str(CRANFIELD), "--ranking", "bm25,bm25-title-boost", "--url", cluster.url,
                                 "--app", str(app), "--queries", str(QUERIES), "--connections", "4",
                                 "--out", str(out))
    assert code == 0, err[-2000:]
    print(printed)
    assert f"report: {out / 'report.html'}" in err
    report = json.loads((out / "report.json").read_text())
    assert len(report["queries"]) == QUERIES and report["endpoint"] == cluster.url
    bm25, boost = report["profiles"]
    assert (bm25["name"], bm25["queryProfile"], boost["name"], boost["rankProfile"]) == \
        ("bm25", "bm25", "bm25-title-boost", "bm25-title-boost")
    for profile in (bm25, boost):
        assert profile["queries"] == QUERIES and profile["failed"] == 0 and profile["no_hits"] == 0
        for interval in profile["metrics"].values():
            assert 0.0 <= interval["low"] <= interval["mean"] <= interval["high"] <= 1.0
            assert interval["low"] < interval["high"]  # 40 differing queries: a real spread
        assert 0 < profile["latency_ms"]["p50"] <= profile["latency_ms"]["p99"]
    assert bm25["metrics"]["ndcg@10"]["mean"] > 0.25  # BM25 on cranfield's first queries, not noise
    [comparison] = report["comparisons"]
    ndcg = comparison["metrics"]["ndcg@10"]
    assert ndcg["mean_delta"] == pytest.approx(boost["metrics"]["ndcg@10"]["mean"] - bm25["metrics"]["ndcg@10"]["mean"])
    assert ndcg["low"] <= ndcg["mean_delta"] <= ndcg["high"]
    assert 0.0 < ndcg["p_value"] <= 1.0 and not ndcg["exact"] and ndcg["assignments"] == 10_000
    assert ndcg["wins"] + ndcg["ties"] + ndcg["losses"] == QUERIES
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 5 and html.count('class="delta"') == QUERIES
    assert html.count(f'href="{cluster.url}/explorer/?query=') == 2 * QUERIES  # plot bar and table row
    assert "&amp;ranking=bm25&amp;compare=bm25-title-boost&amp;queryProfile=bm25" in html

    # one ranking alone prints what eval always printed, and agrees with the report
    code, printed, err = run_cli("eval", str(CRANFIELD), "--ranking", "bm25", "--url", cluster.url, "--app", str(app),
                                 "--queries", str(QUERIES), "--no-feed", "--json", "--out", str(tmp_path / "one"))
    assert code == 0, err[-2000:]
    alone = json.loads(printed)
    assert alone["ranking"] == "query profile bm25"
    assert alone["ndcg@10"] == pytest.approx(bm25["metrics"]["ndcg@10"]["mean"])
    assert json.loads((tmp_path / "one" / "report.json").read_text())["comparisons"] == []
