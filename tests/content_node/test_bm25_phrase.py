"""bm25 scores a phrase as one term, as Vespa does (bm25_feature.cpp over the match data of a
SimplePhraseSearch; simple_phrase_blueprint.cpp for its document frequency):

- its term frequency is the number of times the phrase occurs in the field (where it starts);
- a document holding the words but not the phrase gets nothing from it;
- its document frequency is its rarest word's (the phrase blueprint's hit estimate), not the
  number of documents holding the phrase;
- the field length and average are the field's, k1 1.2, b 0.75, as for a word.

Hand-worked below over five titles (lengths 4, 2, 3, 2, 2; average 13/5 = 2.6; N = 5):
df(red) = 3, df(fox) = 4, so df("red fox") = 3 although 2 documents hold the phrase.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from content_node import matcher
from content_node.matching.proximity import phrase_postings
from content_node.posting_cache import PostingCache
from content_node.store.posting_segment import Postings
from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field text type string { indexing: index | summary }
        field n type int { indexing: attribute }
    }
    fieldset default { fields: title, text }
    rank-profile bm {
        first-phase { expression: bm25(title) }
        match-features: bm25(title) bm25(text) bm25(title, label: p) bm25(title, label: w)
    }
}
"""
TITLES = ["red fox red fox", "fox red", "red fox hen", "hen sky", "sky fox"]
TEXTS = ["red fox", "", "", "", "fox red fox"]
PHRASE = ("red", "fox")

IDF_PHRASE = math.log(1 + (5 - 3 + 0.5) / (3 + 0.5))  # ln(12/7): df 3, the rarest word's
IDF_FOX = math.log(1 + (5 - 4 + 0.5) / (4 + 0.5))  # ln(4/3)


def okapi(idf: float, tf: int, length: int, average: float = 13 / 5) -> float:
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    docs = [{"title": title, "text": text, "n": i} for i, (title, text) in enumerate(zip(TITLES, TEXTS))]
    bed = RankingBed(SD, docs, tmp_path_factory.mktemp("phrase"))
    yield bed
    bed.close()


def features(bed: RankingBed, query: q.QueryNode, postings_cache: bool = False) -> dict[str, dict]:
    with bed.db.read_view() as view:
        index = PostingCache().over(view) if postings_cache else view
        outcome = matcher.search(index, bed.program("bm"), matcher.SearchParams(query=query, hits=100))
    return {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features, relevance=h.relevance)
            for h in outcome.hits}


def test_hand_worked_values_of_a_phrase_alone(bed) -> None:
    found = features(bed, q.Phrase("title", PHRASE))
    assert set(found) == {"0", "2"}  # "fox red" holds both words, not the phrase
    assert found["0"]["relevance"] == pytest.approx(okapi(IDF_PHRASE, 2, 4), rel=1e-12)  # occurs twice
    assert found["2"]["relevance"] == pytest.approx(okapi(IDF_PHRASE, 1, 3), rel=1e-12)
    # by hand: idf ln(12/7) = 0.538997; doc 0: 0.538997 * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 4 / 2.6))
    # = 0.538997 * 4.4 / 3.684615; doc 2: 0.538997 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 3 / 2.6)) = / 2.338462
    assert found["0"]["relevance"] == pytest.approx(0.6436450906, rel=1e-9)
    assert found["2"]["relevance"] == pytest.approx(0.5070822342, rel=1e-9)


def test_a_phrase_is_one_term_beside_words(bed) -> None:
    """fox also as a word: documents without the phrase score the word alone."""
    found = features(bed, q.Or((q.Phrase("title", PHRASE), q.Term("title", "fox"))))
    assert set(found) == {"0", "1", "2", "4"}
    assert found["0"]["relevance"] == pytest.approx(okapi(IDF_PHRASE, 2, 4) + okapi(IDF_FOX, 2, 4), rel=1e-12)
    assert found["1"]["relevance"] == pytest.approx(okapi(IDF_FOX, 1, 2), rel=1e-12)  # no phrase: the word only
    assert found["2"]["relevance"] == pytest.approx(okapi(IDF_PHRASE, 1, 3) + okapi(IDF_FOX, 1, 3), rel=1e-12)
    assert found["4"]["relevance"] == pytest.approx(okapi(IDF_FOX, 1, 2), rel=1e-12)
    per_word = okapi(math.log(1 + 2.5 / 3.5), 2, 4) + okapi(IDF_FOX, 2, 4)  # red + fox, the old scoring
    assert found["0"]["relevance"] != pytest.approx(per_word + okapi(IDF_FOX, 2, 4))


