"""bm25 over the query items carrying a label (Vespa's bm25_for_labels_feature.cpp):

- `bm25(f, label: l)` (canonical `bm25(f,label:l)`): bm25(f) summed over only the query words of
  items annotated `{label:"l"}` that search f; 0 when no such item.
- `bm25_for_labels(f)`: `tensor(label{})` with one cell per label whose words score in f for the
  document (a label gets no cell when its score is 0), so `bm25_for_labels(f){label:l}` equals
  `bm25(f, label: l)`.

Idf, k1, b and the average field length are those of bm25(f) (its rank properties too).
"""
from __future__ import annotations

import numpy as np

from content_node.matching.core_features import bm25 as core_bm25
from content_node.matching.core_features import Bm25Term, bm25_parameters, bm25_scores, bm25_term
from content_node.matching.feature_api import Calculator, FeatureName
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.tensor import Tensor, TensorBatch, TensorType

_LABELS_TYPE = TensorType.parse("tensor(label{})")


def label_argument(feature: FeatureName) -> str | None:
    """The label of `bm25(f,label:l)`, None for plain `bm25(f)`."""
    if len(feature.args) < 2:
        return None
    key, colon, label = feature.args[1].partition(":")
    if len(feature.args) > 2 or key != "label" or not colon or not label:
        raise InvalidParameterError(f"bm25 takes (field[, label: name]), not ({','.join(feature.args)})")
    return label.strip('"')


def labeled_words(calc: Calculator, field: str) -> dict[str, list[Bm25Term]]:
    """Per label, in query order, the bm25 terms of the ranked items carrying it that search
    `field` (a phrase or equiv is one term, as in bm25(f))."""
    found: dict[str, list[Bm25Term]] = {}
    for item in calc.ranked_items:
        if item.label and field in calc.schema.index_fields(item.field):
            if isinstance(item, (q.Term, q.Phrase)):  # fuzzy and regex items search no index
                found.setdefault(item.label, []).append(bm25_term(calc, item))
    return found


def bm25(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """`bm25(f,label:l)` here; plain `bm25(f)` is the core feature (fast paths included)."""
    label = label_argument(feature)
    if label is None:
        return core_bm25(calc, feature, candidates)
    field = calc.field_arg(feature, index_required=True)
    words = labeled_words(calc, field).get(label, [])
    return bm25_scores(calc, field, words, bm25_parameters(calc, field), candidates)


def bm25_for_labels(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> TensorBatch:
    field = calc.field_arg(feature, index_required=True)
    parameters = bm25_parameters(calc, field)
    per_label = [(label, bm25_scores(calc, field, words, parameters, candidates))
                 for label, words in labeled_words(calc, field).items()]
    rows = [Tensor.from_cells(_LABELS_TYPE, [({"label": label}, float(scores[row]))
                                             for label, scores in per_label if scores[row] != 0.0])
            for row in range(len(candidates))]
    return TensorBatch(_LABELS_TYPE, rows=rows)


LABEL_FEATURES = {"bm25": bm25, "bm25_for_labels": bm25_for_labels}
