"""`phasedsearch feed`'s client (deploy/feeder.py) while the container is killed -9 and restarted
with many operations in flight, two groups, on real processes. Each document gets two puts and a
remove, adjacent in the feed (so in flight together); the feeder resends puts and removes whose connection dropped (a resent put may apply
twice: fine) and keeps each document's operations in feed order. What must hold: a document ends
in the state its last acknowledged operation left, or in that of one sent after it that failed —
never in one before it (an acknowledged remove undone by an older put coming back, or a put lost),
and both replicas agree."""
from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest

from deploy import processes
from deploy.feed_format import FeedOperation
from deploy.feeder import feed_async
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import NodeReader, wait_until

DOCUMENTS = 200
SEQUENCE = ("put", "put", "remove")  # per document, adjacent in the feed: all in flight together


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # the container's merges repair half-written operations
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "2")
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("feed-restart"), nodes=2, groups=2) as running:
            yield running


def operations() -> list[FeedOperation]:
    result = []
    for d in range(DOCUMENTS):
        for step, kind in enumerate(SEQUENCE):
            fields = {"title": f"v{step}", "text": f"restart {d}"} if kind == "put" else {}
            result.append(FeedOperation(kind, f"id:test:doc::feedrestart{d}", fields, source_line=len(result) + 1))
    return result


def result_of(operation: FeedOperation) -> str | None:
    return operation.fields["title"] if operation.kind == "put" else None


def possible_states(feed: list[FeedOperation], failed: set[int]) -> dict[str, set[str | None]]:
    possible: dict[str, set[str | None]] = {}
    for operation in feed:
        state = result_of(operation)
        if operation.source_line in failed:
            possible.setdefault(operation.document_id, {None}).add(state)
        else:
            possible[operation.document_id] = {state}
    return possible


def test_a_container_killed_mid_feed_never_undoes_an_acknowledged_operation(cluster):
    feed = operations()
    done, failed = [], set()

    def on_done(failure) -> None:
        done.append(failure)
        if failure is not None:
            failed.add(failure.source_line)

    feeding = threading.Thread(target=lambda: asyncio.run(feed_async(feed, cluster.url, concurrency=64,
                                                                      timeout=30, on_done=on_done)))
    feeding.start()
    try:
        for fraction in (0.25, 0.6):  # killed twice, each time with operations in flight
            wait_until(lambda: len(done) >= fraction * len(feed), 120)
            processes.send_signal(cluster.container_pid, signal.SIGKILL)
            time.sleep(0.3)
            cluster.restart_container()
    finally:
        feeding.join(300)
    assert len(done) == len(feed)
    assert len(failed) < len(feed) // 2, f"{len(failed)} operations failed: the feeder's retries did not bridge the restart"
    possible = possible_states(feed, failed)
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        wait_until(lambda: first.checksums() == second.checksums(), 40)
        wrong = []
        for document_id, states in possible.items():
            held = [None if (stored := reader.get(document_id)) is None else stored["title"] for reader in (first, second)]
            if held[0] != held[1] or held[0] not in states:
                wrong.append((document_id, held, states))
    assert not wrong, f"{len(wrong)} documents not in a state their operations can leave: {wrong[:3]}"
