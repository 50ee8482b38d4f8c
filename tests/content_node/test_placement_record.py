"""A node started in another group than the one its stored documents were placed under refuses to
start (content_node/placement_record.py): its buckets would change and nothing moves the documents,
so gets of them would miss and removes of them would leave the old copy searchable."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from content_node.__main__ import EXIT_PLACEMENT_CHANGED, main
from content_node.node import ContentNode
from content_node.placement_record import PLACEMENT_FILE, PlacementChanged, check_and_record
from content_node.store import wal
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.timestamps import CLOCK

MUSIC = Path(__file__).resolve().parents[1] / "apps" / "music"


def started(data_dir: Path, group: list[int]) -> ContentNode:
    node = ContentNode(MUSIC, data_dir, 0, group_keys=group)
    try:
        check_and_record(node)
    except PlacementChanged:
        node.close()
        raise
    return node


def owned_id(group: list[int]) -> str:
    return next(i for i in (f"id:ns:music::{n}" for n in range(100)) if node_in_group(global_id(i), group) == 0)


def test_a_node_holding_documents_refuses_another_group_and_keeps_its_record(tmp_path):
    node = started(tmp_path, [0, 1])
    node.put(owned_id([0, 1]), json.dumps({"artist": "A", "year": 2015}))
    node.close()
    for group in ([0, 1, 2], [0], [0, 2]):
        with pytest.raises(PlacementChanged, match=r"holds 1 documents and removes placed in the group of nodes "
                                                   r"\[0, 1\].*not moved to their new owners"):
            started(tmp_path, group)
    assert json.loads((tmp_path / PLACEMENT_FILE).read_text())["group_keys"] == [0, 1]
    started(tmp_path, [0, 1]).close()  # its recorded group starts


def test_a_tombstone_alone_is_data_too(tmp_path):
    node = started(tmp_path, [0, 1])
    node.remove(owned_id([0, 1]), timestamp=CLOCK.next())  # a replica may still hold the document it removed
    node.close()
    with pytest.raises(PlacementChanged):
        started(tmp_path, [0, 1, 2])


def test_an_empty_node_or_one_without_a_record_takes_the_new_group(tmp_path):
    started(tmp_path / "empty", [0, 1]).close()
    started(tmp_path / "empty", [0, 1, 2]).close()
    assert json.loads((tmp_path / "empty" / PLACEMENT_FILE).read_text())["group_keys"] == [0, 1, 2]
    node = started(tmp_path / "old", [0, 1])
    node.put(owned_id([0, 1]), json.dumps({"artist": "A", "year": 2015}))
    node.close()
    (tmp_path / "old" / PLACEMENT_FILE).unlink()  # a data directory from before the record
    started(tmp_path / "old", [0, 2]).close()
    assert json.loads((tmp_path / "old" / PLACEMENT_FILE).read_text())["group_keys"] == [0, 2]


def test_the_process_exits_with_its_own_code_and_one_line(tmp_path, capsys):
    node = started(tmp_path, [0, 1])
    node.put(owned_id([0, 1]), json.dumps({"artist": "A", "year": 2015}))
    node.close()
    code = main(["--app", str(MUSIC), "--data-dir", str(tmp_path), "--distribution-key", "0",
                 "--group-nodes", "0,1,2", "--port", "0"])
    assert code == EXIT_PLACEMENT_CHANGED
    assert "FATAL: content node 0 holds 1 documents" in capsys.readouterr().err


def fed_node_dir(data_dir: Path, key: int) -> None:
    node = ContentNode(MUSIC, data_dir, key, group_keys=[key])
    check_and_record(node)
    for n in range(3):
        node.put(f"id:ns:music::{n}", json.dumps({"artist": "A", "year": 2015}))
    node.close()


def start_main(data_dir: Path, key: int, *extra: str) -> int:
    return main(["--app", str(MUSIC), "--data-dir", str(data_dir), "--distribution-key", str(key),
                 "--group-nodes", str(key), "--port", "0", *extra])


def test_a_renumbered_node_alone_on_its_volume_refuses_to_start(tmp_path, capsys):
    """On Kubernetes the pod's volume keeps content-node-<old key>; the new key would start empty."""
    fed_node_dir(tmp_path / "content-node-0", 0)
    assert start_main(tmp_path / "content-node-3", 3, "--alone-on-volume") == EXIT_PLACEMENT_CHANGED
    fatal = [line for line in capsys.readouterr().err.splitlines() if "FATAL" in line]
    assert len(fatal) == 1 and f"{tmp_path / 'content-node-0'} on this node's volume holds 3 documents" in fatal[0]
    assert "renumbered" in fatal[0] and "move" in fatal[0]


