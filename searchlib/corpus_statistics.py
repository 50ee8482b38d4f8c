"""Cluster-wide term statistics: the numbers behind idf and average field length (document count,
per-field documents and token totals, per-term document frequencies), summed over content nodes.

Vespa's nodes rank with their own statistics, so the same document can score differently on 1, 2 or
4 nodes. With the rank property `vespa.ranking.globalstatistics: true` (a profile's rank-properties,
or `ranking.properties.vespa.ranking.globalstatistics=true` on a query) the container asks every
node for its counts before the query, sums them, and sends the sums with the query: every node then
ranks with the same statistics, those of the whole corpus.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterable, Mapping

GLOBAL_STATISTICS = "vespa.ranking.globalstatistics"
_TRUE = frozenset({"true", "1", "on", "yes"})


def wanted(profile_properties: Mapping[str, str], query_properties: Mapping[str, str]) -> bool:
    """Whether a query ranks with cluster-wide statistics (the query's property over the profile's)."""
    value = query_properties.get(GLOBAL_STATISTICS, profile_properties.get(GLOBAL_STATISTICS, ""))
    return str(value).strip().lower() in _TRUE


@dataclass(frozen=True, slots=True)
class FieldCounts:
    documents: int  # documents that have the field
    total_length: int  # tokens over those documents

    @property
    def average_length(self) -> float:
        return self.total_length / self.documents if self.documents > 0 else 0.0


@dataclass(frozen=True, slots=True)
class CorpusStatistics:
    documents: int
    fields: Mapping[str, FieldCounts] = field(default_factory=lambda: MappingProxyType({}))
    terms: Mapping[tuple[str, str], int] = field(default_factory=lambda: MappingProxyType({}))  # (field, term)


def summed(parts: Iterable[CorpusStatistics]) -> CorpusStatistics:
    """The statistics of the union of the nodes' documents (each document lives on one node of a group)."""
    documents, fields, terms = 0, {}, {}
    for part in parts:
        documents += part.documents
        for name, counts in part.fields.items():
            before = fields.get(name, FieldCounts(0, 0))
            fields[name] = FieldCounts(before.documents + counts.documents, before.total_length + counts.total_length)
        for key, frequency in part.terms.items():
            terms[key] = terms.get(key, 0) + frequency
    return CorpusStatistics(documents, MappingProxyType(fields), MappingProxyType(terms))
