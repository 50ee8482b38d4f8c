"""The phase trace (`ranking.explain=true`) and the ranking explorer (/explorer/) on one real
cluster (tests/apps/explain, two content nodes): the trace of a known query equals the first-,
second- and global-phase scores and ranks computed here by hand, and a real headless chromium
drives the page (query, phase traces, side by side, a screenshot)."""
from __future__ import annotations

import shutil

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from tests.integration.conftest import REPO, feed_all

APP = REPO / "tests" / "apps" / "explain"
TOPICS = ["phased ranking with a second phase", "global phase reranking in the container",
          "bm25 ranking of text fields", "nearest neighbor search over embeddings",
          "phased ranking explained step by step", "scatter gather over content nodes",
          "rank profiles and their inputs", "a cross encoder in the global phase",
          "ranking evaluation with ndcg", "coverage and partial failure"]
# distinct popularity (first phase) and bonus (second phase: w * bonus; global: bonus - pop)
DOCS = {str(i): {"title": f"{topic.capitalize()}", "text": f"Document {i} is about {topic}. " * 3,
                 "pop": float(10 * i + i % 3), "bonus": float((i * 37) % 23)}
        for i, topic in enumerate(TOPICS, 1)}
W = 2.0  # input.query(w)
SECOND_RERANK, GLOBAL_RERANK, HITS = 2, 3, 6


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("explain"), nodes=2) as running:
        with httpx.Client(base_url=running.url, timeout=30.0) as client:
            feed_all(client, DOCS, "doc")
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


# -- the phase trace, by hand -----------------------------------------------------------------

def rescaled(old_top: list[float], new_top: list[float], rest: list[float]) -> list[float]:
    """Vespa's rule for the hits a phase did not rerank: mapped into the reranked range when the
    reranked hits' new lowest score is below their old lowest."""
    if not min(old_top) > min(new_top):
        return rest
    scale = max(max(new_top) - min(new_top), 1.0) / max(max(old_top) - min(old_top), 1.0)
    return [r * scale + min(new_top) - min(old_top) * scale for r in rest]


def in_hit_order(scored: dict[str, float]) -> list[str]:
    return sorted(scored, key=lambda i: (-scored[i], gid(i)))


def gid(user_id: str) -> bytes:
    return global_id(f"id:test:doc::{user_id}")


def expected_traces() -> dict[str, dict]:
    trace: dict[str, dict] = {i: {} for i in DOCS}
    node_scores: dict[str, float] = {}
    for node in (0, 1):
        mine = {i: d["pop"] for i, d in DOCS.items() if node_in_group(gid(i), [0, 1]) == node}
        first_order = in_hit_order(mine)[:HITS]  # each node is asked for max(hits, global rerank count)
        head, rest = first_order[:SECOND_RERANK], first_order[SECOND_RERANK:]
        second = {i: W * DOCS[i]["bonus"] for i in head}
        second.update(zip(rest, rescaled([mine[i] for i in head], list(second.values()), [mine[i] for i in rest])))
        for rank, i in enumerate(first_order, 1):
            trace[i] = {"node": node, "firstPhase": {"score": mine[i], "rank": rank},
                        "secondPhase": {"reranked": True, "score": second[i]} if i in head else
                        {"reranked": False, "rescaledScore": second[i]}}
        for rank, i in enumerate(in_hit_order(second), 1):
            trace[i]["nodeRank"] = rank
        node_scores.update(second)
    merged = in_hit_order(node_scores)[:HITS]
    head, rest = merged[:GLOBAL_RERANK], merged[GLOBAL_RERANK:]
    final = {i: DOCS[i]["bonus"] - DOCS[i]["pop"] for i in head}
    final.update(zip(rest, rescaled([node_scores[i] for i in head], list(final.values()),
                                    [node_scores[i] for i in rest])))
    for rank, i in enumerate(merged, 1):
        trace[i]["mergedRank"] = rank
        trace[i]["globalPhase"] = {"reranked": True, "score": final[i]} if i in head else \
            {"reranked": False, "rescaledScore": final[i]}
    ordered = in_hit_order(final)
    for rank, i in enumerate(ordered, 1):
        trace[i]["finalRank"] = rank
    return {i: trace[i] for i in ordered}


