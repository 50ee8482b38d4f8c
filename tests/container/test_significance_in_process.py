"""Significance models (tests/apps/significance) in one process: with `significance { use-model:
true }` a query's words rank by the model's document frequencies (Vespa's SignificanceSearcher),
not the node's. The corpus and the model disagree on purpose:

  corpus (4 documents): alpha in 3, beta in 1      model (1000 documents): alpha in 1, beta in 900
"""
from __future__ import annotations

import json
import math
import shutil

import pytest

from container.search import significance as significance_searcher
from container.search.query import build_query
from container.search.significance import models_of
from deploy.app_check import validate_package
from searchlib.query import tree as q
from searchlib.errors import SchemaError
from searchlib.schema.application import load_application
from tests.container.in_process import APPS, in_process_cluster

DOCS = {"d1": "alpha", "d2": "beta", "d3": "alpha gamma", "d4": "alpha delta"}
EITHER = 'select * from doc where text contains "alpha" or text contains "beta"'


def significance(df: float, count: float) -> float:  # Vespa's util::getSignificance
    return 0.5 + 0.5 * math.log(max(df / count, 1e-6)) / math.log(1e-6)


def idf(df: float, count: float) -> float:
    return math.log(1 + (count - df + 0.5) / (df + 0.5))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("significance")
    shutil.copytree(APPS / "significance", root / "app")
    with in_process_cluster(root / "app", root / "data", nodes=1) as running:
        running.feed("doc", {key: {"text": text} for key, text in DOCS.items()})
        yield running


def hits(cluster, **params) -> list[dict]:
    return cluster.search(hits=10, **params).get("children", [])


def order(cluster, **params) -> list[str]:
    return [hit["id"].rsplit(":", 1)[-1] for hit in hits(cluster, **params)]


def test_the_model_decides_which_word_is_rare(cluster) -> None:
    assert order(cluster, yql=EITHER, ranking="local")[0] == "d2"  # beta: rare in the corpus
    assert order(cluster, yql=EITHER, ranking="model")[-1] == "d2"  # beta: common in the model
    assert order(cluster, yql=EITHER, ranking="native")[-1] == "d2"  # nativeRank reads the same significance


def test_term_significance_and_bm25_are_the_models(cluster) -> None:
    d1 = next(h for h in hits(cluster, yql=EITHER, ranking="model") if h["id"].endswith(":d1"))
    features = d1["fields"]["matchfeatures"]
    assert features["term(0).significance"] == pytest.approx(significance(1, 1000))  # 0.75
    assert features["term(1).significance"] == pytest.approx(significance(900, 1000))
    # d1 is "alpha" (length 1; the corpus's average length is 1.5, the node's own statistic)
    assert features["bm25(text)"] == pytest.approx(idf(1, 1000) * 2.2 / (1 + 1.2 * (0.25 + 0.75 / 1.5)))


def test_the_local_profile_keeps_the_nodes_statistics(cluster) -> None:
    d1 = next(h for h in hits(cluster, yql=EITHER, ranking="local") if h["id"].endswith(":d1"))
    node_significance = d1["fields"]["matchfeatures"]["term(0).significance"]
    assert node_significance != pytest.approx(significance(1, 1000))
    assert order(cluster, yql=EITHER, ranking="model", **{"ranking.significance.useModel": "false"})[0] == "d2"
    assert order(cluster, yql=EITHER, ranking="local", **{"ranking.significance.useModel": "true"})[-1] == "d2"


def test_a_word_the_model_lacks_counts_as_in_one_document(cluster) -> None:
    gamma = hits(cluster, yql='select * from doc where text contains "gamma"', ranking="model")
    assert gamma[0]["fields"]["matchfeatures"]["term(0).significance"] == pytest.approx(significance(1, 1000))


