"""The feature calculator of one query on one node: each rank feature is one numpy column (or a
scalar) over the candidates. Only features a phase references are computed, and each at most once
per query (memoized). The features themselves live in their families, listed by feature_setup.py.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from content_node.matching.element_gap import Elements, Remap, element_gap, elements_of, remapper
from content_node.matching.feature_api import FeatureName, RankIndex
from content_node.matching.filter_threshold import filtered, no_position_words, threshold_of, without_positions
from content_node.matching.feature_setup import FEATURES
from content_node.matching.match_sets import MatchEvaluator
from content_node.matching.nearest_neighbor import FoundNeighbors
from content_node.matching.proximity import with_equiv
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.model import Schema
from searchlib.tensor import TensorBatch


_SEQUENTIAL_READS = 16  # postings read in turn that cost about one binary search (log2 n cache misses)


class FeatureCalculator:
    """Computes rank features for the candidates of one query on one node."""

    def __init__(self, schema: Schema, index: RankIndex, query: q.QueryNode,
                 query_features: Mapping[str, object], now: float,
                 rank_properties: Mapping[str, str] | None = None,
                 postings: Callable[[str, str], object] | None = None,
                 neighbors: FoundNeighbors | None = None, settings: Mapping[str, str] | None = None,
                 distribution_key: int = 0) -> None:
        self._schema = schema
        self._settings = settings or {}  # the profile's settings: its element gaps
        self._index = index
        self.query = query  # retrieval features find their nearestNeighbor items here
        self._scopes: dict[int, q.SameElement] = {}  # a sameElement's terms → it
        self._ranked_items = q.rank_terms(query, self._scopes)
        # ranking's postings: the profile's filter-threshold makes common terms filters, and so does
        # {usePositionData: false} its terms (filter_threshold.py)
        self.no_position_words = no_position_words(self._ranked_items, schema.index_fields)
        self._postings = filtered(without_positions(postings or with_equiv(index.postings), self.no_position_words),
                                  lambda: index.doc_count, threshold_of(self._settings))
        self.neighbors = neighbors or FoundNeighbors()  # what the query's nearestNeighbor items found
        # features computed over the full candidate set, reused for subsets (second phase, match-features)
        self._computed: dict[str, tuple[np.ndarray, object]] = {}
        self._query_features = query_features
        self._now = now
        self._rank_properties = rank_properties or {}
        self._rows_for: np.ndarray | None = None
        self._rows: np.ndarray | None = None
        self._memo: dict[tuple, object] = {}
        self._distribution_key = distribution_key  # the node's, for globalSequence

    # ---- what feature families read (feature_api.Calculator) ----

    @property
    def schema(self) -> Schema:
        return self._schema

    @property
    def index(self) -> RankIndex:
        return self._index

    @property
    def query_features(self) -> Mapping[str, object]:
        return self._query_features

    @property
    def rank_properties(self) -> Mapping[str, str]:
        return self._rank_properties

    @property
    def now(self) -> float:
        return self._now

    @property
    def settings(self) -> Mapping[str, str]:
        """The rank profile's settings (element gaps, rank types, ...)."""
        return self._settings

    @property
    def distribution_key(self) -> int:
        return self._distribution_key

    @property
    def ranked_items(self) -> list:
        """The query's rank terms in query order (q.rank_terms: the numbering of term(n) and the
        other per-term features)."""
        return self._ranked_items

    def in_scope(self, item: object, candidates: np.ndarray) -> np.ndarray:
        """Per candidate, whether a ranked item counts there: a term inside sameElement(...) only
        where the whole sameElement matches (Vespa unpacks its descendants' match data only then)."""
        node = self._scopes.get(id(item))
        if node is None:
            return np.ones(len(candidates), dtype=bool)
        matched = self.memo(("same_element", id(node)), lambda: MatchEvaluator(self._schema, self._index).matches(node))
        return np.isin(candidates, matched)

    def postings(self, field: str, term: str):
        return self._postings(field, term)

    def position_remap(self, field: str) -> Remap | None:
        """The profile's element gap for the array `field` as a move of a document's positions
        (content_node/matching/element_gap.py), None without one: proximity features read positions
        through it, as matching does."""
        def make() -> tuple[Remap | None]:
            gap = element_gap(self._settings, field)
            spec = self._schema.fields.get(field)
            if gap is None or spec is None or spec.type.kind not in ("array", "weightedset"):
                return (None,)
            return (remapper(self._index, field, gap),)
        return self.memo(("position_remap", field), make)[0]

    def elements(self, field: str) -> Elements:
        """The element, position within it and element length of a document's stored positions in
        `field` (element_gap.elements_of)."""
        spec = self._schema.fields.get(field)
        collection = spec is not None and spec.type.kind in ("array", "weightedset")
        return self.memo(("elements", field), lambda: elements_of(self._index, field, collection))


    # ---- the query's terms, per field ----

    def terms_for_field(self, field: str) -> list[str]:
        """Query words that search this field (directly or through a fieldset), in query order."""
        words: list[str] = []
        for item in self._ranked_items:
            if field in self._schema.index_fields(item.field):
                words.extend(q.item_words(item))
        return words

    def term_frequencies(self, field: str, term: str, candidates: np.ndarray) -> np.ndarray:
        """Raw term frequency of `term` in `field` for every candidate (0 where absent)."""
        rows, frequencies = self.term_hits(field, term, candidates)
        tf = np.zeros(len(candidates), dtype=np.float64)
        tf[rows] = frequencies
        return tf

    def term_hits(self, field: str, term: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows of the candidates whose `field` holds `term`, their term frequencies): dense
        candidates read the list in turn through a local id → row map; sparse sorted ones search
        the shorter of the two in the longer (no map as long as the local id space to allocate);
        others read in turn when the list is not much longer than the candidates, else search."""
        postings = self._postings(field, term)
        if not len(postings.doc_ids) or not len(candidates):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        dense = self.is_dense(candidates)
        sparse_sorted = not dense and _is_sorted(candidates)
        if sparse_sorted and len(postings.doc_ids) <= len(candidates):
            # a list shorter than sparse candidates: search its ids among them (a local id → row
            # map would allocate and fill an array as long as the local id space for a few rows)
            ids = postings.doc_ids
            rows = np.minimum(np.searchsorted(candidates, ids), len(candidates) - 1)
            hit = np.flatnonzero(candidates[rows] == ids)
            return rows[hit], postings.term_freqs[hit].astype(np.float64)
        if dense or (not sparse_sorted and len(postings.doc_ids) <= _SEQUENTIAL_READS * len(candidates)):
            row_of = self._row_index(candidates)
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

    def is_dense(self, candidates: np.ndarray) -> bool:
        """Whether the candidates cover enough of the local id space that work over every posting
        (no binary search per candidate) is the cheaper way to read them."""
        return bool(len(candidates)) and len(candidates) * 4 >= int(candidates.max()) + 1

    def memo(self, key: tuple, make: Callable[[], object] | None) -> object:
        """A value of this query made once (None when absent and `make` is None): a feature family's
        per-local-id column, shared by every chunk of a phase."""
        found = self._memo.get(key)
        if found is None and make is not None:
            found = self._memo[key] = make()
        return found

    def _row_index(self, candidates: np.ndarray) -> np.ndarray:
        """local id -> row in `candidates` (-1 if not a candidate); memoized for the last candidate
        array, since one phase asks for many terms over the same rows."""
        if self._rows_for is candidates:
            return self._rows
        rows = np.full(int(candidates.max()) + 1, -1, dtype=np.int64)
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
            per_row = isinstance(values, TensorBatch) and values.num_rows == len(rows)
            if not per_row and (not isinstance(values, np.ndarray) or values.shape != rows.shape):
                return values
            positions = np.searchsorted(rows, candidates)
            positions = np.minimum(positions, max(len(rows) - 1, 0))
            if len(rows) and np.array_equal(rows[positions], candidates):
                return _take(values, positions)
        feature = FeatureName.parse(name)
        compute = FEATURES.get(feature.base)
        if compute is None:
            raise InvalidParameterError(f"Unknown rank feature '{name}'")
        values = compute(self, feature, candidates)
        if cached is None and _is_sorted(candidates):
            self._computed[name] = (candidates, values)
        return values

    def field_arg(self, feature: FeatureName, index_required: bool) -> str:
        name = feature.args[0] if feature.args else ""
        spec = self._schema.fields.get(name)
        if spec is None:
            raise InvalidParameterError(
                f"{feature.base}({name}): no field '{name}' in schema '{self._schema.name}'")
        if index_required and not spec.is_index:
            raise InvalidParameterError(f"{feature.base}({name}): field '{name}' is not an index field")
        return name



def _take(values: np.ndarray | TensorBatch, positions: np.ndarray) -> np.ndarray | TensorBatch:
    """The rows at `positions` of a column (a tensor batch of a tensor attribute, too)."""
    if not isinstance(values, TensorBatch):
        return values[positions]
    if values.values is not None:
        return TensorBatch(values.type, values=values.values[positions])
    return TensorBatch(values.type, rows=[values.rows[int(i)] for i in positions])


def _is_sorted(ids: np.ndarray) -> bool:
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))
