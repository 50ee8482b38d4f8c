"""fieldMatch, fieldTermMatch, termDistance, term(n) and matches(f, n) on hand-made documents,
with the numbers worked out from the documented simplification (content_node.matching.text_features)."""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from native_by_hand import boost, pair, significance
from ranking_support import RankingBed
from searchlib.query import tree as q

FEATURES = [
    "fieldMatch(title)", "fieldMatch(title).completeness", "fieldMatch(title).queryCompleteness",
    "fieldMatch(title).fieldCompleteness", "fieldMatch(title).proximity", "fieldMatch(title).orderness",
    "fieldMatch(title).relatedness", "fieldMatch(title).earliness", "fieldMatch(title).longestSequence",
    "fieldMatch(title).outOfOrder", "fieldMatch(title).gaps", "fieldMatch(title).gapLength",
    "fieldMatch(title).head", "fieldMatch(title).tail", "fieldMatch(title).matches",
    "fieldMatch(title).weightedOccurrence", "fieldMatch(title).weightedAbsoluteOccurrence",
    "fieldMatch(title).significantOccurrence", "fieldMatch(title).unweightedProximity",
    "fieldMatch(title).degradedMatches",
    "fieldTermMatch(title,1).firstPosition", "fieldTermMatch(title,0).occurrences",
    "termDistance(title,0,1).forward", "termDistance(title,0,1).reverse",
    "termDistance(title,0,1).forwardTermPosition", "matches(title,1)", "matches(title)",
    "term(0).weight", "term(1).significance", "term(1).connectedness", "queryTermCount",
    "textSimilarity(title)", "textSimilarity(title).order", "averageFieldLength(title)", "num_docs_indexed",
    "nativeProximity(title)", "nativeFieldMatch(title)", "nativeRank(title)", "random",
]

SD = f"""schema doc {{
    document doc {{
        field title type string {{ indexing: index | summary }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile text {{
        first-phase {{ expression: fieldMatch(title) }}
        match-features: {' '.join(FEATURES)}
    }}
}}
"""

TITLES = ["cat dog wolf zed", "dog zed cat", "cat zed zed dog cat", "wolf cat"]


@pytest.fixture(scope="module")
def features(tmp_path_factory) -> dict[str, dict[str, float]]:
    bed = RankingBed(SD, [{"title": t, "n": i} for i, t in enumerate(TITLES)], tmp_path_factory.mktemp("text"))
    query = q.Or((q.Term("title", "cat"), q.Term("title", "dog", weight=200)))
    outcome = bed.search("text", query=query)
    by_doc = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed.close()
    assert set(by_doc) == {"0", "1", "2", "3"}
    return by_doc


def test_in_order_adjacent_terms(features) -> None:
    f = features["0"]  # cat@0 dog@1, length 4
    assert f["fieldMatch(title).matches"] == 2
    assert f["fieldMatch(title).queryCompleteness"] == 1.0
    assert f["fieldMatch(title).fieldCompleteness"] == 0.5
    assert f["fieldMatch(title).completeness"] == pytest.approx(0.95 + 0.05 * 0.5)
    assert f["fieldMatch(title).proximity"] == 1.0
    assert f["fieldMatch(title).orderness"] == 1.0
    assert f["fieldMatch(title).relatedness"] == 1.0
    assert f["fieldMatch(title).longestSequence"] == 2.0
    assert f["fieldMatch(title).earliness"] == 1.0
    assert (f["fieldMatch(title).head"], f["fieldMatch(title).tail"]) == (0.0, 2.0)
    assert f["fieldMatch(title)"] == pytest.approx(0.975)
    assert f["termDistance(title,0,1).forward"] == 1.0
    assert f["termDistance(title,0,1).forwardTermPosition"] == 0.0
    assert f["termDistance(title,0,1).reverse"] == 1000000.0


def test_out_of_order_terms(features) -> None:
    f = features["1"]  # dog@0 zed cat@2, length 3: d = 0 - 2 = -2
    assert f["fieldMatch(title).proximity"] == pytest.approx(1 / 5)
    assert f["fieldMatch(title).orderness"] == 0.0
    assert f["fieldMatch(title).outOfOrder"] == 1.0
    assert f["fieldMatch(title).relatedness"] == 0.0
    completeness = 0.95 + 0.05 * (2 / 3)
    assert f["fieldMatch(title)"] == pytest.approx(completeness * (0.5 + 0.5 / 5))
    assert f["termDistance(title,0,1).forward"] == 1000000.0
    assert f["termDistance(title,0,1).reverse"] == 2.0


