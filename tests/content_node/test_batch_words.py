"""A write batch's words mapped to term ids over its bytes (content_node/store/batch_words.py) leave
the index image byte for byte as mapping them a word at a time does: term ids, postings, positions,
field and element lengths, statistics; with Unicode and ASCII text, given and detected languages,
empty values, arrays, weighted sets, long words, capped values, across batches (words remembered, the
table bounded), and when hashes collide or the batch path fails (the batch then goes the per-word
way)."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest

from content_node.store import batch_words
from content_node.store.inverted_index import FieldIndex, field_words
from content_node.store.local_ids import LocalIds
from searchlib.match_modes import MatchMode
from tests.integration.conftest import shared_data_dir

_WORDS = ["protein", "proteins", "cells", "cell", "the", "of", "T-cell", "IL-6", "p53", "mRNA", "x" * 40,
          "über", "Straße", "naïve", "café", "İstanbul", "ΑΘΗΝΑ", "σοφία", "東京都", "서울시", "ｆｕｌｌ", "x²",
          "a_b", "don't", "1.5", "α-helix", "Ünïcödé", "zoë", "\u0928\u092e\u0938\u094d\u0924\u0947", "ﬁne",
          "NFKC", "word" * 5, "y" * 9, "z" * 17]


def _values(count: int, seed: int) -> list[tuple[object, str]]:
    rng = random.Random(seed)
    path = shared_data_dir() / "scifact" / "corpus.jsonl"
    assert path.exists(), f"the shared corpus {path} is missing"
    with path.open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for _, line in zip(range(count), lines)]
    values = []
    for text in texts:
        kind = rng.random()
        if kind < 0.5:
            value = text  # scifact: mostly ASCII, some Greek letters and symbols
        elif kind < 0.7:
            value = " ".join(rng.choice(_WORDS) for _ in range(rng.randrange(0, 30)))  # empty too
        elif kind < 0.8:
            value = " ".join(rng.choice(_WORDS[:10]) for _ in range(rng.randrange(0, 12))).upper() + "!?"
        elif kind < 0.9:
            value = [text[:200], "", " ".join(rng.choice(_WORDS) for _ in range(5))]
        else:
            value = {rng.choice(_WORDS): rng.randrange(1, 9) for _ in range(3)}
        values.append((value, rng.choice(["", "", "", "de", "en", "fr", "tr"])))
    return values


def _image(mode: MatchMode, values, batch_sizes, by_bytes: bool, remove_every: int = 0) -> dict[str, bytes]:
    local_ids = LocalIds()
    index = FieldIndex("text", local_ids, mode)
    index.by_bytes, index.bytes_path_min = by_bytes, 0
    rng = random.Random(7)
    start = 0
    while start < len(values):
        index.stage()
        end = min(len(values), start + rng.choice(batch_sizes))
        for n in range(start, end):
            value, language = values[n]
            index.add(local_ids.allocate(f"id:ns:doc::{n}", n.to_bytes(12, "little")), value, language)
            if remove_every and n % remove_every == 0 and n:  # a replaced document: flushed early
                index.remove(n - 1, *values[n - 1])
        index.flush()
        start = end
    return {name: array.dtype.str.encode() + np.ascontiguousarray(array).tobytes()
            for name, array in index.export_image(local_ids.limit).items()}


def _count_batch_path(monkeypatch) -> dict[str, int]:
    """How many batches took the batch path ("batches"), and the capped values among them."""
    counts = {"batches": 0, "capped": 0, "in_batch": 0}
    buffer_terms, words = FieldIndex._buffer_terms, FieldIndex._words

    def counting(self, staged):
        counts["in_batch"] += 1
        try:
            found = buffer_terms(self, staged)
        finally:
            counts["in_batch"] -= 1
        counts["batches"] += found is not None
        return found

    def counting_words(self, value, language):
        found = words(self, value, language)
        counts["capped"] += bool(counts["in_batch"]) and found[1] is not None and found[3] is None \
            and len(field_words(value, language, self.mode)[0]) > self.mode.max_occurrences
        return found

    monkeypatch.setattr(FieldIndex, "_buffer_terms", counting)
    monkeypatch.setattr(FieldIndex, "_words", counting_words)
    return counts


@pytest.mark.parametrize("mode", [MatchMode(), MatchMode(stemming=False), MatchMode(normalizing=False),
                                  MatchMode(max_token_length=8, max_occurrences=40, max_length=300)])
def test_the_index_image_is_the_per_word_paths_byte_for_byte(mode, monkeypatch):
    values = _values(400, seed=1)
    if mode.max_occurrences < 1000:  # capped: Unicode values (strings, arrays) over the cap; rarely an ASCII one
        for n in range(0, len(values), 9):
            values[n] = ("über ΑΘΗΝΑ " * 25 + "cells " * 30, "de") if n % 2 else (["x² " * 50, "café"], "")
        values[100] = ("cells " * 45, "en")
    expected = _image(mode, values, [1, 3, 16, 64], by_bytes=False, remove_every=37)
    counts = _count_batch_path(monkeypatch)
    assert _image(mode, values, [1, 3, 16, 64], by_bytes=True, remove_every=37) == expected
    assert counts["batches"] > 10
    assert counts["capped"] > 10 or mode.max_occurrences > 1000


def test_words_are_taken_from_the_table_in_later_batches(monkeypatch):
    resolved: list[int] = []  # distinct words resolved the slower way, a batch
    original = batch_words.buffer_term_ids

    def counting(buffer, starts, lengths, table, resolve):
        resolved.append(0)

        def resolving(words):
            resolved[-1] = len(words)
            return resolve(words)
        return original(buffer, starts, lengths, table, resolving)

    monkeypatch.setattr("content_node.store.word_term_ids.buffer_term_ids", counting)
    once = [(text, "en") for text, _ in _values(60, seed=2) if isinstance(text, str)]
    mode = MatchMode()
    assert _image(mode, once * 2, [len(once)], by_bytes=True) == _image(mode, once * 2, [len(once)], by_bytes=False)
    assert len(resolved) == 2 and resolved[0] > 1000 and resolved[1] == 0  # the repeat: every word known


def test_hash_collisions_fall_back_to_the_per_word_path(monkeypatch):
    calls = []
    real = batch_words._hashes

    def colliding(wide, starts, lengths):  # many words share a hash: within a batch and with the table
        hashes = real(wide, starts, lengths)
        calls.append(len(hashes))
        return (hashes & np.uint64(0xFF)) | np.uint64(1)

    values = _values(120, seed=3)
    expected = _image(MatchMode(), values, [1, 16, 64], by_bytes=False)
    monkeypatch.setattr(batch_words, "_hashes", colliding)
    assert _image(MatchMode(), values, [1, 16, 64], by_bytes=True) == expected
    assert calls


def test_the_table_grows_and_is_cleared_at_its_limit(monkeypatch):
    monkeypatch.setattr(batch_words.WordHashes, "LIMIT", 3000)
    rng = random.Random(5)
    values = [(" ".join(f"w{rng.randrange(20000)}x{'y' * rng.randrange(12)}" for _ in range(300)), "en")
              for _ in range(80)]
    mode = MatchMode(stemming=False)
    assert _image(mode, values, [8, 20], by_bytes=True) == _image(mode, values, [8, 20], by_bytes=False)
    table = batch_words.WordHashes()
    table.clear(capacity=8)
    data = np.frombuffer(b"alpha beta gamma" + bytes(8), dtype=np.uint8)
    starts, lengths = batch_words.word_spans(b"alpha beta gamma")
    hashes = batch_words._hashes(batch_words._wide(data), starts, lengths)
    table.add(hashes, np.array([5, 6, 7], dtype=np.int32), data, starts, lengths)
    assert table.lookup(batch_words._wide(data), hashes, starts, lengths).tolist() == [5, 6, 7]
    other = np.frombuffer(b"alphx betb gamma" + bytes(8), dtype=np.uint8)  # other words, the same hashes
    assert table.lookup(batch_words._wide(other), hashes, starts, lengths) is None
    assert table.lookup(batch_words._wide(other), hashes[2:], starts[2:], lengths[2:]).tolist() == [7]
    assert table.lookup(batch_words._wide(data), hashes[::-1] ^ np.uint64(2), starts, lengths).tolist() == [-1] * 3


def test_a_failing_batch_path_falls_back_to_the_per_word_path(monkeypatch, caplog):
    values = _values(200, seed=4)
    expected = _image(MatchMode(), values, [16, 64], by_bytes=False)
    real = batch_words.buffer_term_ids
    calls = []

    def failing(buffer, starts, lengths, table, resolve):  # every third batch: before or after giving out ids
        calls.append(1)
        if len(calls) % 3 == 1:
            raise IndexError("a bug in the batch path")
        found = real(buffer, starts, lengths, table, resolve)
        if len(calls) % 3 == 2:
            raise IndexError("a bug in the batch path")
        return found

    monkeypatch.setattr("content_node.store.word_term_ids.buffer_term_ids", failing)
    monkeypatch.setattr(FieldIndex, "_batch_failed", False)
    with caplog.at_level("ERROR", logger="content_node.index"):
        assert _image(MatchMode(), values, [16, 64], by_bytes=True) == expected
    assert len(calls) > 4
    assert [record.exc_info[0] for record in caplog.records] == [IndexError]  # logged once


def test_long_words_are_resolved_as_strings_not_hashed(monkeypatch):
    hashed = []
    real = batch_words._hashes

    def recording(wide, starts, lengths):
        hashed.append(int(lengths.max(initial=0)))
        return real(wide, starts, lengths)

    monkeypatch.setattr(batch_words, "_hashes", recording)
    rng = random.Random(6)
    long_words = ["l" * 65, "m" * 100_000, "ü" * 40, "ß" * 3000, "n" * 64]
    values = [(" ".join(rng.choice(long_words + ["cells", "the", "über"]) for _ in range(rng.randrange(1, 12))), "en")
              for _ in range(60)]
    mode = MatchMode(max_token_length=200_000)
    assert _image(mode, values, [1, 4, 16], by_bytes=True) == _image(mode, values, [1, 4, 16], by_bytes=False)
    assert hashed and max(hashed) <= batch_words.LONG_WORD


def test_the_table_is_bounded_in_bytes_and_counted_in_the_index_size(monkeypatch):
    monkeypatch.setattr(batch_words.WordHashes, "BYTE_LIMIT", 1 << 16)
    rng = random.Random(8)
    values = [(" ".join(f"{rng.randrange(10**9):09d}" + "w" * 50 for _ in range(400)), "") for _ in range(40)]
    mode = MatchMode(stemming=False)
    local_ids = LocalIds()
    index = FieldIndex("text", local_ids, mode)
    index.bytes_path_min = 0
    largest = 0
    for n, (value, language) in enumerate(values):  # ~24 kB of new words a batch: cleared every third
        index.stage()
        index.add(local_ids.allocate(f"id:ns:doc::{n}", n.to_bytes(12, "little")), value, language)
        index.flush()
        table = index._word_ids[None]._hashes
        largest = max(largest, table._arena_used)
    assert 0 < largest <= batch_words.WordHashes.BYTE_LIMIT
    with_table = index.nbytes
    index._word_ids.clear()
    assert with_table - index.nbytes >= largest
