"""Search and docsum requests/replies ⇄ protobuf, shared by the container (client) and the
content node (server) so both sides agree on every field."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from protos import content_node_pb2 as pb
from searchlib.corpus_statistics import CorpusStatistics
from searchlib import exact_json
from searchlib.coverage import Coverage
from searchlib.hits import LeanHit
from searchlib.grouping.result import Group
from searchlib.query import tree as q
from searchlib.wire.grouping_codec import decode_group, encode_group
from searchlib.explain import NodePhases
from searchlib.wire.hits_codec import (ReplyHits, decode_coverage, decode_features, decode_node_phases,
                                       encode_coverage, encode_features, encode_hit, encode_node_phases)
from searchlib.wire.query_codec import decode_query, encode_query
from searchlib.wire.statistics_codec import decode_statistics, encode_statistics


@dataclass(frozen=True, slots=True)
class SearchCall:
    """Everything a content node needs to run one query (offset is always 0)."""

    schema: str
    rank_profile: str
    query: q.QueryNode
    hits: int
    timeout_ms: int
    query_features: Mapping[str, object] = field(default_factory=dict)
    sorting: tuple[q.SortKey, ...] = ()
    rerank_count: int | None = None
    keep_rank_count: int | None = None
    rank_score_drop_limit: float | None = None
    second_phase_rank_score_drop_limit: float | None = None
    match_phase_max_hits: int | None = None  # match-phase total-max-hits spread over the nodes searched
    match_phase: Mapping[str, str] = field(default_factory=dict)  # ranking.matchPhase.*, as profile settings
    app_generation: str = ""
    trace_level: int = 0
    now: float = 0.0
    grouping: str = ""  # the grouping expression text, "" for none
    rank_properties: Mapping[str, str] = field(default_factory=dict)  # ranking.properties.*
    explain: bool = False  # ranking.explain: the node records its phase trace (searchlib.explain)
    corpus_statistics: CorpusStatistics | None = None  # cluster-wide: rank with these, not the node's
    # one round trip for a small window: the node returns the summaries (of summary_class) of
    # the hits it answers with, as the fill would fetch them
    with_summaries: bool = False
    summary_class: str = ""
    bolding: bool = True  # presentation.bolding: query words in <hi> in dynamic and bolded summaries
    streaming_selection: str = ""  # streaming mode: a document selection (the group searched)


@dataclass(frozen=True, slots=True)
class DocsumValue:
    global_id: bytes
    document_id: str
    fields: dict
    summary_features: dict
    # `fields` already encoded by exact_json.dumps as an object of strings (exact_json.is_plain):
    # the node's stored text (exact_json.stored_text_as_dumps), sent as it is and marked plain
    fields_json: str | None = field(default=None, compare=False)

    def value(self) -> "DocsumValue":
        return self


@dataclass(frozen=True, slots=True)
class EncodedDocsum:
    """A summary that came with the hits, decoded only if the window shows its hit (every node
    sends one per hit it returns; the window keeps about one node's worth)."""
    global_id: bytes
    message: pb.Docsum

    def value(self, read_fields: bool = True) -> DocsumValue:
        """`read_fields=False`: `fields` left empty, for a caller that has them as plain_fields_json."""
        if read_fields:
            return _decode_docsum(self.message)
        message = self.message
        return DocsumValue(message.global_id, message.document_id, {}, decode_features(message.summary_features))

    def plain_fields_json(self) -> str | None:
        """The fields' JSON when the node marked it an object of strings (exact_json.is_plain),
        for a renderer to splice unread; else None."""
        return self.message.fields_json if self.message.fields_plain else None


@dataclass(frozen=True, slots=True)
class NodeError:
    code: int
    message: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    distribution_key: int
    hits: Sequence[LeanHit]  # ReplyHits when decoded from a reply: each hit decoded as it is read
    total_hits: int
    coverage: Coverage
    errors: tuple[NodeError, ...] = ()
    trace: tuple[str, ...] = ()
    grouping: Group | None = None  # partial group tree when the call had grouping
    generation: int = 0  # the node's read view: a fill of these hits asks for it (DocsumCall.as_of)
    phases: NodePhases | None = None  # the node's phase trace, when the call asked to explain
    # SearchCall.with_summaries: the hits' summaries (EncodedDocsum as decoded; .value() reads either)
    docsums: tuple[DocsumValue | EncodedDocsum, ...] = ()


def encode_search_call(call: SearchCall) -> pb.SearchRequest:
    message = pb.SearchRequest(
        schema=call.schema, rank_profile=call.rank_profile, app_generation=call.app_generation,
        query=encode_query(call.query), query_features=encode_features(call.query_features),
        hits=call.hits, timeout_ms=call.timeout_ms, trace_level=call.trace_level,
        sorting=[pb.SortKey(field=k.field, ascending=k.ascending, function=k.function, strength=k.strength,
                            locale=k.locale) for k in call.sorting], now=call.now,
        grouping=call.grouping, rank_properties=dict(call.rank_properties), explain=call.explain,
        with_summaries=call.with_summaries, summary_class=call.summary_class, no_bolding=not call.bolding,
        streaming_selection=call.streaming_selection, match_phase=dict(call.match_phase))
    for name in ("rerank_count", "keep_rank_count", "rank_score_drop_limit",
                 "second_phase_rank_score_drop_limit", "match_phase_max_hits"):
        value = getattr(call, name)
        if value is not None:
            setattr(message, name, value)
    if call.corpus_statistics is not None:
        message.corpus_statistics.CopyFrom(encode_statistics(call.corpus_statistics))
    return message


def decode_search_call(message: pb.SearchRequest) -> SearchCall:
    def optional(name: str):
        return getattr(message, name) if message.HasField(name) else None

    return SearchCall(
        schema=message.schema, rank_profile=message.rank_profile, query=decode_query(message.query),
        hits=message.hits, timeout_ms=message.timeout_ms,
        query_features=decode_features(message.query_features),
        sorting=tuple(q.SortKey(k.field, k.ascending, k.function, k.strength, k.locale) for k in message.sorting),
        rerank_count=optional("rerank_count"), keep_rank_count=optional("keep_rank_count"),
        rank_score_drop_limit=optional("rank_score_drop_limit"),
        second_phase_rank_score_drop_limit=optional("second_phase_rank_score_drop_limit"),
        match_phase_max_hits=optional("match_phase_max_hits"), match_phase=dict(message.match_phase),
        app_generation=message.app_generation, trace_level=message.trace_level, now=message.now,
        grouping=message.grouping, rank_properties=dict(message.rank_properties), explain=message.explain,
        corpus_statistics=decode_statistics(message.corpus_statistics)
        if message.HasField("corpus_statistics") else None,
        with_summaries=message.with_summaries, summary_class=message.summary_class,
        bolding=not message.no_bolding,
        streaming_selection=message.streaming_selection)


def encode_search_answer(answer: SearchAnswer) -> pb.SearchReply:
    reply = _encode_search_answer(answer)
    if answer.grouping is not None:
        reply.grouping.CopyFrom(encode_group(answer.grouping))
    if answer.phases is not None:
        reply.phases.CopyFrom(encode_node_phases(answer.phases))
    return reply


def _encode_search_answer(answer: SearchAnswer) -> pb.SearchReply:
    return pb.SearchReply(
        distribution_key=answer.distribution_key, hits=[encode_hit(h) for h in answer.hits],
        total_hit_count=answer.total_hits, coverage=encode_coverage(answer.coverage),
        errors=[pb.ErrorMessage(code=e.code, message=e.message, source=e.source) for e in answer.errors],
        trace=list(answer.trace), generation=answer.generation,
        docsums=[_encode_docsum(v) for v in answer.docsums])


def decode_search_answer(message: pb.SearchReply) -> SearchAnswer:
    key = message.distribution_key
    return SearchAnswer(
        distribution_key=key, hits=ReplyHits(message.hits, key),
        total_hits=message.total_hit_count, coverage=decode_coverage(message.coverage),
        errors=tuple(NodeError(e.code, e.message, e.source) for e in message.errors),
        trace=tuple(message.trace),
        grouping=decode_group(message.grouping, key) if message.HasField("grouping") else None,
        generation=message.generation,
        phases=decode_node_phases(message.phases, key) if message.HasField("phases") else None,
        docsums=tuple(EncodedDocsum(d.global_id, d) for d in message.docsums))


@dataclass(frozen=True, slots=True)
class DocsumCall:
    schema: str
    summary_class: str
    rank_profile: str
    global_ids: tuple[bytes, ...]
    query: q.QueryNode | None = None
    query_features: Mapping[str, object] = field(default_factory=dict)
    app_generation: str = ""
    now: float = 0.0
    rank_properties: Mapping[str, str] = field(default_factory=dict)
    as_of: int = 0  # the generation of the node's search that found the hits (0: current documents)
    corpus_statistics: CorpusStatistics | None = None  # the search's cluster-wide statistics, if it had them
    bolding: bool = True  # presentation.bolding


def encode_docsum_call(call: DocsumCall) -> pb.DocsumRequest:
    message = pb.DocsumRequest(schema=call.schema, summary_class=call.summary_class,
                               rank_profile=call.rank_profile, global_ids=list(call.global_ids),
                               query_features=encode_features(call.query_features),
                               app_generation=call.app_generation, now=call.now,
                               rank_properties=dict(call.rank_properties), as_of=call.as_of,
                               no_bolding=not call.bolding)
    if call.query is not None:
        message.query.CopyFrom(encode_query(call.query))
    if call.corpus_statistics is not None:
        message.corpus_statistics.CopyFrom(encode_statistics(call.corpus_statistics))
    return message


def decode_docsum_call(message: pb.DocsumRequest) -> DocsumCall:
    return DocsumCall(schema=message.schema, summary_class=message.summary_class,
                      rank_profile=message.rank_profile, global_ids=tuple(message.global_ids),
                      query=decode_query(message.query) if message.HasField("query") else None,
                      query_features=decode_features(message.query_features),
                      app_generation=message.app_generation, now=message.now,
                      rank_properties=dict(message.rank_properties), as_of=message.as_of,
                      bolding=not message.no_bolding,
                      corpus_statistics=decode_statistics(message.corpus_statistics)
                      if message.HasField("corpus_statistics") else None)


def _encode_docsum(value: DocsumValue | EncodedDocsum) -> pb.Docsum:
    if isinstance(value, EncodedDocsum):
        return value.message
    if value.fields_json is not None:  # the node's stored text, given only when it is plain
        text, plain = value.fields_json, True
    else:
        text = exact_json.dumps(value.fields)
        plain = exact_json.is_plain(value.fields, text)
    return pb.Docsum(global_id=value.global_id, document_id=value.document_id, fields_json=text,
                     fields_plain=plain,
                     summary_features=encode_features(value.summary_features))


def _decode_docsum(message: pb.Docsum) -> DocsumValue:
    return DocsumValue(message.global_id, message.document_id,
                       exact_json.loads(message.fields_json) if message.fields_json else {},
                       decode_features(message.summary_features))


def encode_docsums(values: Sequence[DocsumValue], errors: Sequence[NodeError] = ()) -> pb.DocsumReply:
    return pb.DocsumReply(
        docsums=[_encode_docsum(v) for v in values],
        errors=[pb.ErrorMessage(code=e.code, message=e.message, source=e.source) for e in errors])


def decode_docsums(message: pb.DocsumReply) -> tuple[list[DocsumValue], list[NodeError]]:
    values = [_decode_docsum(d) for d in message.docsums]
    return values, [NodeError(e.code, e.message, e.source) for e in message.errors]