def test_gaps_and_repeated_terms(features) -> None:
    f = features["2"]  # cat@0 zed zed dog@3 cat@4
    assert f["fieldMatch(title).gaps"] == 1.0 and f["fieldMatch(title).gapLength"] == 2.0
    assert f["fieldMatch(title).proximity"] == pytest.approx(1 / 3)
    assert f["fieldTermMatch(title,1).firstPosition"] == 3.0
    assert f["fieldTermMatch(title,0).occurrences"] == 2.0
    assert f["termDistance(title,0,1).forward"] == 3.0
    assert f["termDistance(title,0,1).reverse"] == 1.0  # cat@4 is one after dog@3


def test_one_term_matched(features) -> None:
    f = features["3"]  # wolf cat@1, no dog
    assert f["fieldMatch(title).matches"] == 1.0
    assert f["fieldMatch(title).queryCompleteness"] == 0.5
    assert f["fieldMatch(title).proximity"] == 0.0
    assert f["fieldMatch(title).earliness"] == 0.5
    assert f["fieldTermMatch(title,1).firstPosition"] == 1000000.0
    assert f["matches(title,1)"] == 0.0 and f["matches(title)"] == 1.0


def test_term_properties(features) -> None:
    f = features["0"]
    assert f["term(0).weight"] == 100.0
    assert f["term(1).connectedness"] == 0.1
    # dog is in 3 of 4 documents: 0.5 + 0.5 * ln(3/4) / ln(1e-6) (Vespa's util::getSignificance)
    assert f["term(1).significance"] == pytest.approx(0.5 + 0.5 * math.log(3 / 4) / math.log(1e-6))
    assert f["queryTermCount"] == 2.0
    assert features["0"]["matches(title,1)"] == 1.0


def test_first_phase_orders_by_field_match(features) -> None:
    scores = {doc: f["fieldMatch(title)"] for doc, f in features.items()}
    assert max(scores, key=scores.get) == "0"


def test_text_similarity_and_statistics(features) -> None:
    f = features["0"]  # proximity 1, order 1, query coverage 1, field coverage 0.5
    assert f["textSimilarity(title)"] == pytest.approx(0.35 + 0.15 + 0.30 + 0.20 * 0.5)
    assert features["1"]["textSimilarity(title).order"] == 0.0
    assert f["averageFieldLength(title)"] == pytest.approx((4 + 3 + 5 + 2) / 4)
    assert f["num_docs_indexed"] == 4.0
    # native features (native_by_hand): cat@0 and dog@1 of 4 words (span 6), once each; cat is in
    # all 4 documents (significance 0.5), dog in 3; weights 100 and 200
    s_dog = significance(3, 4)
    field_match = (50 * boost(0, 1, 4) + s_dog * 200 * boost(1, 1, 4)) / (50 + s_dog * 200)
    assert f["nativeFieldMatch(title)"] == pytest.approx(field_match)
    assert f["nativeProximity(title)"] == pytest.approx(pair(1, None))  # dog right after cat, never before
    assert f["nativeRank(title)"] == pytest.approx((100 * field_match + 25 * pair(1, None)) / 225)
    assert all(0.0 <= g["random"] < 1.0 for g in features.values())


def test_text_similarity_sweeps_positions_as_vespa(features) -> None:
    """text_similarity_feature.cpp: the chain takes each term once, at its first position after the
    chain's last; a step of d scores 1 - ((d-1)/8)^2."""
    # "cat zed zed dog cat": cat@0 then dog@3 (d 3: 0.9375, in query order); cat@4 already joined
    assert features["2"]["textSimilarity(title)"] == pytest.approx(0.35 * 0.9375 + 0.15 + 0.30 + 0.20 * 2 / 5)
    # "dog zed cat": dog@0 then cat@2 (d 2: 1 - 1/64), back in query order; coverage 2 of 3
    assert features["1"]["textSimilarity(title)"] == pytest.approx(0.35 * (1 - 1 / 64) + 0.30 + 0.20 * 2 / 3)
    # "wolf cat": one match: proximity scores d = fieldLength 2; order 0 (two query terms); cat's weight 100 of 300
    assert features["3"]["textSimilarity(title)"] == pytest.approx(0.35 * (1 - 1 / 64) + 0.30 / 3 + 0.20 / 2)


