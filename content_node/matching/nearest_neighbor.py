"""nearestNeighbor on one content node: approximate (HNSW) or exact, with filters.

`allowed` is the match set of whatever the operator is AND-ed with (plus the alive documents).
Like Vespa, the filter decides the strategy: when the share of documents passing it is below the
profile's `approximate-threshold` an exact scan over just those documents is cheapest and exact;
otherwise the HNSW search itself is restricted to allowed documents (hnswlib's filter callback),
so a strict filter still yields targetHits results instead of post-filtering them away.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from content_node.store.hnsw_index import NeighborHits, VectorFieldIndex
from searchlib.errors import InvalidParameterError
from searchlib.java_numbers import parse_double
from searchlib.query import tree as q
from searchlib.schema.model import Schema

DEFAULT_APPROXIMATE_THRESHOLD = 0.02  # vespa-reference §1.5


def vector_index_for(schema: Schema, index: Any, field: str) -> VectorFieldIndex:
    spec = schema.fields.get(field)
    if spec is None:
        raise InvalidParameterError(f"Field '{field}' does not exist in schema '{schema.name}'")
    lookup = getattr(index, "vector_index", None)
    found = lookup(field) if lookup is not None else None
    if found is None:
        raise InvalidParameterError(
            f"nearestNeighbor: field '{field}' must be a tensor attribute with indexed dimensions, "
            f"not {spec.type}")
    return found


def query_tensor(query_features: Mapping[str, object], name: str) -> object:
    value = query_features.get(f"query({name})")
    if value is None or not hasattr(value, "blocks"):
        raise InvalidParameterError(
            f"nearestNeighbor: query tensor 'query({name})' was not given: send input.query({name}) "
            f"and declare it in the rank profile's inputs")
    return value


class FoundNeighbors:
    """The distances the query's nearestNeighbor items computed for the documents they found, so
    the closeness/distance features of those documents (usually every candidate) read them instead
    of gathering the vectors and computing them again. A document's distance is one function of
    the field, the query tensor and its vector (vector_metrics.distances, row by row), so the
    values are the same. Single-vector fields only: for a multi-vector field the operator takes
    the minimum over the paragraphs the graph returned, the features over all of them."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], list[NeighborHits]] = {}

    def add(self, field: str, query_tensor: str, hits: NeighborHits) -> None:
        self._found.setdefault((field, query_tensor), []).append(hits)

    def distances(self, field: str, query_tensor: str, candidates: np.ndarray) -> np.ndarray | None:
        """The distance of every candidate, or None unless one search found them all."""
        for hits in self._found.get((field, query_tensor), ()):
            found = hits.local_ids
            if len(candidates) > len(found):
                continue
            if not len(candidates):
                return np.empty(0, dtype=np.float64)
            at = np.minimum(np.searchsorted(found, candidates), len(found) - 1)
            if np.array_equal(found[at], candidates):
                return hits.distances[at]
        return None


def nearest_neighbors(node: q.NearestNeighbor, schema: Schema, index: Any,
                      query_features: Mapping[str, object], allowed: np.ndarray | None,
                      settings: Mapping[str, str] | None = None,
                      found: FoundNeighbors | None = None) -> NeighborHits:
    """The node's documents: the targetHits closest among `allowed` (sorted local ids, or None
    for every alive document), sorted by local id, with their distances (also kept in `found`)."""
    vectors = vector_index_for(schema, index, node.field)
    hits = _search(node, vectors, index, query_features, allowed, settings)
    if found is not None and not vectors.multi_vector:
        found.add(node.field, node.query_tensor, hits)
    return hits


def _search(node: q.NearestNeighbor, vectors: VectorFieldIndex, index: Any,
            query_features: Mapping[str, object], allowed: np.ndarray | None,
            settings: Mapping[str, str] | None) -> NeighborHits:
    if node.target_hits <= 0:
        raise InvalidParameterError("nearestNeighbor: targetHits must be a positive number")
    query = vectors.query_vector(query_tensor(query_features, node.query_tensor))
    if allowed is not None:
        alive = np.asarray(index.alive, dtype=bool)
        allowed = allowed[alive[allowed]] if len(allowed) else allowed
    threshold = dict(node.hnsw).get("hnsw.approximateThreshold")  # the item's own, else the profile's
    if threshold is None:
        threshold = parse_double((settings or {}).get("approximate-threshold", str(DEFAULT_APPROXIMATE_THRESHOLD)))
    population = max(vectors.document_count, 1)
    exact = (not node.approximate or vectors.hnsw_params is None
             or (allowed is not None and len(allowed) / population < threshold))
    if exact:
        return vectors.exact(query, node.target_hits, allowed, node.distance_threshold)
    mask = None
    if allowed is not None:
        mask = np.zeros(len(alive), dtype=bool)
        mask[allowed] = True
    return vectors.approximate(query, node.target_hits, max(node.explore_additional_hits, 0), mask,
                               node.distance_threshold)
