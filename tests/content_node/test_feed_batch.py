"""The Feed RPC (many operations in one call, content_node/feed_batch.py): the same documents and
index as the operations sent one by one, one sync per batch, a bad operation failing alone, and no
operation acknowledged when the batch's sync fails."""
from __future__ import annotations

import errno
import json
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from content_node.node import ContentNode
from content_node.service import ContentNodeService
from content_node.store.hnsw_index import VectorFieldIndex
from protos import content_node_pb2 as pb
from searchlib.errors import ErrorCode

APP = Path(__file__).resolve().parents[2] / "schemas"
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()


def doc_id(n) -> str:
    return f"id:test:doc::{n}"


def put(n, fields: dict, condition: str = "") -> pb.FeedOperation:
    return pb.FeedOperation(put=pb.PutRequest(document_id=doc_id(n), fields_json=json.dumps(fields),
                                              condition=condition))


def update(n, operations: dict, create: bool = False) -> pb.FeedOperation:
    return pb.FeedOperation(update=pb.UpdateRequest(document_id=doc_id(n), operations_json=json.dumps(operations),
                                                    create=create))


def remove(n) -> pb.FeedOperation:
    return pb.FeedOperation(remove=pb.RemoveRequest(document_id=doc_id(n)))


def operations() -> list[pb.FeedOperation]:
    """Puts, rewrites, partial updates and removes, several of the same document in one batch."""
    rng = np.random.default_rng(7)
    ops = []
    for n in range(60):
        vector = rng.standard_normal(384)
        ops.append(put(n, {"title": " ".join(rng.choice(WORDS, 3)), "text": " ".join(rng.choice(WORDS, 12)),
                           "path": f"p{n % 5}", "embedding": (vector / np.linalg.norm(vector)).tolist()}))
        if n % 7 == 3:
            ops.append(update(n - 1, {"text": {"assign": f"rewritten {n} " + " ".join(rng.choice(WORDS, 4))}}))
        if n % 11 == 5:
            ops.append(remove(n - 2))
        if n % 13 == 6:
            ops.append(update(n, {"path": {"assign": "changed"}}))
    ops.append(update(1000, {"title": {"assign": "created by update"}}, create=True))
    return ops


def single(service: ContentNodeService, op: pb.FeedOperation) -> pb.FeedReply:
    kind = op.WhichOneof("operation")
    return getattr(service, kind.capitalize())(getattr(op, kind), None)


def open_node(path: Path) -> tuple[ContentNode, ContentNodeService]:
    node = ContentNode(APP, path, 0)
    node.sync.start([], wait=True)
    return node, ContentNodeService(node)


def state(node: ContentNode) -> dict:
    db = node.databases["doc"]
    with db.read_view():
        alive = db.alive
        ids = sorted(db.document_id(i) for i in np.flatnonzero(alive).tolist())
        terms = {field: {term: db.document_frequency(field, term) for term in db.terms(field)}
                 for field in db.index_fields}
        postings = {(field, term): sorted((db.document_id(int(d)), int(f)) for d, f in
                                          zip(db.postings(field, term).doc_ids, db.postings(field, term).term_freqs))
                    for field in ("title", "text") for term in WORDS}
        lengths = {field: db.average_field_length(field) for field in ("title", "text")}
        index = db.vector_index("embedding")
    documents = {i: node.get(i) for i in ids}
    query = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    nearest = index.exact(query, 5, None).local_ids
    graph = index.approximate(query, 5, 200, None).local_ids  # the batch's graph inserts found them
    return {"documents": documents, "terms": terms, "postings": postings, "lengths": lengths,
            "vectors": index.vector_count, "nearest": sorted(db.document_id(int(i)) for i in nearest),
            "graph nearest": sorted(db.document_id(int(i)) for i in graph)}


