"""Issue 16 on real processes: one 2-group cluster started with cluster mutual TLS, a token file
and services.xml <clients> (token and certificate clients). The container serves HTTPS (it has
certificate clients) and reaches the nodes over mTLS; nodes catch up from each other over mTLS; a
client without a cluster certificate gets no RPC through to any node."""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import pytest

from container.dispatch.wire_client import WireFailure, connect
from deploy.certificates import create_ca, issue
from deploy.local_cluster import LocalCluster
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.tls import CLUSTER_SERVER_NAME, read_tls_dir, ssl_context
from tests.integration.conftest import established_to

READ_SECRET, WRITE_SECRET = "r3ad-s3cret-value", "wr1te-s3cret-value"
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
  <container id="default" version="1.0">
    <search/>
    <document-api/>
    <clients>
      <client id="reader" permissions="read"><token id="reader-token"/></client>
      <client id="writer" permissions="read,write"><token id="writer-token"/></client>
      <client id="certified-reader" permissions="read"><certificate file="security/clients.pem"/></client>
    </clients>
  </container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node hostalias="n0" distribution-key="0"/></nodes>
  </content>
</services>
"""


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    root = tmp_path_factory.mktemp("secured")
    app = root / "app"
    (app / "schemas").mkdir(parents=True)
    (app / "security").mkdir()
    (app / "schemas" / "doc.sd").write_text(SCHEMA)
    (app / "services.xml").write_text(SERVICES)
    client_ca, client_ca_key = create_ca(root / "client-ca", "data-plane clients CA")
    issue(client_ca, client_ca_key, root / "client", "a reader")
    (app / "security" / "clients.pem").write_bytes((root / "client-ca" / "ca.crt").read_bytes())
    stranger_ca, stranger_key = create_ca(root / "stranger-ca", "another CA")
    issue(stranger_ca, stranger_key, root / "stranger", "a stranger")
    tokens = root / "tokens.txt"
    tokens.write_text(f"# token-id:secret\nreader-token:{READ_SECRET}\nwriter-token:{WRITE_SECRET}\n")
    with LocalCluster(app, root / "data", nodes=2, groups=2, tls=True, token_file=tokens) as cluster:
        yield cluster, root


def _client(cluster, token: str | None = None, cert: Path | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    verify = cluster.http_verify
    if cert is not None:
        verify.load_cert_chain(str(cert / "tls.crt"), str(cert / "tls.key"))
    return httpx.Client(base_url=cluster.url, timeout=30.0, headers=headers, verify=verify)


def _feed(http: httpx.Client, doc_id: str, title: str) -> httpx.Response:
    return http.post(f"/document/v1/test/doc/docid/{doc_id}", json={"fields": {"title": title, "text": "mutual tls"}})


def _search(http: httpx.Client, query: str = "mutual") -> httpx.Response:
    return http.get("/search/", params={"yql": "select * from doc where userQuery()", "query": query,
                                        "ranking": "bm25", "hits": 50})


def test_the_container_serves_https_and_probes_stay_open(secured) -> None:
    cluster, _ = secured
    assert cluster.url.startswith("https://")
    with _client(cluster) as anonymous:
        assert anonymous.get("/state/v1/health").json()["status"]["code"] == "up"
        refused = _search(anonymous)
        assert refused.status_code == 401 and refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["root"]["errors"][0]["code"] == 14
        assert anonymous.get("/metrics/v2/values").status_code == 401


def test_tokens_and_their_permissions(secured) -> None:
    cluster, _ = secured
    with _client(cluster, WRITE_SECRET) as writer, _client(cluster, READ_SECRET) as reader, \
            _client(cluster, "not-a-token") as wrong:
        assert _feed(writer, "w1", "written by the writer").status_code == 200
        assert _search(reader).json()["root"]["fields"]["totalCount"] >= 1
        assert reader.get("/document/v1/test/doc/docid/w1").status_code == 200
        forbidden = _feed(reader, "r1", "a reader may not write")
        assert forbidden.status_code == 403
        assert forbidden.json() == {"pathId": "/document/v1/test/doc/docid/r1",
                                    "message": "client 'reader' does not have the 'write' permission"}
        assert reader.delete("/document/v1/test/doc/docid/w1").status_code == 403
        assert reader.get("/document/v1/test/doc/docid/r1").status_code == 404  # nothing was written
        unknown = _search(wrong)
        assert unknown.status_code == 401 and "unknown token" in unknown.json()["root"]["errors"][0]["message"]
        assert _feed(wrong, "x1", "no").status_code == 401
    log = cluster.log_path("container").read_text()
    assert READ_SECRET not in log and WRITE_SECRET not in log


def test_certificate_clients(secured) -> None:
    cluster, root = secured
    with _client(cluster, WRITE_SECRET) as writer:
        assert _feed(writer, "c1", "for the certified reader").status_code == 200
    with _client(cluster, cert=root / "client") as certified:
        found = _search(certified, "certified")
        assert found.status_code == 200 and found.json()["root"]["fields"]["totalCount"] == 1
        assert _feed(certified, "c2", "no").status_code == 403
    with _client(cluster, cert=root / "stranger") as stranger, pytest.raises(httpx.HTTPError):
        _search(stranger)  # a certificate from another CA fails the handshake


def test_phasedsearch_feed_over_https_with_a_token(secured) -> None:
    """deploy/feeder.py's own HTTP client: the container's certificate verified, the token sent,
    a bad document and a forbidden write reported per document while the rest is fed."""
    from deploy.feed_format import parse_feed_text
    from deploy.feeder import feed

    cluster, _ = secured
    text = "\n".join(['{"put": "id:test:doc::f1", "fields": {"title": "fed over https"}}',
                      '{"put": "id:test:doc::f2", "fields": {"nope": "no such field"}}',
                      '{"put": "id:test:doc::f3", "fields": {"title": "fed over https too"}}'])
    writer = {"Authorization": f"Bearer {WRITE_SECRET}"}
    stats = feed(parse_feed_text(text), cluster.url, show_progress=False, headers=writer,
                 ssl_context=cluster.http_verify)
    assert stats.ok == 2 and [(f.document_id, f.status) for f in stats.failures] == [("id:test:doc::f2", 400)]
    assert "nope" in stats.failures[0].message
    reader = {"Authorization": f"Bearer {READ_SECRET}"}
    refused = feed(parse_feed_text(text), cluster.url, show_progress=False, headers=reader,
                   ssl_context=cluster.http_verify)
    assert refused.ok == 0 and {f.status for f in refused.failures} == {403}
    with _client(cluster, READ_SECRET) as http:
        assert _search(http, "https").json()["root"]["fields"]["totalCount"] == 2


def _rpc_refused(call) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("node_key", [0, 1])
def test_nodes_refuse_clients_without_a_cluster_certificate(secured, node_key: int) -> None:
    cluster, root = secured
    address = cluster.node(node_key).address
    calls = {"Put": pb.PutRequest(), "Sync": pb.SyncRequest(peers=["127.0.0.1:1"], resync=True),
             "ListDocuments": pb.ListDocumentsRequest(), "FetchDocuments": pb.FetchDocumentsRequest(),
             "Ping": pb.PingRequest()}
    stranger = read_tls_dir(root / "stranger")
    foreign = grpc.ssl_channel_credentials(root_certificates=(root / "data" / "tls" / "ca.crt").read_bytes(),
                                           private_key=stranger.private_key, certificate_chain=stranger.certificate)
    with grpc.insecure_channel(address) as plaintext, grpc.secure_channel(
            address, foreign, options=[("grpc.ssl_target_name_override", CLUSTER_SERVER_NAME)]) as other_ca:
        for channel in (plaintext, other_ca):
            stub = pb_grpc.ContentNodeStub(channel)
            for method, request in calls.items():
                _rpc_refused(lambda: getattr(stub, method)(request, timeout=3))
    member = read_tls_dir(root / "data" / "tls" / "container")  # the same call with a cluster certificate
    credentials = grpc.ssl_channel_credentials(member.ca, member.private_key, member.certificate)
    with grpc.secure_channel(address, credentials,
                             options=[("grpc.ssl_target_name_override", CLUSTER_SERVER_NAME)]) as channel:
        assert pb_grpc.ContentNodeStub(channel).Ping(pb.PingRequest(), timeout=5).distribution_key == node_key


def test_search_runs_over_the_lean_transport_with_mutual_tls(secured) -> None:
    cluster, root = secured
    member = read_tls_dir(root / "data" / "tls" / "container")
    credentials = grpc.ssl_channel_credentials(member.ca, member.private_key, member.certificate)
    ports = []
    for key in (0, 1):
        with grpc.secure_channel(cluster.node(key).address, credentials,
                                 options=[("grpc.ssl_target_name_override", CLUSTER_SERVER_NAME)]) as channel:
            ports.append(pb_grpc.ContentNodeStub(channel).Ping(pb.PingRequest(), timeout=5).search_port)
    assert all(ports)
    with _client(cluster, WRITE_SECRET) as writer:
        assert _feed(writer, "lean1", "searched over the lean transport").status_code == 200
    with _client(cluster, READ_SECRET) as reader:
        for _ in range(4):  # the groups take turns
            found = _search(reader, "lean")
            assert found.status_code == 200 and found.json()["root"]["fields"]["totalCount"] == 1
    assert [established_to(port) for port in ports] == [1, 1]

    async def call(context):
        connection = await connect("127.0.0.1", ports[0], context, CLUSTER_SERVER_NAME, 5)
        try:
            return await connection.call(pb.SearchRequest().SerializeToString(), 5)
        finally:
            connection.close()
    # the port speaks only mutual TLS with the cluster's certificates
    for context in (None, ssl_context(read_tls_dir(root / "stranger"), server_side=False)):
        with pytest.raises(WireFailure):
            asyncio.run(call(context))
    assert asyncio.run(call(ssl_context(member, server_side=False)))  # a member is answered


def test_catch_up_after_kill_runs_over_mutual_tls(secured) -> None:
    cluster, _ = secured
    with _client(cluster, WRITE_SECRET) as writer:
        for i in range(10):
            assert _feed(writer, f"before-{i}", f"before the kill {i}").status_code == 200
        cluster.kill_node(1)
        for i in range(10):
            assert _feed(writer, f"during-{i}", f"while node one is down {i}").status_code == 200
        cluster.restart_node(1)
        deadline = time.monotonic() + 30
        while True:
            nodes = writer.get("/state/v1/nodes").json()["nodes"]
            counts = [node["documents"] for node in nodes]
            if counts[0] == counts[1] and all(node["up"] for node in nodes) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert counts[0] == counts[1] >= 20, nodes
        assert "caught up from" in cluster.log_path("content-node-1").read_text()
        for i in range(10):
            assert writer.get(f"/document/v1/test/doc/docid/during-{i}").status_code == 200


def test_the_kubernetes_probe_needs_the_cluster_certificate(secured) -> None:
    """The nodes' exec probes (rendered with --tls-dir) answer through mTLS; without it they fail."""
    cluster, root = secured
    port = str(cluster.node(0).port)
    probe = [sys.executable, "-m", "content_node.probe", "--port", port]
    with_cert = subprocess.run([*probe, "--tls-dir", str(root / "data" / "tls" / "content-node-1")],
                               capture_output=True, text=True, timeout=30)
    assert with_cert.returncode == 0 and "is ready" in with_cert.stdout, with_cert.stderr
    without = subprocess.run(probe, capture_output=True, text=True, timeout=30)
    assert without.returncode == 1 and "did not answer Ping: UNAVAILABLE" in without.stderr
