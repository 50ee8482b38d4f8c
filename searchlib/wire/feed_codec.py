"""Document operations ⇄ protobuf."""
from __future__ import annotations

import json
from dataclasses import dataclass

from protos import content_node_pb2 as pb
from searchlib import exact_json


@dataclass(frozen=True, slots=True)
class FeedResult:
    ok: bool
    found: bool = True
    error_code: int = 0
    message: str = ""
    sequence: int = 0
    condition_failed: bool = False  # a test-and-set condition was not met: nothing was written
    base: int | None = None  # the stored timestamp an update applied to or a condition was tested against (-1: none)
    unsynced: bool = False  # refused: the node may hold a stale copy (searchlib.errors.UnsyncedReplicaError)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A node's answer to a get: the fields (None: not found) and the timestamp of the document's
    newest operation there (0: none known), `removed` if that was a remove (a tombstone), and its
    origin (an update's result: content_node/store/timestamps.py)."""
    fields: dict | None
    timestamp: int = 0
    removed: bool = False
    origin: int = 0

    @property
    def order(self) -> tuple[int, int, bool]:
        """As the replica merge orders versions (content_node/replica_merge.py): the newest timestamp,
        then the higher origin; then a stored document over none (data loaded at timestamp 0)."""
        return self.timestamp, self.origin, self.fields is not None


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """What a replica merge did (content_node/replica_merge.py)."""
    buckets_differing: int = 0
    documents_compared: int = 0
    pulled: int = 0
    pushed: int = 0
    error: str = ""


def decode_merge_reply(reply: pb.MergeReply) -> MergeOutcome:
    return MergeOutcome(reply.buckets_differing, reply.documents_compared, reply.pulled, reply.pushed, reply.error)


@dataclass(frozen=True, slots=True)
class NodeStatus:
    distribution_key: int
    active_docs: int
    app_generation: str
    ready: bool
    last_sequence: int
    state: str = ""  # "awaiting-sync" | "catching-up" | "ready"
    catch_up_remaining: int = 0
    write_error: str = ""  # why the node refuses writes (disk full, read-only); "" while it accepts
    synced_from: str = ""  # the replicas its last catch-up finished from, comma-separated; "" if none did
    disk_usage: float = 0.0  # fraction of its data directory's filesystem in use (feed block: container)
    memory_usage: float = 0.0  # fraction of physical memory its process holds resident
    search_port: int = 0  # the lean Search transport's port on the node's host (frames.py); 0: gRPC only
    unsynced_from: str = ""  # the replicas its last catch-up was sent but did not finish from, comma-separated
    synced_at: int = 0  # the node's CLOCK timestamp of its last completed catch-up or clearing merge; 0: none


# `timestamp`: the operation's (searchlib/timestamps.py), the same to every replica; 0: none.
# `tested_base`, `probe_request`: the two steps of replicated test-and-set (container/http/condition_probe.py).


def put_request(document_id: str, fields: dict, condition: str = "", create: bool = False,
                timestamp: int = 0, tested_base: int | None = None, origin: int = 0,
                replica_copy: bool = False) -> pb.PutRequest:
    return pb.PutRequest(document_id=document_id, fields_json=exact_json.dumps(fields), condition=condition,
                         create=create, timestamp=timestamp, tested_base=tested_base, origin=origin,
                         replica_copy=replica_copy)


def update_request(document_id: str, operations: dict, create: bool, condition: str = "",
                   timestamp: int = 0, tested_base: int | None = None) -> pb.UpdateRequest:
    return pb.UpdateRequest(document_id=document_id, create=create, condition=condition, timestamp=timestamp,
                            operations_json=exact_json.dumps(operations), tested_base=tested_base)


def remove_request(document_id: str, condition: str = "", timestamp: int = 0,
                   tested_base: int | None = None) -> pb.RemoveRequest:
    return pb.RemoveRequest(document_id=document_id, condition=condition, timestamp=timestamp, tested_base=tested_base)


def probe_request(document_id: str, condition: str, create: bool) -> pb.ProbeRequest:
    return pb.ProbeRequest(document_id=document_id, condition=condition, create=create)


def get_request(document_id: str) -> pb.GetRequest:
    return pb.GetRequest(document_id=document_id)


def ping_request() -> pb.PingRequest:
    return pb.PingRequest()


def encode_feed_reply(result: FeedResult, source: str = "") -> pb.FeedReply:
    if result.ok:
        return pb.FeedReply(ok=True, found=result.found, sequence=result.sequence, base_timestamp=result.base)
    return pb.FeedReply(ok=False, condition_failed=result.condition_failed, base_timestamp=result.base,
                        unsynced=result.unsynced,
                        error=pb.ErrorMessage(code=result.error_code, message=result.message, source=source))


def decode_feed_reply(reply: pb.FeedReply) -> FeedResult:
    return FeedResult(ok=reply.ok, found=reply.found, error_code=reply.error.code,
                      message=reply.error.message, sequence=reply.sequence,
                      condition_failed=reply.condition_failed,
                      base=reply.base_timestamp if reply.HasField("base_timestamp") else None,
                      unsynced=reply.unsynced)


def decode_get_reply(reply: pb.GetReply) -> StoredVersion:
    return StoredVersion(json.loads(reply.fields_json) if reply.found else None, reply.timestamp, reply.removed,
                         reply.origin)


def decode_ping_reply(reply: pb.PingReply) -> NodeStatus:
    return NodeStatus(reply.distribution_key, reply.active_docs, reply.app_generation, reply.ready,
                      reply.last_sequence, reply.state, reply.catch_up_remaining, reply.write_error,
                      reply.synced_from, reply.disk_usage, reply.memory_usage, reply.search_port,
                      reply.unsynced_from, reply.synced_at)
