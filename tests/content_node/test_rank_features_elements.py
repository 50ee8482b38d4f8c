"""elementwise(bm25(f), dim, cell) and elementSimilarity(f) over arrays and weighted sets of
strings, against values worked out by hand from Vespa's formulas (content_node.matching.element_features)."""
from __future__ import annotations

import math

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field chunks type array<string> {
            indexing: index | summary
            index: enable-bm25
        }
        field labels type weightedset<string> { indexing: index }
        field pop type double { indexing: attribute }
    }
    rank-profile elements {
        first-phase { expression: attribute(pop) }
        rank-properties {
            elementSimilarity(chunks).output.matched: "sum(1)"
            elementSimilarity(chunks).output.coverage: "avg(q)"
        }
        match-features {
            elementwise(bm25(chunks), chunk, float)
            elementSimilarity(chunks)
            elementSimilarity(chunks).matched
            elementSimilarity(chunks).coverage
            elementSimilarity(labels)
        }
    }
}
"""
DOCS = [
    {"chunks": ["red fox dog", "blue sky", "cat red red sky"], "labels": {"red sky": 3, "dog": 1}, "pop": 3},
    {"chunks": ["sky"], "pop": 2},
    {"chunks": ["cat dog"], "pop": 1},
]
QUERY = q.Rank((q.TrueItem(), q.Term("chunks", "red"), q.Term("chunks", "sky"),
                q.Term("labels", "red"), q.Term("labels", "sky")))


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("elements"))
    outcome = bed.search("elements", query=QUERY)
    result = [dict(h.match_features) for h in outcome.hits]  # by pop: documents 0, 1, 2
    bed.close()
    return result


def bm25(idf: float, tf: int, length: int, average: float) -> float:
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))


def test_elementwise_bm25_scores_each_matching_element(features) -> None:
    average = 12 / 5  # 12 tokens in 5 elements
    idf_red = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))  # red in 1 of 3 documents
    idf_sky = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))  # sky in 2
    cells = [{c["chunk"]: v for c, v in f["elementwise(bm25(chunks),chunk,float)"].cells()} for f in features]
    assert cells[0] == pytest.approx({
        "0": bm25(idf_red, 1, 3, average),
        "1": bm25(idf_sky, 1, 2, average),
        "2": bm25(idf_red, 2, 4, average) + bm25(idf_sky, 1, 4, average)}, rel=1e-6)  # float cells
    assert cells[1] == pytest.approx({"0": bm25(idf_sky, 1, 1, average)}, rel=1e-6)
    assert cells[2] == {}
    assert str(features[0]["elementwise(bm25(chunks),chunk,float)"].type) == "tensor<float>(chunk{})"


@pytest.mark.parametrize("item, expected", [
    # a phrase: df its rarest word's (red, 1 of 3), counted where it starts: not in "cat red red sky"
    (q.Phrase("chunks", ("red", "fox")), [{"0": (math.log(1 + 2.5 / 1.5), 1, 3)}, {}]),
    # an equiv: df its commonest alternative's (sky, 2 of 3); "cat red red sky" holds it 3 times
    (q.Equiv("chunks", ("red", "sky")), [{"0": (math.log(1.6), 1, 3), "1": (math.log(1.6), 1, 2),
                                          "2": (math.log(1.6), 3, 4)}, {"0": (math.log(1.6), 1, 1)}]),
])
def test_elementwise_bm25_scores_a_phrase_or_equiv_as_one_term(tmp_path, item, expected) -> None:
    bed = RankingBed(SD, DOCS, tmp_path)
    try:
        outcome = bed.search("elements", query=q.Rank((q.TrueItem(), item)))
        found = [{c["chunk"]: v for c, v in dict(h.match_features)["elementwise(bm25(chunks),chunk,float)"].cells()}
                 for h in outcome.hits]
    finally:
        bed.close()
    for cells, wanted in zip(found, expected):
        assert cells == pytest.approx({chunk: bm25(*args, 12 / 5) for chunk, args in wanted.items()}, rel=1e-6)


def prox(distance: int) -> float:
    return 0.0 if distance > 8 else 1 - ((distance - 1) / 8) ** 2


def similarity(p: float, o: float, q_: float, f: float, w: float = 1.0) -> float:
    return (0.35 * p + 0.15 * o + 0.30 * q_ + 0.20 * f) * w


def test_element_similarity(features) -> None:
    doc0 = max(similarity(prox(3), 0, 0.5, 1 / 3),  # red alone in 3 tokens
               similarity(prox(2), 0, 0.5, 1 / 2),  # sky alone in 2
               similarity(prox(2), 1, 1.0, 2 / 4))  # red (at 1, again at 2) then sky at 3, in order
    doc1 = similarity(prox(1), 0, 0.5, 1.0)
    assert [f["elementSimilarity(chunks)"] for f in features] == pytest.approx([doc0, doc1, 0.0])
    assert [f["elementSimilarity(chunks).matched"] for f in features] == [3.0, 1.0, 0.0]
    assert [f["elementSimilarity(chunks).coverage"] for f in features] == pytest.approx([2 / 3, 0.5, 0.0])
    # weighted set: "red sky" (weight 3) matches both terms next to each other, in order
    assert [f["elementSimilarity(labels)"] for f in features] == pytest.approx([similarity(1, 1, 1, 1, 3), 0, 0])


@pytest.mark.parametrize("items, expected", [
    # the phrase "red fox" at 0 and dog at 2 in "red fox dog": two terms matched, 2 apart, in order
    # (word by word it would be three, adjacent); "cat dog": dog alone, one of two terms
    ((q.Phrase("chunks", ("red", "fox")), q.Term("chunks", "dog")),
     [similarity(prox(2), 1, 1.0, 2 / 3), 0.0, similarity(prox(2), 0, 0.5, 1 / 2)]),
    # an equiv is one term wherever an alternative is: fox in "red fox dog", sky in "blue sky", ...
    ((q.Equiv("chunks", ("fox", "sky")),),
     [max(similarity(prox(3), 1, 1, 1 / 3), similarity(prox(2), 1, 1, 1 / 2), similarity(prox(4), 1, 1, 1 / 4)),
      similarity(1, 1, 1, 1), 0.0]),
])
def test_element_similarity_reads_a_phrase_or_equiv_as_one_term(tmp_path, items, expected) -> None:
    bed = RankingBed(SD, DOCS, tmp_path)
    try:
        outcome = bed.search("elements", query=q.Rank((q.TrueItem(), *items)))
        found = [dict(h.match_features)["elementSimilarity(chunks)"] for h in outcome.hits]  # by pop: 0, 1, 2
    finally:
        bed.close()
    assert found == pytest.approx(expected)
