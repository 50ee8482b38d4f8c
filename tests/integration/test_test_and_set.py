"""Test-and-set (`?condition=`) and bucket ownership against a running cluster of real processes:
2 groups of 2 content nodes (keys 0,1 in group 0 and 2,3 in group 1) and a container."""
from __future__ import annotations

import json

import grpc
import httpx
import pytest

from deploy.local_cluster import LocalCluster
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.wire import feed_codec
from tests.integration.conftest import DEFAULT_APP

GROUPS = {0: [0, 1], 1: [2, 3]}
DOCUMENT_FIELDS = {"title", "text", "path", "url"}  # without the synthetic `tokens` the container adds


def document_fields(fields: dict) -> dict:
    return {name: value for name, value in fields.items() if name in DOCUMENT_FIELDS}


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("tas"), nodes=4, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(grouped):
    with httpx.Client(base_url=grouped.url, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def stubs(grouped):
    channels = {spec.distribution_key: grpc.insecure_channel(spec.address) for spec in grouped.nodes}
    yield {key: pb_grpc.ContentNodeStub(channel) for key, channel in channels.items()}
    for channel in channels.values():
        channel.close()


def url(name: str) -> str:
    return f"/document/v1/test/doc/docid/{name}"


def doc_id(name: str) -> str:
    return f"id:test:doc::{name}"


def fields_on(http: httpx.Client, name: str) -> dict | None:
    response = http.get(url(name))
    assert response.status_code in (200, 404), response.text
    return document_fields(response.json()["fields"]) if response.status_code == 200 else None


def copies(stubs, name: str) -> list[dict | None]:
    """The document as every group's owner holds it, read straight from the nodes."""
    gid = global_id(doc_id(name))
    replies = [stubs[node_in_group(gid, keys)].Get(pb.GetRequest(document_id=doc_id(name)), timeout=10)
               for keys in GROUPS.values()]
    return [document_fields(json.loads(reply.fields_json)) if reply.found else None for reply in replies]


def test_conditional_put(http, stubs):
    assert http.post(url("put"), json={"fields": {"title": "one", "path": "a"}}).status_code == 200
    refused = http.post(url("put"), params={"condition": 'doc.path == "b"'},
                        json={"fields": {"title": "two", "path": "b"}})
    assert refused.status_code == 412, refused.text
    assert "TEST_AND_SET_CONDITION_FAILED" in refused.json()["message"] and refused.json()["id"] == doc_id("put")
    assert fields_on(http, "put") == {"title": "one", "path": "a"}
    accepted = http.post(url("put"), params={"condition": 'doc.path == "a" and doc.title = "o*"'},
                         json={"fields": {"title": "two", "path": "b"}})
    assert accepted.status_code == 200, accepted.text
    assert copies(stubs, "put") == [{"title": "two", "path": "b"}] * 2


def test_conditional_update_is_consistent_on_both_groups(http, stubs):
    http.post(url("upd"), json={"fields": {"title": "draft", "path": "v1"}})
    for condition in ('doc.path == "v0"', 'doc.path != "v1"', "doc.title == null", 'not doc'):
        response = http.put(url("upd"), params={"condition": condition},
                            json={"fields": {"path": {"assign": "v2"}}})
        assert response.status_code == 412, (condition, response.text)
    assert copies(stubs, "upd") == [{"title": "draft", "path": "v1"}] * 2
    response = http.put(url("upd"), params={"condition": 'doc.path == "v1" and doc'},
                        json={"fields": {"path": {"assign": "v2"}}})
    assert response.status_code == 200, response.text
    assert copies(stubs, "upd") == [{"title": "draft", "path": "v2"}] * 2


def test_conditional_remove(http):
    http.post(url("rm"), json={"fields": {"title": "keep me", "path": "x"}})
    assert http.delete(url("rm"), params={"condition": 'doc.path == "y"'}).status_code == 412
    assert fields_on(http, "rm") is not None
    assert http.delete(url("rm"), params={"condition": 'doc.path == "x"'}).status_code == 200
    assert fields_on(http, "rm") is None


def test_conditions_on_a_missing_document(http):
    assert http.post(url("absent"), params={"condition": "doc"}, json={"fields": {"title": "t"}}).status_code == 412
    assert http.put(url("absent"), params={"condition": "doc"},
                    json={"fields": {"title": {"assign": "t"}}}).status_code == 412
    assert http.delete(url("absent"), params={"condition": "doc"}).status_code == 412
    assert fields_on(http, "absent") is None
    # create=true: a missing document is created whatever the condition (Vespa 8.178+)
    created = http.put(url("absent"), params={"condition": 'doc.path == "never"', "create": "true"},
                       json={"fields": {"path": {"assign": "made"}}})
    assert created.status_code == 200 and fields_on(http, "absent") == {"path": "made"}
    # ... but an existing one must still match
    assert http.post(url("absent"), params={"condition": 'doc.path == "never"', "create": "true"},
                     json={"fields": {"path": "replaced"}}).status_code == 412
    assert fields_on(http, "absent") == {"path": "made"}


def test_id_part_conditions(http):
    http.post(url("ids"), json={"fields": {"title": "ids", "path": "p"}})
    for condition, status in (('id.namespace == "test" and id.type == "doc"', 200),
                              ('id.specific == "ids"', 200), ('id == "id:test:doc::ids"', 200),
                              ('id.namespace == "other"', 412), ("id.user == 1", 412)):
        response = http.put(url("ids"), params={"condition": condition},
                            json={"fields": {"title": {"assign": condition}}})
        assert response.status_code == status, (condition, response.text)
    assert fields_on(http, "ids")["title"] == 'id == "id:test:doc::ids"'


@pytest.mark.parametrize("condition, located", [
    ("doc.path ==", "condition:1:12"),
    ('doc.path == "x" or', "condition:1:19"),
    ("doc.nope == 1", "field 'nope' does not exist"),
    ("music.year > 1", "document type 'music' does not exist"),
    ('doc.path =~ ".*"', "not supported"),
])
def test_bad_conditions_are_400_with_a_located_message(http, condition, located):
    http.post(url("bad"), json={"fields": {"title": "untouched"}})
    response = http.put(url("bad"), params={"condition": condition}, json={"fields": {"title": {"assign": "x"}}})
    assert response.status_code == 400, response.text
    body = response.json()
    assert located in body["message"] and body["pathId"] == url("bad")
    assert fields_on(http, "bad") == {"title": "untouched"}


def test_a_put_sent_to_a_node_that_does_not_own_the_bucket_is_refused(http, stubs):
    name = "misplaced"
    assert http.post(url(name), json={"fields": {"title": "zanzibarquux", "text": "placed once"}}).status_code == 200
    gid = global_id(doc_id(name))
    owner = node_in_group(gid, GROUPS[0])
    stranger = next(key for key in GROUPS[0] if key != owner)
    reply = stubs[stranger].Put(feed_codec.put_request(doc_id(name), {"title": "zanzibarquux", "text": "twice"}),
                                timeout=10)
    result = feed_codec.decode_feed_reply(reply)
    assert not result.ok and "Wrong distribution" in result.message
    assert f"content node {owner} owns" in result.message and "bucket 0x" in result.message
    for write in (stubs[stranger].Update(feed_codec.update_request(doc_id(name), {}, True), timeout=10),
                  stubs[stranger].Remove(feed_codec.remove_request(doc_id(name)), timeout=10)):
        assert not write.ok and "Wrong distribution" in write.error.message
    assert not stubs[stranger].Get(pb.GetRequest(document_id=doc_id(name)), timeout=10).found
    for _ in range(4):  # queries alternate groups: each must find the document exactly once
        result = http.get("/search/", params={"yql": 'select * from doc where title contains "zanzibarquux"'}).json()
        assert result["root"]["fields"]["totalCount"] == 1
        assert [hit["fields"]["text"] for hit in result["root"]["children"]] == ["placed once"]