def test_weighted_and_significant_occurrence(features) -> None:
    """Vespa's fieldmatch Computer: over the matched terms, occurrences times the term's weight
    (cat 100, dog 200) or significance, over min(fieldLength, maxOccurrences 100) times their sum
    (weightedAbsoluteOccurrence: over maxOccurrences). The commerce sample app asks for these."""
    cat, dog = 0.5, significance(3, 4)  # significance: cat in 4 docs, dog in 3
    f = features["2"]  # cat x2, dog x1, length 5
    assert f["fieldMatch(title).weightedOccurrence"] == pytest.approx((2 * 100 + 200) / (5 * 300))
    assert f["fieldMatch(title).weightedAbsoluteOccurrence"] == pytest.approx((2 * 100 + 200) / (100 * 300))
    assert f["fieldMatch(title).significantOccurrence"] == pytest.approx((2 * cat + dog) / (5 * (cat + dog)))
    assert f["fieldMatch(title).unweightedProximity"] == f["fieldMatch(title).proximity"]
    assert f["fieldMatch(title).degradedMatches"] == 0.0
    f = features["3"]  # cat x1 (dog missing: only matched terms count), length 2
    assert f["fieldMatch(title).weightedOccurrence"] == pytest.approx(0.5)
    assert f["fieldMatch(title).significantOccurrence"] == pytest.approx(0.5)
    assert f["fieldMatch(title).weightedAbsoluteOccurrence"] == pytest.approx(0.01)


def test_every_output_the_load_accepts_is_computed(tmp_path) -> None:
    """searchlib's FIELD_MATCH_OUTPUTS (what a package may name; anything else is a load error) is
    what the content node computes, with and without query terms for the field."""
    from searchlib.schema.feature_types import FIELD_MATCH_OUTPUTS

    bed = RankingBed(SD, [{"title": t, "n": i} for i, t in enumerate(TITLES)], tmp_path)
    named = [f"fieldMatch(title).{output}" for output in sorted(FIELD_MATCH_OUTPUTS - {"match"})]
    try:
        for query in (q.Term("title", "cat"), q.Term("n", "1")):
            [hit, *_] = bed.search("text", query=query, extra_match_features=named).hits
            assert set(named) <= set(dict(hit.match_features))
    finally:
        bed.close()