def test_batches_give_the_same_documents_and_index_as_single_operations(tmp_path):
    ops = operations()
    one, one_service = open_node(tmp_path / "single")
    replies = [single(one_service, op) for op in ops]
    many, many_service = open_node(tmp_path / "batched")
    fsyncs = many.databases["doc"]._wal.fsync_count
    batched = []
    for start in range(0, len(ops), 16):
        batched += many_service.Feed(pb.FeedBatchRequest(operations=ops[start:start + 16]), None).replies
    assert [(r.ok, r.found) for r in batched] == [(r.ok, r.found) for r in replies]
    assert all(r.ok for r in batched)
    assert many.databases["doc"]._wal.fsync_count - fsyncs == -(-len(ops) // 16)  # one sync a batch
    expected = state(one)
    assert state(many) == expected
    one.close()
    many.close()
    recovered, _ = open_node(tmp_path / "batched")  # and after recovery from the log
    assert state(recovered) == expected
    recovered.close()


def test_a_bad_operation_fails_alone(tmp_path):
    node, service = open_node(tmp_path)
    assert service.Feed(pb.FeedBatchRequest(operations=[put("kept", {"title": "old"})]), None).replies[0].ok
    batch = [
        put("a", {"title": "first"}),
        pb.FeedOperation(put=pb.PutRequest(document_id=doc_id("bad-json"), fields_json="{not json")),
        put("bad-field", {"no_such_field": 1}),
        pb.FeedOperation(put=pb.PutRequest(document_id="id:test:nosuchtype::x", fields_json="{}")),
        pb.FeedOperation(),
        put("kept", {"title": "new"}, condition='doc.title == "something else"'),
        update("missing", {"title": {"assign": "x"}}),
        remove("a"),
        put("b", {"title": "second"}),
    ]
    replies = service.Feed(pb.FeedBatchRequest(operations=batch), None).replies
    assert len(replies) == len(batch)
    assert [r.ok for r in replies] == [True, False, False, False, False, False, True, True, True]
    assert replies[1].error.code == ErrorCode.INVALID_QUERY_PARAMETER or "JSON" in replies[1].error.message
    assert "no_such_field" in replies[2].error.message
    assert "nosuchtype" in replies[3].error.message
    assert replies[5].condition_failed
    assert not replies[6].found and replies[7].found
    assert all(ErrorCode.of(r.error.code).is_client_error for r in replies if not r.ok)
    assert node.get(doc_id("a")) is None and node.get(doc_id("b")) == {"title": "second"}
    assert node.get(doc_id("kept")) == {"title": "old"} and node.get(doc_id("bad-json")) is None
    node.close()


def test_no_operation_of_a_batch_is_acknowledged_when_its_sync_fails(tmp_path):
    node, service = open_node(tmp_path)

    def failing_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    node.databases["doc"]._wal._fsync = failing_fsync
    replies = service.Feed(pb.FeedBatchRequest(operations=[put(n, {"title": f"t{n}"}) for n in range(5)]),
                           None).replies
    assert [r.ok for r in replies] == [False] * 5
    assert all(r.error.code == ErrorCode.INSUFFICIENT_STORAGE or "fsync" in r.error.message for r in replies)
    assert "Input/output error" in replies[0].error.message


def _feed_in_thread(service: ContentNodeService, ops: list[pb.FeedOperation], replies: list) -> threading.Thread:
    thread = threading.Thread(target=lambda: replies.extend(
        service.Feed(pb.FeedBatchRequest(operations=ops), None).replies))
    thread.start()
    return thread


@pytest.mark.parametrize("fsync_fails", [False, True])
def test_the_next_batch_is_applied_during_a_sync_and_nothing_is_acknowledged_before_its_own(tmp_path, fsync_fails):
    """Batch A's fsync is held: batch B is applied meanwhile (the locks around a batch are released
    before its sync), and neither is acknowledged until a sync covering it succeeded; when A's fsync
    fails, B (logged after A) is not acknowledged either."""
    node, service = open_node(tmp_path)
    wal = node.databases["doc"]._wal
    in_fsync, release = threading.Event(), threading.Event()
    real_fsync = wal._fsync

    def held_fsync(fd):
        in_fsync.set()
        assert release.wait(30)
        if fsync_fails:
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    wal._fsync = held_fsync
    first, second = [], []
    feeding_a = _feed_in_thread(service, [put(n, {"title": f"a{n}"}) for n in range(3)], first)
    assert in_fsync.wait(10)
    feeding_b = _feed_in_thread(service, [put(n, {"title": f"b{n}"}) for n in range(3, 6)], second)
    try:
        deadline = time.monotonic() + 5
        while node.get(doc_id(5)) is None and time.monotonic() < deadline:  # B applied during A's fsync
            time.sleep(0.01)
        assert node.get(doc_id(5)) == {"title": "b5"}
        assert not first and not second  # nothing acknowledged while the fsync is held
    finally:
        release.set()
    feeding_a.join(10)
    feeding_b.join(10)
    if fsync_fails:
        assert [r.ok for r in first + second] == [False] * 6
        assert all(r.error.code == ErrorCode.INSUFFICIENT_STORAGE for r in first + second)
        node.close()
        return
    assert [r.ok for r in first + second] == [True] * 6
    node.close()
    recovered, _ = open_node(tmp_path)  # both batches were in the log when they were acknowledged
    assert [recovered.get(doc_id(n)) for n in range(6)] == [{"title": f"{c}{n}"} for c, n in zip("aaabbb", range(6))]
    recovered.close()


def test_graph_inserts_run_after_the_write_lock_and_before_the_acknowledgement(tmp_path, monkeypatch):
    """While a batch's vectors go into the graph, text queries and gets go on (the write lock is
    released), a search of the vector field waits for them, and the batch is acknowledged only once
    they are in: a search right after the reply finds the vector."""
    node, service = open_node(tmp_path)
    db = node.databases["doc"]
    inserting, release = threading.Event(), threading.Event()
    real_insert = VectorFieldIndex.insert_taken

    def slow_insert(index, inserts):
        if inserts:
            inserting.set()
            release.wait(10)
        real_insert(index, inserts)

    monkeypatch.setattr(VectorFieldIndex, "insert_taken", slow_insert)
    vector = np.zeros(384)
    vector[7] = 1.0
    replies = []
    feeding = threading.Thread(target=lambda: replies.extend(service.Feed(pb.FeedBatchRequest(operations=[
        put(1, {"title": "alpha", "embedding": vector.tolist()})]), None).replies))
    feeding.start()
    assert inserting.wait(10)
    with db.read_view():  # not blocked: the batch's write-lock hold is over
        assert db.document_frequency("title", "alpha") == 1
    assert node.get(doc_id(1))["title"] == "alpha"
    index = db.vector_index("embedding")
    searches = []
    searching = threading.Thread(target=lambda: searches.append(
        index.approximate(vector.astype(np.float32), 1, 10, None)))
    searching.start()
    searching.join(0.3)
    assert searching.is_alive() and not replies  # the vector search waits; nothing acknowledged yet
    release.set()
    feeding.join(10)
    searching.join(10)
    assert replies[0].ok
    assert [db.document_id(int(i)) for i in searches[0].local_ids] == [doc_id(1)]
    node.close()


def test_fields_json_is_read_as_json_reads_it():
    from searchlib.exact_json import loads as _loads  # what the node reads fields JSON with
    texts = ['{"a": 1, "b": [1.5, -2e-7, 1e300], "c": "\\u00e9\\ud83d\\ude00", "d": null, "e": true}',
             '{"a": NaN, "b": Infinity}', '{"a": 18446744073709551615}',
             '{"a": -9223372036854775808}', '{"a": 1, "a": 2}', '{"a": 1e400}', '{"v": [0.1, 0.2, 0.30000000000000004]}']
    for text in texts:
        assert repr(_loads(text)) == repr(json.loads(text)), text
    for bad in ('{"a": "\\ud800"}', '{"a": 1,}', '{not json'):
        try:
            expected = json.loads(bad)
        except json.JSONDecodeError as error:
            with pytest.raises(json.JSONDecodeError, match=re.escape(error.msg)):
                _loads(bad)
        else:
            assert repr(_loads(bad)) == repr(expected)
