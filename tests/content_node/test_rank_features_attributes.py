"""attribute(...) over numeric, string, array, weighted-set and tensor attributes; query(...)
tensors; freshness with now."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.tensor import parse_tensor_literal

FEATURES = ["attribute(num)", "is_red", "attribute(arr,1)", "attribute(arr).count", "attribute(ws,a).weight",
            "attribute(ws,b).contains", "attribute(ws).count", "attribute(emb)", "dot", "freshness(ts)", "now", "latest", "age(ts)"]

SD = f"""schema doc {{
    document doc {{
        field num type double {{ indexing: attribute }}
        field color type string {{ indexing: attribute }}
        field arr type array<int> {{ indexing: attribute }}
        field ws type weightedset<string> {{ indexing: attribute }}
        field emb type tensor<float>(x[2]) {{ indexing: attribute }}
        field ts type long {{ indexing: attribute }}
    }}
    rank-profile attrs {{
        inputs {{
            query(q) tensor<float>(x[2])
        }}
        function is_red() {{ expression: if(attribute(color) == "red", 1, 0) }}
        function dot() {{ expression: sum(query(q) * attribute(emb)) }}
        function latest() {{ expression: max(attribute(num), now) }}
        first-phase {{ expression: attribute(num) }}
        match-features: {' '.join(FEATURES)}
    }}
}}
"""
NOW = 1_700_000_000.0
DOCS = [
    {"num": 2, "color": "red", "arr": [5, 6, 7], "ws": {"a": 3, "b": 1}, "emb": {"values": [1, 2]},
     "ts": int(NOW - 45 * 86400)},
    {"num": 1, "color": "blue", "arr": [9], "ws": {"c": 2}},
]


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("attrs"))
    q = parse_tensor_literal("[10, 100]", "tensor<float>(x[2])")
    outcome = bed.search("attrs", query_features={"query(q)": q}, now=NOW)
    result = [dict(h.match_features) for h in outcome.hits]
    bed.close()
    return result


def test_numeric_and_string_attributes(features) -> None:
    assert [f["attribute(num)"] for f in features] == [2.0, 1.0]
    assert [f["is_red"] for f in features] == [1.0, 0.0]


def test_array_and_weighted_set_attributes(features) -> None:
    assert [f["attribute(arr,1)"] for f in features] == [6.0, 0.0]
    assert [f["attribute(arr).count"] for f in features] == [3.0, 1.0]
    assert [f["attribute(ws,a).weight"] for f in features] == [3.0, 0.0]
    assert [f["attribute(ws,b).contains"] for f in features] == [1.0, 0.0]
    assert [f["attribute(ws).count"] for f in features] == [2.0, 1.0]


def test_tensor_attribute_and_query_tensor(features) -> None:
    assert features[0]["attribute(emb)"] == parse_tensor_literal("[1, 2]", "tensor<float>(x[2])")
    assert features[1]["attribute(emb)"] == parse_tensor_literal("[0, 0]", "tensor<float>(x[2])")  # unset
    assert [f["dot"] for f in features] == [210.0, 0.0]


def test_freshness_uses_now(features) -> None:
    assert features[0]["now"] == NOW
    assert features[0]["freshness(ts)"] == pytest.approx(0.5)
    assert features[0]["age(ts)"] == 45 * 86400


def test_max_with_a_bare_feature_name(features) -> None:
    assert features[0]["latest"] == NOW  # `now` is a feature here, not a dimension to reduce over


def test_tensor_attribute_cache_follows_updates(tmp_path) -> None:
    bed = RankingBed(SD, DOCS, tmp_path)
    q = parse_tensor_literal("[10, 100]", "tensor<float>(x[2])")
    first = [h.match_features["dot"] for h in bed.search("attrs", query_features={"query(q)": q}, now=NOW).hits]
    assert first == [210.0, 0.0]
    bed.db.put("id:test:doc::0", dict(DOCS[0], emb={"values": [3, 4]}))
    again = [h.match_features["dot"] for h in bed.search("attrs", query_features={"query(q)": q}, now=NOW).hits]
    assert again == [430.0, 0.0]
    bed.close()
