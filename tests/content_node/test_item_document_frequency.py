"""One document frequency per query item (issue 22): nativeRank's significance, fieldMatch's,
term(n).significance and queryTermDocumentFrequency read the item's estimate, as bm25 does
(core_features.document_frequency), not the df of the field they rank. In Vespa they all read the
query term's TermFieldData docFreq, which blueprintbuilder.cpp sets from the item's blueprint
estimate on every field it searches. Values worked out by hand."""
from __future__ import annotations

import pytest

from native_by_hand import boost, pair, significance
from ranking_support import RankingBed
from searchlib.query import tree as q

FEATURES = ["nativeRank(title, body)", "fieldMatch(title).significance", "term(0).significance",
            "term(1).significance", "term(2).significance", "queryTermDocumentFrequency(body)"]
SD = f"""schema doc {{
    document doc {{
        field title type string {{ indexing: index }}
        field body type string {{ indexing: index }}
        field n type int {{ indexing: attribute }}
    }}
    fieldset tb {{ fields: title, body }}
    rank-profile items {{
        first-phase {{ expression: attribute(n) }}
        match-features {{
            {chr(10).join(FEATURES)}
        }}
    }}
}}
"""
# cat: title of doc 0, body of doc 2 -> df 1 + 1 = 2 (per field: 1 and 1)
# dog: title of doc 1, body of docs 0, 1, 2 -> df 1 + 3 = 4 (per field: 1 and 3)
# "red fox" (a phrase on tb): red in docs 3 (title), 4 (body); fox in doc 4 (body) -> rarest 0 + 1
DOCS = [
    {"title": "cat", "body": "dog", "n": 4},
    {"title": "dog", "body": "dog", "n": 3},
    {"title": "bird", "body": "cat dog", "n": 2},
    {"title": "red", "body": "fish", "n": 1},
    {"title": "cow", "body": "red fox", "n": 0},
]
QUERY = q.Or((q.Term("tb", "cat"), q.Term("tb", "dog"), q.Phrase("tb", ("red", "fox"))))


def s(df: int) -> float:
    """Significance of a df over 5 documents."""
    return significance(df, 5)


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("item_df"))
    outcome = bed.search("items", query=QUERY)
    result = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed.close()
    return result


def test_term_significance_is_the_items(features) -> None:
    f = features["0"]
    assert f["term(0).significance"] == pytest.approx(s(2))  # per field it was s(1)
    assert f["term(1).significance"] == pytest.approx(s(4))  # per field the larger, s(1)
    # the phrase's words share the phrase's df, its rarest word's per field: title 0 + body 1
    assert f["term(2).significance"] == pytest.approx(s(1))


def test_query_term_document_frequency_is_the_items(features) -> None:
    cells = {address["term"]: v for address, v in features["0"]["queryTermDocumentFrequency(body)"].cells()}
    # in body alone cat is 1, dog 3, red and fox 1 each; the phrase is one term (term 2), its
    # document frequency its estimate over tb (title 0 + body 1), as term(2).significance reads it
    assert cells == {"0": 2.0, "1": 4.0, "2": 1.0}


def test_field_match_significance_is_the_same_in_every_field(features) -> None:
    # title of doc 0 holds cat only: its share of the four words' significance
    total = s(2) + s(4) + 2 * s(1)
    assert features["0"]["fieldMatch(title).significance"] == pytest.approx(s(2) / total)
    assert features["1"]["fieldMatch(title).significance"] == pytest.approx(s(4) / total)


def test_native_rank_weighs_each_field_with_the_items_significance(features) -> None:
    # nativeFieldMatch: two fields of weight 100, each term's significance counted once per field
    # (the phrase is one term): divisor 100 * 100 * 2 * (s(2) + s(4) + s(1)); a term found in a field
    # adds s * its boost there (native_by_hand.boost: position, occurrences, field length)
    weight_sum = 2 * (s(2) + s(4) + s(1))
    missing = pair(None, None)  # a pair missing a term scores the tables' last entries

    def native_rank(field_match: float, proximity: float) -> float:
        return (100 * field_match + 25 * proximity) / 225

    # doc 1: dog, the only word of title and of body (the same s(4) in both, not s(1) and s(3)); no
    # pair is whole in either field
    assert features["1"]["nativeRank(title,body)"] == pytest.approx(
        native_rank(s(4) * 2 * boost(0, 1, 1) / weight_sum, missing))
    # doc 4: the phrase "red fox" once in body, its first of 2 words
    assert features["4"]["nativeRank(title,body)"] == pytest.approx(
        native_rank(s(1) * boost(0, 1, 2) / weight_sum, missing))
    # doc 2: body "cat dog": (cat, dog) forward 1, connectedness 0.1; (dog, phrase) 0.1 and
    # (cat, phrase) 0.1 / 2 miss the phrase; title misses everything; the fields' mean
    field_match = (s(2) * boost(0, 1, 2) + s(4) * boost(1, 1, 2)) / weight_sum
    pairs = [(0.1 * (s(2) + s(4)), pair(1, None)), (0.1 * (s(4) + s(1)), missing), (0.05 * (s(2) + s(1)), missing)]
    body = sum(w * p for w, p in pairs) / sum(w for w, _ in pairs)
    assert features["2"]["nativeRank(title,body)"] == pytest.approx(native_rank(field_match, (body + missing) / 2))