def test_phrases_equivs_and_nears_rank_by_their_words_frequencies_in_the_model(cluster) -> None:
    # the node: alpha in 3 of 4 documents, beta in 1, the phrase "alpha gamma" in 1 (d3)
    def term_significance(yql: str, ranking: str) -> list[float]:
        return [h["fields"]["matchfeatures"]["term(0).significance"] for h in hits(cluster, yql=yql, ranking=ranking)]

    equiv = 'select * from doc where text contains equiv("alpha", "beta")'
    assert term_significance(equiv, "local") == [pytest.approx(significance(3, 4))] * 4  # the likelier word's
    assert term_significance(equiv, "model") == [pytest.approx(significance(900, 1000))] * 4  # beta's in the model
    phrase = 'select * from doc where text contains "alpha gamma"'
    assert term_significance(phrase, "local") == [pytest.approx(significance(1, 4))]
    assert term_significance(phrase, "model") == [pytest.approx(significance(1, 1000))]  # gamma: not in the model
    near = 'select * from doc where text contains near("gamma", "alpha")'
    [d3] = hits(cluster, yql=near, ranking="model")
    assert (d3["fields"]["matchfeatures"]["term(0).significance"], d3["fields"]["matchfeatures"]["term(1).significance"]) \
        == (pytest.approx(significance(1, 1000)), pytest.approx(significance(1, 1000)))  # the node: 1 and 3 of 4


def test_a_significance_the_query_gives_is_kept(cluster) -> None:
    given = hits(cluster, yql='select * from doc where text contains ({significance: 0.6}"alpha")', ranking="model")
    assert given[0]["fields"]["matchfeatures"]["term(0).significance"] == pytest.approx(0.6)
    # and is bm25's idf (Vespa's Bm25Utils: util::lookupSignificance before the node's statistics)
    d1 = next(h for h in given if h["id"].endswith(":d1"))
    assert d1["fields"]["matchfeatures"]["bm25(text)"] == pytest.approx(0.6 * 2.2 / (1 + 1.2 * (0.25 + 0.75 / 1.5)))


def test_a_document_frequency_of_no_corpus_is_held_as_vespa_holds_it(cluster) -> None:
    # count 0: significance 0.5 (calculate_legacy_significance's corner case); bm25 holds the
    # count at 1 and the frequency within [1, count]: idf(1, 1) = log(4/3)
    yql = 'select * from doc where text contains ({documentFrequency: {frequency: 3, count: 0}}"beta")'
    [beta] = hits(cluster, yql=yql, ranking="local")
    assert beta["fields"]["matchfeatures"]["term(0).significance"] == 0.5
    assert beta["fields"]["matchfeatures"]["bm25(text)"] == pytest.approx(
        math.log(4 / 3) * 2.2 / (1 + 1.2 * (0.25 + 0.75 / 1.5)))


def test_the_query_language_selects_the_model(cluster) -> None:
    response = cluster.http.get("/search/", params={"yql": EITHER, "ranking": "model", "language": "de"})
    assert response.status_code == 400, response.text
    assert "No significance model available for set language GERMAN" in response.text
    assert response.json()["root"]["errors"][0]["code"] == 3  # Vespa's "Illegal query"
    nonsense = cluster.http.get("/search/", params={"yql": EITHER, "ranking": "model", "language": "xx-nonsense"})
    assert nonsense.status_code == 200, nonsense.text  # no language Vespa knows: UNKNOWN, then English
    assert order(cluster, yql=EITHER, ranking="model", language="xx-nonsense")[-1] == "d2"
    unknown = cluster.http.get("/search/", params={"yql": EITHER, "ranking": "model", "language": "un"})
    assert unknown.status_code == 200, unknown.text  # "un" falls back to the English model


def test_a_document_frequency_the_query_gives_ranks_as_a_models(cluster) -> None:
    # Vespa's {documentFrequency: {frequency: n, count: N}}: the query's own global statistics
    yql = 'select * from doc where text contains ({documentFrequency: {frequency: 1, count: 1000}}"beta")'
    [beta] = hits(cluster, yql=yql, ranking="local")
    assert beta["fields"]["matchfeatures"]["term(0).significance"] == pytest.approx(significance(1, 1000))
    assert beta["fields"]["matchfeatures"]["bm25(text)"] == pytest.approx(
        idf(1, 1000) * 2.2 / (1 + 1.2 * (0.25 + 0.75 / 1.5)))  # "beta": length 1
    # a model leaves it as the query gave it
    [kept] = hits(cluster, yql=yql, ranking="model")
    assert kept["fields"]["matchfeatures"]["term(0).significance"] == pytest.approx(significance(1, 1000))



