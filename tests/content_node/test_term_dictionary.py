"""The term dictionary's batched lookup against its consolidated (hash-sorted) tier."""
from __future__ import annotations

from content_node.store.term_dictionary import TermDictionary


def test_a_batch_with_a_known_term_and_a_longer_new_one_past_the_text_end():
    # Only the candidates whose length equals the term's are compared byte by byte; a longer new
    # term whose hash slot points at the last (short) consolidated term must not index past the text.
    terms = TermDictionary()
    terms.ids(["zeta"])
    terms._consolidate()
    assert terms.ids(["zeta", "muchlongerword", "a"]).tolist() == [0, 1, 2]
    assert [terms.get(t) for t in ("zeta", "muchlongerword", "a", "absent")] == [0, 1, 2, None]


def test_consolidated_lookups_equal_the_dict_they_replace():
    terms = TermDictionary()
    words = [f"w{i}" * (1 + i % 3) for i in range(300)]
    ids = terms.ids(words).tolist()
    terms._consolidate()
    assert terms.ids(words[::-1] + ["new", "w0w0w0w0"]).tolist() == ids[::-1] + [300, 301]
