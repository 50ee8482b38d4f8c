"""Rank-profile constructs of real Vespa packages through a running cluster (tests/apps/rank_features,
one content node, ONNX model built here): `default inherits default`, a profile without parents,
rankingExpression(name), attributeMatch, foreach, string/int/long/float inputs, tensor literals with expression
cells, elementwise(bm25), elementSimilarity, queryTermDocumentFrequency, bm25 over labeled query
items (bm25(field: f, label: l), bm25_for_labels), dotProduct over a weighted set and an array,
tensorFromWeightedSet and tensorFromLabels, elementCompleteness and `match` over an array, nativeDotProduct, a function given a name (substituted into its
body's feature arguments) with a tensor `if` condition and a query-profile-typed query tensor (as
neuralnet in Vespa's schema tests), `rank chunks { element-gap: n }` (phrase and near across array
elements; never past the stored gap without one), nativeFieldMatch over an array, and an ONNX model in first- and second-phase and inside a function on the content node (checked
against numpy or by hand)."""
from __future__ import annotations

import math
import shutil

import httpx
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from deploy.local_cluster import LocalCluster
from tests.content_node.native_by_hand import boost, pair
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "rank_features"
DOCS = {
    1: {"title": "alpha", "tags": {"a": 10, "b": 30}, "color": "red", "vec": [1.0, 2.0], "pop": 1.0,
        "chunks": ["red fox", "dog"], "weights": [1.0, 2.0, 3.0], "labels": ["x", "y"]},
    2: {"title": "beta", "tags": {"b": 5}, "color": "blue", "vec": [3.0, 1.0], "pop": 2.0,
        "chunks": ["cat", "red cat red"], "weights": [0.5], "labels": ["y"]},
    3: {"title": "gamma", "tags": {"c": 1}, "color": "Red", "vec": [0.5, 0.5], "pop": 4.0, "chunks": ["dog"]},
}
W, B = np.array([2.0, -1.0]), 0.5


