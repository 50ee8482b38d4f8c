"""attributeMatch, foreach, queryTermDocumentFrequency and rankingExpression(name) against values
worked out by hand from Vespa's formulas (content_node.matching.compound_features)."""
from __future__ import annotations

import pytest

from content_node.matching.core_features import significance
from ranking_support import RankingBed
from searchlib.query import tree as q
from searchlib.tensor import Tensor

FEATURES = [
    "attributeMatch(tags)", "attributeMatch(tags).queryCompleteness", "attributeMatch(tags).fieldCompleteness",
    "attributeMatch(tags).matches", "attributeMatch(tags).totalWeight", "attributeMatch(tags).averageWeight",
    "attributeMatch(tags).maxWeight", "attributeMatch(tags).normalizedWeight",
    "attributeMatch(tags).normalizedWeightedWeight", "attributeMatch(tags).weight",
    "attributeMatch(tags).significance", "attributeMatch(tags).importance",
    "attributeMatch(color)", "attributeMatch(nums)", "attributeMatch(nums).fieldCompleteness",
    'foreach(terms,N,term(N).weight,">0",count)', 'foreach(terms,N,term(N).weight,"true",sum)',
    'foreach(attributes,A,attributeMatch(A),">0",average)', 'foreach(attributes,A,attributeMatch(A),"true",min)',
    'foreach(fields,F,matches(F),"true",product)', 'foreach(fields,F,matches(F),"true",sum)', "queryTermDocumentFrequency(title)", "doubled",
    "term(1).significance", "term(2).significance",
]

SD = f"""schema doc {{
    document doc {{
        field title type string {{ indexing: index | summary
                                  index: enable-bm25 }}
        field body type string {{ indexing: index }}
        field tags type weightedset<string> {{ indexing: attribute }}
        field color type string {{ indexing: attribute }}
        field nums type array<int> {{ indexing: attribute }}
        field pop type double {{ indexing: attribute }}
    }}
    rank-profile compound {{
        function base() {{ expression: attribute(pop) + 1 }}
        function doubled() {{ expression: rankingExpression(base) * 2 }}
        first-phase {{ expression: rankingExpression(base) }}
        match-features {{
            {chr(10).join(FEATURES)}
        }}
    }}
}}
"""
DOCS = [
    {"title": "red pie", "body": "pie", "tags": {"a": 10, "b": 30}, "color": "red", "nums": [1, 2, 3], "pop": 3},
    {"title": "green pie", "tags": {"b": 5}, "color": "green", "nums": [2], "pop": 2},
    {"title": "banana", "tags": {"c": 1}, "color": "Red", "nums": [], "pop": 1},
]
# 5 query terms of weight 100: one on title, four on attribute-only fields (two of them on tags)
QUERY = q.Rank((q.TrueItem(), q.Term("title", "pie"), q.Term("tags", "a"), q.Term("tags", "b"),
                q.Term("color", "red"), q.Term("nums", "2")))


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("compound"))
    yield bed
    bed.close()


@pytest.fixture(scope="module")
def features(bed):
    return [dict(h.match_features) for h in bed.search("compound", query=QUERY).hits]  # by pop: documents 0, 1, 2


def column(features, name):
    return [pytest.approx(f[name]) for f in features]


