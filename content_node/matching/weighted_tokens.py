"""weightedSet, dotProduct and wand (searchlib.query.tree.WeightedTokens) on a content node:
per document, whether its field holds any of the tokens and the dot product of the query's weights
with the document's (weighted-set weights; 1 per array element or single value; term frequency
in indexed text), and `rawScore(f)`, that dot product summed over the dotProduct/wand items."""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.attribute_terms import string_fold
from searchlib.errors import InvalidParameterError
from searchlib.linguistics import normalize
from searchlib.numbers import number_value
from searchlib.query import tree as q
from searchlib.schema.model import Schema

DEFAULT_WAND_HITS = 100


def token_scores(node: q.WeightedTokens, fields: tuple[str, ...], schema: Schema, limit: int,
                 column_of: Callable[[str], np.ndarray],
                 postings_of: Callable[[str, str], object]) -> tuple[np.ndarray, np.ndarray]:
    """(present: bool per local id, score: float64 per local id) over local ids [0, limit)."""
    present = np.zeros(limit, dtype=bool)
    score = np.zeros(limit, dtype=np.float64)
    for field in fields:
        spec = schema.fields[field]
        if spec.type.kind == "tensor":
            raise InvalidParameterError(f"{node.operator}() cannot search the tensor field '{field}'")
        # tokens compare as the field's values do: normalized, unless a `match: cased` attribute
        fold = normalize if spec.is_index else string_fold(spec)
        weights = {fold(token): float(weight) for token, weight in node.tokens}
        if spec.is_index:
            for token, weight in weights.items():
                postings = postings_of(field, token)
                ids = postings.doc_ids[postings.doc_ids < limit]
                present[ids] = True
                score[ids] += weight * postings.term_freqs[: len(ids)]
        elif spec.is_attribute:
            for local_id, value in enumerate(column_of(field)[:limit]):
                found, total = _dot(value, weights, fold)
                if found:
                    present[local_id] = True
                    score[local_id] += total
        else:
            raise InvalidParameterError(f"{node.operator}() needs an attribute or index field: '{field}' is neither")
    return present, score


def _key(value: object, fold: Callable[[str], str]) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return fold(value) if isinstance(value, str) else str(value)


def _dot(value: object, weights: dict[str, float], fold: Callable[[str], str]) -> tuple[bool, float]:
    if value is None or (isinstance(value, (float, np.number)) and number_value(value) is None):
        return False, 0.0
    pairs = value.items() if isinstance(value, dict) else ((v, 1) for v in value) if isinstance(value, list) \
        else ((value, 1),)
    found, total = False, 0.0
    for element, document_weight in pairs:
        weight = weights.get(_key(element, fold))
        if weight is not None:
            found, total = True, total + weight * float(document_weight)
    return found, total


def matching_ids(node: q.WeightedTokens, present: np.ndarray, score: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """weightedSet/dotProduct: every document holding a token; wand: the target_hits best scores
    above score_threshold (ties to the lower local id)."""
    ids = np.flatnonzero(present & alive[: len(present)])
    if node.operator != "wand":
        return ids.astype(np.int32)
    if node.score_threshold is not None:
        ids = ids[score[ids] > node.score_threshold]
    keep = node.target_hits or DEFAULT_WAND_HITS
    if len(ids) > keep:
        order = np.lexsort((ids, -score[ids]))[:keep]
        ids = np.sort(ids[order])
    return ids.astype(np.int32)