def test_a_phrase_is_one_term_and_fieldmatch_reads_its_words(tmp_path) -> None:
    """Term 0 the phrase "cat dog", term 1 zed (content_node.matching.term_data): the phrase's
    positions are where it starts whole, termDistance measures from its last word; fieldMatch
    splits it into words that occur only where the whole phrase does (Vespa's PhraseSplitter)."""
    bed = RankingBed(SD, [{"title": t, "n": i} for i, t in enumerate(TITLES)], tmp_path)
    reverse = ["termDistance(title,1,0).reverse", "termDistance(title,1,0).reverseTermPosition",
               "textSimilarity(title).proximity", "textSimilarity(title).queryCoverage",
               "textSimilarity(title).fieldCoverage"]
    try:
        outcome = bed.search("text", query=q.Or((q.Phrase("title", ("cat", "dog")), q.Term("title", "zed"))),
                             extra_match_features=reverse)
        f = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
        words = bed.search("text", query=q.Or((q.Term("title", "cat"), q.Term("title", "dog"))),
                           extra_match_features=reverse)
        plain = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in words.hits}
    finally:
        bed.close()
    assert set(f) == {"0", "1", "2"}  # "wolf cat" holds neither the phrase nor zed
    zero = f["0"]  # cat@0 dog@1 wolf zed@3
    assert (zero["queryTermCount"], zero["matches(title,1)"], zero["fieldTermMatch(title,1).firstPosition"]) == (2, 1, 3)
    assert zero["fieldTermMatch(title,0).occurrences"] == 1.0
    assert (zero["termDistance(title,0,1).forward"], zero["termDistance(title,0,1).forwardTermPosition"]) == (2, 0)
    assert (zero["termDistance(title,1,0).reverse"], zero["termDistance(title,1,0).reverseTermPosition"]) == (2, 0)
    assert zero["fieldMatch(title).matches"] == 3.0  # cat, dog (split) and zed
    for doc in ("1", "2"):  # "dog zed cat", "cat zed zed dog cat": cat and dog, but never in a row
        assert f[doc]["fieldTermMatch(title,0).occurrences"] == 0.0 and f[doc]["matches(title,1)"] == 1.0
        assert f[doc]["fieldTermMatch(title,1).firstPosition"] == 1.0
        assert f[doc]["fieldMatch(title).matches"] == 1.0  # zed alone: the split words need the phrase
        assert f[doc]["termDistance(title,0,1).forward"] == 1000000.0
    # reverse of (dog, cat) is from cat@0 to dog@3, at term y's position (termdistancecalculator.h): 0
    assert (plain["2"]["termDistance(title,1,0).reverse"], plain["2"]["termDistance(title,1,0).reverseTermPosition"]) \
        == (3.0, 0.0)
    # the native features and textSimilarity read the phrase as one term too (QueryTermHelper): it
    # occurs where it starts whole; "cat dog" and zed are in 3 of 4 documents (the phrase: its rarest word)
    # (the same significance, weights 100: each term is half of nativeFieldMatch)
    zero_match = (boost(0, 1, 4) + boost(3, 1, 4)) / 2  # the phrase@0 once, zed@3 once, 4 words
    assert zero["nativeFieldMatch(title)"] == pytest.approx(zero_match)
    assert zero["nativeProximity(title)"] == pytest.approx(pair(2, None))  # zed@3 is 2 after the phrase's last word
    assert zero["nativeRank(title)"] == pytest.approx((100 * zero_match + 25 * pair(2, None)) / 225)
    assert f["1"]["nativeFieldMatch(title)"] == pytest.approx(boost(1, 1, 3) / 2)  # zed@1 once; no phrase
    assert f["1"]["nativeProximity(title)"] == pytest.approx(pair(None, None))  # the tables' last entries
    assert f["2"]["nativeFieldMatch(title)"] == pytest.approx(boost(1, 2, 5) / 2)  # zed@1 twice
    # textSimilarity: phrase@0 then zed@3 (d 3: 1 - (2/8)^2), in order, both terms, 2 of 4 positions
    assert (zero["textSimilarity(title).proximity"], zero["textSimilarity(title).order"]) == (0.9375, 1.0)
    assert zero["textSimilarity(title)"] == pytest.approx(0.35 * 0.9375 + 0.15 + 0.30 + 0.20 * 0.5)
    one = f["1"]  # "dog zed cat": zed alone, proximity of d = fieldLength 3, half the query's weight
    assert (one["textSimilarity(title).proximity"], one["textSimilarity(title).order"]) == (0.9375, 0.0)
    assert (one["textSimilarity(title).queryCoverage"], one["textSimilarity(title).fieldCoverage"]) == (0.5, 1 / 3)


@pytest.mark.parametrize("attribute", [False, True], ids=["index", "index-and-attribute"])
def test_field_term_match_weight_reads_each_document_once(tmp_path, monkeypatch, attribute) -> None:
    """fieldTermMatch(f, n).weight on a weighted set sums the weights of the elements term n occurs
    in; the weights come from the attribute column, or each stored document is decoded once per
    query, not once per term and output (each decode holds the database's lock)."""
    indexing = "index | attribute | summary" if attribute else "index | summary"
    sd = f"""schema doc {{
    document doc {{
        field tags type weightedset<string> {{ indexing: {indexing} }}
    }}
    rank-profile w {{
        first-phase {{ expression: fieldTermMatch(tags,0).weight + fieldTermMatch(tags,1).weight }}
        match-features: fieldTermMatch(tags,0).weight fieldTermMatch(tags,1).weight
    }}
}}
"""
    docs = [{"tags": {"red car": 5, "blue": 3, "red": 2}}, {"tags": {"blue sky": 7}}, {"tags": {"green": 1}}]
    bed = RankingBed(sd, docs, tmp_path)
    decoded: list[int] = []
    document = type(bed.db).document
    monkeypatch.setattr(type(bed.db), "document", lambda self, local_id, wanted=None: (
        decoded.append(local_id), document(self, local_id, wanted))[1])
    outcome = bed.search("w", query=q.Or((q.Term("tags", "red"), q.Term("tags", "blue"))))
    found = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed.close()
    assert found["0"] == {"fieldTermMatch(tags,0).weight": 7.0, "fieldTermMatch(tags,1).weight": 3.0}
    assert found["1"] == {"fieldTermMatch(tags,0).weight": 0.0, "fieldTermMatch(tags,1).weight": 7.0}
    assert sorted(decoded) == ([] if attribute else [0, 1]), "at most once per document, none with the attribute"
