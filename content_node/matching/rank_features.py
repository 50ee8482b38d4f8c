"""Rank features over all candidates at once: each feature is one numpy column (or a scalar).

Only features a phase references are computed, and each at most once per query (memoized).
The statistics behind bm25 (document count, document frequency, average field length) are this
node's own, as in Vespa.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol, Sequence

import numpy as np

from content_node.matching.match_sets import MatchableIndex
from searchlib.errors import InvalidParameterError
from searchlib.expression import string_hash
from searchlib.query import tree as q
from searchlib.schema.model import Schema
from content_node.matching.tensor_attributes import tensor_attribute_column
from content_node.matching.collection_features import collection_attribute

BM25_K1 = 1.2
BM25_B = 0.75
FRESHNESS_MAX_AGE = 7776000.0  # 90 days, Vespa's default
NOT_FOUND_POSITION = 1000000.0

_FEATURE = re.compile(r"^(?P<base>[A-Za-z_][\w.]*?)(?:\((?P<args>[^()]*)\))?(?:\.(?P<output>[\w.]+))?$")


class RankIndex(MatchableIndex, Protocol):
    @property
    def doc_count(self) -> int: ...

    def document_frequency(self, field: str, term: str) -> int: ...

    def field_lengths(self, field: str) -> np.ndarray: ...

    def average_field_length(self, field: str) -> float: ...


@dataclass(frozen=True, slots=True)
class FeatureName:
    base: str
    args: tuple[str, ...]
    output: str

    @classmethod
    def parse(cls, name: str) -> "FeatureName":
        found = _FEATURE.match(name.replace(" ", ""))
        if not found:
            raise InvalidParameterError(f"'{name}' is not a rank feature")
        args = tuple(a.strip().strip('"') for a in found["args"].split(",")) if found["args"] else ()
        return cls(found["base"], args, found["output"] or "")


class FeatureCalculator:
    """Computes rank features for the candidates of one query on one node."""

    def __init__(self, schema: Schema, index: RankIndex, query: q.QueryNode,
                 query_features: Mapping[str, object], now: float,
                 rank_properties: Mapping[str, str] | None = None,
                 postings: Callable[[str, str], object] | None = None) -> None:
        self._schema = schema
        self._index = index
        self.query = query  # retrieval features find their nearestNeighbor items here
        self._postings = postings or index.postings
        # features computed over the full candidate set, reused for subsets (second phase, match-features)
        self._computed: dict[str, tuple[np.ndarray, object]] = {}
        self._ranked_items = [item for item in q.terms_of(query)
                              if not isinstance(item, q.Term) or (item.ranked and not item.filter)]
        self._query_features = query_features
        self._now = now
        self._rank_properties = rank_properties or {}
        self._term_columns: dict[tuple[str, str, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._rows_for: np.ndarray | None = None
        self._rows: np.ndarray | None = None

    # ---- what feature modules (text_features, retrieval_features, ...) read ----

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def index(self) -> RankIndex:
        return self._index

    @property
    def ranked_items(self) -> list:
        """The query's ranked text items (terms and phrases), in query order."""
        return self._ranked_items

    def postings(self, field: str, term: str):
        return self._postings(field, term)

    def field_arg(self, feature: FeatureName, index_required: bool) -> str:
        return self._field_arg(feature, index_required)

    # ---- the query's terms, per field ----

    def terms_for_field(self, field: str) -> list[str]:
        """Query words that search this field (directly or through a fieldset), in query order."""
        words: list[str] = []
        for item in self._ranked_items:
            if field in self._schema.index_fields(item.field):
                words.extend([item.term] if isinstance(item, q.Term) else item.terms)
        return words

    def _term_frequencies(self, field: str, term: str, candidates: np.ndarray) -> np.ndarray:
        """Raw term frequency of `term` in `field` for every candidate (0 where absent)."""
        rows, frequencies = self._term_hits(field, term, candidates)
        tf = np.zeros(len(candidates), dtype=np.float64)
        tf[rows] = frequencies
        return tf

    def _term_hits(self, field: str, term: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows of the candidates whose `field` holds `term`, their term frequencies): work in
        proportion to the posting list when the candidates are dense, else one binary search."""
        postings = self._postings(field, term)
        if not len(postings.doc_ids) or not len(candidates):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        row_of = self._row_index(candidates)
        if row_of is not None:
            ids = postings.doc_ids
            if ids[-1] >= len(row_of):
                inside = ids < len(row_of)
                ids, freqs = ids[inside], postings.term_freqs[inside]
            else:
                freqs = postings.term_freqs
            rows = row_of[ids]
            hit = rows >= 0
            return rows[hit], freqs[hit].astype(np.float64)
        found = np.searchsorted(postings.doc_ids, candidates)
        found = np.minimum(found, len(postings.doc_ids) - 1)
        present = postings.doc_ids[found] == candidates
        return np.flatnonzero(present), postings.term_freqs[found[present]].astype(np.float64)

    def _row_index(self, candidates: np.ndarray) -> np.ndarray | None:
        """local id -> row in `candidates` (-1 if not a candidate), for dense candidate sets; memoized
        for the last candidate array, since one phase asks for many terms over the same rows."""
        if self._rows_for is candidates:
            return self._rows
        limit = int(candidates.max()) + 1
        rows = None
        if len(candidates) * 4 >= limit:
            rows = np.full(limit, -1, dtype=np.int64)
            rows[candidates] = np.arange(len(candidates))
        self._rows_for, self._rows = candidates, rows
        return rows

    # ---- features ----

    def compute(self, name: str, candidates: np.ndarray) -> np.ndarray | float | object:
        """The feature for the given sorted-or-not local ids; columns computed for a superset
        earlier in the query are indexed instead of recomputed."""
        cached = self._computed.get(name)
        if cached is not None:
            rows, values = cached
            if not isinstance(values, np.ndarray) or values.shape != rows.shape:
                return values
            positions = np.searchsorted(rows, candidates)
            positions = np.minimum(positions, max(len(rows) - 1, 0))
            if len(rows) and np.array_equal(rows[positions], candidates):
                return values[positions]
        feature = FeatureName.parse(name)
        compute = _FEATURES.get(feature.base)
        if compute is None:
            raise InvalidParameterError(f"Unknown rank feature '{name}'")
        values = compute(self, feature, candidates)
        if cached is None and _is_sorted(candidates):
            self._computed[name] = (candidates, values)
        return values

    def bm25(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        field = self._field_arg(feature, index_required=True)
        k1 = float(self._rank_properties.get(f"bm25({field}).k1", BM25_K1))
        b = float(self._rank_properties.get(f"bm25({field}).b", BM25_B))
        average = float(self._rank_properties.get(f"bm25({field}).averageFieldLength", 0.0)) \
            or self._index.average_field_length(field) or 1.0
        n_docs = self._index.doc_count
        lengths = self._index.field_lengths(field)
        score = np.zeros(len(candidates), dtype=np.float64)
        for term in self.terms_for_field(field):
            df = self._index.document_frequency(field, term)
            if df == 0:
                continue
            idf = math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
            rows, tf = self._term_hits(field, term, candidates)  # only rows with the term contribute
            norm = k1 * (1.0 - b + b * lengths[candidates[rows]] / average)
            score[rows] += idf * tf * (k1 + 1.0) / (tf + norm)
        return score

    def native_rank(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        """A documented simplification of nativeRank: the significance-weighted share of query
        terms found in the fields, each damped by its frequency (tf/(tf+1)), in [0, 1]."""
        fields = feature.args or tuple(name for name, f in self._schema.fields.items() if f.is_index)
        total = np.zeros(len(candidates), dtype=np.float64)
        weight_sum = 0.0
        n_docs = max(self._index.doc_count, 1)
        for field in fields:
            for term in self.terms_for_field(field):
                df = self._index.document_frequency(field, term)
                significance = 0.5 + 0.5 * (1.0 - math.log(df + 1) / math.log(n_docs + 1))
                tf = self._term_frequencies(field, term, candidates)
                total += significance * tf / (tf + 1.0)
                weight_sum += significance
        return total / weight_sum if weight_sum else total

    def attribute(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        name = feature.args[0] if feature.args else ""
        spec = self._schema.fields.get(name)
        if spec is None or not spec.is_attribute:
            raise InvalidParameterError(f"attribute({name}): '{name}' is not an attribute field")
        column = self._index.attribute(name)
        if spec.type.kind in ("array", "weightedset") or len(feature.args) > 1 or feature.output:
            return collection_attribute(spec, column[candidates], feature.args, feature.output)
        if spec.type.kind == "tensor":
            return tensor_attribute_column(spec, column[candidates])
        if spec.type.is_numeric:
            return column[candidates].astype(np.float64)
        return np.array([_string_hash(v) for v in column[candidates]], dtype=np.float64)

    def query(self, feature: FeatureName, candidates: np.ndarray) -> object:
        key = f"query({feature.args[0]})" if feature.args else "query"
        value = self._query_features.get(key, 0.0)
        return value

    def matches(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        return (self.match_count(feature, candidates) > 0).astype(np.float64)

    def match_count(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        field = self._field_arg(feature, index_required=True)
        count = np.zeros(len(candidates), dtype=np.float64)
        for term in dict.fromkeys(self.terms_for_field(field)):
            count += self._term_frequencies(field, term, candidates) > 0
        return count

    def field_length(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        field = self._field_arg(feature, index_required=True)
        lengths = self._index.field_lengths(field)[candidates].astype(np.float64)
        matched = self.match_count(feature, candidates) > 0
        return np.where(matched, lengths, NOT_FOUND_POSITION)

    def query_term_count(self, feature: FeatureName, candidates: np.ndarray) -> float:
        return float(sum(1 if isinstance(i, q.Term) else len(i.terms) for i in self._ranked_items))

    def now(self, feature: FeatureName, candidates: np.ndarray) -> float:
        return self._now

    def freshness(self, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
        timestamps = self.attribute(FeatureName("attribute", feature.args, ""), candidates)
        max_age = float(self._rank_properties.get(f"freshness({feature.args[0]}).maxAge", FRESHNESS_MAX_AGE))
        age = np.maximum(self._now - timestamps, 0.0)
        return np.maximum(1.0 - age / max_age, 0.0)

    def _field_arg(self, feature: FeatureName, index_required: bool) -> str:
        name = feature.args[0] if feature.args else ""
        spec = self._schema.fields.get(name)
        if spec is None:
            raise InvalidParameterError(
                f"{feature.base}({name}): no field '{name}' in schema '{self._schema.name}'")
        if index_required and not spec.is_index:
            raise InvalidParameterError(f"{feature.base}({name}): field '{name}' is not an index field")
        return name


def _is_sorted(ids: np.ndarray) -> bool:
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))


def _string_hash(value: object) -> float:
    # the expression language hashes string literals the same way, so == works across the two
    return string_hash(value) if isinstance(value, str) else math.nan


_FEATURES: dict[str, Callable[[FeatureCalculator, FeatureName, np.ndarray], object]] = {
    "bm25": FeatureCalculator.bm25,
    "nativeRank": FeatureCalculator.native_rank,
    "attribute": FeatureCalculator.attribute,
    "query": FeatureCalculator.query,
    "matches": FeatureCalculator.matches,
    "matchCount": FeatureCalculator.match_count,
    "fieldLength": FeatureCalculator.field_length,
    "queryTermCount": FeatureCalculator.query_term_count,
    "now": FeatureCalculator.now,
    "freshness": FeatureCalculator.freshness,
}

from content_node.matching.retrieval_features import RETRIEVAL_FEATURES  # noqa: E402 - after FeatureCalculator

_FEATURES.update(RETRIEVAL_FEATURES)

from content_node.matching.text_features import TEXT_FEATURES  # noqa: E402 - after FeatureCalculator

_FEATURES.update(TEXT_FEATURES)

from content_node.matching.misc_features import MISC_FEATURES  # noqa: E402 - after FeatureCalculator

_FEATURES.update(MISC_FEATURES)

KNOWN_FEATURES = frozenset(_FEATURES)
