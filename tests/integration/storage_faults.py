"""Helpers of the storage fault-injection tests: a concurrent feeder that records what was
acknowledged, direct gRPC reads of one node, and damage to a node's files."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import grpc
import httpx
import pytest

from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.timestamps import CLOCK


def document_fields(prefix: str, n: int) -> dict:
    return {"title": f"{prefix} document {n}", "text": f"storage fault body {prefix} {n} " + "lorem ipsum " * (n % 7)}


class Feeder:
    """Feeds `prefix<n>` documents from `workers` threads until stopped; every 200 is acknowledged."""

    def __init__(self, url: str, prefix: str, workers: int = 3) -> None:
        self.url, self.prefix = url, prefix
        self.acked: dict[str, dict] = {}
        self.attempted: dict[str, dict] = {}  # sent, whatever the answer (or no answer)
        self.refused: set[str] = set()  # answered 507: the node could not store it
        self.statuses: dict[int, int] = {}
        self._next = iter(range(10**9))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(workers)]

    def __enter__(self) -> "Feeder":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def wait_for_acks(self, count: int, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while len(self.acked) < count:
            assert time.monotonic() < deadline, f"only {len(self.acked)} acknowledged writes"
            time.sleep(0.05)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            while not self._stop.is_set():
                with self._lock:
                    n = next(self._next)
                document_id = f"id:test:doc::{self.prefix}{n}"
                fields = document_fields(self.prefix, n)
                with self._lock:
                    self.attempted[document_id] = fields
                try:
                    response = client.post(f"/document/v1/test/doc/docid/{self.prefix}{n}", json={"fields": fields})
                except httpx.HTTPError:
                    time.sleep(0.05)  # the container is down: not acknowledged
                    continue
                with self._lock:
                    self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
                    if response.status_code == 200:
                        self.acked[document_id] = fields
                    elif response.status_code == 507:
                        self.refused.add(document_id)
                        self.last_refusal = response.json()
                if response.status_code != 200:
                    time.sleep(0.05)


class NodeReader:
    """Reads one content node directly (not through the container)."""

    def __init__(self, address: str) -> None:
        self._channel = grpc.insecure_channel(address)
        self._stub = pb_grpc.ContentNodeStub(self._channel)

    def __enter__(self) -> "NodeReader":
        return self

    def __exit__(self, *exc) -> None:
        self._channel.close()

    def checksums(self) -> dict[str, int]:
        reply = self._stub.ListDocuments(pb.ListDocumentsRequest(), timeout=30)
        return {entry.document_id: entry.checksum for entry in reply.documents}

    def get(self, document_id: str) -> dict | None:
        reply = self._stub.Get(pb.GetRequest(document_id=document_id), timeout=30)
        return json.loads(reply.fields_json) if reply.found else None

    def ping(self) -> pb.PingReply:
        return self._stub.Ping(pb.PingRequest(), timeout=5)

    # writes to this node alone, as a container killed between its writes to two replicas leaves them

    def put(self, document_id: str, fields: dict, timestamp: int | None = None) -> None:
        reply = self._stub.Put(pb.PutRequest(document_id=document_id, fields_json=json.dumps(fields),
                                             timestamp=CLOCK.next() if timestamp is None else timestamp), timeout=30)
        assert reply.ok, reply.error.message

    def remove(self, document_id: str, timestamp: int | None = None) -> None:
        reply = self._stub.Remove(pb.RemoveRequest(document_id=document_id,
                                                   timestamp=CLOCK.next() if timestamp is None else timestamp),
                                  timeout=30)
        assert reply.ok, reply.error.message

    def update(self, document_id: str, operations: dict, timestamp: int) -> None:
        reply = self._stub.Update(pb.UpdateRequest(document_id=document_id, operations_json=json.dumps(operations),
                                                   timestamp=timestamp), timeout=30)
        assert reply.ok, reply.error.message

    def merge(self, peers: list[str]) -> pb.MergeReply:
        """Have this node merge with `peers` now (as the container's scheduler does)."""
        return self._stub.Merge(pb.MergeRequest(peers=peers), timeout=60)


def assert_holds(reader: NodeReader, expected: dict[str, dict]) -> None:
    """Every expected document is on the node with exactly the fields that were sent."""
    wrong = [document_id for document_id, fields in expected.items()
             if {name: value for name, value in (reader.get(document_id) or {}).items() if name in fields} != fields]
    assert not wrong, f"{len(wrong)} of {len(expected)} acknowledged documents missing or changed, e.g. {wrong[:3]}"


def wal_segments(node_dir: Path) -> list[Path]:
    return sorted((node_dir / "doc").glob("wal-*.log"))


def snapshots(node_dir: Path) -> list[Path]:
    return sorted((node_dir / "doc").glob("manifest-*.json"))


def written_bytes(segment: Path) -> bytes:
    """A log segment's bytes without the zeros that fill it to its preallocated size."""
    return segment.read_bytes().rstrip(b"\x00")


def fullest_segment(node_dir: Path) -> Path:
    return max(wal_segments(node_dir), key=lambda path: len(written_bytes(path)))


def middle_record_byte(segment: Path) -> int:
    """A byte of a log record near the middle of what `segment` holds (not of the zero padding
    that ends each group commit at a 4 KB boundary): the last non-zero byte up to the middle."""
    data = written_bytes(segment)
    return len(data[:len(data) // 2 + 1].rstrip(b"\x00")) - 1


def flip_bit(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x10
    path.write_bytes(bytes(data))


def log_since(path: Path, offset: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(offset)
        return handle.read().decode(errors="replace")


def wait_until(predicate, seconds: float = 30.0, interval: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(interval)


@contextlib.contextmanager
def tmpfs_node_dir(root: Path, key: int, size: str = "16m"):
    """`root/data/content-node-<key>` on a real tmpfs of `size` (mounting needs root, as in CI):
    a disk that fills for real. Yields (root, the node's directory)."""
    node_dir = root / "data" / f"content-node-{key}"
    node_dir.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(node_dir)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root (tests/container/test_feed_block.py covers the rule)")
    try:
        yield root, node_dir
    finally:
        subprocess.run(["umount", "-l", str(node_dir)], capture_output=True)


def app_with_resource_limits(source: Path, target: Path, disk: float) -> Path:
    """A copy of the package at `source` whose content cluster sets `<resource-limits><disk>`."""
    shutil.copytree(source, target, symlinks=True)
    services = (target / "services.xml").read_text()
    limits = f"<tuning><resource-limits><disk>{disk}</disk></resource-limits></tuning>"
    (target / "services.xml").write_text(services.replace("</nodes>\n  </content>", f"</nodes>\n    {limits}\n  </content>"))
    return target


@contextlib.contextmanager
def one_node_on_disk(root: Path):
    """One node whose data is under `root` (a small or faulty mount), snapshots every 10 operations,
    and only the node's own disk refusal (the cluster's feed block at 100%): the disk-fault tests'
    cluster."""
    from deploy.local_cluster import LocalCluster  # the launcher, only for the modules that start one
    from tests.integration.conftest import DEFAULT_APP
    app = app_with_resource_limits(DEFAULT_APP, root / "app", disk=1.0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "10")
        with LocalCluster(app, root / "data", nodes=1, groups=1) as running:
            yield running
