"""A content node whose disk refuses writes: the feed reply says so with Vespa's 507 code
(INSUFFICIENT_STORAGE), Ping reports it, queries and reads still work, and writes resume."""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

from content_node.node import ContentNode
from content_node.service import ContentNodeService
from protos import content_node_pb2 as pb
from searchlib.errors import ErrorCode

APP = Path(__file__).resolve().parents[2] / "schemas"


def disk_full(fd, data):
    os.write(fd, bytes(data[:5]))
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def put(service: ContentNodeService, user_id: str) -> pb.FeedReply:
    return service.Put(pb.PutRequest(document_id=f"id:test:doc::{user_id}",
                                     fields_json=json.dumps({"title": user_id})), None)


def test_a_node_that_cannot_write_says_so_and_keeps_serving(tmp_path):
    node = ContentNode(APP, tmp_path, 0)
    node.sync.start([], wait=True)
    service = ContentNodeService(node)
    assert put(service, "before").ok and service.Ping(pb.PingRequest(), None).write_error == ""
    node.databases["doc"]._wal._write = disk_full
    refused = put(service, "refused")
    assert not refused.ok and refused.error.code == ErrorCode.INSUFFICIENT_STORAGE
    assert ErrorCode(refused.error.code).http_status == 507
    assert "No space left on device" in refused.error.message
    ping = service.Ping(pb.PingRequest(), None)
    assert ping.write_error == "No space left on device" and ping.ready and ping.active_docs == 1
    assert node.get("id:test:doc::before") == {"title": "before"} and node.get("id:test:doc::refused") is None
    del node.databases["doc"]._wal._write  # space is back: the next write succeeds
    assert put(service, "after").ok and service.Ping(pb.PingRequest(), None).write_error == ""
    node.close()
    reopened = ContentNode(APP, tmp_path, 0)
    assert reopened.get("id:test:doc::after") and reopened.get("id:test:doc::refused") is None
    reopened.close()
