"""Cluster-wide term statistics ⇄ protobuf (searchlib.corpus_statistics), for the TermStatistics
call and the statistics a SearchRequest carries."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from protos import content_node_pb2 as pb
from searchlib.corpus_statistics import CorpusStatistics, FieldCounts
from searchlib.query import tree as q
from searchlib.wire.query_codec import decode_query, encode_query


@dataclass(frozen=True, slots=True)
class TermStatisticsCall:
    schema: str
    query: q.QueryNode
    app_generation: str = ""


def encode_statistics(statistics: CorpusStatistics) -> pb.CorpusStatistics:
    return pb.CorpusStatistics(
        documents=statistics.documents,
        fields=[pb.FieldStatistics(field=name, documents=c.documents, total_length=c.total_length)
                for name, c in statistics.fields.items()],
        terms=[pb.TermDocumentFrequency(field=f, term=t, documents=n) for (f, t), n in statistics.terms.items()])


def decode_statistics(message: pb.CorpusStatistics) -> CorpusStatistics:
    return CorpusStatistics(
        message.documents,
        MappingProxyType({f.field: FieldCounts(f.documents, f.total_length) for f in message.fields}),
        MappingProxyType({(t.field, t.term): t.documents for t in message.terms}))


def encode_statistics_call(call: TermStatisticsCall) -> pb.TermStatisticsRequest:
    return pb.TermStatisticsRequest(schema=call.schema, query=encode_query(call.query),
                                    app_generation=call.app_generation)


def decode_statistics_call(message: pb.TermStatisticsRequest) -> TermStatisticsCall:
    return TermStatisticsCall(message.schema, decode_query(message.query), message.app_generation)