def linear_model(path) -> None:
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])], "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])],
        [helper.make_tensor("w", TensorProto.FLOAT, [2, 1], W.tolist()),
         helper.make_tensor("b", TensorProto.FLOAT, [1], [B])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    package = tmp_path_factory.mktemp("package") / "app"
    shutil.copytree(APP, package)
    (package / "models").mkdir()
    linear_model(package / "models" / "linear.onnx")
    with LocalCluster(package, tmp_path_factory.mktemp("cluster"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            for number, fields in DOCS.items():
                body = {**fields, "vec": {"values": fields["vec"]}}
                response = client.post(f"/document/v1/test/doc/docid/{number}", json={"fields": body})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, **params) -> list[tuple[int, float, dict]]:
    response = http.get("/search/", params=params)
    assert response.status_code == 200, response.text
    return [(int(hit["id"].rsplit(":", 1)[1]), hit["relevance"], hit["fields"].get("matchfeatures", {}))
            for hit in response.json()["root"]["children"]]


def test_default_inherits_the_builtin_default_and_a_parentless_profile_inherits_nothing(http) -> None:
    ranked = search(http, yql="select * from doc where true")
    assert [(n, r) for n, r, _ in ranked] == [(3, 4.0), (2, 2.0), (1, 1.0)]  # rankingExpression(base) = pop
    ranked = search(http, yql="select * from doc where true", ranking="graph")
    assert [(n, r) for n, r, _ in ranked] == [(1, 99.0), (2, 98.0), (3, 96.0)]


RANK_TAGS = 'select * from doc where rank(true, tags contains "a", tags contains "b")'


def test_attribute_match_foreach_typed_inputs_and_expression_cells(http) -> None:
    ranked = search(http, yql=RANK_TAGS, ranking="features")
    # attributeMatch(tags) + (color == "red") + pop + 10 * boost (1)
    assert [(n, r) for n, r, _ in ranked] == [(3, 14.0), (1, 13.0), (2, 12.5)]
    features = {n: f for n, _, f in ranked}
    assert features[1]["attributeMatch(tags)"] == 1.0 and features[2]["attributeMatch(tags)"] == 0.5
    assert features[1]["attributeMatch(tags).totalWeight"] == 40.0
    assert features[3]["attributeMatch(tags)"] == 0.0
    assert all(f['foreach(terms,N,term(N).weight,">0",count)'] == 2.0 for f in features.values())
    assert [features[n]["color_match"] for n in (1, 2, 3)] == [1.0, 0.0, 0.0]
    ranked = search(http, yql=RANK_TAGS, ranking="features",
                    **{"input.query(color)": "blue", "input.query(boost)": "2"})
    assert [(n, r) for n, r, _ in ranked] == [(3, 24.0), (2, 23.5), (1, 22.0)]


def test_an_integer_input_takes_a_fraction_as_a_double(http) -> None:
    # Vespa treats a long/float input as a double (SchemaParser.jj valueType): 1.5 ranks as 1.5
    ranked = search(http, yql=RANK_TAGS, ranking="features", **{"input.query(boost)": "1.5"})
    assert [(n, r) for n, r, _ in ranked] == [(3, 19.0), (1, 18.0), (2, 17.5)]
    response = http.get("/search/", params={"yql": RANK_TAGS, "ranking": "features", "input.query(boost)": "ten"})
    assert response.status_code == 400


def test_long_and_float_inputs_by_default_and_from_the_request(http) -> None:
    ranked = search(http, yql="select * from doc where true", ranking="typed_numbers")
    # 0.25 * pop + 10000000000 / 1e9
    assert [(n, r) for n, r, _ in ranked] == [(3, 11.0), (2, 10.5), (1, 10.25)]
    assert all(f["query(big)"] == 10000000000 and f["query(scale)"] == 0.25 for _, _, f in ranked)
    ranked = search(http, yql="select * from doc where true", ranking="typed_numbers",
                    **{"input.query(big)": "-3000000000", "input.query(scale)": "-1.5"})
    assert [(n, r) for n, r, _ in ranked] == [(1, -4.5), (2, -6.0), (3, -9.0)]  # -1.5 * pop - 3
    ranked = search(http, yql="select * from doc where true", ranking="typed_numbers", **{"input.query(big)": "2.5"})
    assert all(f["query(big)"] == 2.5 for _, _, f in ranked)  # a long input is a double, as in Vespa


def test_onnx_model_in_a_function_on_the_content_node(http) -> None:
    ranked = search(http, yql="select * from doc where true", ranking="onnx_function")
    # shifted(attribute(pop)) = lin - pop, lin = 2 * vec[0] - vec[1] + 0.5: 0.5 - 1, 5.5 - 2, 1.0 - 4
    assert [(n, r) for n, r, _ in ranked] == [(2, 3.5), (1, -0.5), (3, -3.0)]
    assert {n: f["lin"] for n, _, f in ranked} == {1: 0.5, 2: 5.5, 3: 1.0}


def test_onnx_model_in_first_and_second_phase_on_the_content_node(http) -> None:
    ranked = search(http, yql="select * from doc where true", ranking="onnx_phases")
    y = {n: float(np.dot(W, d["vec"]) + B) for n, d in DOCS.items()}  # 0.5, 5.5, 1.0
    first_order = sorted(y, key=lambda n: -y[n])
    reranked = {n: 10 * y[n] + DOCS[n]["pop"] for n in first_order[:2]}  # 57, 14
    assert [n for n, _, _ in ranked] == first_order
    for number, relevance, features in ranked:
        assert features["sum(onnx(linear))"] == pytest.approx(y[number], rel=1e-6)
        if number in reranked:
            assert relevance == pytest.approx(reranked[number], rel=1e-6)
    assert ranked[-1][1] < min(reranked.values())


def test_element_features_over_an_array_field(http) -> None:
    ranked = search(http, yql='select * from doc where chunks contains "red"', ranking="chunks")
    assert [n for n, _, _ in ranked] == [1, 2]  # by elementSimilarity (second phase)
    features = {n: f for n, _, f in ranked}
    bm25 = {n: f["elementwise(bm25(chunks),chunk,float)"] for n, f in features.items()}
    assert set(bm25[1]["cells"]) == {"0"}  # "red fox"
    assert set(bm25[2]["cells"]) == {"1"}  # "red cat red"
    assert features[1]["queryTermDocumentFrequency(chunks)"]["cells"] == {"0": 2.0}
    # elementSimilarity, one term (order 1): 0.35 * prox(length) + 0.15 + 0.30 + 0.20 * matches / length
    prox = lambda d: 1 - ((d - 1) / 8) ** 2  # noqa: E731
    relevance = {n: r for n, r, _ in ranked}
    assert relevance[1] == pytest.approx(0.35 * prox(2) + 0.45 + 0.20 / 2)  # red in "red fox"
    assert relevance[2] == pytest.approx(0.35 * prox(3) + 0.45 + 0.20 / 3)  # red first at 0 of 3


def test_bm25_over_the_words_of_labeled_query_items(http) -> None:
    yql = ('select * from doc where title contains ({label:"first"}"alpha") '
           'or title contains ({label:"second"}"beta") or title contains "gamma"')
    ranked = search(http, yql=yql, ranking="labels")
    # one-word titles, each word in 1 of 3 documents: bm25 = idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 1 / 1)) = idf
    idf = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    assert [(n, pytest.approx(r)) for n, r, _ in ranked] == [(1, 2 * idf), (2, idf), (3, 0.0)]
    features = {n: f for n, _, f in ranked}
    assert all(features[n]["bm25(title)"] == pytest.approx(idf) for n in (1, 2, 3))
    assert [features[n]["bm25(title,label:first)"] for n in (1, 2, 3)] == [pytest.approx(idf), 0.0, 0.0]
    assert features[1]["bm25_for_labels(title)"]["cells"] == {"first": pytest.approx(idf)}
    assert features[2]["bm25_for_labels(title)"]["cells"] == {"second": pytest.approx(idf)}
    assert features[3]["bm25_for_labels(title)"]["cells"] == {}  # gamma carries no label


def test_function_name_arguments_tensor_conditions_and_query_profile_types(http) -> None:
    # weights(nnw) = if(query(nnw) == 0, constant(nnw), query(nnw)); vec: 1 [1, 2], 2 [3, 1], 3 [.5, .5]
    ranked = search(http, yql="select * from doc where true", ranking="fallback_weights")
    # query(nnw) not given: zeros (its type from the query-profile type), == 0 sums to 2: constant [1, 1]
    assert [(n, r) for n, r, _ in ranked] == [(2, 4.0), (1, 3.0), (3, 1.0)]
    ranked = search(http, yql="select * from doc where true", ranking="fallback_weights",
                    **{"ranking.features.query(nnw)": "[2, -1]"})  # == 0 sums to 0: the query's [2, -1]
    assert [(n, r) for n, r, _ in ranked] == [(2, 5.0), (3, 0.5), (1, 0.0)]


@pytest.mark.parametrize("where, default, joined, gap3", [
    # doc 1 chunks ["red fox", "dog"]: fox at 1, dog at 2 + gap (18 as stored: never together)
    ('chunks contains phrase("fox", "dog")', [], [1], []),
    ('chunks contains ({distance: 4}near("fox", "dog"))', [], [1], [1]),
    ('chunks contains ({distance: 3}near("fox", "dog"))', [], [1], []),
    # past the stored 16: still never across elements without a gap (Vespa's infinity)
    ('chunks contains ({distance: 20}near("fox", "dog"))', [], [1], [1]),
    ('chunks contains ({distance: 40}onear("fox", "dog"))', [], [1], [1]),
    ('chunks contains onear("dog", "fox")', [], [], []),  # onear keeps the order
    ('chunks contains phrase("cat", "red")', [2], [2], [2]),  # doc 2 ["cat", "red cat red"]: inside one element
])
def test_element_gap_lets_phrases_and_near_span_array_elements(http, where, default, joined, gap3) -> None:
    for ranking, expected in (("default", default), ("joined", joined), ("gap3", gap3)):
        response = http.get("/search/", params={"yql": f"select * from doc where {where}", "ranking": ranking})
        assert response.status_code == 200, response.text
        hits = response.json()["root"].get("children", [])
        assert sorted(int(hit["id"].rsplit(":", 1)[1]) for hit in hits) == expected, ranking


@pytest.mark.parametrize("words, stored, joined, gap3", [
    # doc 1 chunks ["red fox", "dog"]: fox at 1; dog at 18 as stored (16 between elements), 2 with
    # element-gap 0, 5 with element-gap 3 (fieldMatch takes no array: a load error, as in Vespa).
    # termDistance(chunks,0,1).forward
    # (termdistancecalculator.cpp) pairs occurrences in one element, or with an element gap g in the
    # next one, counted from the end of the first's: dog at 0 + len("red fox") 2 + g - fox at 1 = 1 + g;
    # without a gap (stored) never across elements: 1000000. fieldTermMatch's firstPosition is the
    # position within the element: dog 0, fox 1. nativeProximity(chunks) is its one pair's
    # (native_by_hand.pair: forward, reverse distance): without an element gap the two elements never pair
    (("fox", "dog"), (1e6, 0.0, (None, None)), (1.0, 0.0, (1, None)), (4.0, 0.0, (4, None))),
    (("dog", "fox"), (1e6, 1.0, (None, None)), (1e6, 1.0, (None, 1)), (1e6, 1.0, (None, 4))),
])
def test_element_gap_moves_positions_for_proximity_features(http, words, stored, joined, gap3) -> None:
    where = " and ".join(f'chunks contains "{word}"' for word in words)
    for ranking, (distance, second_position, native) in (
            ("stored", stored), ("joined", joined), ("gap3", gap3)):
        ranked = search(http, yql=f"select * from doc where {where}", ranking=ranking)
        assert [number for number, _, _ in ranked] == [1], ranking
        features = ranked[0][2]
        assert features["nativeProximity(chunks)"] == pytest.approx(pair(*native)), ranking
        assert features["termDistance(chunks,0,1).forward"] == distance, ranking
        assert features["fieldTermMatch(chunks,1).firstPosition"] == second_position, ranking


@pytest.mark.parametrize("word, expected", [
    # chunks: 1 ["red fox", "dog"], 2 ["cat", "red cat red"], 3 ["dog"]. One term's nativeFieldMatch is
    # its boost (native_by_hand.boost: the first occurrence's position within its element, the
    # occurrences, the longest element holding one), whatever the element gap: 1's "dog" is at 0 of
    # a 1-word element (stored at 18 of a 3-word field: boost(18, 1, 3) before), as 3's
    ("dog", {1: boost(0, 1, 1), 3: boost(0, 1, 1)}),
    ("red", {1: boost(0, 1, 2), 2: boost(0, 2, 3)}),
])
def test_native_field_match_reads_the_element_of_each_occurrence(http, word, expected) -> None:
    for ranking in ("stored", "joined", "gap3"):
        ranked = search(http, yql=f'select * from doc where chunks contains "{word}"', ranking=ranking)
        assert {n: f["nativeFieldMatch(chunks)"] for n, _, f in ranked} == pytest.approx(expected), ranking


def test_dot_product_and_tensors_from_collection_attributes(http) -> None:
    # tags: 1 {a:10, b:30}, 2 {b:5}, 3 {c:1}; weights: 1 [1, 2, 3], 2 [0.5]; labels: 1 [x, y], 2 [y]
    ranked = search(http, yql="select * from doc where true", ranking="collections",
                    **{"rankproperty.dotProduct.interests": "{a:2,B:1}", "input.query(user)": "{a:1,c:5}",
                       "input.query(w)": "[1,2,3]", "rankproperty.boosts": "{b:3}"})
    assert [(n, r) for n, r, _ in ranked] == [(1, 50.0), (2, 5.0), (3, 0.0)]  # B folds to b (uncased)
    features = {n: f for n, _, f in ranked}
    assert [features[n]["dotProduct(weights,query(w))"] for n in (1, 2, 3)] == [14.0, 0.5, 0.0]
    assert [features[n]["sum(tensorFromWeightedSet(attribute(tags),tag)*query(user))"] for n in (1, 2, 3)] == \
        [10.0, 0.0, 5.0]
    assert features[1]["tensorFromLabels(attribute(labels),label)"]["cells"] == {"x": 1.0, "y": 1.0}
    assert features[3]["tensorFromLabels(attribute(labels),label)"]["cells"] == {}
    boosted = "sum(tensorFromWeightedSet(query(boosts),tag)*tensorFromWeightedSet(attribute(tags),tag))"
    assert [features[n][boosted] for n in (1, 2, 3)] == [90.0, 15.0, 0.0]  # the query's set {b:3} x tags
    response = http.get("/search/", params={"yql": "select * from doc where true", "ranking": "collections",
                                            "rankproperty.dotProduct.interests": "{a:two}"})
    assert response.status_code == 400 and "key:number" in response.text


def test_element_completeness_and_match_over_an_array_field(http) -> None:
    # chunks: 1 ["red fox", "dog"], 2 ["cat", "red cat red"]; terms red, cat (weight 100 each).
    # 1: "red fox" field 1/2, query 1/2 -> 0.5; 2: "cat" (1, 1/2 -> 0.75) loses to "red cat red"
    # (2/3, 1 -> 0.8333)
    ranked = search(http, yql='select * from doc where chunks contains "red" or chunks contains "cat"',
                    ranking="completeness")
    assert [(n, r) for n, r, _ in ranked] == [(2, pytest.approx(5 / 6)), (1, 0.5)]
    features = {n: f for n, _, f in ranked}
    assert [features[2][f"elementCompleteness(chunks).{o}"] for o in ("fieldCompleteness", "queryCompleteness",
                                                                        "elementWeight")] == \
        [pytest.approx(2 / 3), 1.0, 1.0]
    assert [features[n]["match"] for n in (2, 1)] == [pytest.approx(5 / 6), 0.5]  # only chunks matched


def test_native_dot_product_of_term_weights_and_element_weights(http) -> None:
    # tags: 1 {a:10, b:30}, 2 {b:5}; a weighs 2, b 4: 1 -> 10*2 + 30*4 = 140, 2 -> 5*4 = 20
    ranked = search(http, yql='select * from doc where tags contains ({weight: 2}"a") or '
                              'tags contains ({weight: 4}"b")', ranking="native")
    assert [(n, r) for n, r, _ in ranked] == [(1, 140.0), (2, 20.0)]