def test_sibling_directories_without_placed_data_or_in_a_shared_data_root_do_not_refuse(tmp_path):
    (tmp_path / "content-node-1").mkdir()  # an empty directory holds nothing
    started(tmp_path / "content-node-0", [0]).close()
    node = ContentNode(MUSIC, tmp_path / "content-node-0", 0, group_keys=[0])
    check_and_record(node, alone_on_volume=True)
    node.close()
    fed_node_dir(tmp_path / "content-node-2", 2)  # a local cluster's data root holds every node's directory
    node = ContentNode(MUSIC, tmp_path / "content-node-0", 0, group_keys=[0])
    check_and_record(node)
    node.close()


@pytest.mark.parametrize("text", ["{not json", '{"group": [0]}', '{"group_keys": "0"}', "[]"])
def test_a_corrupt_placement_record_is_one_fatal_line(tmp_path, capsys, text):
    started(tmp_path, [0]).close()
    (tmp_path / PLACEMENT_FILE).write_text(text)
    assert start_main(tmp_path, 0) == EXIT_PLACEMENT_CHANGED
    err = capsys.readouterr().err
    assert "Traceback" not in err
    fatal = [line for line in err.splitlines() if "FATAL" in line]
    assert len(fatal) == 1 and "placement record" in fatal[0] and "unreadable" in fatal[0]


def test_a_node_holding_another_content_clusters_documents_refuses_to_start_in_this_one(tmp_path):
    """A multi-cluster local launch with another --nodes moves keys between clusters: the node would
    open only its new cluster's types and serve none of the documents it holds."""
    app = MUSIC.parent / "two_clusters"
    node = ContentNode(app, tmp_path, 1, group_keys=[1], cluster="library")
    check_and_record(node)
    node.put("id:ns:book::1", json.dumps({"title": "A", "year": 2015}))
    node.close()
    node = ContentNode(app, tmp_path, 1, group_keys=[0, 1], cluster="music")
    with pytest.raises(PlacementChanged, match=r"holds 1 documents and removes of content cluster 'library', "
                                               r"and is started in cluster 'music'"):
        check_and_record(node)
    node.close()
    assert json.loads((tmp_path / PLACEMENT_FILE).read_text()) == {"group_keys": [1], "cluster": "library"}
    node = ContentNode(app, tmp_path, 1, group_keys=[1], cluster="library")  # its recorded cluster starts
    check_and_record(node)
    node.close()


def files_state(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {str(path.relative_to(directory)): (path.read_bytes() if path.is_file() else b"", path.stat().st_mtime_ns)
            for path in sorted([directory, *directory.rglob("*")])}


def tear_last_record(directory: Path) -> None:
    """Zero the end of the log's last record, as a crash in its write leaves a preallocated segment."""
    segment = wal.list_segments(directory)[-1]
    records = len(wal.read_segment(segment).records)
    data = bytearray(segment.read_bytes())
    payload = wal.read_segment(segment).records[-1].payload
    end = data.rfind(payload) + len(payload)
    data[end - 5:end] = bytes(5)
    segment.write_bytes(bytes(data))
    assert len(wal.read_segment(segment).records) == records - 1  # torn, not corrupt


def test_a_sibling_directory_is_counted_without_writing_into_it(tmp_path):
    """Another node's directory is read, never opened as a database (which would start a log segment,
    snapshot at close, and could move damaged files aside): a log tail not yet snapshotted counts."""
    node = ContentNode(MUSIC, tmp_path / "crashed", 1, group_keys=[1])
    for n in range(3):
        node.put(f"id:ns:music::{n}", json.dumps({"artist": "A", "year": 2015}))
    node.databases["music"].snapshot()
    for n in (3, 4):
        node.put(f"id:ns:music::{n}", json.dumps({"artist": "B", "year": 2016}))
    node.remove("id:ns:music::0", timestamp=CLOCK.next())  # a tombstone in the log tail
    node.remove("id:ns:music::9", timestamp=CLOCK.next())  # a tombstone of a document never held
    node.remove("id:ns:music::8", timestamp=CLOCK.next())  # torn below: a write that never completed
    shutil.copytree(tmp_path / "crashed", tmp_path / "content-node-1")  # as a crash left it: no snapshot at close
    node.close()
    sibling = tmp_path / "content-node-1"
    tear_last_record(sibling / "music")  # a torn tail: opening the database would cut it off
    before = files_state(sibling)
    with pytest.raises(PlacementChanged, match="content-node-1 on this node's volume holds 6 documents and removes"):
        started_alone = ContentNode(MUSIC, tmp_path / "content-node-3", 3, group_keys=[3])
        try:
            check_and_record(started_alone, alone_on_volume=True)
        finally:
            started_alone.close()
    assert files_state(sibling) == before
