"""The cluster-wide feed block (container/dispatch/feed_block.py): the decision with its hysteresis
and message, and through the container's ASGI app with scripted nodes: while one node reports usage
above a limit, puts and updates (conditional, create, by selection) are refused with 507 and reach no
node, except an update that only assigns numbers to numeric single-value fields; removes pass; the
block lifts once usage is 1 % under the limit. And a replica that refused a write (507) another
applied is noted as having missed it: out of rotation until it catches up."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.feed_block import Exhaustion, describe, exhaustions
from searchlib.errors import ErrorCode
from searchlib.schema.model import ResourceLimits
from searchlib.wire.feed_codec import FeedResult, NodeStatus
from tests.container.scripted_nodes import WireNode

MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")
LIMITS = ResourceLimits(0.75, 0.8)


def test_a_node_above_a_limit_blocks_and_unblocks_only_under_the_lowered_limit():
    assert exhaustions({0: (0.75, 0.8), 1: (0.1, 0.1)}, LIMITS) == ()  # at the limit: not above it
    blocked = exhaustions({0: (0.2, 0.1), 1: (0.76, 0.1)}, LIMITS)
    assert blocked == (Exhaustion(1, "disk", 0.76, 0.75, False),)
    still = exhaustions({0: (0.2, 0.1), 1: (0.745, 0.1)}, LIMITS, blocked)  # under 0.75, above 0.74
    assert still == (Exhaustion(1, "disk", 0.745, 0.75, True),)
    assert exhaustions({0: (0.2, 0.1), 1: (0.739, 0.1)}, LIMITS, still) == ()
    assert exhaustions({0: (0.745, 0.1)}, LIMITS, blocked) == ()  # the lowered limit is per node and resource
    both = exhaustions({3: (0.9, 0.95)}, LIMITS)
    assert [(e.resource, e.lowered) for e in both] == [("disk", False), ("memory", False)]
    assert exhaustions({0: (1.0, 1.0)}, ResourceLimits(1.0, 1.0)) == ()  # 1.0: never blocks


def test_the_message_names_the_cluster_node_resource_usage_and_limit_as_vespa():
    fresh = describe("music", (Exhaustion(1, "disk", 0.7671, 0.75, False),), {1: "host-1:19101"})
    assert fresh == ("External feed is blocked due to resource exhaustion: in content cluster 'music': "
                     "disk on node 1 [host-1:19101] is 76.7% full (the configured limit is 75.0%)")
    lowered = describe("music", (Exhaustion(0, "memory", 0.82, 0.8, True),), {0: "h"})
    assert lowered.endswith("memory on node 0 [h] is 82.0% full (the configured limit is 80.0%, "
                            "effective limit lowered to 79.0% until feed unblocked)")
    many = describe("c", tuple(Exhaustion(k, "disk", 0.9, 0.75, False) for k in range(5)), {})
    assert many.count("disk on node") == 3 and many.endswith("(... and 2 more)")


class UsageNode(WireNode):
    """A scripted node whose reported usage the test sets, and that can refuse writes with 507."""

    def __init__(self, key: int, group: int) -> None:
        super().__init__(key, group)
        self.disk = self.memory = 0.1
        self.refuse = False
        self.writes: list[str] = []

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, **step):
        self.writes.append("put")
        if self.refuse:
            return FeedResult(False, error_code=ErrorCode.INSUFFICIENT_STORAGE, message="No space left on device")
        return await super().put(document_id, fields, timeout, condition, create, timestamp)

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0, **step):
        self.writes.append("update")
        self.operations = operations
        return await super().update(document_id, operations, create, timeout, condition, timestamp)

    async def remove(self, document_id, timeout, condition="", timestamp=0, **step):
        self.writes.append("remove")
        return await super().remove(document_id, timeout, condition, timestamp)

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(self.node.distribution_key, len(self.documents), "", True, 0, "ready",
                          disk_usage=self.disk, memory_usage=self.memory)


@pytest.fixture
def two_groups(monkeypatch):
    monkeypatch.delenv("PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS", raising=False)  # Vespa's defaults here
    nodes = [UsageNode(0, 0), UsageNode(1, 1)]  # each holds every document: replicas
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        yield client, nodes


def settle(client: TestClient, predicate) -> None:
    deadline = time.monotonic() + 5
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        client.get("/state/v1/nodes")  # a round of pings, and the feed block decided again
        time.sleep(0.05)


URL = "/document/v1/test/music/docid/one"
FIELDS = {"fields": {"artist": "a", "album": "b", "year": 2000}}


def test_puts_and_updates_are_refused_before_any_node_sees_them_removes_pass(two_groups):
    client, nodes = two_groups
    assert client.post(URL, json=FIELDS).status_code == 200
    nodes[1].disk = 0.9
    client.get("/state/v1/nodes")
    for node in nodes:
        node.writes.clear()
    refusals = [client.post(URL, json=FIELDS), client.put(URL, json={"fields": {"artist": {"assign": "c"}}}),
                client.post(URL, params={"condition": "music.year==2000"}, json=FIELDS),
                client.put(URL, params={"create": "true"}, json={"fields": {"year": {"assign": 1}}}),
                client.put("/document/v1/test/music/docid", params={"selection": "true", "cluster": "music"},
                           json={"fields": {"year": {"assign": 1}}})]
    for refused in refusals:
        assert refused.status_code == 507, refused.text
        assert refused.json()["message"] == ("External feed is blocked due to resource exhaustion: in content "
                                             "cluster 'music': disk on node 1 [scripted:1] is 90.0% full "
                                             "(the configured limit is 75.0%)")
    assert refusals[0].json()["id"] == "id:test:music::one"
    assert nodes[0].writes == nodes[1].writes == []  # nothing was sent: the replicas cannot diverge
    assert client.delete(URL).status_code == 200
    assert nodes[0].writes == nodes[1].writes == ["remove"]
    assert client.post("/document/v1/test/music/docid/two", json={"fields": {"nope": 1}}).status_code == 400

    nodes[1].disk = 0.745  # under the limit, not under the lowered one: still blocked, message says so
    client.get("/state/v1/nodes")
    still = client.post(URL, json=FIELDS)
    assert still.status_code == 507 and "effective limit lowered to 74.0% until feed unblocked" in still.text
    nodes[1].disk = 0.7
    client.get("/state/v1/nodes")
    assert client.post(URL, json=FIELDS).status_code == 200 and nodes[1].writes[-1] == "put"


def test_an_update_that_only_assigns_numeric_single_value_fields_passes_the_block(two_groups):
    client, nodes = two_groups
    assert client.post(URL, json=FIELDS).status_code == 200
    nodes[1].disk = 0.9
    client.get("/state/v1/nodes")
    for node in nodes:
        node.writes.clear()
    passed = client.put(URL, json={"fields": {"year": {"assign": 2001}}})
    assert passed.status_code == 200, passed.text
    assert nodes[0].writes == nodes[1].writes == ["update"]  # both replicas: no divergence
    assert nodes[0].operations == nodes[1].operations == {"year": {"assign": 2001}}
    refused = [{"year": {"assign": 2002}, "artist": {"assign": "c"}},  # one non-numeric operation
               {"year": {"increment": 1}},  # arithmetic, as Vespa's rule names assign only
               {"year": {"assign": None}},  # a clear
               {"category_scores": {"assign": {"cells": {"pop": 1.0}}}}]  # a tensor
    for fields in refused:
        answer = client.put(URL, json={"fields": fields})
        assert answer.status_code == 507 and "External feed is blocked" in answer.text, (fields, answer.text)
    created = client.put("/document/v1/test/music/docid/new", params={"create": "true"},
                         json={"fields": {"year": {"assign": 1}}})
    assert created.status_code == 507  # create can add a whole document: refused as a put
    assert nodes[0].writes == nodes[1].writes == ["update"]


def test_memory_blocks_too_and_an_unreachable_nodes_last_report_does_not(two_groups):
    client, nodes = two_groups
    nodes[0].memory = 0.85
    client.get("/state/v1/nodes")
    refused = client.post(URL, json=FIELDS)
    assert refused.status_code == 507 and "memory on node 0 [scripted:0] is 85.0% full" in refused.text
    metrics = client.get("/prometheus/v1/values").text
    assert 'cluster_controller_resource_usage_nodes_above_limit_last{clusterId="music"} 1' in metrics
    assert 'content_proton_resource_usage_memory_last{clusterId="music",distributionKey="0"} 0.85' in metrics

    async def gone(timeout: float):
        raise ConnectionError("down")

    nodes[0].ping = gone
    client.get("/state/v1/nodes")
    assert client.post(URL, json=FIELDS).status_code == 200  # node 1 took it; node 0 catches up later


def test_a_replica_that_refused_a_write_another_applied_misses_it_until_it_caught_up(two_groups):
    client, nodes = two_groups
    nodes[1].refuse = True  # its disk filled between two health checks: no feed block yet
    refused = client.post(URL, json=FIELDS)
    assert refused.status_code == 507 and "No space left on device" in refused.text
    assert nodes[0].documents and not nodes[1].documents  # the replicas differ now
    settle(client, lambda: not client.get("/state/v1/nodes").json()["nodes"][1]["up"])
    assert client.get(URL).json()["fields"]["artist"] == "a"  # read from the replica that has it


def test_the_default_limits_setting_applies_only_where_services_xml_gives_none(monkeypatch) -> None:
    from container.dispatch.feed_block import DEFAULTS_SETTING, limits_in_effect
    from searchlib.schema.model import ResourceLimits
    monkeypatch.setenv(DEFAULTS_SETTING, "0.9,0.95")
    assert limits_in_effect(ResourceLimits()) == ResourceLimits(0.9, 0.95)
    assert limits_in_effect(ResourceLimits(0.7, 0.8, configured=True)) == ResourceLimits(0.7, 0.8)
    monkeypatch.setenv(DEFAULTS_SETTING, "lots")
    assert limits_in_effect(ResourceLimits()) == ResourceLimits(0.75, 0.8)
    monkeypatch.setenv(DEFAULTS_SETTING, "1.5,0.5")
    assert limits_in_effect(ResourceLimits()) == ResourceLimits(0.75, 0.8)
    monkeypatch.delenv(DEFAULTS_SETTING)
    assert limits_in_effect(ResourceLimits()) == ResourceLimits(0.75, 0.8)
