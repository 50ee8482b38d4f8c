"""English terms did not change when stemming moved to PyStemmer: over every title, text and query
of the shared corpora (scifact, cranfield: 1.4M tokens, 38,426 distinct words), libstemmer's
English stems each word exactly as the Porter2 reference did, and whole texts give the same terms.

PyStemmer is pinned below 3: Snowball 3.0 revised English (e.g. `-ogist` → `-og`, new R1
prefixes `emerg`, `inter`, `later`, `organ`; "added" → "add" instead of "ad"), which changes 76 of
these 38,426 words; Vespa's OpenNLP linguistics stems with the earlier rules too. Moving to it is a
re-feed decision, and this test says exactly which words move.
"""
from __future__ import annotations

import json

import pytest

from searchlib.linguistics import stem, tokenize, tokenize_unstemmed
from tests.integration.conftest import shared_data_dir
from tests.searchlib import porter2_reference

DATA = shared_data_dir()


def _texts(dataset: str) -> list[str]:
    texts = []
    for name in ("corpus.jsonl", "queries.jsonl"):
        path = DATA / dataset / name
        assert path.exists(), f"the shared corpus {path} is missing"
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                texts.extend(record.get(key) or "" for key in ("title", "text"))
    return texts


@pytest.fixture(scope="module", params=["scifact", "cranfield"])
def texts(request) -> list[str]:
    return _texts(request.param)


def test_every_word_of_the_corpora_stems_as_the_porter2_reference(texts) -> None:
    vocabulary = sorted({word for text in texts for word in tokenize_unstemmed(text)})
    assert len(vocabulary) > 7000
    differing = [(word, stem(word), porter2_reference.stem(word)) for word in vocabulary
                 if stem(word) != porter2_reference.stem(word)]
    assert differing == []


def test_whole_texts_give_the_same_terms_as_before(texts) -> None:
    cache: dict[str, str] = {}
    real = porter2_reference.stem

    def reference(text: str) -> list[str]:
        return [cache.get(w) or cache.setdefault(w, real(w)) for w in porter2_reference.reference_words(text)]

    assert [i for i, text in enumerate(texts) if tokenize(text) != reference(text)] == []
