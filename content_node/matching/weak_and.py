"""weakAnd: the top `targetHits` documents by an internal score, found without scoring every match.

The internal score of a document is Σ weight(t)·idf(t) over the query terms it contains (Vespa's
weakAnd uses term weight × IDF, not the rank profile). Every posting of a term scores the same,
so the upper bound of a term is its exact contribution, and MaxScore is exact and simple:

1. a threshold θ: score the union of the highest-scoring (rarest) terms' postings until it holds
   k documents; the k-th best of those is a lower bound of the true k-th best score;
2. essential terms: sorting terms by ascending score, the longest prefix whose scores sum to
   less than θ can never lift a document into the top k on its own, so documents that appear
   only in those (typically the common words' long posting lists) are skipped -- never scored;
3. the candidates (documents of the essential terms) get their partial score over the essential
   terms in one pass over those lists; a partial score is a lower bound of the full one, so the
   k-th best partial may raise θ, and a candidate whose partial plus every non-essential term's
   score stays below θ is dropped before any long list is read for it. The non-essential terms are
   then probed for the survivors, highest score first, dropping again after each
   ("below θ" throughout: max_score.py's one rule, beyond any float summation-order error, so a
   document that could tie with the k-th is kept);
4. the survivors are scored in full (every term, in query order: the same floats as scoring every
   match) and the top k taken, ties broken by the lower local id.

A naive exhaustive version (score the union, take the top k) lives in the tests as the reference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from content_node.matching.max_score import skippable, survivors
from searchlib.ranking.formulas import bm25_idf

EMPTY_IDS = np.empty(0, dtype=np.int32)
_SEQUENTIAL_READS = 16  # postings read in turn that cost about one binary search (log2 n cache misses)
# a union or sum over this many times fewer ids than the id space is dense: a pass over an array
# of the id space costs less than sorting the ids
_DENSE = 64


@dataclass(frozen=True, slots=True)
class WandTerm:
    doc_ids: np.ndarray  # sorted, unique local ids (may include dead documents)
    score: float  # weight × idf: what containing this term adds to a document's score


@dataclass(frozen=True, slots=True)
class WandResult:
    local_ids: np.ndarray  # int32, ascending
    scores: np.ndarray  # float64, aligned with local_ids
    scored: int  # documents whose full score was computed (the rest were skipped)
    matched: int  # documents in the union of the terms' postings (what an OR would score)


def term_score(weight: float, document_frequency: int, doc_count: int) -> float:
    """weight × idf, with the same idf as bm25 (always positive)."""
    return (weight / 100.0) * bm25_idf(document_frequency, doc_count)


def wand_top_k(terms: Sequence[WandTerm], k: int, allowed: np.ndarray | None = None,
               count_matched: bool = False) -> WandResult:
    """The k best documents by Σ score over contained terms; `allowed` (bool per local id)
    restricts which documents may be returned (alive documents, an enclosing filter).
    `count_matched` also counts the OR of all postings (-1 otherwise: it costs a pass over them)."""
    terms = [t for t in terms if len(t.doc_ids) and t.score > 0.0]
    if allowed is not None and len(terms) and len(allowed) > max(int(t.doc_ids[-1]) for t in terms) \
            and allowed.all():
        allowed = None  # every document allowed (all alive, no filter): no list needs filtering
    matched = _count_union(terms, allowed) if count_matched else -1
    if k <= 0 or not terms:
        return WandResult(EMPTY_IDS, np.empty(0), 0, matched)

    theta, pool_size = _threshold(terms, k, allowed)
    essential = _essential_terms(terms, theta)
    candidates = _survivors(terms, essential, k, theta, allowed)
    scores = score_documents(terms, candidates)
    best = top_k_rows(scores, candidates, k)
    order = np.argsort(candidates[best], kind="stable")
    chosen = best[order]
    return WandResult(candidates[chosen].astype(np.int32), scores[chosen],
                      scored=pool_size + len(candidates), matched=matched)


def score_documents(terms: Sequence[WandTerm], candidates: np.ndarray) -> np.ndarray:
    """Full score of each candidate (sorted, unique), adding the terms in query order: the same
    numbers in the same order whichever way a term is read, a term a document lacks adding nothing.
    A list not much longer than the candidates is read in turn through a local id → row map; a
    much longer one (a stop word's, against few candidates) by a binary search per candidate."""
    scores = np.zeros(len(candidates), dtype=np.float64)
    if not len(candidates):
        return scores
    row_of = None
    for term in terms:
        ids = term.doc_ids
        if not len(ids):
            continue
        if len(ids) <= _SEQUENTIAL_READS * len(candidates):
            if row_of is None:
                row_of = np.full(int(candidates[-1]) + 1, -1, dtype=np.int64)
                row_of[candidates] = np.arange(len(candidates))
            if ids[-1] >= len(row_of):
                ids = ids[ids < len(row_of)]
            rows = row_of[ids]
            np.add.at(scores, rows[rows >= 0], term.score)  # unique rows: one add each
        else:
            rows = np.minimum(np.searchsorted(ids, candidates), len(ids) - 1)
            scores += np.where(ids[rows] == candidates, term.score, 0.0)
    return scores


def top_k_rows(scores: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Row numbers of the k best: score descending, then local id ascending."""
    if len(scores) <= k:
        return np.lexsort((ids, -scores))
    # partition first so the full sort only touches the head
    cut = np.partition(-scores, k - 1)[k - 1]
    head = np.flatnonzero(-scores <= cut)
    return head[np.lexsort((ids[head], -scores[head]))][:k]


def _threshold(terms: Sequence[WandTerm], k: int, allowed: np.ndarray | None) -> tuple[float, int]:
    """(θ, documents scored to find it); θ = -inf when fewer than k documents were found."""
    pool = EMPTY_IDS
    for term in sorted(terms, key=lambda t: -t.score):
        pool = _union([pool, _allowed(term.doc_ids, allowed)])
        if len(pool) >= k:
            scores = score_documents(terms, pool)
            return float(np.partition(scores, len(scores) - k)[len(scores) - k]), len(pool)
    return -math.inf, 0


def _survivors(terms: Sequence[WandTerm], essential: Sequence[WandTerm], k: int, theta: float,
               allowed: np.ndarray | None) -> np.ndarray:
    """Sorted allowed documents of the essential terms that may still reach θ (step 3)."""
    candidates, partial = _partial_scores(essential, allowed)
    chosen = {id(t) for t in essential}
    rest = sorted((t for t in terms if id(t) not in chosen), key=lambda t: -t.score)
    return survivors(candidates, partial, [(t.score, [lambda rows, t=t: np.where(
        _contains(t.doc_ids, rows), t.score, 0.0)]) for t in rest], theta, k)


def _partial_scores(terms: Sequence[WandTerm], allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(sorted allowed documents of the terms, their score over these terms alone)."""
    lists = [_allowed(t.doc_ids, allowed) for t in terms]
    present = [(ids, t.score) for ids, t in zip(lists, terms) if len(ids)]
    if not present:
        return EMPTY_IDS, np.empty(0)
    limit = max(int(ids[-1]) for ids, _ in present) + 1
    weights = np.repeat([score for _, score in present], [len(listed) for listed, _ in present])
    ids = np.concatenate([listed for listed, _ in present]) if len(present) > 1 else present[0][0]
    if len(ids) * _DENSE > limit:  # dense: one pass summing over the id space (scores are > 0)
        sums = np.bincount(ids, weights=weights, minlength=limit)
        candidates = np.flatnonzero(sums).astype(np.int32)
        return candidates, sums[candidates]
    candidates, rows = np.unique(ids, return_inverse=True)
    return candidates.astype(np.int32, copy=False), np.bincount(rows, weights=weights, minlength=len(candidates))


def _contains(ids: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Which candidates (sorted) are in `ids` (sorted). A list not much longer than the candidates is
    read in turn into a bitmap; a much longer one is probed by a binary search per candidate, its
    postings between them never read."""
    if not len(ids) or not len(candidates):
        return np.zeros(len(candidates), dtype=bool)
    if len(ids) <= _SEQUENTIAL_READS * len(candidates):
        marks = np.zeros(max(int(ids[-1]), int(candidates[-1])) + 1, dtype=bool)
        marks[ids] = True
        return marks[candidates]
    rows = np.minimum(np.searchsorted(ids, candidates), len(ids) - 1)
    return ids[rows] == candidates


def _essential_terms(terms: Sequence[WandTerm], theta: float) -> list[WandTerm]:
    ascending = sorted(terms, key=lambda t: t.score)
    return ascending[skippable([t.score for t in ascending], theta):]


def _allowed(ids: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
    if allowed is None or not len(ids):
        return ids
    inside = ids < len(allowed)
    ids = ids[inside]
    return ids[allowed[ids]]


def _union(arrays: Sequence[np.ndarray]) -> np.ndarray:
    non_empty = [a for a in arrays if len(a)]
    if not non_empty:
        return EMPTY_IDS
    if len(non_empty) == 1:
        return non_empty[0].astype(np.int32, copy=False)
    limit = max(int(a[-1]) for a in non_empty) + 1
    if sum(len(a) for a in non_empty) * _DENSE > limit:  # dense: marking a bitmap is linear, sorting is not
        mask = np.zeros(limit, dtype=bool)
        for ids in non_empty:
            mask[ids.astype(np.intp, copy=False)] = True  # numpy sets through an int32 index 2-3x slower
        return np.flatnonzero(mask).astype(np.int32)
    return np.unique(np.concatenate(non_empty)).astype(np.int32, copy=False)


def _count_union(terms: Sequence[WandTerm], allowed: np.ndarray | None) -> int:
    """Size of the OR of the terms -- reported, so tests and benchmarks can show what was skipped."""
    if not terms:
        return 0
    limit = max(int(t.doc_ids[-1]) for t in terms) + 1
    mask = np.zeros(limit, dtype=bool)
    for term in terms:
        mask[term.doc_ids.astype(np.intp, copy=False)] = True  # intp: see _union above
    if allowed is not None:
        n = min(limit, len(allowed))
        mask[:n] &= allowed[:n]
        mask[n:] = False
    return int(mask.sum())