def test_a_model_file_that_is_no_model_stops_the_container_at_its_element(tmp_path) -> None:
    shutil.copytree(APPS / "significance", tmp_path / "app")
    (tmp_path / "app" / "models" / "significance.json").write_text('{"version": 1}')
    with pytest.raises(SchemaError, match='no "languages" object') as refused:
        models_of(load_application(tmp_path / "app"))
    assert refused.value.location.line == 9  # services.xml's <model path=...>


def _app(tmp_path, model: str) -> object:
    shutil.copytree(APPS / "significance", tmp_path / "app", dirs_exist_ok=True)
    (tmp_path / "app" / "models" / "significance.json").write_text(model)
    return load_application(tmp_path / "app")


@pytest.mark.parametrize("model, message", [
    ('{"languages": {"en": {"document-count": 9223372036854775808, "document-frequencies": {}}}}',
     'expected a positive "document-count"'),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_a_model_past_java_longs_or_the_stack_is_refused_at_its_element(tmp_path, model, message) -> None:
    with pytest.raises(SchemaError, match=message) as refused:
        models_of(_app(tmp_path, model))
    assert refused.value.location.line == 9
    problems = validate_package(tmp_path / "app")
    assert [str(p.location).rsplit(":", 2)[-2:] for p in problems] == [["9", "9"]]
    assert message in problems[0].message


def test_a_model_rewritten_in_place_is_read_again(tmp_path) -> None:
    app = _app(tmp_path, json.dumps({"languages": {"en": {"document-count": 10, "document-frequencies": {}}}}))
    assert models_of(app).languages["en"].document_count == 10
    (tmp_path / "app" / "models" / "significance.json").write_text(
        json.dumps({"languages": {"en": {"document-count": 2000, "document-frequencies": {}}}}))
    assert models_of(app).languages["en"].document_count == 2000  # the same reference, a new file


def test_the_language_the_query_was_parsed_in_picks_the_model(tmp_path, monkeypatch) -> None:
    # Vespa's getParsingLanguage(): no second detection, on the stemmed words, picks another one
    app = _app(tmp_path, json.dumps({"languages": {
        "en": {"document-count": 10, "document-frequencies": {}},
        "de": {"document-count": 20, "document-frequencies": {}}}}))
    monkeypatch.setattr(significance_searcher, "detect_language", lambda text: "en")
    yql = 'select * from doc where text contains "Kraftfahrzeuge" and text contains "Versicherungen"'
    query = build_query({"yql": yql, "ranking": "model"}, app)
    assert query.yql.language == "de"
    done = significance_searcher.with_significance(app, query, [app.schemas["doc"]])
    assert {term.document_frequency[1] for term in q.terms_of(done.yql.where)} == {20}


def test_a_word_is_looked_up_as_written_end_to_end(tmp_path) -> None:
    # Vespa's SignificanceSearcher runs before stemming: "Cars" reads "cars", not its stem "car"
    _app(tmp_path, json.dumps({"languages": {"en": {"document-count": 1000, "document-frequencies": {
        "cars": 3, "car": 700, "café": 3, "cafe": 700}}}}))
    with in_process_cluster(tmp_path / "app", tmp_path / "data", nodes=1) as running:
        running.feed("doc", {"d1": {"text": "cars at the cafe"}})
        for word in ("Cars", "Café"):
            [hit] = hits(running, yql=f'select * from doc where text contains "{word}"', ranking="model")
            assert hit["fields"]["matchfeatures"]["term(0).significance"] == pytest.approx(significance(3, 1000))
