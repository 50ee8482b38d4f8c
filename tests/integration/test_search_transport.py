"""Search over the lean transport (searchlib/wire/frames.py) on real processes: two clusters with the
same documents, one whose nodes offer the transport (the default) and one whose nodes do not
(`--search-port -1`, Search over gRPC). The /search/ answers are the same bytes; a node killed
with -9 in the middle of a query gives the same degraded answer on both."""
from __future__ import annotations

import json
import re
import signal
import sys
import threading
import time

import grpc
import httpx
import pytest

from deploy.local_cluster import ClusterCommands, LocalCluster
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from tests.integration.conftest import established_to, shared_data_dir

SCHEMA = """schema doc {
    document doc {
        field title type string { indexing: index | summary
            index: enable-bm25 }
        field text type string { indexing: index | summary
            index: enable-bm25 }
    }
    fieldset default { fields: title, text }
    rank-profile bm25 { first-phase { expression: bm25(title) + bm25(text) } }
}
"""
SERVICES = """<services version="1.0">
  <container id="default" version="1.0"><search/><document-api/></container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node hostalias="n0" distribution-key="0"/></nodes>
  </content>
</services>
"""
GRPC_ONLY = ClusterCommands(content_node=(sys.executable, "-m", "content_node", "--search-port", "-1"))
DOCUMENTS, QUERIES = 400, 40


def search_port(cluster: LocalCluster, key: int) -> int:
    """What the node's Ping tells the container."""
    with grpc.insecure_channel(cluster.node(key).address) as channel:
        return pb_grpc.ContentNodeStub(channel).Ping(pb.PingRequest(), timeout=10).search_port


def scifact(limit: int) -> list[dict]:
    with open(shared_data_dir() / "scifact" / "corpus.jsonl", encoding="utf-8") as corpus:
        return [json.loads(line) for _, line in zip(range(limit), corpus)]


def queries(limit: int) -> list[str]:
    with open(shared_data_dir() / "scifact" / "queries.jsonl", encoding="utf-8") as lines:
        return [re.sub(r"[^\w ]", " ", json.loads(line)["text"]) for _, line in zip(range(limit), lines)]


@pytest.fixture(scope="module")
def clusters(tmp_path_factory):
    app = tmp_path_factory.mktemp("transport-app")
    (app / "schemas").mkdir()
    (app / "schemas" / "doc.sd").write_text(SCHEMA)
    (app / "services.xml").write_text(SERVICES)
    documents = scifact(DOCUMENTS)
    with LocalCluster(app, tmp_path_factory.mktemp("wire"), nodes=2) as wire, \
            LocalCluster(app, tmp_path_factory.mktemp("grpc"), nodes=2, commands=GRPC_ONLY) as grpc_only:
        for cluster in (wire, grpc_only):
            with httpx.Client(base_url=cluster.url, timeout=30.0) as http:
                for document in documents:
                    response = http.post(f"/document/v1/test/doc/docid/{document['_id']}", json={
                        "fields": {"title": document["title"], "text": document["text"]}})
                    assert response.status_code == 200, response.text
        yield wire, grpc_only


def search(cluster: LocalCluster, query: str, timeout: str = "10s") -> httpx.Response:
    return httpx.get(f"{cluster.url}/search/", timeout=60.0, params={
        "yql": "select * from doc where userQuery()", "query": query, "type": "any", "ranking": "bm25",
        "hits": 10, "timeout": timeout})


def test_search_runs_over_the_transport_and_answers_as_over_grpc(clusters):
    wire, grpc_only = clusters
    assert [search_port(grpc_only, key) for key in (0, 1)] == [0, 0]
    ports = [search_port(wire, key) for key in (0, 1)]
    assert all(ports)
    for text in queries(QUERIES):
        over_wire, over_grpc = search(wire, text), search(grpc_only, text)
        assert over_wire.status_code == over_grpc.status_code == 200
        assert over_wire.content == over_grpc.content
    assert json.loads(over_wire.content)["root"]["fields"]["totalCount"] > 0
    assert [established_to(port) for port in ports] == [1, 1]  # the container's one connection a node


def _answer_while_killed(cluster: LocalCluster) -> dict:
    """A query that is in the node's hands (stopped) when the node is killed -9."""
    cluster.kill_node(1, signal.SIGSTOP, wait=False)
    answer = {}
    asking = threading.Thread(target=lambda: answer.update(response=search(cluster, "cells", "5s")))
    try:
        asking.start()
        time.sleep(0.6)  # the call is sent and waiting (the container's pings give up only after 1.5 s)
        assert asking.is_alive()
        cluster.kill_node(1, signal.SIGKILL)
        asking.join(30)
    finally:
        if cluster.is_running("content-node-1"):
            cluster.kill_node(1, signal.SIGCONT, wait=False)
    response = answer["response"]
    assert response.status_code == 200, response.text
    # the two clusters differ only in their ports
    return json.loads(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", response.text))


def test_kill_9_in_the_middle_of_a_query_answers_as_over_grpc(clusters):
    over_wire, over_grpc = (_answer_while_killed(cluster) for cluster in clusters)
    assert over_wire == over_grpc
    root = over_wire["root"]
    assert root["coverage"]["full"] is False and root["coverage"]["nodes"] == 1
    assert "content node 1" in json.dumps(root["errors"]) and root["children"]
