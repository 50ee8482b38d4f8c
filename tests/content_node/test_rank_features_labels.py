"""bm25(f, label: l) and bm25_for_labels(f): bm25 over the query words of the items annotated with
a label, against values worked out by hand (content_node.matching.label_features)."""
from __future__ import annotations

import math

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field text type string {
            indexing: index | summary
            index: enable-bm25
        }
        field pop type double { indexing: attribute }
    }
    rank-profile labels {
        first-phase { expression: attribute(pop) }
        match-features {
            bm25(text)
            bm25(field: text, label: colors)
            bm25(text, label: "animal")
            bm25(text, label: nowhere)
            bm25_for_labels(text)
        }
    }
    rank-profile slice {
        first-phase { expression: bm25_for_labels(text){label:colors} + reduce(bm25_for_labels(text), max, label) }
    }
}
"""
DOCS = [
    {"text": "red fox red", "pop": 3},  # length 3
    {"text": "blue fox", "pop": 2},  # length 2
    {"text": "green sea", "pop": 1},  # length 2
]
QUERY = q.Or((q.Term("text", "red", label="colors"), q.Term("text", "blue", label="colors"),
              q.Term("text", "fox", label="animal"), q.Term("text", "sea")))
AVERAGE = 7 / 3


def part(df: int, tf: int, length: int) -> float:
    """One word's bm25 in a 3-document corpus, k1 1.2, b 0.75."""
    idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / AVERAGE))


RED_0, FOX_0 = part(1, 2, 3), part(2, 1, 3)
BLUE_1, FOX_1 = part(1, 1, 2), part(2, 1, 2)
SEA_2 = part(1, 1, 2)


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("labels"))
    yield bed
    bed.close()


@pytest.fixture(scope="module")
def features(bed):
    return [dict(h.match_features) for h in bed.search("labels", query=QUERY).hits]  # by pop: 0, 1, 2


def test_labeled_bm25_sums_only_the_words_carrying_the_label(features) -> None:
    assert [f["bm25(text)"] for f in features] == pytest.approx([RED_0 + FOX_0, BLUE_1 + FOX_1, SEA_2])
    assert [f["bm25(text,label:colors)"] for f in features] == pytest.approx([RED_0, BLUE_1, 0.0])
    assert [f["bm25(text,label:animal)"] for f in features] == pytest.approx([FOX_0, FOX_1, 0.0])
    assert [f["bm25(text,label:nowhere)"] for f in features] == [0.0, 0.0, 0.0]


def test_bm25_for_labels_has_a_cell_per_scoring_label(features) -> None:
    cells = [{c["label"]: v for c, v in f["bm25_for_labels(text)"].cells()} for f in features]
    assert cells[0] == pytest.approx({"colors": RED_0, "animal": FOX_0})
    assert cells[1] == pytest.approx({"colors": BLUE_1, "animal": FOX_1})
    assert cells[2] == {}  # sea carries no label: no cell, not a 0 cell
    assert str(features[0]["bm25_for_labels(text)"].type) == "tensor(label{})"


def test_a_slice_of_bm25_for_labels_ranks(bed) -> None:
    hits = bed.search("slice", query=QUERY).hits
    relevance = {bed.ids[h.global_id]: h.relevance for h in hits}
    assert relevance["id:test:doc::0"] == pytest.approx(RED_0 + max(RED_0, FOX_0))
    assert relevance["id:test:doc::1"] == pytest.approx(BLUE_1 + max(BLUE_1, FOX_1))
    assert relevance["id:test:doc::2"] == 0.0
