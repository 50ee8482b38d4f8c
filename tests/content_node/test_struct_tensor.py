"""tensorFromStructs over array<struct> and map attributes (tensor_from_structs_feature.cpp), with
the rank feature reference's examples worked by hand, and its load rules."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text
from searchlib.tensor import parse_tensor_literal

FEATURES = ["tensorFromStructs(attribute(items),name,price,float)",
            "tensorFromStructs(attribute(items),id,price,double)",
            "tensorFromStructs(attribute(items),name,id,price,double)",
            "tensorFromStructs(attribute(scores),key,value,double)", "market_price"]


def schema(features: str, extra_profile: str = "") -> str:
    return f"""schema doc {{
    document doc {{
        struct item {{
            field name type string {{}}
            field id type int {{}}
            field price type float {{}}
            field note type string {{}}
        }}
        field items type array<item> {{
            indexing: summary
            struct-field name {{ indexing: attribute }}
            struct-field id {{ indexing: attribute }}
            struct-field price {{ indexing: attribute }}
            struct-field note {{ indexing: attribute }}
        }}
        field scores type map<string, int> {{
            indexing: summary
            struct-field key {{ indexing: attribute }}
            struct-field value {{ indexing: attribute }}
        }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile structs {{
        inputs {{ query(market) tensor(name{{}}) }}
        function market_price() {{
            expression: sum(tensorFromStructs(attribute(items), name, price, double) * query(market))
        }}
        first-phase {{ expression: attribute(n) }}
        match-features: {features}
    }}
    {extra_profile}
}}
"""


DOCS = [
    {"n": 2, "items": [{"name": "apple", "id": 100, "price": 1.5}, {"name": "banana", "id": 200, "price": 0.75},
                       {"name": "cherry", "id": 300, "price": 2.25}],
     "scores": {"a": 3, "b": -1}},
    {"n": 1, "items": []},
    # elements lacking the key or the value field: each is left out, the others keep their cells
    {"n": 0, "items": [{"id": 1, "price": 1.0}, {"name": "pear", "price": 4.0}, {"name": "fig", "id": 3},
                       {"name": "kiwi", "id": 4, "price": 0.5}]},
]


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    bed = RankingBed(schema(" ".join(FEATURES)), DOCS, tmp_path_factory.mktemp("structs"))
    try:
        market = parse_tensor_literal("{apple:2,cherry:10}", "tensor(name{})")
        outcome = bed.search("structs", query_features={"query(market)": market})
        return [dict(h.match_features) for h in outcome.hits]
    finally:
        bed.close()


def test_the_references_examples(features) -> None:
    # items [{apple,100,1.5},{banana,200,0.75},{cherry,300,2.25}] ->
    # tensor<float>(name{}):{apple:1.5, banana:0.75, cherry:2.25}; by id: tensor(id{}):{100:1.5, ...}
    assert features[0][FEATURES[0]] == parse_tensor_literal("{apple:1.5,banana:0.75,cherry:2.25}",
                                                             "tensor<float>(name{})")
    assert features[0][FEATURES[1]] == parse_tensor_literal("{100:1.5,200:0.75,300:2.25}", "tensor(id{})")
    # two keys: one mapped dimension each
    assert features[0][FEATURES[2]] == parse_tensor_literal(
        "{{name:apple,id:100}:1.5,{name:banana,id:200}:0.75,{name:cherry,id:300}:2.25}", "tensor(id{},name{})")
    # a map's key and value struct fields
    assert features[0][FEATURES[3]] == parse_tensor_literal("{a:3,b:-1}", "tensor(key{})")
    # in an expression: 2 * 1.5 + 10 * 2.25
    assert features[0]["market_price"] == pytest.approx(25.5)


def test_an_empty_array_gives_the_empty_tensor(features) -> None:
    assert features[1][FEATURES[0]] == parse_tensor_literal("{}", "tensor<float>(name{})")
    assert features[1]["market_price"] == 0.0


def test_an_element_without_its_key_or_value_gives_no_cell(features) -> None:
    assert features[2][FEATURES[0]] == parse_tensor_literal("{pear:4.0,kiwi:0.5}", "tensor<float>(name{})")
    assert features[2][FEATURES[1]] == parse_tensor_literal("{1:1.0,4:0.5}", "tensor(id{})")
    assert features[2][FEATURES[2]] == parse_tensor_literal("{{name:kiwi,id:4}:0.5}", "tensor(id{},name{})")


@pytest.mark.parametrize("feature, message", [
    ("tensorFromStructs(attribute(items),name,price)", "takes (attribute(name), 1 to 5 key fields"),
    ("tensorFromStructs(query(items),name,price,float)", "the source must be attribute(name)"),
    ("tensorFromStructs(attribute(items),name,price,text)", "invalid cell type 'text'"),
    ("tensorFromStructs(attribute(items),nope,price,float)", "no such attribute 'items.nope'"),
    ("tensorFromStructs(attribute(items),name,note,float)", "'items.note' must have a numeric type"),
    ("tensorFromStructs(attribute(items),price,id,float)", "'items.price' must have basic type string or integer"),
    ("tensorFromStructs(attribute(items),name,name,price,float)", "invalid or duplicate dimension name"),
])
def test_load_errors(feature, message) -> None:
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        application_from_text(schema(feature), name="doc.sd")
