"""The document store: compressed JSON in one arena, with a preset dictionary from the first 32 KiB."""
from __future__ import annotations

import json
import zlib

import pytest

from content_node.store import document_store
from content_node.store.document_store import DocumentStore, encode_fields


def _document(i: int) -> dict:
    return {"title": f"Document {i} on protein folding", "text": f"Claim {i}: " + "the cell cycle " * 40}


def test_documents_read_back_before_and_after_the_dictionary_exists():
    store = DocumentStore()
    store.store(0, encode_fields(_document(0)))
    assert store.fields(0) == _document(0)  # no dictionary yet
    for i in range(1, 200):
        store.store(i, encode_fields(_document(i)))
    assert store._dictionary is not None
    assert all(store.fields(i) == _document(i) for i in range(200))  # early ones recompressed
    store.store(5, encode_fields({"title": "replaced"}))
    store.drop(6)
    assert store.fields(5) == {"title": "replaced"} and store.fields(6) is None


def test_the_dictionary_makes_small_documents_smaller():
    store = DocumentStore()
    blobs = [encode_fields(_document(i)) for i in range(300)]
    for i, blob in enumerate(blobs):
        store.store(i, blob)
    plain = sum(len(zlib.compress(blob, 6)) for blob in blobs)
    assert store.stored_bytes < 0.8 * plain


def test_a_decoder_taken_before_the_dictionary_still_reads_old_blobs():
    store = DocumentStore()
    store.store(0, encode_fields(_document(0)))
    blob, decode = store.compressed(0), store.decoder()  # a snapshot's consistent cut
    for i in range(1, 200):
        store.store(i, encode_fields(_document(i)))
    assert json.loads(decode(blob)) == _document(0)


def test_dictionary_streams_inflate_to_zlibs_bytes_and_damage_still_fails():
    """The raw inflate that skips zlib's per-stream dictionary checksum returns zlib's own bytes,
    and a damaged blob or the wrong dictionary fails as zlib fails (the checks are kept)."""
    store = DocumentStore()
    for i in range(200):
        store.store(i, encode_fields(_document(i)))
    dictionary, decode = store._dictionary, store.decoder()
    assert dictionary is not None
    for i in range(200):
        blob = store.compressed(i)
        assert decode(blob) == zlib.decompressobj(zdict=dictionary).decompress(blob) == encode_fields(_document(i))
        assert document_store._inflate_checked(blob, dictionary) is not None  # the fast path, not the fallback
    blob = store.compressed(7)
    for damaged in (blob[:-1] + bytes([blob[-1] ^ 1]),  # the data's Adler-32
                    blob[:8] + bytes([blob[8] ^ 0x40]) + blob[9:],  # the deflate body
                    blob[:3] + bytes([blob[3] ^ 1]) + blob[4:]):  # the dictionary id
        with pytest.raises(zlib.error):
            decode(damaged)
    with pytest.raises(zlib.error):
        document_store._decompress(blob, dictionary[1:] + b"x")


def test_inflated_documents_are_kept_until_stored_again_or_dropped():
    store = DocumentStore()
    for i in range(200):
        store.store(i, encode_fields(_document(i)))
    first = store.fields_json(7)
    assert store.fields_json(7) is first and store.inflated_bytes == len(first)  # the second read is the kept one
    store.store(7, encode_fields({"title": "replaced"}))
    assert store.fields(7) == {"title": "replaced"}
    store.fields_json(8)
    store.drop(8)
    assert store.fields_json(8) is None and store.fields(7) == {"title": "replaced"}
    store.store(8, encode_fields({"title": "back"}))  # a reused local id reads its new document
    assert store.fields(8) == {"title": "back"}
    assert store.inflated_bytes == len(store.fields_json(7)) + len(store.fields_json(8))


def test_inflated_documents_are_bounded_and_the_least_recent_go(monkeypatch):
    monkeypatch.setattr(document_store, "INFLATED_CACHE_BYTES", 16 * 1024)
    store = DocumentStore()
    for i in range(200):
        store.store(i, encode_fields(_document(i)))
    size = len(store.fields_json(0))
    for i in range(1, 200):
        assert json.loads(store.fields_json(i)) == _document(i)
        store.fields_json(0)  # read again each time: the most recent, never the one to go
        assert store.inflated_bytes <= 16 * 1024
    assert 0 in store._inflated and 1 not in store._inflated and 199 in store._inflated
    assert len(store._inflated) >= 16 * 1024 // (size + 8) - 1  # full: only what did not fit went


def test_a_read_for_a_write_keeps_nothing():
    store = DocumentStore()
    store.store(7, encode_fields({"title": "a title"}))
    assert store.fields(7, cache=False) == {"title": "a title"} and store.inflated_bytes == 0
    store.fields(7)
    kept = store.inflated_bytes
    assert kept > 0 and store.fields(7, cache=False) == {"title": "a title"} and store.inflated_bytes == kept
