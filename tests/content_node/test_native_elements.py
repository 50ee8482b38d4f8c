"""nativeFieldMatch and nativeProximity over array and weighted-set fields as Vespa computes them:
per occurrence its element (TermFieldMatchData positions carry element id and length), so the first
occurrence's position is within its element, the field length is the longest element holding the
term, the occurrences are counted over every element, and proximity pairs positions of one element
only (or of all, moved to the profile's element-gap). Values worked out by hand with small linear
tables, then the vectorized features against a brute force over random arrays."""
from __future__ import annotations

import numpy as np
import pytest

from native_by_hand import TABLES, significance
from ranking_support import RankingBed
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q

SD = f"""schema doc {{
    document doc {{
        struct person {{ field name type string {{}} }}
        field people type array<person> {{
            indexing: summary
            struct-field name {{ indexing: index }}
        }}
        field parts type array<string> {{ indexing: index }}
        field tags type weightedset<string> {{ indexing: index }}
        field text type string {{ indexing: index }}
        field more type array<string> {{ indexing: index }}
    }}
    rank-profile fm {{
        rank-properties {{ {TABLES} }}
        first-phase {{ expression: nativeFieldMatch(parts) }}
    }}
    rank-profile fm_tags inherits fm {{ first-phase {{ expression: nativeFieldMatch(tags) }} }}
    rank-profile fm_people inherits fm {{ first-phase {{ expression: nativeFieldMatch(people.name) }} }}
    rank-profile prox inherits fm {{ first-phase {{ expression: nativeProximity(parts) }} }}
    rank-profile prox_joined inherits prox {{
        rank parts {{ element-gap: 0 }}
    }}
    rank-profile prox_gap2 inherits prox {{
        rank parts {{ element-gap: 2 }}
    }}
    rank-profile prox_property inherits prox {{
        rank-properties {{
            {TABLES}
            nativeProximity.elementGap.parts: 0
        }}
    }}
    rank-profile prox_never inherits prox_joined {{
        rank-properties {{
            {TABLES}
            nativeProximity.elementGap.parts: infinity
        }}
    }}
    rank-profile prox_text inherits fm {{ first-phase {{ expression: nativeProximity(text) }} }}
    rank-profile prox_more inherits fm {{
        rank more {{ element-gap: 0 }}
        first-phase {{ expression: nativeProximity(more) }}
    }}
}}
"""
DOCS = [
    {"parts": ["x y z w v u t s r q", "k a m a"], "tags": {"q r a": 5, "a": 3}},
    {"parts": ["a b", "c d e f g h i j a"]},
    {"parts": ["a c b", "b a"]},
    {"parts": ["a", "b"]},
    {"text": "a b x b"},
    {"more": ["a", "x y", "b"]},
    {"more": ["x a", "b"]},
    {"people": [{"name": "x y z w v u t"}, {"name": "k a"}]},
]


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("native_elements"))
    yield bed
    bed.close()


def score(bed, profile, query) -> dict[str, float]:
    return dict(bed.ranked(profile, query=query, hits=100))


def both(field: str, a: str, b: str) -> q.QueryNode:
    return q.And((q.Term(field, a), q.Term(field, b)))


def test_field_match_reads_the_first_occurrences_element(bed) -> None:
    # A term's boost: (0.5 * (10 - p*10 // (max(6, L) - 1)) + 0.5 * (n*10 // max(6, L))) / 10.
    # 0: "a" at 1 and 3 of element 1 ("k a m a", 4 words): p 1, n 2, L 4 -> (0.5*8 + 0.5*3) / 10
    #    (the whole field's position 27 of 14 words gave 0.05);
    # 1: "a" at 0 of "a b" and 8 of a 9-word element: p 0, n 2, L the longest element holding it,
    #    9 -> (0.5*10 + 0.5*2) / 10 (the first element's length 2 would give 0.65);
    # 2: "a" at 0 of "a c b" and 1 of "b a": p 0, n 2, L 3 -> (5 + 0.5*3) / 10; 3: "a" alone: p 0,
    # n 1, L 1 -> (5 + 0.5*1) / 10
    assert score(bed, "fm", q.Term("parts", "a")) == {
        "0": pytest.approx(0.55), "1": pytest.approx(0.6), "2": pytest.approx(0.65), "3": pytest.approx(0.55)}


