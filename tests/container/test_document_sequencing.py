"""Operations on one document are sent to its replicas one at a time, in the order their
timestamps were assigned (Vespa's distributor sequences them per document too). Otherwise two
concurrent updates of one document can reach a node in the other order: the node then refuses
the one with the older timestamp as superseded (newest wins) and it is acknowledged yet lost."""
from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from searchlib.wire.feed_codec import FeedResult, NodeStatus
from tests.container.scripted_nodes import QuietReplica

MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")


class RecordingReplica(QuietReplica):
    """A content node whose first update is slow; it records when each write starts and ends."""

    def __init__(self) -> None:
        self.node = NodeAddress(0, 0, "host:0")
        self.events: list[tuple[str, str, int]] = []

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0) -> FeedResult:
        self.events.append(("start", document_id, timestamp))
        if len(self.events) == 1:
            await asyncio.sleep(0.5)  # a slow first write: the second request arrives meanwhile
        self.events.append(("end", document_id, timestamp))
        return FeedResult(True, found=True, base=1)

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(0, 1, "", True, 0, "ready")


def test_concurrent_updates_of_one_document_reach_the_node_in_timestamp_order_one_at_a_time():
    replica = RecordingReplica()
    answers: list[int] = []
    with TestClient(create_app(MUSIC, clients=[replica])) as client:
        def update(name: str, value: int) -> None:
            response = client.put(f"/document/v1/test/music/docid/{name}", json={"fields": {"year": {"increment": value}}})
            answers.append(response.status_code)
        first = threading.Thread(target=update, args=("u", 1))
        first.start()
        while not replica.events:
            time.sleep(0.01)
        others = [threading.Thread(target=update, args=("u", 2)), threading.Thread(target=update, args=("other", 3))]
        for thread in others:
            thread.start()
        for thread in (first, *others):
            thread.join(10)
    assert answers == [200, 200, 200]
    same = [(kind, timestamp) for kind, document_id, timestamp in replica.events if document_id.endswith("::u")]
    assert [kind for kind, _ in same] == ["start", "end", "start", "end"], "never two in flight"
    assert same[0][1] < same[2][1], "sent in the order their timestamps were assigned"
    order = [(kind, document_id.rsplit(":", 1)[1]) for kind, document_id, _ in replica.events]
    assert order.index(("start", "other")) < order.index(("end", "u")), "another document is not held up"


def test_a_turn_given_up_while_waiting_still_keeps_the_order_and_nothing_is_left_behind():
    from searchlib.sequencing import KeySequencer

    async def scenario() -> list[str]:
        sequencer, log = KeySequencer(), []

        async def holder(name: str, hold: float) -> None:
            async with sequencer.turn("d"):
                log.append(f"{name} in")
                await asyncio.sleep(hold)
                log.append(f"{name} out")

        first = asyncio.ensure_future(holder("first", 0.2))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(holder("second", 0))
        third = asyncio.ensure_future(holder("third", 0))
        await asyncio.sleep(0.05)
        second.cancel()  # its client went away while it waited
        await asyncio.gather(first, third, return_exceptions=True)
        assert len(sequencer) == 0
        return log

    assert asyncio.run(scenario()) == ["first in", "first out", "third in", "third out"]
