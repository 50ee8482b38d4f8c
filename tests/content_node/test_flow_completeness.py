"""flowCompleteness(f) (flow_completeness_feature.cpp) over string, array and weighted-set index
fields, values worked by hand from Vespa's definition: flow is a maximum matching of query terms to
positions, so a word repeated in the query counts once per occurrence in the element."""
from __future__ import annotations

import pytest

from content_node.matching.flow_completeness import OUTPUTS, max_matching
from ranking_support import RankingBed
from searchlib.query import tree as q

SD = f"""schema doc {{
    document doc {{
        field title type string {{ indexing: index }}
        field arr type array<string> {{ indexing: index }}
        field ws type weightedset<string> {{ indexing: index }}
    }}
    rank-profile flow {{
        first-phase {{ expression: flowCompleteness(arr) }}
        match-features: {' '.join(f'flowCompleteness({f}).{o}' for f in ('title', 'arr', 'ws') for o in OUTPUTS)}
    }}
    rank-profile query_first inherits flow {{
        rank-properties {{
            flowCompleteness(arr).fieldCompletenessImportance: 0.0
            vespa.fieldweight.arr: 300
        }}
    }}
}}
"""
DOCS = [
    {"title": "a x a", "arr": ["a b", "a b c d", "x"], "ws": {"a b c d": 10, "b": 3}},
    {"title": "b", "arr": ["b c", "a a"], "ws": {"a": -5}},
]
# arr: a, b, a (repeated: two terms for one word); title: a, a; ws: a (weight 200), b
QUERY = q.Or((q.Term("arr", "a"), q.Term("arr", "b"), q.Term("arr", "a"), q.Term("title", "a"),
              q.Term("title", "a"), q.Term("ws", "a", weight=200), q.Term("ws", "b")))


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    def run(profile: str) -> dict[str, list[float]]:
        outcome = bed.search(profile, query=QUERY)
        return {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("flow"))
    try:
        yield {"flow": run("flow"), "query_first": run("query_first")}
    finally:
        bed.close()


def outputs(features: dict, field: str) -> list[float]:
    return [features[f"flowCompleteness({field}).{o}"] for o in OUTPUTS]


def test_max_matching_gives_each_position_one_term():
    assert max_matching([{0, 2}, {0, 2}, {1}]) == 3
    assert max_matching([{0}, {0}, {1}]) == 2
    assert max_matching([{0, 1}, {0}]) == 2  # the first term moves to position 1
    assert max_matching([]) == 0


def test_array_elements(found):
    # terms a, b, a (n = 3, weights 100 each), c = 0.5:
    # doc 0 "a b": a→0, b→1, the second a finds no free position: flow 2, query 2/3, field 2/2,
    #   completeness 0.8333, score 0.8333 * 300 (a, b, a occur); "a b c d": flow 2, field 2/4 -> 0.5833: less
    assert outputs(found["flow"]["0"], "arr") == pytest.approx([5 / 6, 1.0, 2 / 3, 1.0, 100.0, 2.0])
    # doc 1 "b c": flow 1 -> 1/3, 1/2 -> 0.4167 * 100; "a a": both a terms placed: flow 2 -> 2/3, 1 ->
    #   0.8333 * 200: the second element wins
    assert outputs(found["flow"]["1"], "arr") == pytest.approx([5 / 6, 1.0, 2 / 3, 1.0, 100.0, 2.0])


def test_a_single_string_and_a_weighted_set(found):
    # title "a x a" with the query's a twice: flow 2 of n 2 -> query 1, field 2/3 -> 0.8333
    assert outputs(found["flow"]["0"], "title") == pytest.approx([5 / 6, 2 / 3, 1.0, 1.0, 100.0, 2.0])
    assert outputs(found["flow"]["1"], "title") == [0.0, 0.0, 0.0, 0.0, 100.0, 0.0]  # "b": no a in it
    # ws terms a (200), b (100): "a b c d" (weight 10): flow 2 -> query 1, field 0.5 -> 0.75, score 0.75*300;
    #   "b" (weight 3): flow 1 -> 0.5, 1 -> 0.75, score 0.75*100: the first wins; its element weight 10
    assert outputs(found["flow"]["0"], "ws") == pytest.approx([0.75, 0.5, 1.0, 10.0, 100.0, 2.0])
    # doc 1 ws {"a": -5}: flow 1 -> query 0.5, field 1 -> 0.75, score 0.75 * 200 > 0 (weights of the
    #   terms, not of the element): element weight -5 is reported
    assert outputs(found["flow"]["1"], "ws") == pytest.approx([0.75, 1.0, 0.5, -5.0, 100.0, 1.0])


def test_field_completeness_importance_and_field_weight_from_rank_properties(found):
    # c = 0: completeness = queryCompleteness; doc 0 "a b" 2/3 = "a b c d" 2/3: the first stays
    assert outputs(found["query_first"]["0"], "arr") == pytest.approx([2 / 3, 1.0, 2 / 3, 1.0, 300.0, 2.0])
