"""The exact top k of an OR of words ranked by a sum of bm25 features, without ranking every
document the OR matches (MaxScore over posting lists, as Lucene and tantivy answer OR queries).

Each (field, word) posting list adds at most `bound` to a document's score: bm25 grows with the
term frequency and falls with the field length, so the list's largest frequency over its shortest
field length, with the word's own idf, bounds every posting of it (the extremes read once per list
and kept by the node's posting cache until the next write). "Below θ" is max_score.py's one rule
(surely below, beyond any float summation-order error). Then:

1. θ: rank (with the profile's own first phase) the documents of the lists with the highest bounds
   until there are k of them; the k-th best score is a lower bound of the final k-th best;
2. the lists with the lowest bounds whose bounds sum to less than θ cannot lift a document into
   the top k alone, so a document only they hold is never ranked: the candidates are the union
   of the other lists;
3. each candidate's bm25 over the essential lists (their cached contributions summed) is a lower
   bound of its score: the k-th best raises θ, and a candidate whose partial plus the other lists'
   bounds stays below θ is dropped; the other lists are probed for the survivors only, highest
   bound first, dropping again after each;
4. the survivors are ranked with the profile's first phase (the same code and the same float
   operations as the exhaustive path, so the same scores), and the best k taken in hit order.

The documents the OR matches are still counted (totalCount stays exact; a long list through a
bitset kept by the posting cache). When the lists are short
or the corpus small (EXHAUSTIVE_POSTINGS, EXHAUSTIVE_DOCUMENTS) every document of the lists is
ranked instead, as the exhaustive path would, without the MaxScore passes. Returns None when the
shortcut does not apply (θ ≤ 0: fewer than k documents score above 0; words outside index
fields; bm25 parameters under which a list's extremes bound nothing: bounds_hold, or a negative
idf from a query's `significance`), and the caller ranks every match as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from content_node.matching.core_features import (bm25_column, bm25_contributions, bm25_parameters, bm25_part,
                                                bm25_terms, kept)
from content_node.matching.feature_api import Calculator
from content_node.matching.max_score import skippable, survivors
from searchlib.expression import ast as A
from searchlib.query import tree as q
from searchlib.ranking.formulas import bm25_score

# relative: bm25's arithmetic at the list's extremes may round below its value at a posting's own
# (tf, length), which exact arithmetic orders the other way; a few ulps, far below this
_ROUNDING = 1e-9
# Up to this many postings (summed over the query's lists), or on a node of up to this many
# documents (local ids), ranking every match costs less than MaxScore's bounds and threshold pass:
# on a small corpus the lists that cannot be skipped still hold nearly every document
# (benchmarks/bm25_top_k_threshold.py; BENCHMARKS.md).
EXHAUSTIVE_POSTINGS = 64_000
EXHAUSTIVE_DOCUMENTS = 32_000
_BITSET_DENSITY = 64  # a list of more than one posting in this many documents is counted by its bitset


@dataclass(frozen=True, slots=True)
class TopK:
    rows: np.ndarray  # local ids of the best k, in hit order
    scores: np.ndarray  # their first-phase scores
    matched: int  # alive documents the OR matches


def bm25_sum_fields(root: A.Node) -> tuple[str, ...] | None:
    """The fields of a first phase compiled to `bm25(a) + bm25(b) + ...` (repeats kept, added left to
    right as bm25_sum_rank adds them), None for any other tree. The compiled tree, not the text,
    decides: a profile function named bm25 is inlined there, so it shadows the feature."""
    fields: list[str] = []
    while isinstance(root, A.Binary) and root.op == "+":
        field = _bm25_field(root.right)
        if field is None:
            return None
        fields.append(field)
        root = root.left
    field = _bm25_field(root)
    return None if field is None else (field, *reversed(fields))


def _bm25_field(node: A.Node) -> str | None:
    if not (isinstance(node, A.Feature) and node.name == "bm25" and not node.output and len(node.args) == 1):
        return None
    arg = node.args[0]
    return arg.name if isinstance(arg, A.Feature) and not arg.args and not arg.output and not arg.has_parens else None


def or_of_words(node: q.QueryNode) -> tuple[q.Term, ...] | None:
    """The words of a plain OR of ranked words (one word too), None for anything else (a
    {usePositionData: false} word too: its bm25 is 0, a bound the pruning does not take)."""
    children = node.children if isinstance(node, q.Or) else (node,)
    if not children or not all(isinstance(c, q.Term) and c.ranked and not c.filter and not c.affix
                               and c.positions for c in children):
        return None
    return tuple(children)


def bm25_sum_rank(calc: Calculator, fields: Sequence[str],
                  general: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """The first phase `bm25(a) + bm25(b) + ...` (`fields`, repeats kept) over dense candidates,
    without the rank program and the feature calculator's lookups per call: each bm25 column as the
    feature makes it for dense candidates (core_features.bm25_column), added left to right as the
    expression adds them, so the same scores to the bit. `general` (the profile's program) ranks
    the rest: sparse candidates (bm25 then reads the lists by binary search) and fields that are
    not index fields (its error)."""
    schema = calc.schema
    if not all(f in schema.fields and schema.fields[f].is_index for f in fields):
        return general

    def rank(rows: np.ndarray) -> np.ndarray:
        if not calc.is_dense(rows):
            return general(rows)
        columns = {field: bm25_column(calc, field) for field in dict.fromkeys(fields)}
        if int(rows.max()) >= min(len(column) for column in columns.values()):
            return general(rows)
        score = columns[fields[0]][rows]
        for field in fields[1:]:
            score += columns[field][rows]
        return score
    return rank


def top_k(calc: Calculator, words: Sequence[q.Term], fields: Sequence[str], k: int, alive: np.ndarray,
          rank: Callable[[np.ndarray], np.ndarray],
          best: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> TopK | None:
    """The k best by `rank` (the first phase, sum of bm25 over `fields`) among the alive documents
    of the words' posting lists in their index fields; `best(candidates, scores, k)` orders rows by
    the hit-order rule. None when the shortcut does not apply."""
    schema, index = calc.schema, calc.index
    matching = [(f, w.term) for w in words for f in schema.index_fields(w.field) if schema.fields[f].is_index]
    if k <= 0 or len(matching) != sum(len(schema.index_fields(w.field)) for w in words):
        return None
    postings = {key: calc.postings(*key) for key in dict.fromkeys(matching)}
    lists = {key: listed.doc_ids for key, listed in postings.items()}
    if sum(len(ids) for ids in lists.values()) <= EXHAUSTIVE_POSTINGS or len(alive) <= EXHAUSTIVE_DOCUMENTS:
        return _every_match(list(lists.values()), k, alive, rank, best)
    terms = {field: bm25_terms(calc, field) for field in dict.fromkeys(fields)}
    parts = [((field, term), idf) for field in fields for term, idf in terms[field]]  # the first phase's sum
    parameters = {field: bm25_parameters(calc, field) for field in terms}
    if not all(bounds_hold(values) for values in parameters.values()):  # rank properties may set any
        return None
    if not all(idf >= 0.0 for _, idf in parts):  # a negative {significance}: a list's "bound" bounds from below
        return None
    per_field = {field: (parameters[field], calc.index.field_lengths(field)) for field in terms}
    bounds = {key: 0.0 for key in lists}
    for key, idf in parts:  # a repeated feature or word counts as often as the first phase adds it
        if key in bounds:
            bounds[key] += _bound(calc, *key, idf, *per_field[key[0]])
    ranked = sorted((key for key in bounds if bounds[key] > 0.0), key=lambda key: -bounds[key])
    theta = _threshold([lists[key] for key in ranked], k, alive, rank)
    if theta is None or theta <= 0.0:  # long lists and no pruning: the full path (soft timeout)
        return None
    essential = ranked[:len(ranked) - skippable([bounds[key] for key in reversed(ranked)], theta)]
    kept = set(essential)
    candidates, partial, mask = _partial_scores(
        [bm25_contributions(calc, *key, idf) for key, idf in parts if key in kept], alive)
    rest = sorted({key: None for key, _ in parts if key not in kept}, key=lambda key: -bounds[key])
    candidates = survivors(candidates, partial, [(bounds[key], [(lambda rows, key=key, idf=idf: bm25_part(
        calc, *key, idf, rows)) for listed, idf in parts if listed == key]) for key in rest], theta, k)
    matched = _count_alive(calc, [(key, postings[key]) for key in lists if key not in kept], alive, mask)
    scores = rank(candidates)
    order = best(candidates, scores, k)
    return TopK(candidates[order], scores[order], matched)


def _partial_scores(parts: Sequence[tuple[np.ndarray, np.ndarray]], alive: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(the alive documents of the lists, sorted; their score over these lists alone (summed in
    another order than the first phase: a lower bound up to max_score's slack); the lists' mark per
    local id)."""
    ids = np.concatenate([ids for ids, _ in parts] or [np.zeros(0, dtype=np.int32)])
    values = np.concatenate([values for _, values in parts] or [np.zeros(0)])
    if len(ids) and int(ids.max()) >= len(alive):
        inside = ids < len(alive)
        ids, values = ids[inside], values[inside]
    mask = np.zeros(len(alive), dtype=bool)
    mask[ids.astype(np.intp, copy=False)] = True  # numpy sets through an int32 index 2-3x slower
    candidates = np.flatnonzero(mask & alive).astype(np.int32)
    return candidates, np.bincount(ids, weights=values, minlength=len(alive))[candidates], mask


def bounds_hold(parameters: tuple[float, float, float]) -> bool:
    """Whether bm25 with these (k1, b, average length) grows with the term frequency and does not
    grow with the field length, so a list's largest frequency at its shortest length bounds every
    posting: k1 >= 0, 0 <= b <= 1 and a positive average (NaN fails every comparison)."""
    k1, b, average = parameters
    return k1 >= 0.0 and 0.0 <= b <= 1.0 and 0.0 < average < float("inf")


def _every_match(lists: Sequence[np.ndarray], k: int, alive: np.ndarray, rank: Callable[[np.ndarray], np.ndarray],
                 best: Callable[[np.ndarray, np.ndarray, int], np.ndarray]) -> TopK:
    """Rank every alive document of the lists: what the exhaustive path does for this query."""
    candidates = _union(lists, alive)
    scores = rank(candidates)
    order = best(candidates, scores, k)
    return TopK(candidates[order], scores[order], len(candidates))


def _bound(calc: Calculator, field: str, term: str, idf: float, parameters: tuple[float, float, float],
           lengths: np.ndarray) -> float:
    """The most one occurrence set of `term` can add to bm25(field) for any document holding it,
    with the idf bm25 scores it with (its item's, from the document frequency summed over the
    fields the item searches; `parameters`: bm25's k1, b and average length of the field;
    `lengths`: its field lengths)."""
    postings = calc.postings(field, term)
    # this node's list alone decides: with cluster-wide statistics the document frequency is the
    # cluster's, which may be 0 (a node missed the statistics round) while this list holds documents
    if not len(postings.doc_ids):
        return 0.0
    tf, shortest = kept(calc, ("bm25 extremes", field, term), lambda: _extremes(postings, lengths))
    if tf <= 0.0:
        return 0.0
    return bm25_score(idf, tf, shortest, *parameters) * (1.0 + _ROUNDING)


def _extremes(postings, lengths: np.ndarray) -> tuple[float, float]:
    """(largest term frequency, shortest field length) over the list: lengths change only with a
    write, and postings are read afresh after every write."""
    ids = postings.doc_ids
    if ids[-1] >= len(lengths):
        ids = ids[ids < len(lengths)]
    if not len(ids):
        return 0.0, 0.0
    return float(postings.term_freqs.max()), float(lengths[ids].min())


def _threshold(lists: Sequence[np.ndarray], k: int, alive: np.ndarray,
               rank: Callable[[np.ndarray], np.ndarray]) -> float | None:
    """The k-th best score among the documents of the highest-bound lists (None: fewer than k)."""
    for end in range(1, len(lists) + 1):
        pool = _union(lists[:end], alive)
        if len(pool) >= k:
            scores = rank(pool)
            return float(np.partition(scores, len(scores) - k)[len(scores) - k])
    return None


def _union(lists: Sequence[np.ndarray], alive: np.ndarray) -> np.ndarray:
    """Sorted alive local ids in any of the lists."""
    return np.flatnonzero(_alive_mask(lists, alive)).astype(np.int32)


def _count_alive(calc: Calculator, lists: Sequence[tuple[tuple[str, str], object]], alive: np.ndarray,
                 mask: np.ndarray) -> int:
    """Alive documents marked in `mask` (the lists read already) or in `lists` ((field, word),
    postings): the OR's total. A long list (a stop word's) is OR-ed in as its bitset, kept by the
    node's posting cache for the next queries, one bit a document: 8× fewer bytes than a mark each
    and no scattered writes."""
    long = [(key, listed) for key, listed in lists if len(listed.doc_ids) * _BITSET_DENSITY > len(alive)]
    marked = _alive_mask([listed.doc_ids for key, listed in lists if len(listed.doc_ids) * _BITSET_DENSITY <= len(alive)],
                         np.ones(len(alive), dtype=bool), mask)
    bits = np.packbits(marked)
    for key, listed in long:
        bits |= kept(calc, ("or bitset", *key, len(alive)), lambda listed=listed: _bitset(listed.doc_ids, len(alive)))
    bits &= np.packbits(alive)
    return int(np.bitwise_count(bits).sum(dtype=np.int64))


def _bitset(ids: np.ndarray, limit: int) -> np.ndarray:
    marked = np.zeros(limit, dtype=bool)
    marked[ids[ids < limit] if len(ids) and ids[-1] >= limit else ids] = True
    return np.packbits(marked)


def _alive_mask(lists: Sequence[np.ndarray], alive: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    mask = np.zeros(len(alive), dtype=bool) if mask is None else mask
    if not lists:
        return mask & alive
    ids = np.concatenate(lists) if len(lists) > 1 else (lists[0] if lists else np.zeros(0, dtype=np.int32))
    if len(ids) and int(ids.max()) >= len(alive):  # one assignment for every list, not one per list
        ids = ids[ids < len(alive)]
    mask[ids.astype(np.intp, copy=False)] = True  # numpy sets through an int32 index 2-3x slower
    return mask & alive
