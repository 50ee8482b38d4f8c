"""Document timestamps restored from an index image's arrays equal those read from every record
(the path of images without them), also with documents changed since the image, with an older
image, and with arrays that do not fit (read from the records instead) or are damaged (the image is
not used); the covered records' stamps are not read."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.store import index_image, segments, timestamps
from content_node.store.index_image import list_images, read_image, write_image
from content_node.store.timestamps import DocumentTimestamps
from searchlib.schema.application import application_from_text

SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field year type int { indexing: attribute | summary }
    }
}
"""
SCHEMA = application_from_text(SD, name="doc.sd").schemas["doc"]
DOCS = 3000


def doc_id(n: int) -> str:
    return f"id:ns:doc::{n}" if n % 7 else f"id:ns:doc::ünï-{n}"  # some ids not ASCII


def feed(directory: Path) -> None:
    """Puts, rewrites, updates (origins), removes (tombstones) and a put after a remove, over
    several snapshots; the close writes an image."""
    db = DocumentDB(SCHEMA, directory)
    for n in range(DOCS):
        db.put(doc_id(n), {"title": f"word{n % 50} other", "year": n % 30})
    db.snapshot()
    for n in range(0, DOCS, 5):
        db.put(doc_id(n), {"title": f"rewritten {n}", "year": 1})
    for n in range(1, DOCS, 11):
        db.update(doc_id(n), {"year": {"assign": 2024}})
    db.snapshot()
    for n in range(2, DOCS, 9):
        db.remove(doc_id(n))
    for n in range(2, DOCS, 45):
        db.put(doc_id(n), {"title": "back again", "year": 3})
    db.close()


def change_a_little(directory: Path) -> None:
    """Fewer changes than an image at close is written for: only a segment after the image's."""
    db = DocumentDB(SCHEMA, directory)
    for n in range(3, 60, 4):
        db.put(doc_id(n), {"title": "since the image", "year": 5})
    db.update(doc_id(12), {"year": {"assign": 1999}})
    db.remove(doc_id(13))
    db.close()


def state(table: DocumentTimestamps) -> tuple:
    stamps = sorted((s.document_id, s.timestamp, s.removed, s.updated, s.origin) for s in table.stamps())
    buckets = table.checksums()
    members = sorted((s.document_id, s.timestamp) for s in table.bucket_entries(range(1 << timestamps.MERGE_BUCKET_BITS)))
    tombstones = sorted((stamp.timestamp, gid) for gid, stamp in table.tombstones())
    return stamps, buckets, members, table.tombstone_count, tombstones


def rewrite_image(directory: Path, change) -> None:
    (path,) = list_images(directory)
    image = read_image(path)
    write_image(directory, image.sequence, image.segments, image.limit, change(dict(image.arrays)))


def without_stamps(arrays: dict) -> dict:
    return {name: array for name, array in arrays.items() if not name.startswith("stamps.")}


@pytest.fixture
def stamps_read(monkeypatch) -> list[int]:
    """How many records' stamps each open read (segments.read_stamps)."""
    counts = [0]
    original = segments.read_stamps

    def counting(manifest):
        for document in original(manifest):
            counts[0] += 1
            yield document
    monkeypatch.setattr(index_image, "read_stamps", counting)
    return counts


def opened(directory: Path, counts: list[int]) -> tuple[tuple, int, int]:
    counts[0] = 0
    db = DocumentDB(SCHEMA, directory)
    try:
        return state(db.timestamps), counts[0], db.doc_count
    finally:
        db.close()


@pytest.mark.parametrize("since", [False, True], ids=["image-only", "changed-since"])
def test_stamps_from_the_image_equal_those_from_every_record(tmp_path, stamps_read, since):
    feed(tmp_path / "a")
    if since:
        change_a_little(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    rewrite_image(tmp_path / "b", without_stamps)  # an image written before the arrays existed
    records, read, count = opened(tmp_path / "b", stamps_read)
    assert read >= count > DOCS * 0.8
    from_image, read, _ = opened(tmp_path / "a", stamps_read)
    assert from_image == records
    assert read == (17 if since else 0), "only the records written since the image"
    assert from_image[3] > 200 and any(origin for *_, origin in from_image[0]), "tombstones and origins compared"


def test_arrays_that_do_not_fit_are_read_from_the_records(tmp_path, stamps_read):
    feed(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    rewrite_image(tmp_path / "b", without_stamps)
    expected, _, count = opened(tmp_path / "b", stamps_read)

    def shifted(arrays):  # checksums fine, contents inconsistent: the id offsets run past the ids
        arrays["stamps.id_ends"] = arrays["stamps.id_ends"] + 1
        return arrays
    rewrite_image(tmp_path / "a", shifted)
    found, read, _ = opened(tmp_path / "a", stamps_read)
    assert found == expected and read >= count


def test_a_damaged_stamps_array_makes_the_image_unusable(tmp_path, stamps_read):
    feed(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    rewrite_image(tmp_path / "b", without_stamps)
    expected, _, _ = opened(tmp_path / "b", stamps_read)
    (path,) = list_images(tmp_path / "a")
    data = bytearray(path.read_bytes())
    _, _, length, _ = index_image._PREAMBLE.unpack_from(data)  # read_image's layout
    start = -(-(index_image._PREAMBLE.size + length) // 64) * 64
    entries = json.loads(data[index_image._PREAMBLE.size: index_image._PREAMBLE.size + length])["arrays"]
    _, _, _, offset, size, _ = next(entry for entry in entries if entry[0] == "stamps.timestamps")
    data[start + offset + size // 2] ^= 0x01  # one bit: a timestamp off by a little
    path.write_bytes(data)
    found, _, _ = opened(tmp_path / "a", stamps_read)
    assert found == expected  # the image is rejected (checksum): re-indexed, stamps from the records


def test_export_and_load_round_trip_an_empty_table():
    table = DocumentTimestamps()
    table.load_image(timestamps.export_image(*DocumentTimestamps().capture()))
    assert state(table) == state(DocumentTimestamps())
    assert np.all([len(a) == 0 for a in timestamps.export_image({}, {}).values()])