def test_field_match_over_a_weighted_set(bed) -> None:
    # {"q r a": 5, "a": 3}: "a" at 2 of "q r a" and 0 of "a": p 2, n 2, L 3 -> span 6:
    # (0.5 * (10 - 20 // 5) + 0.5 * (20 // 6)) / 10 = (3 + 1.5) / 10
    assert score(bed, "fm_tags", q.Term("tags", "a")) == {"0": pytest.approx(0.45)}


def test_field_match_over_a_struct_field_of_an_array_of_structs(bed) -> None:
    # people.name holds one value per struct: "a" at 1 of "k a" (2 words): p 1, n 1, L 2 -> span 6:
    # (0.5 * (10 - 10 // 5) + 0.5 * (10 // 6)) / 10 = (4 + 0.5) / 10
    assert score(bed, "fm_people", q.Term("people.name", "a")) == {"7": pytest.approx(0.45)}


def test_proximity_pairs_positions_of_one_element(bed) -> None:
    # a pair's boost (0.5 * (10 - (fwd - 1)) + 0.5 * (5 - (rev - 1) / 2)) / 7.5, a direction not
    # found reading the tables' last entries (0). 2: "a c b": forward 2 -> 9; "b a": reverse 1 -> 5:
    # (4.5 + 2.5) / 7.5. 3: ["a", "b"] never pair: 0. 1: "a b" forward 1 -> 10, reverse none:
    # 5 / 7.5 (b of element 0 and a of element 1 are not paired). 0: no b.
    assert score(bed, "prox", both("parts", "a", "b")) == {
        "2": pytest.approx(7 / 7.5), "3": 0.0, "1": pytest.approx(5 / 7.5)}


def test_proximity_with_an_element_gap_joins_the_elements(bed) -> None:
    # element-gap 0: 3 ["a", "b"] is "a b": forward 1 -> 10: 5 / 7.5; element-gap 2: a at 0, b at 3:
    # forward 3 -> 8: 4 / 7.5. 1 ["a b", "c d e f g h i j a"] with gap 0: the later a at 10 follows
    # b at 1 by 9 -> reverse 5 - 4 = 1: (5 + 0.5) / 7.5; with gap 2 by 11: past the table, 0.
    assert score(bed, "prox_joined", both("parts", "a", "b"))["3"] == pytest.approx(5 / 7.5)
    assert score(bed, "prox_gap2", both("parts", "a", "b"))["3"] == pytest.approx(4 / 7.5)
    assert score(bed, "prox_joined", both("parts", "a", "b"))["1"] == pytest.approx(5.5 / 7.5)
    assert score(bed, "prox_gap2", both("parts", "a", "b"))["1"] == pytest.approx(5 / 7.5)


def test_the_element_gap_property_overrides_the_profiles(bed) -> None:
    # nativeProximity.elementGap.parts (NativeProximityBlueprint's get_element_gap): 3 ["a", "b"] as
    # with element-gap 0 (5 / 7.5), none with `infinity` over a profile's element-gap 0, and from
    # the query: 2 -> 4 / 7.5 (as test_proximity_with_an_element_gap_joins_the_elements)
    assert score(bed, "prox_property", both("parts", "a", "b"))["3"] == pytest.approx(5 / 7.5)
    assert score(bed, "prox_never", both("parts", "a", "b"))["3"] == 0.0
    found = dict(bed.ranked("prox", query=both("parts", "a", "b"), hits=100,
                            rank_properties={"nativeProximity.elementGap.parts": "2"}))
    assert found["3"] == pytest.approx(4 / 7.5)
    with pytest.raises(InvalidParameterError, match="nativeProximity.elementGap.parts must be from 0"):
        bed.ranked("prox", query=both("parts", "a", "b"), rank_properties={"nativeProximity.elementGap.parts": "-1"})


