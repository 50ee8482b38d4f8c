"""dotProduct(f, vector), tensorFromWeightedSet and tensorFromLabels over array and weighted-set
attributes, with the values of Vespa's rank feature reference worked by hand."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text
from searchlib.tensor import parse_tensor_literal

FEATURES = ["dotProduct(X,Y)", "dotProduct(ids,Y)", "dotProduct(X,query(qm))",
            "dotProduct(vec,query(qd))", "tensorFromWeightedSet(attribute(X),dim)", "tensorFromWeightedSet(attribute(ids))",
            "tensorFromLabels(attribute(labels),dim)", "tensorFromLabels(attribute(single))", "tagged"]

SD = f"""schema doc {{
    document doc {{
        field X type weightedset<string> {{ indexing: attribute }}
        field ids type weightedset<int> {{ indexing: attribute }}
        field vec type array<float> {{ indexing: attribute }}
        field labels type array<string> {{ indexing: attribute }}
        field single type int {{ indexing: attribute }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile collections {{
        inputs {{
            query(qm) tensor(k{{}})
            query(qd) tensor(x[3])
        }}
        function tagged() {{ expression: sum(tensorFromWeightedSet(attribute(X), k) * query(qm)) }}
        first-phase {{ expression: attribute(n) }}
        match-features: {' '.join(FEATURES)}
    }}
}}
"""
DOCS = [
    {"n": 3, "X": {"x": 10, "y": 20}, "ids": {"1": 5, "7": 2}, "vec": [1.5, 2, 3], "labels": ["v1", "v2", "v3"],
     "single": 42},
    {"n": 2, "X": {"X": 1, "key1": 0, "key2": 1, "key3": 2}, "vec": [4]},
    {"n": 1},
]


def run(tmp_path_factory, properties, query_features=None, extra=()):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("collections"))
    try:
        outcome = bed.search("collections", rank_properties=properties, query_features=query_features or {},
                             extra_match_features=extra)
        return [dict(h.match_features) for h in outcome.hits]
    finally:
        bed.close()


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    qm = parse_tensor_literal("{x:2,y:4}", "tensor(k{})")
    qd = parse_tensor_literal("[1,10,100]", "tensor(x[3])")
    return run(tmp_path_factory, {"dotProduct.Y": "{x:2,y:4,1:3,7:10}"}, {"query(qm)": qm, "query(qd)": qd})


def test_dot_product_over_a_weighted_set(features) -> None:
    # the reference's example: X = {x:10, y:20}, dotProduct.Y = {x:2, y:4} -> 10*2 + 20*4 = 100
    assert [f["dotProduct(X,Y)"] for f in features] == [100.0, 2.0, 0.0]  # doc 2: X (uncased) matches x: 1*2
    assert [f["dotProduct(ids,Y)"] for f in features] == [5 * 3 + 2 * 10.0, 0.0, 0.0]  # integer keys


def test_dot_product_over_an_array_reads_positions(features, tmp_path_factory) -> None:
    # [1.5, 2, 3] . [1, 10, 100] = 321.5; [4] . [1, ...] = 4 (positions past either end count 0)
    assert [f["dotProduct(vec,query(qd))"] for f in features] == [321.5, 4.0, 0.0]
    dense = run(tmp_path_factory, {"dotProduct.V": "[1 10 100 1000]"}, extra=["dotProduct(vec,V)"])
    assert [f["dotProduct(vec,V)"] for f in dense] == [321.5, 4.0, 0.0]
    sparse = run(tmp_path_factory, {"dotProduct.V": "{2:100,0:1}"}, extra=["dotProduct(vec,V)"])
    assert [f["dotProduct(vec,V)"] for f in sparse] == [301.5, 4.0, 0.0]


def test_dot_product_with_a_mapped_query_input(features) -> None:
    assert [f["dotProduct(X,query(qm))"] for f in features] == [100.0, 2.0, 0.0]
    assert [f["tagged"] for f in features] == [100.0, 0.0, 0.0]  # labels as fed: 'X' is not 'x'


def test_no_vector_is_zero(tmp_path_factory) -> None:
    assert [f["dotProduct(X,Y)"] for f in run(tmp_path_factory, {})] == [0.0, 0.0, 0.0]


def test_a_malformed_vector_is_an_error(tmp_path_factory) -> None:
    with pytest.raises(InvalidParameterError, match="key:number"):
        run(tmp_path_factory, {"dotProduct.Y": "{x:two}"})
    with pytest.raises(InvalidParameterError, match="integer indexes"):
        run(tmp_path_factory, {"dotProduct.V": "{x:2}"}, extra=["dotProduct(vec,V)"])


def test_tensor_from_weighted_set(features) -> None:
    # the reference's example: {key1:0, key2:1, key3:2} -> tensor(dim{}):{key1:0.0, key2:1.0, key3:2.0}
    assert features[1]["tensorFromWeightedSet(attribute(X),dim)"] == parse_tensor_literal(
        "{X:1,key1:0,key2:1,key3:2}", "tensor(dim{})")
    assert features[0]["tensorFromWeightedSet(attribute(ids))"] == parse_tensor_literal("{1:5,7:2}", "tensor(ids{})")
    assert features[2]["tensorFromWeightedSet(attribute(X),dim)"] == parse_tensor_literal("{}", "tensor(dim{})")


def test_tensor_from_labels(features) -> None:
    # the reference's example: [v1, v2, v3] -> tensor(dim{}):{v1:1.0, v2:1.0, v3:1.0}
    assert features[0]["tensorFromLabels(attribute(labels),dim)"] == parse_tensor_literal(
        "{v1:1,v2:1,v3:1}", "tensor(dim{})")
    assert features[1]["tensorFromLabels(attribute(labels),dim)"] == parse_tensor_literal("{}", "tensor(dim{})")
    assert features[0]["tensorFromLabels(attribute(single))"] == parse_tensor_literal("{42:1}", "tensor(single{})")


def test_tensors_from_a_query_property(tmp_path_factory) -> None:
    # Vespa's query source: the rank property p, one tensor for every document (weights as integers)
    found = run(tmp_path_factory, {"p": "{a:2,b:3.7}", "labels": "[x y]"},
                extra=["tensorFromWeightedSet(query(p),dim)", "tensorFromWeightedSet(query(p))",
                       "tensorFromLabels(query(labels))"])
    assert found[1]["tensorFromWeightedSet(query(p),dim)"] == parse_tensor_literal("{a:2,b:3}", "tensor(dim{})")
    assert found[0]["tensorFromWeightedSet(query(p))"] == parse_tensor_literal("{a:2,b:3}", "tensor(p{})")
    assert found[2]["tensorFromLabels(query(labels))"] == parse_tensor_literal("{x:1,y:1}", "tensor(labels{})")
    empty = run(tmp_path_factory, {}, extra=["tensorFromWeightedSet(query(p))"])
    assert empty[0]["tensorFromWeightedSet(query(p))"] == parse_tensor_literal("{}", "tensor(p{})")
    with pytest.raises(InvalidParameterError, match=r"tensorFromLabels\(query\(labels\)\): the labels must be"):
        run(tmp_path_factory, {"labels": "x y"}, extra=["tensorFromLabels(query(labels))"])


@pytest.mark.parametrize("expression, message", [
    ("dotProduct(n, v)", "must be a weighted set of strings or integers or an array of numbers"),
    ("dotProduct(labels, v)", "must be a weighted set"),
    ("dotProduct(nope, v)", "no field 'nope'"),
    ("sum(tensorFromWeightedSet(attribute(vec), d))", "must be a weighted set of strings or integers"),
    ("sum(tensorFromLabels(attribute(vec)))", "must be a single value or array of strings or integers"),
    ("sum(tensorFromLabels(constant(v), d))", "the source must be attribute(name) or query(name)"),
])
def test_load_errors_are_located(expression: str, message: str) -> None:
    sd = SD.replace("expression: attribute(n) }", f"expression: {expression} }}")
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")) as error:
        application_from_text(sd, name="doc.sd")
    assert error.value.location is not None


NATIVE_SD = """schema doc {
    document doc {
        field X type weightedset<string> { indexing: attribute }
        field nums type array<int> { indexing: attribute }
        field kw type weightedset<string> { indexing: index }
        field title type string { indexing: index }
    }
    rank-profile native {
        first-phase { expression: nativeDotProduct }
        match-features: nativeDotProduct(X) nativeDotProduct(nums) nativeDotProduct(kw) nativeDotProduct(title)
    }
}
"""


def test_native_dot_product(tmp_path_factory) -> None:
    # the reference's example: X = {x:10, y:20, z:30}, query x!2 OR y!4 -> 10*2 + 20*4 = 100
    docs = [{"X": {"x": 10, "y": 20, "z": 30}, "nums": [7, 7, 8], "kw": {"red car": 5, "car": 9}, "title": "a car"},
            {"X": {"Y": 3}, "title": "boat"}]
    bed = RankingBed(NATIVE_SD, docs, tmp_path_factory.mktemp("native"))
    try:
        query = q.Or((q.Term("X", "x", weight=2), q.Term("X", "y", weight=4), q.Term("nums", "7", weight=3),
                      q.Term("kw", "car", weight=10), q.Term("title", "car", weight=50), q.Term("title", "boat")))
        found = {bed.ids[h.global_id].rsplit(":", 1)[1]: (h.relevance, dict(h.match_features))
                 for h in bed.search("native", query=query).hits}
    finally:
        bed.close()
    first = found["0"][1]
    assert first["nativeDotProduct(X)"] == 100.0
    assert first["nativeDotProduct(nums)"] == 3.0  # an array element matches with weight 1, once
    assert first["nativeDotProduct(kw)"] == 50.0  # the first element holding "car": "red car" (5) * 10
    assert first["nativeDotProduct(title)"] == 50.0
    assert found["0"][0] == 100.0 + 3.0 + 50.0 + 50.0  # nativeDotProduct: every field the terms search
    assert found["1"][1]["nativeDotProduct(X)"] == 12.0  # y matches the uncased key Y: 3 * 4
    assert found["1"][0] == 12.0 + 100.0
