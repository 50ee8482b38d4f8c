"""gRPC servicer: decode with searchlib.wire, run on the ContentNode, encode. Errors become data
in the reply (partial failure is data); nothing escapes as an unexplained gRPC failure."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from typing import NamedTuple

from content_node import feed_batch, matcher
from content_node.catch_up import READY, list_documents, read_stamped
from content_node.replica_merge import ReplicaMerger, bucket_checksums, bucket_entries
from content_node.node import ContentNode
from content_node.resource_usage import disk_usage, memory_usage
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.coverage import DEGRADED_TIMEOUT, Coverage
from searchlib.errors import DocumentError, ErrorCode, SearchlibError, UnsyncedReplicaError
from searchlib.grouping import parse_grouping
from searchlib.selection import ConditionNotMet
from searchlib.wire import search_codec as codec
from searchlib.wire import statistics_codec, visit_codec
from searchlib.wire.feed_codec import FeedResult, encode_feed_reply
from searchlib.wire.frames import Packed
from searchlib.wire.packed_reply import encode_packed

log = logging.getLogger("content_node.service")
VIEW_GRACE_SECONDS = 5.0


def _time_left(context) -> float | None:
    """Seconds until the caller's gRPC deadline, so a call queued behind slow work in this node's
    thread pool gets only the time its query has left; None without a deadline."""
    time_remaining = getattr(context, "time_remaining", None)
    left = time_remaining() if time_remaining is not None else None
    return left if left is not None and left < 1e6 else None


def _node_error(error: Exception, source: str) -> codec.NodeError:
    if isinstance(error, SearchlibError):
        return codec.NodeError(int(error.code), error.message, source)
    log.exception("unexpected error in content node")  # the traceback stays in the node's log
    return codec.NodeError(int(ErrorCode.INTERNAL_SERVER_ERROR),
                           f"Internal server error in {source}: see its log", source)


class AppliedUpdate(NamedTuple):
    """A write's outcome: found, and the stored timestamp an update applied to or a condition held
    against (container/http/update_repair.py, document_handler.py)."""
    found: bool
    base: int | None


def _error_message(error: codec.NodeError) -> pb.ErrorMessage:
    return pb.ErrorMessage(code=error.code, message=error.message, source=error.source)


class ContentNodeService(pb_grpc.ContentNodeServicer):
    def __init__(self, node: ContentNode) -> None:
        self._node = node
        self._source = f"content node {node.distribution_key}"
        self._merger = ReplicaMerger(node)
        self.search_port = 0  # the lean Search transport's, once it listens (server.py); told by Ping

    def _generation_error(self, generation: str) -> codec.NodeError | None:
        if generation and generation != self._node.generation:
            return codec.NodeError(int(ErrorCode.SERVER_IS_MISCONFIGURED),
                                   f"application package generation mismatch: node has "
                                   f"{self._node.generation[:12]}, request has {generation[:12]}",
                                   self._source)
        return None

    def Search(self, request: pb.SearchRequest, context) -> pb.SearchReply:
        return self._encoded(self._search(request, context), False)

    def _encoded(self, answer: codec.SearchAnswer, packed: bool) -> pb.SearchReply | Packed:
        """The answer as a SearchReply, or packed (packed_reply.py) when asked and it is plain; a
        failure to encode it is the answer's error, as a failure to search is."""
        try:
            if packed and (payload := encode_packed(answer)) is not None:
                return Packed(payload)
            return codec.encode_search_answer(answer)
        except Exception as error:  # noqa: BLE001 - reported as data, see module doc
            return codec.encode_search_answer(self._failed(error))

    def _failed(self, error: Exception) -> codec.SearchAnswer:
        active = self._node.active_documents
        return codec.SearchAnswer(self._node.distribution_key, (), 0,
                                  Coverage(docs=0, active=active, target_active=active, nodes=1),
                                  (_node_error(error, self._source),))

    def _search(self, request: pb.SearchRequest, context) -> codec.SearchAnswer:
        started = time.monotonic()
        key = self._node.distribution_key
        try:
            call = codec.decode_search_call(request)
            mismatch = self._generation_error(call.app_generation)
            if mismatch:
                return codec.SearchAnswer(key, (), 0, Coverage(nodes=1), (mismatch,))
            budget = call.timeout_ms / 1000.0 if call.timeout_ms else float("inf")
            left = _time_left(context)
            if left is not None:  # the time this call waited for a worker thread is gone too
                if left <= 0:  # the container has stopped waiting: searching would be wasted work
                    active = self._node.active_documents
                    return codec.SearchAnswer(key, (), 0, Coverage(
                        docs=0, active=active, target_active=active, degraded_reason=DEGRADED_TIMEOUT, nodes=1), ())
                budget = min(budget, left)
            soft_budget = budget * 0.7
            params = matcher.SearchParams(
                query=call.query, hits=call.hits, query_features=call.query_features,
                rank_properties=call.rank_properties, sorting=call.sorting,
                rerank_count=call.rerank_count, keep_rank_count=call.keep_rank_count,
                rank_score_drop_limit=call.rank_score_drop_limit,
                second_phase_rank_score_drop_limit=call.second_phase_rank_score_drop_limit,
                match_phase_max_hits=call.match_phase_max_hits, match_phase=call.match_phase,
                now=call.now or time.time(), deadline=started + soft_budget,
                grouping=parse_grouping(call.grouping) if call.grouping else None, explain=call.explain,
                corpus_statistics=call.corpus_statistics,
                streaming_selection=call.streaming_selection, distribution_key=key)
            # the fill may come after the query's time (the container grants it a second more)
            view_seconds = (call.timeout_ms / 1000.0 if call.timeout_ms else 10.0) + VIEW_GRACE_SECONDS
            outcome = self._node.search(call.schema, call.rank_profile, params, view_seconds)
            trace = ()
            if call.trace_level >= 4:
                trace = (f"content node {key}: {outcome.total_hits} matches, "
                         f"{(time.monotonic() - started) * 1000:.1f} ms",)
            docsums = self._summaries(call, outcome) if call.with_summaries and outcome.hits else ()
            return codec.SearchAnswer(
                key, tuple(outcome.hits), outcome.total_hits, outcome.coverage, (), trace, outcome.grouping,
                outcome.generation, outcome.phases and replace(outcome.phases, distribution_key=key), docsums)
        except Exception as error:  # noqa: BLE001 - reported as data, see module doc
            return self._failed(error)

    def search_frame(self, payload: bytes, call) -> bytes | Packed:
        """Search over the lean transport (wire_server.py): the same request and reply bytes, or the
        answer packed when the request asked for it and it is plain (packed_reply.py)."""
        request = pb.SearchRequest.FromString(payload)
        reply = self._encoded(self._search(request, call), request.packed_reply)
        return reply if isinstance(reply, Packed) else reply.SerializeToString()

    def TermStatistics(self, request: pb.TermStatisticsRequest, context) -> pb.TermStatisticsReply:
        try:
            call = statistics_codec.decode_statistics_call(request)
            mismatch = self._generation_error(call.app_generation)
            if mismatch:
                return pb.TermStatisticsReply(errors=[_error_message(mismatch)])
            statistics = self._node.term_statistics(call.schema, call.query)
            return pb.TermStatisticsReply(statistics=statistics_codec.encode_statistics(statistics))
        except Exception as error:  # noqa: BLE001 - reported as data, see module doc
            return pb.TermStatisticsReply(errors=[_error_message(_node_error(error, self._source))])

    def _summaries(self, call: codec.SearchCall, outcome: matcher.SearchOutcome) -> tuple[codec.DocsumValue, ...]:
        """The summaries of the hits found, exactly as a GetDocsums for them after this search
        would read them (as of its view); a failure leaves them out, and the container then
        fetches them the two-phase way, where the failure is reported."""
        try:
            docsums = self._node.fill(call.schema, call.rank_profile, call.summary_class,
                                      [hit.global_id for hit in outcome.hits], call.query, call.query_features,
                                      call.now, call.rank_properties, outcome.generation,
                                      call.corpus_statistics, bolding=call.bolding)
        except Exception as error:  # noqa: BLE001 - see the docstring
            log.warning("summaries with the hits failed (the container fetches them apart): %s", error)
            return ()
        return tuple(docsums)  # the reply's own value type (docsums.Docsum)

    def GetDocsums(self, request: pb.DocsumRequest, context) -> pb.DocsumReply:
        try:
            call = codec.decode_docsum_call(request)
            mismatch = self._generation_error(call.app_generation)
            if mismatch:
                return codec.encode_docsums([], [mismatch])
            docsums = self._node.fill(call.schema, call.rank_profile, call.summary_class, call.global_ids,
                                      call.query, call.query_features, call.now, call.rank_properties,
                                      call.as_of, call.corpus_statistics, bolding=call.bolding)
            return codec.encode_docsums(docsums)  # the reply's own value type, pre-encoded fields kept
        except Exception as error:  # noqa: BLE001
            return codec.encode_docsums([], [_node_error(error, self._source)])

    def _feed(self, operation) -> pb.FeedReply:
        try:
            return self._feed_reply(operation())
        except Exception as error:  # noqa: BLE001
            return self._feed_reply(error)

    def _feed_reply(self, outcome) -> pb.FeedReply:
        """What a write returned (found or not; an update: with the base it applied to) or raised."""
        if not isinstance(outcome, BaseException):
            found, base = outcome if isinstance(outcome, AppliedUpdate) else (outcome, None)
            return encode_feed_reply(FeedResult(ok=True, found=bool(found), sequence=self._node.last_sequence,
                                                base=base))
        problem = _node_error(outcome, self._source)
        failed = isinstance(outcome, ConditionNotMet)  # with the stored timestamp it was tested against
        return encode_feed_reply(FeedResult(ok=False, error_code=int(problem.code), message=problem.message,
                                            condition_failed=failed, base=getattr(outcome, "base", None) if failed
                                            else None, unsynced=isinstance(outcome, UnsyncedReplicaError)),
                                 problem.source)

    def _put(self, request: pb.PutRequest):
        return lambda: AppliedUpdate(True, self._node.put(request.document_id, request.fields_json, request.condition,
                                                          request.create, request.timestamp, request.origin,
                                                          _tested_base(request), request.replica_copy))

    def _update(self, request: pb.UpdateRequest):
        return lambda: AppliedUpdate(*self._node.update_on_base(
            request.document_id, request.operations_json, request.create, request.condition, request.timestamp,
            _tested_base(request)))

    def _remove(self, request: pb.RemoveRequest):
        return lambda: AppliedUpdate(*self._node.remove_on_base(request.document_id, request.condition,
                                                                request.timestamp, _tested_base(request)))

    def _probe(self, request: pb.ProbeRequest):
        """Test-and-set's first step: the condition tested as the write would, nothing written."""
        return lambda: AppliedUpdate(True, self._node.probe(request.document_id, request.condition, request.create))

    def Put(self, request: pb.PutRequest, context) -> pb.FeedReply:
        return self._feed(self._put(request))

    def Update(self, request: pb.UpdateRequest, context) -> pb.FeedReply:
        return self._feed(self._update(request))

    def Remove(self, request: pb.RemoveRequest, context) -> pb.FeedReply:
        return self._feed(self._remove(request))

    def Probe(self, request: pb.ProbeRequest, context) -> pb.FeedReply:
        return self._feed(self._probe(request))

    def Feed(self, request: pb.FeedBatchRequest, context) -> pb.FeedBatchReply:
        """Each operation as its own Put/Update/Remove/Probe would run it, in one write batch a database."""
        writes = []
        for operation in request.operations:
            kind = operation.WhichOneof("operation")
            message = getattr(operation, kind) if kind else None
            steps = {"put": self._put, "update": self._update, "remove": self._remove, "probe": self._probe}
            write = steps[kind](message) \
                if kind else _raises(DocumentError("Empty feed operation: expected put, update or remove"))
            writes.append((message.document_id if message else "", write))
        return pb.FeedBatchReply(replies=[self._feed_reply(outcome)
                                          for outcome in feed_batch.apply_batch(self._node, writes)])

    def Get(self, request: pb.GetRequest, context) -> pb.GetReply:
        try:
            fields, entry = self._node.get_version(request.document_id)
        except Exception as error:  # noqa: BLE001
            problem = _node_error(error, self._source)
            context.abort(_grpc_status(problem.code), problem.message)
        version = {"timestamp": max(entry.timestamp, 0), "removed": entry.removed, "origin": entry.origin} \
            if entry is not None else {}
        if fields is None:
            return pb.GetReply(found=False, **version)
        return pb.GetReply(found=True, fields_json=json.dumps(fields, ensure_ascii=False), **version)

    def Ping(self, request: pb.PingRequest, context) -> pb.PingReply:
        sync = self._node.sync
        state, unsynced_from, synced_at = sync.unsynced_report()
        return pb.PingReply(distribution_key=self._node.distribution_key,
                            active_docs=self._node.active_documents, app_generation=self._node.generation,
                            ready=state == READY, last_sequence=self._node.last_sequence, state=state,
                            catch_up_remaining=sync.remaining, write_error=self._node.write_error,
                            synced_from=sync.synced_from, disk_usage=disk_usage(self._node.data_dir),
                            memory_usage=memory_usage(), search_port=self.search_port,
                            unsynced_from=unsynced_from, synced_at=synced_at)

    def Sync(self, request: pb.SyncRequest, context) -> pb.SyncReply:
        accepted = self._node.sync.start(list(request.peers), resync=request.resync,
                                         unreachable=list(request.unreachable), sole_copy=request.sole_copy)
        return pb.SyncReply(accepted=accepted, state=self._node.sync.state)

    def ListDocuments(self, request: pb.ListDocumentsRequest, context) -> pb.ListDocumentsReply:
        return pb.ListDocumentsReply(documents=[pb.DocumentChecksum(document_id=document_id, checksum=checksum)
                                                for document_id, checksum in list_documents(self._node)])

    def FetchDocuments(self, request: pb.FetchDocumentsRequest, context) -> pb.FetchDocumentsReply:
        documents = []
        for document_id in request.document_ids:
            fields, timestamp, origin = read_stamped(self._node, document_id)
            documents.append(pb.FetchedDocument(
                document_id=document_id, found=fields is not None, timestamp=timestamp, origin=origin,
                fields_json=json.dumps(fields, ensure_ascii=False) if fields is not None else ""))
        return pb.FetchDocumentsReply(documents=documents)

    def Merge(self, request: pb.MergeRequest, context) -> pb.MergeReply:
        report, error = self._merger.merge(list(request.peers))
        return pb.MergeReply(buckets_differing=report.buckets_differing, pulled=report.pulled,
                             documents_compared=report.documents_compared, pushed=report.pushed, error=error)

    def BucketChecksums(self, request: pb.BucketChecksumsRequest, context) -> pb.BucketChecksumsReply:
        return pb.BucketChecksumsReply(buckets=[pb.BucketChecksum(schema=schema, bucket=bucket, checksum=value)
                                                for (schema, bucket), value in bucket_checksums(self._node).items()])

    def BucketEntries(self, request: pb.BucketEntriesRequest, context) -> pb.BucketEntriesReply:
        entries = bucket_entries(self._node, [(b.schema, b.bucket) for b in request.buckets])
        return pb.BucketEntriesReply(entries=[pb.VersionEntry(document_id=e.document_id, timestamp=e.timestamp,
                                                              removed=e.removed, origin=e.origin) for e in entries])

    def Visit(self, request: pb.VisitRequest, context) -> pb.VisitReply:
        try:
            page = self._node.visitor.visit(visit_codec.decode_visit_call(request))
        except Exception as error:  # noqa: BLE001 - a bad selection is the caller's error, the rest logged
            problem = _node_error(error, self._source)
            context.abort(_grpc_status(problem.code), problem.message)
        return visit_codec.encode_visit_page(page)


def _tested_base(request) -> int | None:
    return request.tested_base if request.HasField("tested_base") else None


def _raises(error: Exception):
    def write():
        raise error
    return write


def _grpc_status(code: int):
    import grpc

    return grpc.StatusCode.INVALID_ARGUMENT if ErrorCode.of(code).is_client_error else grpc.StatusCode.INTERNAL
