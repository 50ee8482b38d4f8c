"""Index images (store/index_image.py): a restart loads the indexes instead of re-indexing every
document, and answers exactly as before it — with the image, with the documents changed since the
image re-applied on top, and without it (missing or damaged: re-indexing). A crash while an
image is written loses nothing."""
from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from content_node import matcher
from content_node import document_db
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from content_node.store import index_image, inverted_index, segments
from content_node.store.index_image import list_images
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text
from searchlib.tensor import TensorType, tensor_from_json

SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary
            index: enable-bm25 }
        field year type int { indexing: attribute | summary }
        field tag type string { indexing: attribute | summary }
        field vec type tensor<float>(x[4]) { indexing: attribute | index
            attribute { distance-metric: euclidean }
            index { hnsw { max-links-per-node: 8 } } }
    }
    field clicks type double { indexing: 0 | attribute
        attribute: mutable }
    rank-profile bm25 {
        inputs { query(q) tensor<float>(x[4]) }
        first-phase { expression: bm25(title) + attribute(year) / 1000 + attribute(clicks) }
        summary-features { attribute(tag) }
    }
}
"""
SCHEMA = application_from_text(SD, name="doc.sd").schemas["doc"]
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
QUERIES = [("alpha",), ("beta", "gamma"), ("zeta", "mu", "kappa"), ("lambda", "eta"), ("nosuchword",)]
QUERY_VECTOR = tensor_from_json({"values": [0.1, -0.2, 0.3, 0.0]}, TensorType.parse("tensor<float>(x[4])"))
STEPS = ["image-write", "image-fsync", "image-rename", "image-directory-fsync"]


class SimulatedCrash(BaseException):
    """The process dies here: no cleanup handler runs (they catch Exception only)."""


def put(db: DocumentDB, n: int, step: int) -> None:
    rng = np.random.default_rng([n, step])
    db.put(f"id:ns:doc::{n}", {"title": " ".join(rng.choice(WORDS, 6 + n % 5)), "year": 1990 + n % 30,
                               "tag": f"tag{n % 4}", "vec": {"values": rng.normal(size=4).round(3).tolist()}})


def write_round(db: DocumentDB, step: int, new: range, rewrite_every: int = 9) -> None:
    """New documents, rewrites, an attribute-only update, removes and a mutate."""
    for n in new:
        put(db, n, step)
    for n in range(step % 3, new.start, rewrite_every):
        put(db, n, step)
    db.update(f"id:ns:doc::{new.start // 2 + 1}", {"year": {"assign": 2024}})
    for n in range(step % 5, new.start, 13):
        db.remove(f"id:ns:doc::{n}")
    db.mutate("clicks", np.arange(0, db.local_id_limit, 7), "+=", 0.5)


def answers(db: DocumentDB) -> list:
    """Hits (document id, score, summary fields) of bm25 queries and of a nearest-neighbor query,
    with the statistics they rest on."""
    program = RankProgram(SCHEMA, SCHEMA.rank_profiles["bm25"], ())
    found = []
    queries = [q.Or(tuple(q.Term("title", w) for w in words)) for words in QUERIES]
    queries.append(q.NearestNeighbor("vec", "q", target_hits=5))
    for query in queries:
        outcome = matcher.search(db, program, matcher.SearchParams(
            query=query, hits=20, query_features={"query(q)": QUERY_VECTOR}))
        hits = [(db.document_id(db.local_id(h.global_id)), round(h.relevance, 9),
                 db.document(db.local_id(h.global_id))) for h in outcome.hits]
        found.append((hits, outcome.total_hits))
    stats = {w: db.document_frequency("title", w) for w in WORDS}
    stamps = sorted((s.document_id, s.timestamp, s.removed, s.origin) for s in db.timestamps.stamps())
    assert any(removed for _, _, removed, _ in stamps), "tombstones are part of the comparison"
    return [found, stats, db.doc_count, db.average_field_length("title"), db.documents_with_field("title"),
            stamps, db.timestamps.checksums()]  # timestamps and tombstones: read from the records, not the image


@pytest.fixture
def reindexed(monkeypatch) -> list[int]:
    """How many documents each DocumentDB opened re-indexed (their title tokenized)."""
    counts: list[int] = [0]
    original = inverted_index.FieldIndex._add_many

    def counting(self, staged):
        counts[0] += len(staged)
        return original(self, staged)
    monkeypatch.setattr(inverted_index.FieldIndex, "_add_many", counting)
    return counts


def fed(directory: Path, rounds: int = 3) -> tuple[DocumentDB, int]:
    db = DocumentDB(SCHEMA, directory)
    for step in range(rounds):
        write_round(db, step, range(step * 60, step * 60 + 60))
        db.snapshot()
    return db, rounds


def reopen(directory: Path, reindexed: list[int]) -> tuple[DocumentDB, int]:
    reindexed[0] = 0
    db = DocumentDB(SCHEMA, directory)
    return db, reindexed[0]


def test_a_graceful_restart_loads_the_image_and_answers_identically(tmp_path, reindexed):
    db, _ = fed(tmp_path)
    before = answers(db)
    db.close()
    assert [p.name for p in list_images(tmp_path)] == [f"index-{db.last_sequence:020d}.img"]
    again, count = reopen(tmp_path, reindexed)
    assert count == 0, "nothing is re-indexed"
    assert answers(again) == before
    write_round(again, 9, range(500, 520))  # and it takes writes as usual
    after = answers(again)
    again.close()
    third, _ = reopen(tmp_path, reindexed)
    assert answers(third) == after
    third.close()


@pytest.mark.parametrize("max_segments", [2, 12], ids=["merged", "appended"])
def test_documents_changed_since_the_image_are_reapplied_after_a_crash(tmp_path, reindexed, monkeypatch, max_segments):
    monkeypatch.setattr(segments, "MAX_SEGMENTS", max_segments)  # 2: merges mix covered segments with newer ones
    db, rounds = fed(tmp_path)
    db.close()
    db, _ = reopen(tmp_path, reindexed)
    for step in range(rounds, rounds + 4):  # incremental snapshots (no image: few changes), then the log
        write_round(db, step, range(step * 60, step * 60 + 10), rewrite_every=50)
        if step < rounds + 3:
            db.snapshot()
    before = answers(db)
    db.flush_mutable_attributes()
    db._wal.close()  # the process dies: no snapshot or image at close
    images = list_images(tmp_path)
    assert len(images) == 1 and index_image.image_sequence(images[0]) < db.last_sequence
    crashed, count = reopen(tmp_path, reindexed)
    assert 0 < count < crashed.doc_count / 2, "only the documents changed since the image"
    assert answers(crashed) == before
    crashed._wal.close()
    for image in list_images(tmp_path):  # the same state re-indexed from scratch
        image.unlink()
    scratch, count = reopen(tmp_path, reindexed)
    assert count >= scratch.doc_count
    assert answers(scratch) == before
    scratch.close()


def inside_largest_array(data: bytes) -> int:
    """A byte offset in the middle of the image's largest array (not in alignment padding)."""
    _, _, length, _ = struct.unpack_from("<6sHII", data)
    start = -(-(16 + length) // 64) * 64
    _, _, _, offset, size, _ = max(json.loads(data[16: 16 + length])["arrays"], key=lambda entry: entry[4])
    return start + offset + size // 2


@pytest.mark.parametrize("damage", ["deleted", "array-byte", "header-byte", "truncated"])
def test_without_a_usable_image_the_restart_reindexes_identically(tmp_path, reindexed, damage):
    db, _ = fed(tmp_path)
    before = answers(db)
    db.close()
    (image,) = list_images(tmp_path)
    data = bytearray(image.read_bytes())
    if damage == "deleted":
        image.unlink()
    elif damage == "truncated":
        image.write_bytes(data[: len(data) - 100])
    else:
        data[inside_largest_array(data) if damage == "array-byte" else 30] ^= 0x55
        image.write_bytes(data)
    again, count = reopen(tmp_path, reindexed)
    assert count >= again.doc_count, "every document re-indexed"
    assert answers(again) == before
    again.close()
    assert len(list_images(tmp_path)) == 1  # a new image replaces the damaged one at close
    third, count = reopen(tmp_path, reindexed)
    assert count == 0 and answers(third) == before
    third.close()


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_while_writing_an_image_loses_nothing(tmp_path, reindexed, monkeypatch, step):
    db, _ = fed(tmp_path)
    db.close()  # an image at close
    db, _ = reopen(tmp_path, reindexed)
    write_round(db, 7, range(400, 430))
    before = answers(db)

    def crash(name: str) -> None:
        if name == step:
            raise SimulatedCrash()
    monkeypatch.setattr(index_image, "crash_point", crash)
    with pytest.raises(SimulatedCrash):
        db.close()  # the snapshot's manifest is durable, its image is not complete
    db._wal.close()
    monkeypatch.setattr(index_image, "crash_point", lambda name: None)
    again, _ = reopen(tmp_path, reindexed)
    assert answers(again) == before
    again.close()
    last, count = reopen(tmp_path, reindexed)
    assert count == 0 and answers(last) == before
    last.close()


def test_an_image_is_written_once_an_eighth_of_the_documents_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(index_image, "DUE_MINIMUM", 20)
    db = DocumentDB(SCHEMA, tmp_path)
    for n in range(160):
        put(db, n, 0)
    db.snapshot()  # the first snapshot is full: an image
    first = list_images(tmp_path)
    assert len(first) == 1
    for n in range(19):
        put(db, n, 1)
    db.snapshot()
    assert list_images(tmp_path) == first, "19 changes of 160 documents: not due"
    put(db, 100, 1)
    db.snapshot()
    assert list_images(tmp_path) != first and len(list_images(tmp_path)) == 1
    db.close()


def test_a_schema_whose_attributes_an_image_cannot_hold_restarts_by_reindexing(tmp_path, reindexed):
    schema = application_from_text(SD.replace("field tag type string", "field tag type array<string>"),
                                   name="doc.sd").schemas["doc"]
    db = DocumentDB(schema, tmp_path)
    db.put("id:ns:doc::1", {"title": "alpha beta", "tag": ["x", "y"], "year": 1})
    db.close()
    assert list_images(tmp_path) == []
    reindexed[0] = 0
    again = DocumentDB(schema, tmp_path)
    assert reindexed[0] == 1 and again.get("id:ns:doc::1")["tag"] == ["x", "y"]
    again.close()


def test_a_copied_data_directory_with_its_image_loads(tmp_path, reindexed):
    """The image holds no process-specific state (term hashes are recomputed at load)."""
    db, _ = fed(tmp_path / "a")
    before = answers(db)
    db.close()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    again, count = reopen(tmp_path / "b", reindexed)
    assert count == 0 and answers(again) == before
    again.close()


def test_an_image_of_a_history_moved_aside_is_moved_aside_with_it(tmp_path, reindexed):
    """With no intact snapshot, a node with a replica starts empty: the image must not come back
    under the sequence numbers of its new history."""
    db, _ = fed(tmp_path, rounds=1)  # the first snapshot is full: it has an image
    put(db, 1000, 1)
    db._wal.close()
    assert len(list_images(tmp_path)) == 1
    for manifest in tmp_path.glob("manifest-*.json"):
        manifest.write_bytes(b"damaged")
    empty = DocumentDB(SCHEMA, tmp_path, rebuild=True)
    assert empty.doc_count == 0 and empty.rebuild_reason
    assert list_images(tmp_path) == [] and list(tmp_path.glob("index-*.img.corrupt-*"))
    empty.close()


def test_reindexing_in_batches_answers_as_before(tmp_path, reindexed, monkeypatch):
    """Recovery indexes LOAD_BATCH documents together, from the snapshot and from the log;
    rewrites and removes land inside batches (small ones here)."""
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 12)  # the rounds' segments stay apart: rewrites re-apply
    db, _ = fed(tmp_path, rounds=4)
    before = answers(db)
    db.close()
    for image in list_images(tmp_path):
        image.unlink()
    monkeypatch.setattr(document_db, "LOAD_BATCH", 7)
    again, count = reopen(tmp_path, reindexed)
    assert count > again.doc_count, "rewritten documents were indexed again"
    assert answers(again) == before
    write_round(again, 5, range(700, 730))  # and a log replayed in batches: new documents, rewrites, removes
    before = answers(again)
    again.flush_mutable_attributes()
    again._wal.close()
    replayed, _ = reopen(tmp_path, reindexed)
    assert answers(replayed) == before
    replayed._wal.close()


