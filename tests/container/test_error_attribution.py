"""Errors are attributed where they happen (issue 15): a query the container cannot encode is that
query's 400 and never takes a node out of rotation; an error a node answers with lowers coverage
but says nothing about the node's health; only an unreachable node leaves rotation."""
from __future__ import annotations

import asyncio
import time

import pytest

from container.dispatch.content_client import GrpcContentNodeClient, NodeAddress, RequestNotEncodable
from container.dispatch.retry import dispatch_with_failover
from container.dispatch.scatter_gather import scatter_gather
from container.dispatch.search_cluster import SearchCluster
from deploy.processes import free_ports
from searchlib.errors import ErrorCode, InvalidParameterError
from searchlib.query.tree import TrueItem
from searchlib.wire.search_codec import SearchCall
from tests.container.test_failover_dispatch import Node, run_query


def out_of_range_call(**override) -> SearchCall:
    values = {"rerank_count": 10**12, **override}
    return SearchCall(schema="doc", rank_profile="default", query=TrueItem(), hits=10, timeout_ms=1000,
                      **values)


def grpc_cluster() -> SearchCluster:
    """Real gRPC clients (the encoding is theirs) on ports where nothing listens: any send would fail."""
    ports = free_ports(4)
    return SearchCluster([GrpcContentNodeClient(NodeAddress(k, k // 2, f"127.0.0.1:{ports[k]}")) for k in range(4)])


@pytest.mark.parametrize("override", [{"rerank_count": 10**12}, {"keep_rank_count": -10**12},
                                      {"rerank_count": None, "trace_level": 10**12}])
def test_a_value_the_wire_cannot_carry_is_the_requests_400_and_no_node_leaves_rotation(override):
    cluster = grpc_cluster()

    async def query():
        async def on_group(group: int):
            serving, absent = cluster.searchable_nodes(group)
            return [await scatter_gather(serving, out_of_range_call(**override), time.monotonic() + 1, 1, absent)]

        try:
            return await dispatch_with_failover(cluster, on_group, lambda r: r, time.monotonic() + 1)
        finally:
            await cluster.close()

    with pytest.raises(InvalidParameterError) as raised:
        asyncio.run(query())
    assert isinstance(raised.value, RequestNotEncodable)
    assert raised.value.code == ErrorCode.INVALID_QUERY_PARAMETER and raised.value.code.http_status == 400
    assert "Value out of range" in raised.value.message
    assert all(health.up for health in cluster.health.values())
    assert cluster.pick_group() is not None


def test_an_error_a_node_answers_with_lowers_coverage_but_keeps_it_in_rotation_and_is_not_retried():
    nodes = [Node(0, 0, RuntimeError("INTERNAL: rank program failed")), Node(1, 0), Node(2, 1), Node(3, 1)]
    cluster = SearchCluster(nodes)
    dispatched = run_query(cluster, time.monotonic() + 1)
    result = dispatched.results[0]
    assert dispatched.group == 0 and nodes[2].searched == 0 and nodes[3].searched == 0
    assert not result.coverage.full and not result.failed_keys
    assert any("content node 0 failed" in error.message for error in result.errors)
    assert cluster.health[0].up and cluster.is_complete(0)
