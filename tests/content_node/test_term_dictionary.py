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


def test_lookups_walk_equal_hashes_and_see_every_consolidation(monkeypatch):
    from content_node.store import term_dictionary

    monkeypatch.setattr(term_dictionary, "hash", lambda text: 7 if text.startswith("c") else len(text), raising=False)
    terms = TermDictionary()
    first = ["cat", "cow", "crow", "dog", "emu"]
    assert terms.ids(first).tolist() == [0, 1, 2, 3, 4]
    terms._consolidate()  # the c-words share one hash: each lookup walks their run and compares texts
    assert [terms.get(t) for t in first + ["cod", "dig"]] == [0, 1, 2, 3, 4, None, None]
    assert terms.ids(["crow", "cod"]).tolist() == [2, 5]
    terms._consolidate()  # a later tier: the lookups read the new arrays
    assert [terms.get(t) for t in ("cod", "cat", "emu", "crab")] == [5, 0, 4, None]