def test_a_phrase_through_a_fieldset_counts_each_fields_occurrences(bed) -> None:
    """The texts: lengths 2, 0, 0, 0, 3 (average over the 2 documents with text: 2.5). The phrase
    searches title and text, so its document frequency in both is the OR of the two fields'
    blueprints: the sum of their estimates 3 (title, rarest word) + 2 (text: red 2, fox 2), capped
    at N = 5 (OrBlueprint::combine), so idf ln(1 + 0.5/5.5) in each field."""
    found = features(bed, q.Phrase("default", PHRASE))
    assert set(found) == {"0", "2", "4"}  # doc 4 by its text "fox red fox"
    idf = math.log(1 + (5 - 5 + 0.5) / (5 + 0.5))
    assert found["0"]["bm25(text)"] == pytest.approx(okapi(idf, 1, 2, average=2.5), rel=1e-12)
    assert found["4"]["bm25(text)"] == pytest.approx(okapi(idf, 1, 3, average=2.5), rel=1e-12)
    assert found["2"]["bm25(text)"] == 0.0
    assert found["0"]["bm25(title)"] == pytest.approx(okapi(idf, 2, 4), rel=1e-12)
    assert found["4"]["bm25(title)"] == 0.0  # "sky fox"
    # by hand: ln(12/11) = 0.0870114; doc 0 text: 0.0870114 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 2.5))
    assert found["0"]["bm25(text)"] == pytest.approx(0.0870114 * 2.2 / 2.02, rel=1e-6)


def test_labeled_phrase_is_one_term_of_its_label(bed) -> None:
    query = q.Or((q.Phrase("title", PHRASE, label="p"), q.Term("title", "fox", label="w")))
    found = features(bed, query)
    assert found["0"]["bm25(title,label:p)"] == pytest.approx(okapi(IDF_PHRASE, 2, 4), rel=1e-12)
    assert found["1"]["bm25(title,label:p)"] == 0.0
    assert found["0"]["bm25(title,label:w)"] == pytest.approx(okapi(IDF_FOX, 2, 4), rel=1e-12)


@pytest.mark.parametrize("postings_cache", [False, True])
def test_sparse_dense_and_cached_paths_agree(bed, postings_cache) -> None:
    query = q.Or((q.Phrase("title", PHRASE), q.Term("title", "hen")))
    dense = features(bed, query, postings_cache)
    sparse = features(bed, q.And((query, q.Range("n", 2, 2))), postings_cache)  # one candidate of five
    assert sparse["2"]["bm25(title)"] == dense["2"]["bm25(title)"]
    assert dense["2"]["bm25(title)"] == pytest.approx(
        okapi(IDF_PHRASE, 1, 3) + okapi(math.log(1 + 3.5 / 2.5), 1, 3), rel=1e-12)


def test_a_one_word_phrase_is_the_word(bed) -> None:
    assert features(bed, q.Phrase("title", ("fox",))) == features(bed, q.Term("title", "fox"))


def _postings(documents: list[list[int]], word: int) -> Postings:
    ids, freqs, flat, offsets = [], [], [], [0]
    for doc, tokens in enumerate(documents):
        positions = [i for i, token in enumerate(tokens) if token == word]
        if positions:
            ids.append(doc)
            freqs.append(len(positions))
            flat.extend(positions)
            offsets.append(len(flat))
    return Postings(np.array(ids, dtype=np.int32), np.array(freqs, dtype=np.int32),
                    np.array(offsets, dtype=np.int64), np.array(flat, dtype=np.int32))


def test_phrase_postings_against_a_scan_of_the_tokens() -> None:
    """The vectorized phrase postings against counting the phrase in each token list."""
    rng = np.random.default_rng(22)
    for _ in range(200):
        vocabulary = int(rng.integers(2, 5))
        documents = [list(rng.integers(0, vocabulary, size=int(rng.integers(0, 25)))) for _ in range(12)]
        phrase = list(rng.integers(0, vocabulary, size=int(rng.integers(1, 4))))
        found = phrase_postings([_postings(documents, word) for word in phrase])
        expected = {doc: [i for i in range(len(tokens) - len(phrase) + 1) if tokens[i:i + len(phrase)] == phrase]
                    for doc, tokens in enumerate(documents)}
        expected = {doc: starts for doc, starts in expected.items() if starts}
        assert found.doc_ids.tolist() == list(expected)
        assert found.term_freqs.tolist() == [len(starts) for starts in expected.values()]
        assert [found.positions(row).tolist() for row in range(len(found.doc_ids))] == list(expected.values())
