"""Rank features of the nearestNeighbor operator: closeness, distance, itemRawScore, closest.

`closeness(field, f)` / `distance(field, f)` look at the query's nearestNeighbor items on document
field f; `closeness(label, l)` / `distance(label, l)` / `itemRawScore(l)` at the item labeled l.
Distances are computed exactly from the stored vectors for every candidate that has one -- the
same values the operator reports for its hits -- so in a hybrid query (`userQuery() or
nearestNeighbor(...)`) documents found by text also get their real closeness and the two signals
can be combined. A document without a vector (or a query without the item) gets Vespa's
defaults: distance max double, closeness 0. Multi-vector fields use the closest paragraph.

These functions take the calculator (feature_api.Calculator); feature_setup.py registers them.
"""
from __future__ import annotations

import sys
from typing import Iterator

import numpy as np

from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.match_sets import MatchEvaluator
from content_node.matching.nearest_neighbor import query_tensor, vector_index_for
from content_node.store.hnsw_index import NO_SLOT
from content_node.store.vector_metrics import closeness as closeness_of
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.tensor import Tensor, TensorBatch, TensorType

MAX_DISTANCE = sys.float_info.max


def nearest_neighbor_items(node: q.QueryNode) -> Iterator[q.NearestNeighbor]:
    if isinstance(node, q.NearestNeighbor):
        yield node
    elif isinstance(node, (q.And, q.Or, q.WeakAnd, q.Rank)):
        for child in node.children:
            yield from nearest_neighbor_items(child)


def _items(calc: Calculator, feature: FeatureName) -> tuple[str, list[q.NearestNeighbor]]:
    """The document field and the query's nearestNeighbor items a feature refers to."""
    if len(feature.args) == 1:  # closeness(embedding) is short for closeness(field, embedding)
        kind, name = "field", feature.args[0]
    elif len(feature.args) == 2 and feature.args[0] in ("field", "label"):
        kind, name = feature.args
    else:
        raise InvalidParameterError(
            f"{feature.base}({', '.join(feature.args)}): expected (field, name) or (label, name)")
    items = list(nearest_neighbor_items(calc.query))
    if kind == "field":
        vector_index_for(calc.schema, calc.index, name)  # a clear error for a wrong field
        return name, [item for item in items if item.field == name]
    found = [item for item in items if item.label == name]
    return (found[0].field if found else ""), found


def _distances(calc: Calculator, feature: FeatureName, candidates: np.ndarray,
               with_slots: bool = False) -> tuple[str, np.ndarray, np.ndarray | None]:
    """(metric, min distance, closest slot if `with_slots`) per candidate over the referenced
    items; distances the items' own search computed for these candidates are read, not redone."""
    field, items = _items(calc, feature)
    best = np.full(len(candidates), np.inf)
    best_slot = np.full(len(candidates), NO_SLOT, dtype=np.int64) if with_slots else None
    if not items:
        return "euclidean", best, best_slot
    vectors = vector_index_for(calc.schema, calc.index, field)
    for item in items:
        distance = None if with_slots else calc.neighbors.distances(item.field, item.query_tensor, candidates)
        if distance is None:
            query = vectors.query_vector(query_tensor(calc.query_features, item.query_tensor))
            distance, slots = vectors.document_distances(query, candidates)
        better = distance < best
        best[better] = distance[better]
        if with_slots:
            best_slot[better] = slots[better]
    return vectors.metric, best, best_slot


def distance(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    _, best, _ = _distances(calc, feature, candidates)
    return np.where(np.isfinite(best), best, MAX_DISTANCE)


def closeness(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    metric, best, _ = _distances(calc, feature, candidates)
    return closeness_of(metric, best)


def _label_wrappers(node: q.QueryNode, label: str) -> Iterator[q.Rank]:
    if isinstance(node, q.Rank) and node.label_score is not None and node.label == label:
        yield node
    if isinstance(node, (q.And, q.Or, q.WeakAnd, q.Rank)):
        for child in node.children:
            yield from _label_wrappers(child, label)


def item_raw_score(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """A `labeled(x, "l", s)` item's s for the candidates matching x (0 for the rest), else the
    closeness of the nearestNeighbor item labeled l."""
    label = feature.args[0] if feature.args else ""
    wrappers = list(_label_wrappers(calc.query, label))
    if wrappers:
        matching = MatchEvaluator(calc.schema, calc.index, calc.query_features)
        wrapper = wrappers[0]
        hit = np.isin(candidates, matching.matches(wrapper.children[0]))
        return np.where(hit, wrapper.label_score, 0.0)
    return closeness(calc, type(feature)("closeness", ("label", label), ""), candidates)


def closest(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> TensorBatch:
    """`closest(field)` / `closest(field, label)`: a mapped tensor with one 1.0 cell naming the
    document's closest vector (its paragraph label), empty without one."""
    if not feature.args:
        raise InvalidParameterError("closest(field): the field is missing")
    field = feature.args[0]
    vectors = vector_index_for(calc.schema, calc.index, field)
    if not vectors.multi_vector:
        raise InvalidParameterError(f"closest({field}): the field must have a mapped dimension")
    which = ("label", feature.args[1]) if len(feature.args) > 1 else ("field", field)
    _, best, slots = _distances(calc, type(feature)("distance", which, ""), candidates, with_slots=True)
    dimension = vectors.tensor_type.mapped[0].name
    result_type = TensorType.parse(f"tensor<float>({dimension}{{}})")
    labels = vectors.slot_labels(slots)
    rows = [Tensor.from_cells(result_type, [({dimension: label}, 1.0)] if slot != NO_SLOT else [])
            for label, slot in zip(labels, slots.tolist())]
    return TensorBatch(result_type, rows=rows)


RETRIEVAL_FEATURES = {
    "closeness": closeness,
    "distance": distance,
    "itemRawScore": item_raw_score,
    "closest": closest,
}
