"""Significance model files (Vespa's JSON of document frequencies per language, plain or zstd),
their resolution by the query's language, services.xml's <significance> and the model store."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import zstandard

from deploy.app_check import validate_package
from searchlib import model_store
from searchlib.errors import ErrorCode, QueryError, SchemaError
from searchlib.languages import model_language
from searchlib.query import tree as q
from searchlib.query.yql import parse_yql
from searchlib.schema.application import load_application
from searchlib.significance import (LanguageModel, SignificanceModelError, SignificanceModels, read_model,
                                    with_document_frequencies)

APP = Path(__file__).resolve().parents[1] / "apps" / "significance"


def model_json(**languages: tuple[int, dict]) -> dict:
    return {"version": 1, "id": "m", "languages": {
        tag: {"description": tag, "document-count": count, "document-frequencies": freqs}
        for tag, (count, freqs) in languages.items()}}


def write(path: Path, data: dict, compress: bool = False) -> Path:
    text = json.dumps(data).encode()
    path.write_bytes(zstandard.ZstdCompressor().compress(text) if compress else text)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_a_model_file_reads_plain_or_zstd(tmp_path, compress) -> None:
    path = write(tmp_path / "m.json", model_json(en=(10, {"test": 2, "hello": 3})), compress)
    model = read_model(path)["en"]
    assert model.document_frequency("test") == (2, 10)
    assert model.document_frequency("hello") == (3, 10)
    assert model.document_frequency("non-existent-word") == (1, 10)  # as Vespa's DefaultSignificanceModel


@pytest.mark.parametrize("data, message", [
    ({"version": 1}, 'has no "languages" object'),
    (model_json(en=(0, {})), 'expected a positive "document-count"'),
    (model_json(en=(5, {"a": -1})), "the document frequency of 'a' is not a non-negative integer"),
    (model_json(**{"not a tag!": (5, {})}), "is not a language tag"),
])
def test_a_file_that_is_no_model_is_refused(tmp_path, data, message) -> None:
    with pytest.raises(SignificanceModelError, match=message):
        read_model(write(tmp_path / "m.json", data))
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(SignificanceModelError, match="is not JSON"):
        read_model(tmp_path / "bad.json")


def test_counts_past_a_java_long_and_nesting_past_the_stack_are_no_model(tmp_path) -> None:
    with pytest.raises(SignificanceModelError, match="expected a positive \"document-count\""):
        read_model(write(tmp_path / "m.json", model_json(en=(2**63, {}))))
    with pytest.raises(SignificanceModelError, match="the document frequency of 'a' is not"):
        read_model(write(tmp_path / "m.json", model_json(en=(5, {"a": 2**63}))))
    assert read_model(write(tmp_path / "m.json", model_json(en=(2**63 - 1, {}))))["en"].document_count == 2**63 - 1
    (tmp_path / "deep.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(SignificanceModelError, match="is not JSON: nested too deeply"):
        read_model(tmp_path / "deep.json")


def test_a_key_of_several_languages_gives_each_the_model(tmp_path) -> None:
    models = read_model(write(tmp_path / "m.json", model_json(**{"en,no": (10, {"x": 2})})))
    assert models["en"] is models["no"] and models["no"].document_frequency("x") == (2, 10)


def test_simplified_and_traditional_chinese_are_two_models(tmp_path) -> None:
    models = read_model(write(tmp_path / "m.json", model_json(**{"zh-Hans": (10, {}), "zh-Hant": (20, {})})))
    assert models["zh"].document_count == 10 and models["zh-hant"].document_count == 20
    resolved = SignificanceModels(models)
    assert resolved.for_query(model_language("zh-TW"), "").document_count == 20
    assert resolved.for_query(model_language("zh-CN"), "").document_count == 10


def test_words_are_looked_up_as_written_lowercased_unstemmed_with_accents() -> None:
    model = LanguageModel(1000, {"cars": 3, "car": 700, "café": 3, "cafe": 700})
    parsed = parse_yql('select * from doc where text contains "Cars" and text contains "Café"')
    cars, cafe = with_document_frequencies(parsed.where, model, parsed.language).children
    assert (cars.term, cars.document_frequency) == ("car", (3, 1000))  # stemmed for matching only
    assert (cafe.term, cafe.document_frequency) == ("cafe", (3, 1000))
    user = parse_yql("select * from doc where userQuery()", parameters={"query": 'Cars +Café "Bikes"'})
    frequencies = [t.document_frequency for t in q.terms_of(with_document_frequencies(user.where, model))]
    assert frequencies == [(3, 1000), (3, 1000), (1, 1000)]  # café, cars, bikes (not in the model)


def test_the_words_of_phrases_and_equivs_get_the_models_frequencies() -> None:
    # Vespa's setIDF walks into every composite; a phrase or equiv ranks as one term here, so its
    # words' frequencies combine as the node's own estimates do: a phrase's rarest, an equiv's likeliest
    model = LanguageModel(1000, {"running": 40, "dogs": 600, "run": 900, "dog": 950, "new": 800, "york": 30,
                                 "ny": 5})

    def frequencies(where: str, **parameters) -> list[tuple[int, int] | None]:
        parsed = parse_yql(f"select * from doc where {where}", parameters=parameters)
        return [item.document_frequency for item in q.terms_of(with_document_frequencies(parsed.where, model))]

    # looked up as written (unstemmed), whatever the phrase's form: a string, phrase(...), userQuery
    assert frequencies('text contains "Running dogs"') == [(40, 1000)]
    assert frequencies('text contains phrase("Running", "Dogs")') == [(40, 1000)]
    assert frequencies("userQuery()", query='"Running dogs"') == [(40, 1000)]
    assert frequencies('text contains equiv("Running", "Dogs")') == [(600, 1000)]
    assert frequencies('text contains equiv("NY", phrase("New", "York"))') == [(30, 1000)]  # max(5, min(800, 30))
    assert frequencies('text contains phrase("New", "Nowhere")') == [(1, 1000)]  # a word the model lacks: 1
    # a member phrase flattened into its phrase: its words read through its own text, not stemmed
    assert frequencies('text contains phrase("Running dogs", "New")') == [(40, 1000)]  # not run's 900
    assert frequencies('text contains phrase(phrase("Running", "dogs"), "New")') == [(40, 1000)]
    # a near's words are rank terms each: each its own (a phrase among them its rarest word's)
    assert frequencies('text contains near("Running", "New York", !"dogs")') == [(40, 1000), (30, 1000)]
    # what the query gives is kept
    assert frequencies('text contains ({significance: 0.2}phrase("New", "York"))') == [None]
    assert frequencies('text contains ({documentFrequency: {frequency: 3, count: 9}}"new york")') == [(3, 9)]
    # ... on an equiv, and on a near's word (each a rank term of its own), the others' from the model
    assert frequencies('text contains ({documentFrequency: {frequency: 3, count: 9}}equiv("NY", "York"))') \
        == [(3, 9)]
    assert frequencies('text contains near(({documentFrequency: {frequency: 3, count: 9}}"ny"), "York")') \
        == [(3, 9), (30, 1000)]


def test_a_later_model_overrides_an_earlier_ones_language(tmp_path) -> None:
    first = write(tmp_path / "a.json", model_json(en=(10, {"x": 1}), no=(8, {"og": 4})))
    second = write(tmp_path / "b.json", model_json(en=(20, {"x": 5})))
    models = SignificanceModels.load([first, second])
    assert models.languages["en"].document_frequency("x") == (5, 20)
    assert models.languages["no"].document_frequency("og") == (4, 8)


def test_model_resolution_follows_the_query_language() -> None:
    en, un, de = (LanguageModel(n, {}) for n in (1, 2, 3))
    models = SignificanceModels({"en": en, "un": un, "de": de})
    assert models.for_query("de", "") is de  # explicitly tagged
    assert models.for_query("un", "") is un  # "un": un first, then en
    assert models.for_query("", "de") is de  # detected
    assert models.for_query("", "fr") is un  # detected without a model: un, then en
    assert SignificanceModels({"en": en}).for_query("", "fr") is en
    assert SignificanceModels({"en": en}).for_query("un", "") is en
    with pytest.raises(QueryError, match="No significance model available for set language FRENCH") as refused:
        models.for_query("fr", "")
    assert refused.value.code == ErrorCode.ILLEGAL_QUERY  # Vespa's code 3, as its IllegalArgumentException
    assert models.for_query("xx", "") is un  # a tag of no language Vespa knows is UNKNOWN: un, then en
    assert SignificanceModels({"en": en}).for_query("xx", "") is en
    with pytest.raises(QueryError, match="for unknown or english language"):
        SignificanceModels({"de": de}).for_query("", "fr")


def test_one_english_or_unknown_model_needs_no_language_detection() -> None:
    en, un, de = (LanguageModel(n, {}) for n in (1, 2, 3))
    assert not SignificanceModels({"en": en}).detects and not SignificanceModels({"un": un}).detects
    assert SignificanceModels({"en": en, "un": un}).detects and SignificanceModels({"de": de}).detects


def test_word_items_get_the_models_frequencies_unless_the_query_gave_one() -> None:
    model = LanguageModel(100, {"car": 7})
    tree = q.And((q.Term("f", "car"), q.Not(q.Term("f", "bus")), q.Term("f", "car", significance=0.3)))
    done = with_document_frequencies(tree, model)
    assert done.children[0].document_frequency == (7, 100)
    assert done.children[1].child.document_frequency == (1, 100)
    assert done.children[2].document_frequency is None and done.children[2].significance == 0.3


def test_the_package_resolves_a_path_model(tmp_path) -> None:
    app = load_application(APP)
    (model,) = app.significance_models
    assert (model.kind, model.reference) == ("path", "models/significance.json")
    assert Path(model.path).is_file()
    assert app.schemas["doc"].rank_profiles["model"].settings["significance.use-model"] == "true"


def _with_model(tmp_path: Path, element: str) -> Path:
    app = tmp_path / "app"
    shutil.copytree(APP, app)
    services = app / "services.xml"
    services.write_text(services.read_text().replace('<model path="models/significance.json"/>', element))
    return app


def test_a_model_id_resolves_through_the_model_store_never_the_network(tmp_path, monkeypatch) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv(model_store.STORE_ENV, str(store))
    app = _with_model(tmp_path, '<model model-id="significance-en-wikipedia-v1"/>')
    with pytest.raises(SchemaError) as refused:
        load_application(app)
    assert "'significance-en-wikipedia-v1' is not in the local model store" in str(refused.value)
    assert "phasedsearch models add significance-en-wikipedia-v1" in str(refused.value)
    assert (refused.value.location.line, refused.value.location.column) == (9, 9)  # its <model> element
    assert any("significance-en-wikipedia-v1" in p.message for p in validate_package(app))
    model_store.add("significance-en-wikipedia-v1", [APP / "models" / "significance.json"], store=store)
    (model,) = load_application(app).significance_models
    assert read_model(Path(model.path))["en"].document_frequency("alpha") == (1, 1000)
    assert not validate_package(app)


def test_a_missing_package_model_is_a_located_error(tmp_path) -> None:
    app = _with_model(tmp_path, '<model path="models/absent.json"/>')
    with pytest.raises(SchemaError, match="significance model 'models/absent.json' is not a file") as refused:
        load_application(app)
    assert refused.value.location.line == 9
    assert any("absent.json" in p.message for p in validate_package(app))


def test_a_model_needs_one_reference(tmp_path) -> None:
    app = _with_model(tmp_path, '<model/>')
    with pytest.raises(SchemaError, match="needs exactly one of path, url or model-id"):
        load_application(app)


@pytest.mark.parametrize("given, key", [("{}", "frequency"), ("{count: 1}", "frequency"), ("{frequency: 1}", "count")])
def test_a_given_document_frequency_needs_both_its_numbers(given, key) -> None:
    # Vespa's YqlParser.getLongMapValue: a missing entry is an error, not a 0
    yql = f'select * from doc where text contains ({{documentFrequency: {given}}}"a")'
    with pytest.raises(QueryError, match=f"'documentFrequency' must contain an entry with key '{key}'") as refused:
        parse_yql(yql)
    assert refused.value.location is not None and refused.value.location.column == yql.index('"a"') + 1
