"""Durable storage and in-memory indexes of a content node's documents.

wal + snapshot make writes durable; local_ids, document_store, inverted_index and attributes are
rebuilt from the documents on every start, so their in-memory formats can change freely.
"""
