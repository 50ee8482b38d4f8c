"""elementCompleteness(f) over array and weighted-set index fields (element_completeness_feature.cpp),
values worked by hand from the reference's definitions, and `match` over a multi-value index field
(its score is elementCompleteness(f).completeness)."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.errors import SchemaError
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text

OUTPUTS = ["completeness", "fieldCompleteness", "queryCompleteness", "elementWeight"]
SD = f"""schema doc {{
    document doc {{
        field arr type array<string> {{ indexing: index }}
        field ws type weightedset<string> {{ indexing: index }}
    }}
    rank-profile ec {{
        first-phase {{ expression: elementCompleteness(arr) + elementCompleteness(ws) }}
        match-features: {' '.join(f'elementCompleteness({f}).{o}' for f in ('arr', 'ws') for o in OUTPUTS)} match
    }}
    rank-profile field_first inherits ec {{
        rank-properties {{
            elementCompleteness(ws).fieldCompletenessImportance: 1.0
        }}
    }}
}}
"""
DOCS = [
    {"arr": ["a b", "a b c d", "x"], "ws": {"a b c d": 10, "a": 3}},
    {"arr": ["b c", "a"], "ws": {"a": -5}},
]
QUERY = q.Or((q.Term("arr", "a"), q.Term("arr", "b"), q.Term("ws", "a", weight=200), q.Term("ws", "b")))


def features(tmp_path_factory, profile: str) -> dict[str, dict]:
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("ec"))
    try:
        outcome = bed.search(profile, query=QUERY)
        return {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    finally:
        bed.close()


def outputs(found: dict, field: str) -> list[float]:
    return [found[f"elementCompleteness({field}).{o}"] for o in OUTPUTS]


@pytest.fixture(scope="module")
def default(tmp_path_factory):
    return features(tmp_path_factory, "ec")


def test_the_best_element_of_an_array(default) -> None:
    # "a b": both terms, length 2 -> field 1, query 1, completeness 1 (beats "a b c d": 0.5, 1 -> 0.75)
    assert outputs(default["0"], "arr") == [1.0, 1.0, 1.0, 1.0]
    # "b c" (b: field 1/2, query 1/2 -> 0.5) and "a" (field 1, query 1/2 -> 0.75): "a" wins
    assert outputs(default["1"], "arr") == [0.75, 1.0, 0.5, 1.0]


def test_element_weights_scale_the_choice(default) -> None:
    # ws terms a (200) and b (100): "a b c d" (10): field 2/4, query 1 -> 0.75, score 7.5;
    # "a" (3): field 1, query 200/300 -> 0.8333, score 2.5: the first wins
    assert outputs(default["0"], "ws") == [0.75, 0.5, 1.0, 10.0]
    assert outputs(default["1"], "ws") == [0.0, 0.0, 0.0, 0.0]  # a negative weight never scores above 0


def test_field_completeness_importance(tmp_path_factory) -> None:
    # importance 1: completeness = field completeness; "a b c d" 0.5 * 10 = 5 still beats "a" 1 * 3
    found = features(tmp_path_factory, "field_first")
    assert outputs(found["0"], "ws") == [0.5, 0.5, 1.0, 10.0]


def test_match_over_multi_value_index_fields(default) -> None:
    # match: the weight-100 average of the fields whose elementCompleteness is above 0
    assert default["0"]["match"] == pytest.approx((1.0 + 0.75) / 2)
    assert default["1"]["match"] == pytest.approx(0.75)


def test_an_attribute_is_refused_at_load() -> None:
    text = SD.replace("field ws type weightedset<string> { indexing: index }",
                      "field ws type weightedset<string> { indexing: attribute }")
    with pytest.raises(SchemaError, match=r"elementCompleteness\(ws\): not an index field: 'ws'"):
        application_from_text(text, name="doc.sd")
