"""The node's side of cluster-wide term statistics (searchlib.corpus_statistics): its own counts
for a query, and an index view that ranks with the cluster's sums instead of its own.

Only idf inputs (document count, document frequency) and average field lengths change; term
frequencies, field lengths and everything matching reads stay the node's, so with the same sums a
document scores the same on any node it lives on, however the corpus is split.
"""
from __future__ import annotations

from types import MappingProxyType

from content_node.matching.feature_api import RankIndex
from searchlib.corpus_statistics import CorpusStatistics, FieldCounts
from searchlib.query import tree as q
from searchlib.schema.model import Schema


def collect(index, schema: Schema, query: q.QueryNode) -> CorpusStatistics:
    """This node's counts: every index field, and each query word in each field it searches, index
    or attribute (the words the rank features ask document frequencies for, see
    core_features.document_frequency; a phrase's or equiv's own words too: bm25 estimates their
    document frequency from them). An attribute's count is its hit estimate on this node
    (IndexReads.document_frequency), so the sums are the whole corpus's estimate."""
    searchable = set(index.index_fields) | {name for name, spec in schema.fields.items() if spec.is_attribute}
    fields = {name: FieldCounts(index.documents_with_field(name),
                                round(index.average_field_length(name) * index.documents_with_field(name)))
              for name in index.index_fields}
    terms: dict[tuple[str, str], int] = {}
    for item in q.terms_of(query):
        words = q.item_words(item)
        words += [plain for word in words if q.plain_words(word) != [word] for plain in q.plain_words(word)]
        for name in schema.index_fields(item.field):
            if name in searchable:
                for word in words:
                    terms[(name, word)] = index.document_frequency(name, word)
    return CorpusStatistics(index.doc_count, MappingProxyType(fields), MappingProxyType(terms))


class GlobalStatisticsIndex:
    """`index` as rank features see it, with the cluster's document count, document frequencies
    and average field lengths (a word or field the sums lack falls back to the node's own)."""

    def __init__(self, index: RankIndex, statistics: CorpusStatistics) -> None:
        self._index = index
        self._statistics = statistics

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    @property
    def doc_count(self) -> int:
        return self._statistics.documents

    def statistic(self, key: tuple, compute):
        """Not kept: the statistics are this query's (the node's cache holds the node's own)."""
        return compute()

    def document_frequency(self, field: str, term: str) -> int:
        found = self._statistics.terms.get((field, term))
        return self._index.document_frequency(field, term) if found is None else found

    def average_field_length(self, field: str, per_element: bool = False) -> float:
        if per_element:  # the statistics count whole fields: elements are the node's own
            return self._index.average_field_length(field, per_element=True)
        counts = self._statistics.fields.get(field)
        return self._index.average_field_length(field) if counts is None else counts.average_length


class StreamedIndex:
    """`index` as rank features see it in streaming mode: Vespa's streaming search builds no index,
    so its content nodes collect no term or field-length statistics (streaming-search.html). Each
    term's field data keeps its defaults, 0 matching documents of 1 (SimpleTermFieldData), and the
    query environment answers every average field length with 100 (searchvisitor's
    QueryEnvironment): so significance is 1 for every term (the value for an unknown term,
    significance.html), bm25's idf that of 1 document in 1 (Bm25Utils holds the frequency at least
    1): log(1 + 0.5 / 1.5) = log(4/3), and num_docs_indexed 1 — the same in every group and on every
    node. A significance model's frequencies (or the query's) still win."""

    STREAMED = True  # read by core_features.known_idf: a term without a frequency still ranks

    def __init__(self, index: RankIndex) -> None:
        self._index = index

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    @property
    def doc_count(self) -> int:
        return 1

    def statistic(self, key: tuple, compute):
        """Not kept: the node's cache holds its own statistics, not these."""
        return compute()

    def document_frequency(self, field: str, term: str) -> int:
        return 0

    def average_field_length(self, field: str, per_element: bool = False) -> float:
        return STREAMING_AVERAGE_FIELD_LENGTH


STREAMING_AVERAGE_FIELD_LENGTH = 100.0


def ranking_index(index: RankIndex, statistics: CorpusStatistics | None, streamed: bool = False) -> RankIndex:
    """The statistics rank features read: a streaming type's none (StreamedIndex), the cluster's
    sums when the query carries them, else the node's own."""
    if streamed:
        return StreamedIndex(index)
    return index if statistics is None else GlobalStatisticsIndex(index, statistics)