def test_attribute_match_of_a_weighted_set(features) -> None:
    # doc 0 matches a (10) and b (30) of its weights {a:10, b:30}; doc 1 b (5) of {b:5}; doc 2 none
    assert column(features, "attributeMatch(tags).matches") == [2, 1, 0]
    assert column(features, "attributeMatch(tags).queryCompleteness") == [1.0, 0.5, 0.0]
    assert column(features, "attributeMatch(tags).fieldCompleteness") == [1.0, 1.0, 0.0]  # 40/40, 5/5
    # completeness = qc * (1 - 0.05 + 0.05 * fc)
    assert column(features, "attributeMatch(tags)") == [1.0, 0.5, 0.0]
    assert column(features, "attributeMatch(tags).totalWeight") == [40.0, 5.0, 0.0]
    assert column(features, "attributeMatch(tags).averageWeight") == [20.0, 5.0, 0.0]
    assert column(features, "attributeMatch(tags).maxWeight") == [30.0, 5.0, 0.0]
    # totalWeight / (maxWeight 256 * 2 terms on tags)
    assert column(features, "attributeMatch(tags).normalizedWeight") == [40 / 512, 5 / 512, 0.0]
    # sum(element weight * term weight) / (256 * weight of the 4 attribute terms)
    assert column(features, "attributeMatch(tags).normalizedWeightedWeight") == [4000 / 102400, 500 / 102400, 0]
    # matched term weight / all 5 query terms' weight
    assert column(features, "attributeMatch(tags).weight") == [0.4, 0.2, 0.0]
    for f in features:
        significance = f["attributeMatch(tags).significance"]
        assert 0.0 <= significance <= 1.0
        assert f["attributeMatch(tags).importance"] == pytest.approx((f["attributeMatch(tags).weight"]
                                                                      + significance) / 2)
    assert features[0]["attributeMatch(tags).significance"] > features[1]["attributeMatch(tags).significance"] > 0


def test_attribute_match_of_single_values_and_arrays(features) -> None:
    assert column(features, "attributeMatch(color)") == [1.0, 0.0, 1.0]  # "Red" matches red: uncased
    # nums [1,2,3] holds 2: field completeness 1/3, completeness 0.95 + 0.05/3
    assert column(features, "attributeMatch(nums).fieldCompleteness") == [1 / 3, 1.0, 0.0]
    assert column(features, "attributeMatch(nums)") == [0.95 + 0.05 / 3, 1.0, 0.0]


def test_foreach(features) -> None:
    # term(N).weight is 100 for the 5 terms and 0 for N = 5..15
    assert column(features, 'foreach(terms,N,term(N).weight,">0",count)') == [5, 5, 5]
    assert column(features, 'foreach(terms,N,term(N).weight,"true",sum)') == [500, 500, 500]
    # attributes: tags, color, nums, pop (attribute-only fields); pop is never searched (0)
    assert column(features, 'foreach(attributes,A,attributeMatch(A),">0",average)') == [
        (1.0 + 1.0 + 0.95 + 0.05 / 3) / 3, (0.5 + 1.0) / 2, 1.0]
    assert column(features, 'foreach(attributes,A,attributeMatch(A),"true",min)') == [0.0, 0.0, 0.0]
    # index fields title and body: the query searches title only, so body never matches
    assert column(features, 'foreach(fields,F,matches(F),"true",product)') == [0.0, 0.0, 0.0]
    assert column(features, 'foreach(fields,F,matches(F),"true",sum)') == [1.0, 1.0, 0.0]


def test_query_term_document_frequency(features) -> None:
    value = features[0]["queryTermDocumentFrequency(title)"]
    tensor = value if isinstance(value, Tensor) else None
    assert tensor is not None, value
    assert {tuple(a.items()): v for a, v in tensor.cells()} == {(("term", "0"),): 2.0}  # pie: docs 0, 1


def test_ranking_expression_names_a_function(features) -> None:
    assert column(features, "doubled") == [8.0, 6.0, 4.0]


def test_given_statistics_are_every_terms_significance(bed) -> None:
    # {documentFrequency} first, then {significance}, for the terms on the attribute as for any
    # (QueryTermHelper reads util::get_legacy_significance of every term); term(n) alike
    given = q.Rank((q.TrueItem(), q.Term("title", "pie", document_frequency=(500, 1000)),
                    q.Term("tags", "a", document_frequency=(1, 1000)), q.Term("tags", "b", significance=0.9),
                    q.Term("color", "red", significance=0.6), q.Term("nums", "2", significance=0.7)))
    f = [dict(h.match_features) for h in bed.search("compound", query=given).hits]
    s_pie, s_a = significance(500, 1000), significance(1, 1000)
    total = s_pie + s_a + 0.9 + 0.6 + 0.7
    assert column(f, "attributeMatch(tags).significance") == [(s_a + 0.9) / total, 0.9 / total, 0.0]
    assert column(f, "term(1).significance") == [s_a] * 3  # tags: attribute only, its statistics given
    assert column(f, "term(2).significance") == [0.9] * 3