def old_bigrams(words: list[str]) -> list[str]:
    """The tokenizer before TOKENIZER_VERSION 2: a CJK run of more than two characters as bigrams."""
    out: list[str] = []
    for word in words:
        cjk = all("\u4e00" <= c <= "\u9fff" for c in word)
        out.extend([word[i:i + 2] for i in range(len(word) - 1)] if cjk and len(word) > 2 else [word])
    return out


def test_an_image_of_an_older_tokenizer_is_reindexed_at_restart(tmp_path, reindexed, monkeypatch):
    """An image saved by the code that indexed CJK runs as bigrams (its analysis stamp without the
    tokenizer's version) is not loaded: the node re-indexes its documents with today's words."""
    with monkeypatch.context() as old:
        element_words = inverted_index._element_words
        old.setattr(inverted_index, "_element_words", lambda value, language, mode: (
            lambda found: ([old_bigrams(words) for words in found[0]], found[1]))(element_words(value, language, mode)))
        old.setattr(inverted_index.FieldIndex, "analysis", property(lambda self: repr(self.mode)))
        db = DocumentDB(SCHEMA, tmp_path)
        db.put("id:ns:doc::cjk", {"title": "北京大学", "year": 2000})
        for n in range(20):
            put(db, n, 0)
        db.snapshot()  # the first snapshot is full: an image
        assert db.document_frequency("title", "北京") == 1 and db.document_frequency("title", "北京大学") == 0
        count = db.doc_count
        db.close()
    assert len(list_images(tmp_path)) == 1
    again, reindexed_count = reopen(tmp_path, reindexed)
    assert reindexed_count >= count, "every document re-indexed from the snapshot"
    assert again.doc_count == count and again.get("id:ns:doc::cjk")["title"] == "北京大学"
    assert again.document_frequency("title", "北京大学") == 1 and again.document_frequency("title", "北京") == 0
    assert len(again.postings("title", "北京大学").doc_ids) == 1 and len(again.postings("title", "北京").doc_ids) == 0
    again.close()
    third, reindexed_count = reopen(tmp_path, reindexed)  # the image written at close has today's stamp
    assert reindexed_count == 0 and third.document_frequency("title", "北京大学") == 1
    third.close()
