"""bm25 scores an equiv as one term and a term through a fieldset with one document frequency, as
Vespa does (bm25_feature.cpp over the equiv's merged match data; blueprintbuilder.cpp sets the
item's blueprint estimate as its document frequency in every field it searches):

- an equiv's term frequency is the sum of its alternatives' occurrences in the field
  (TermMatchDataMerger adds their counts), even where two of them start at the same position;
- its document frequency is its most frequent alternative's (EquivBlueprint::addTerm keeps the
  largest child estimate), each alternative estimated over all the fields the equiv searches;
- a word or phrase searched in several fields has the saturated sum of the fields' estimates
  (an OrBlueprint over per-field blueprints, OrBlueprint::combine), at most the document count.

The corpus is test_bm25_phrase's: titles of lengths 4, 2, 3, 2, 2 (average 2.6), N = 5.
In title df(red) = 3, df(hen) = 2, df(fox) = 4; in text (lengths 2, 0, 0, 0, 3) df(red) = 2.
"""
from __future__ import annotations

import math

import pytest

from test_bm25_phrase import SD, TEXTS, TITLES, features, okapi
from ranking_support import RankingBed
from searchlib.query import tree as q


def idf(df: int) -> float:
    return math.log(1 + (5 - df + 0.5) / (df + 0.5))


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    docs = [{"title": title, "text": text, "n": i} for i, (title, text) in enumerate(zip(TITLES, TEXTS))]
    bed = RankingBed(SD, docs, tmp_path_factory.mktemp("equiv"))
    yield bed
    bed.close()


def test_an_equiv_is_one_term_with_its_most_frequent_alternatives_df(bed) -> None:
    found = features(bed, q.Equiv("title", ("red", "hen")))
    assert set(found) == {"0", "1", "2", "3"}
    # df max(3, 2) = 3, idf ln(12/7); tf doc 0: red twice; doc 2 "red fox hen": 1 + 1; doc 3: hen once
    assert found["0"]["bm25(title)"] == pytest.approx(okapi(idf(3), 2, 4), rel=1e-12)
    assert found["1"]["bm25(title)"] == pytest.approx(okapi(idf(3), 1, 2), rel=1e-12)
    assert found["2"]["bm25(title)"] == pytest.approx(okapi(idf(3), 2, 3), rel=1e-12)
    assert found["3"]["bm25(title)"] == pytest.approx(okapi(idf(3), 1, 2), rel=1e-12)
    # by hand, doc 2: 0.538997 * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 3 / 2.6)) = 2.371585 / 3.338462
    assert found["2"]["bm25(title)"] == pytest.approx(0.7103825, rel=1e-6)
    # not the two words OR'd: those are two terms, each saturating on its own
    ored = features(bed, q.Or((q.Term("title", "red"), q.Term("title", "hen"))))
    assert ored["2"]["bm25(title)"] == pytest.approx(okapi(idf(3), 1, 3) + okapi(idf(2), 1, 3), rel=1e-12)
    assert found["2"]["bm25(title)"] != pytest.approx(ored["2"]["bm25(title)"])


def test_an_equiv_of_a_word_and_a_phrase(bed) -> None:
    """equiv("hen", "red fox"): df max(2, 3 the phrase's rarest word) = 3; doc 2 holds both once."""
    found = features(bed, q.Equiv("title", ("hen", q.phrase_key(("red", "fox")))))
    assert set(found) == {"0", "2", "3"}  # "fox red" holds neither
    assert found["0"]["bm25(title)"] == pytest.approx(okapi(idf(3), 2, 4), rel=1e-12)
    assert found["2"]["bm25(title)"] == pytest.approx(okapi(idf(3), 2, 3), rel=1e-12)
    assert found["3"]["bm25(title)"] == pytest.approx(okapi(idf(3), 1, 2), rel=1e-12)


def test_alternatives_at_the_same_position_each_count(bed) -> None:
    """equiv("red", "red fox"): in "red fox red fox" both start at 0 and 2, so 4 occurrences for
    bm25 (the merger adds counts; the merged positions, which proximity reads, stay 2)."""
    found = features(bed, q.Equiv("title", ("red", q.phrase_key(("red", "fox")))))
    assert found["0"]["bm25(title)"] == pytest.approx(okapi(idf(3), 4, 4), rel=1e-12)
    assert found["1"]["bm25(title)"] == pytest.approx(okapi(idf(3), 1, 2), rel=1e-12)


def test_an_equiv_through_a_fieldset_estimates_each_alternative_over_both_fields(bed) -> None:
    """red: 3 (title) + 2 (text) = 5; hen: 2 + 0; the equiv's df max(5, 2) = 5 in both fields."""
    found = features(bed, q.Equiv("default", ("red", "hen")))
    assert found["2"]["bm25(title)"] == pytest.approx(okapi(idf(5), 2, 3), rel=1e-12)
    assert found["0"]["bm25(text)"] == pytest.approx(okapi(idf(5), 1, 2, average=2.5), rel=1e-12)
    assert found["4"]["bm25(text)"] == pytest.approx(okapi(idf(5), 1, 3, average=2.5), rel=1e-12)


def test_a_word_through_a_fieldset_has_the_sum_of_the_fields_df(bed) -> None:
    """red: 3 + 2 = 5 in title and text (not 3 in title); fox: 4 + 2 = 6, capped at N = 5."""
    word = features(bed, q.Term("default", "red"))
    assert word["1"]["bm25(title)"] == pytest.approx(okapi(idf(5), 1, 2), rel=1e-12)
    assert word["0"]["bm25(text)"] == pytest.approx(okapi(idf(5), 1, 2, average=2.5), rel=1e-12)
    assert features(bed, q.Term("title", "red"))["1"]["bm25(title)"] == pytest.approx(okapi(idf(3), 1, 2), rel=1e-12)
    capped = features(bed, q.Term("default", "fox"))
    assert capped["1"]["bm25(title)"] == pytest.approx(okapi(idf(5), 1, 2), rel=1e-12)  # ln(12/11) > 0


def test_labeled_equiv_and_sparse_path(bed) -> None:
    query = q.Or((q.Equiv("title", ("red", "hen"), label="e"), q.Term("title", "sky")))
    dense = features(bed, query)
    sparse = features(bed, q.And((query, q.Range("n", 2, 2))))  # one candidate of five
    assert sparse["2"]["bm25(title)"] == dense["2"]["bm25(title)"] == pytest.approx(okapi(idf(3), 2, 3), rel=1e-12)
    labeled = features(bed, q.Or((q.Equiv("title", ("red", "hen"), label="p"), q.Term("title", "sky", label="w"))))
    assert labeled["2"]["bm25(title,label:p)"] == pytest.approx(okapi(idf(3), 2, 3), rel=1e-12)
    assert labeled["3"]["bm25(title,label:p)"] == pytest.approx(okapi(idf(3), 1, 2), rel=1e-12)
    assert labeled["3"]["bm25(title,label:w)"] == pytest.approx(okapi(idf(2), 1, 2), rel=1e-12)
