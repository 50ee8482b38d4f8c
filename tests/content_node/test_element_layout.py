"""The element lengths the inverted index keeps (store/element_layout.py): the element of every stored
position against the documents' own elements, and data directories whose index image was written
before the lengths were kept: converted at load where no document needs them, else re-indexed once
from the snapshot and log, losing no acknowledged write."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from content_node.store.index_image import list_images, read_image, write_image
from content_node.store.inverted_index import FieldIndex
from content_node.store.local_ids import LocalIds
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text
from tests.content_node.test_index_images import reindexed  # noqa: F401 - a fixture

SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field parts type array<string> { indexing: index | summary }
    }
    rank-profile native {
        first-phase { expression: nativeFieldMatch(parts) + nativeProximity(parts) + nativeFieldMatch(title) }
    }
}
"""
SCHEMA = application_from_text(SD, name="doc.sd").schemas["doc"]
WORDS = "alpha beta gamma delta epsilon zeta".split()
QUERIES = [("alpha",), ("beta", "gamma"), ("zeta", "alpha", "delta")]


def test_every_position_is_located_in_its_element() -> None:
    rng = np.random.default_rng(5)
    ids = LocalIds()
    index = FieldIndex("parts", ids)
    values = []
    for n in range(80):
        value = [" ".join(rng.choice(WORDS, rng.integers(0, 7))) for _ in range(rng.integers(0, 5))]
        values.append(value if n % 7 else " ".join(value))  # some plain strings: one element
        index.add(ids.allocate(f"id:ns:doc::{n}", n.to_bytes(12, "big")), values[-1])
        if n % 11 == 3:  # a rewrite: a new local id, the old one dead
            old = ids.lookup(n.to_bytes(12, "big"))
            index.remove(old, values[-1])
            ids.release(old)
            index.add(ids.allocate(f"id:ns:doc::{n}", n.to_bytes(12, "big")), values[-1])
    alive = ids.alive_local_ids()
    for image in (False, True):
        if image:  # the same from an image of the index
            index = FieldIndex.from_image(SCHEMA.fields["parts"], ids, index.export_image(ids.limit))
        layout = index.element_layout(alive)
        for word in WORDS:
            postings = index.postings(word)
            rows = np.searchsorted(alive, np.repeat(postings.doc_ids, postings.term_freqs))
            elements = layout.locate(rows, postings.flat_positions)
            for row, element, position in zip(rows, elements, postings.flat_positions):
                value = values[int(ids.document_id(int(alive[row])).rsplit(":", 1)[1])]
                words = [value.split()] if isinstance(value, str) else [v.split() for v in value]
                ordinal = int(layout.ordinal(np.array([element]), np.array([row]))[0])
                within = int(position - layout.starts[element])
                assert words[ordinal][within] == word and layout.lengths[element] == len(words[ordinal])


def reopen(directory: Path, reindexed: list[int]) -> tuple[DocumentDB, int]:
    reindexed[0] = 0
    db = DocumentDB(SCHEMA, directory)
    return db, reindexed[0]


def answers(db: DocumentDB) -> list:
    program = RankProgram(SCHEMA, SCHEMA.rank_profiles["native"], ())
    found = []
    for words in QUERIES:
        query = q.Or(tuple(q.Term(field, w) for w in words for field in ("title", "parts")))
        outcome = matcher.search(db, program, matcher.SearchParams(query=query, hits=100))
        found.append(sorted((db.document_id(db.local_id(h.global_id)), round(h.relevance, 9)) for h in outcome.hits))
    return found


def feed(db: DocumentDB, numbers: range, elements: int) -> None:
    rng = np.random.default_rng(numbers.start)
    for n in numbers:
        parts = [" ".join(rng.choice(WORDS, rng.integers(1, 6))) for _ in range(elements)]
        db.put(f"id:ns:doc::{n}", {"title": " ".join(rng.choice(WORDS, 4)), "parts": parts + [""] * (n % 2)})


def as_an_older_node_wrote_it(directory: Path) -> None:
    """The image rewritten without the element lengths (all an older node's image lacks)."""
    (path,) = list_images(directory)
    image = read_image(path)
    assert any(name.endswith(".element_counts") for name in image.arrays)
    path.unlink()
    write_image(directory, image.sequence, image.segments, image.limit,
                {k: v for k, v in image.arrays.items() if not k.endswith((".element_counts", ".element_lengths"))})


def test_an_older_image_of_many_element_arrays_is_reindexed_once_and_loses_no_write(tmp_path, reindexed) -> None:
    db = DocumentDB(SCHEMA, tmp_path)
    feed(db, range(40), elements=3)
    before = answers(db)
    db.close()
    as_an_older_node_wrote_it(tmp_path)
    db, count = reopen(tmp_path, reindexed)
    assert count >= db.doc_count == 40, "every document re-indexed"
    assert answers(db) == before
    feed(db, range(40, 45), elements=2)  # acknowledged (in the log), then the process dies
    after = answers(db)
    db._wal.close()
    db, count = reopen(tmp_path, reindexed)  # the older image still: re-indexed again, the log replayed
    assert db.doc_count == 45 and answers(db) == after
    db.close()  # writes an image with the element lengths
    db, count = reopen(tmp_path, reindexed)
    assert count == 0 and answers(db) == after
    db.close()


def test_an_older_image_of_one_element_values_is_converted_at_load(tmp_path, reindexed) -> None:
    db = DocumentDB(SCHEMA, tmp_path)
    feed(db, range(30), elements=1)  # an array of one element (and an empty one after it in odd ones)
    before = answers(db)
    db.close()
    as_an_older_node_wrote_it(tmp_path)
    db, count = reopen(tmp_path, reindexed)
    assert count == 0, "loaded from the image: every occurrence is in a first element"
    assert answers(db) == before
    db.close()
