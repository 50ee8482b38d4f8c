"""The document store: compressed JSON in one arena, with a preset dictionary from the first 32 KiB."""
from __future__ import annotations

import json
import zlib

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