def test_proximity_from_a_phrases_last_word(bed) -> None:
    # text "a b x b", terms phrase("a", "b") then b: forward from the phrase's last word (1) to the
    # next b after it, 3: distance 2 -> 10 - 1; the b at 1 is the phrase's own word, not after it
    # (the earlier rule read it as distance 0: 10). Reverse, b then the phrase: none after a b.
    query = q.And((q.Phrase("text", ("a", "b")), q.Term("text", "b")))
    assert score(bed, "prox_text", query) == {"4": pytest.approx(0.5 * 9 / 7.5)}


def test_with_an_element_gap_only_adjacent_elements_pair(bed) -> None:
    # element-gap 0 on `more`: 6 ["x a", "b"]: a at 1 of a 2-word element, b at 0 of the next: 0 + 2
    # + 0 - 1 = 1 -> 10: 5 / 7.5; 5 ["a", "x y", "b"]: a and b two elements apart never pair (the
    # joined positions 0 and 3 would give 8)
    assert score(bed, "prox_more", both("more", "a", "b")) == {"6": pytest.approx(5 / 7.5), "5": 0.0}


# ---- the vectorized features against a brute force over random arrays ----

WORDS = ["a", "b", "c", "d"]


def random_docs(seed: int, count: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(count):
        elements = [" ".join(rng.choice(WORDS + ["e", "f", "g"], rng.integers(0, 30))) for _ in range(rng.integers(1, 5))]
        docs.append({"parts": elements})
    return docs


def table_first(x: int) -> float:
    return 10.0 - min(x, 10)


def table_count(x: int) -> float:
    return float(min(x, 10))


def brute_field_match(elements: list[list[str]], terms: list[str], weights: dict[str, float]) -> float:
    """Vespa's nativeFieldMatch over one document, occurrence by occurrence."""
    score = 0.0
    for term in terms:
        occurrences = [(e, p) for e, words in enumerate(elements) for p, w in enumerate(words) if w == term]
        if occurrences:
            element, position = occurrences[0]
            span = max(max(len(elements[e]) for e, _ in occurrences), 6)
            score += weights[term] * (0.5 * table_first(position * 10 // (span - 1))
                                      + 0.5 * table_count(len(occurrences) * 10 // span)) / 10.0
    return score / sum(weights[t] for t in terms)


def brute_proximity(elements: list[list[str]], a: str, b: str) -> float:
    """One pair's nativeProximity: the least in-order distance within one element each way."""
    def least(x: str, y: str) -> int | None:
        found = [q_ - p for words in elements for p, w in enumerate(words) if w == x
                 for q_, v in enumerate(words) if v == y and q_ > p]
        return min(found) if found else None
    forward, reverse = least(a, b), least(b, a)
    f = 10.0 - min(forward - 1, 10) if forward is not None else 0.0
    r = 5.0 - min(reverse - 1, 10) / 2 if reverse is not None else 0.0
    return (0.5 * f + 0.5 * r) / 7.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorized_features_equal_a_brute_force(tmp_path, seed) -> None:
    docs = random_docs(seed, 60)
    bed = RankingBed(SD, docs, tmp_path)
    try:
        rng = np.random.default_rng(seed + 100)
        for _ in range(4):
            terms = list(rng.choice(WORDS, 2, replace=False))
            elements = {str(n): [d.split() for d in doc["parts"]] for n, doc in enumerate(docs)}
            n_docs = len(docs)
            weights = {t: significance(sum(any(t in e for e in els) for els in elements.values()), n_docs) * 100
                       for t in terms}
            query = q.Or(tuple(q.Term("parts", t) for t in terms))
            found = score(bed, "fm", query)
            expected = {n: brute_field_match(els, terms, weights) for n, els in elements.items()
                        if any(t in e for e in els for t in terms)}
            assert found == pytest.approx(expected), terms
            found = score(bed, "prox", q.Or(tuple(q.Term("parts", t) for t in terms)))
            expected = {n: brute_proximity(els, *terms) for n, els in elements.items()
                        if any(t in e for e in els for t in terms)}
            assert found == pytest.approx(expected), terms
    finally:
        bed.close()