def compare_trace(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, dict):
            compare_trace(actual[key], value)
        else:
            assert actual[key] == pytest.approx(value), key


def explained(http: httpx.Client, **params) -> dict:
    response = http.get("/search/", params={"yql": "select * from doc where true", "ranking": "phased",
                                            "hits": HITS, "input.query(w)": W, "ranking.explain": "true",
                                            **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def test_phase_trace_equals_the_hand_computed_phases(http) -> None:
    expected = expected_traces()
    root = explained(http)
    hits = root["children"]
    assert [h["fields"]["documentid"].rsplit(":", 1)[1] for h in hits] == list(expected)
    for hit, (user_id, trace) in zip(hits, expected.items()):
        compare_trace(hit["fields"]["phaseTrace"], trace)
        final = trace["globalPhase"].get("score", trace["globalPhase"].get("rescaledScore"))
        assert hit["relevance"] == pytest.approx(final)
        assert hit["fields"]["matchfeatures"] == {"attribute(pop)": DOCS[user_id]["pop"],
                                                  "attribute(bonus)": DOCS[user_id]["bonus"]}
    # some hits were not reranked by the second phase, some not by the global phase
    assert any(not t["secondPhase"]["reranked"] for t in expected.values())
    assert any(not t["globalPhase"]["reranked"] for t in expected.values())


def test_query_trace_counts_candidates_and_times_each_phase(http) -> None:
    root = explained(http)
    trace = root["phaseTrace"]
    assert trace["profile"] == "phased"
    assert list(trace["timingsMs"]) == ["parse", "search", "global-phase", "fill", "total"]
    assert all(ms >= 0 for ms in trace["timingsMs"].values())
    (schema,) = trace["schemas"]
    per_node = {n: sum(1 for i in DOCS if node_in_group(gid(i), [0, 1]) == n) for n in (0, 1)}
    assert [n["node"] for n in schema["nodes"]] == [0, 1]
    for node in schema["nodes"]:
        count = per_node[node["node"]]
        assert node["matched"] == node["firstPhaseRanked"] == count
        assert node["kept"] == node["returned"] == min(count, HITS)
        assert node["secondPhaseReranked"] == min(count, SECOND_RERANK)
        assert list(node["timingsMs"]) == ["match", "first-phase", "second-phase", "match-features"]
    assert schema["globalPhase"]["reranked"] == GLOBAL_RERANK
    assert schema["globalPhase"]["of"] == min(len(DOCS), HITS)


def test_explain_is_off_by_default_and_checked(http) -> None:
    response = http.get("/search/", params={"yql": "select * from doc where true", "ranking": "phased", "hits": 3})
    root = response.json()["root"]
    assert "phaseTrace" not in root and all("phaseTrace" not in h["fields"] for h in root["children"])
    bad = http.get("/search/", params={"yql": "select * from doc where true", "ranking.explain": "maybe"})
    assert bad.status_code == 400 and bad.json()["root"]["errors"][0]["code"] == 4


def test_first_phase_only_profile_has_no_later_phases(http) -> None:
    root = explained(http, ranking="popular")
    pops = sorted((d["pop"] for d in DOCS.values()), reverse=True)[:HITS]
    assert [h["relevance"] for h in root["children"]] == pops
    for rank, hit in enumerate(root["children"], 1):
        trace = hit["fields"]["phaseTrace"]
        assert "secondPhase" not in trace and "globalPhase" not in trace
        assert trace["finalRank"] == trace["mergedRank"] == rank
        assert trace["firstPhase"]["score"] == hit["relevance"]


# -- the explorer page ------------------------------------------------------------------------

def test_root_sends_browsers_to_the_explorer_and_clients_to_the_listing(http) -> None:
    page = http.get("/", headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.status_code == 302 and page.headers["location"] == "/explorer/"
    listing = http.get("/")
    assert listing.status_code == 200 and "handlers" in listing.json()
    explorer = http.get("/explorer/")
    assert explorer.status_code == 200 and "Ranking explorer" in explorer.text
    assert http.get("/explorer").status_code in (302, 307)
    for asset in ("explorer.js", "charts.js", "explorer.css"):
        assert http.get(f"/explorer/{asset}").status_code == 200


def test_schema_description_lists_profiles_and_inputs(http) -> None:
    description = http.get("/explorer/api/schemas").json()
    (schema,) = description["schemas"]
    assert schema["name"] == "doc" and schema["titleField"] == "title" and schema["textField"] == "text"
    profiles = {p["name"]: p for p in schema["profiles"]}
    assert profiles["phased"]["inputs"] == [{"name": "query(w)", "type": "double", "default": "1.0"}]
    assert profiles["phased"]["secondPhase"]["rerankCount"] == SECOND_RERANK
    assert profiles["phased"]["globalPhase"]["rerankCount"] == GLOBAL_RERANK
    assert profiles["popular"]["secondPhase"] is None
    assert description["queryProfiles"] == [{"id": "phased", "values": {"ranking.profile": "phased",
                                                                          "input.query(w)": "2.0"}}]


def browser_page(playwright, tmp_path):
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    return browser, page


def test_explorer_in_a_real_browser(cluster, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser, page = browser_page(playwright, tmp_path)
        try:
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(cluster.url + "/")  # a browser at / lands on the explorer
            assert page.url.endswith("/explorer/")
            page.wait_for_function("document.querySelectorAll('#profile option').length > 0")
            page.select_option("#profile", "text")
            page.locator("header h1").click()  # nothing focused: "/" jumps to the query box
            assert page.evaluate("document.activeElement.id") != "query"
            page.keyboard.press("/")
            assert page.evaluate("document.activeElement.id") == "query"
            page.keyboard.type("phased ranking")
            page.keyboard.press("Enter")
            page.wait_for_selector(".hit .movement svg")
            assert page.locator("#error").is_hidden(), page.locator("#error").inner_text()
            hits = page.locator(".hit")
            assert hits.count() >= 2
            first = hits.first.inner_text()
            assert "first phase" in first and "second phase" in first and "#1 on node" in first
            assert page.locator(".timing svg rect").count() >= 4  # container laps and node phases
            assert page.locator(".hit mark").count() > 0  # query words marked in the snippets
            assert "ranking=text" in page.url and "query=phased+ranking" in page.url
            page.screenshot(path=str(tmp_path / "explorer-single.png"), full_page=True)

            # focus order follows the form, and the focused control shows it
            page.focus("#query")
            order = []
            for _ in range(4):
                page.keyboard.press("Tab")
                order.append(page.evaluate("document.activeElement.id"))
                assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            assert order == ["search-button", "schema", "profile", "compare"]

            page.select_option("#compare", "phased")
            page.focus("#compare")
            page.keyboard.press("Enter")  # Enter on a picker submits
            page.wait_for_selector(".runs.compare .connectors line")
            assert page.locator("#error").is_hidden(), page.locator("#error").inner_text()
            assert page.locator(".run").count() == 2
            assert page.locator(".run").nth(1).locator(".hit").count() >= 2
            assert page.locator(".connectors line").count() >= 2
            assert "global phase" in page.locator(".run").nth(1).inner_text()
            screenshot = tmp_path / "explorer-side-by-side.png"
            page.screenshot(path=str(screenshot), full_page=True)
            assert screenshot.stat().st_size > 10_000

            # the link form eval's report uses opens the comparison directly
            page.goto(cluster.url + "/explorer/?query=global+phase&ranking=phased&compare=popular&schema=doc")
            page.wait_for_selector(".runs.compare .connectors line")
            assert page.locator("#error").is_hidden(), page.locator("#error").inner_text()
            assert page.input_value("#query") == "global phase" and page.input_value("#compare") == "popular"
            # each side as eval runs it: through the query profile named like its rank profile, if any
            headings = page.locator(".run h2").all_inner_texts()
            assert "query profile phased" in headings[0] and "query profile" not in headings[1], headings
        finally:
            browser.close()
    assert not problems, problems
