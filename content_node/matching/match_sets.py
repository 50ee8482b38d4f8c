"""Evaluate a query tree to the sorted, unique local ids of the documents that match it.

Match sets are sorted int32 arrays, combined with numpy set operations, so the cost follows the
posting-list sizes rather than a Python loop per document. Full scans (range, true, not) use
attribute columns and the alive mask.
"""
from __future__ import annotations

from typing import Mapping, Protocol, Sequence

import numpy as np

from content_node.matching.element_gap import element_gap, mover, remapper
from content_node.matching.geo_match import geo_matches
from content_node.matching.attribute_terms import (
    attribute_term_matches, element_kind, is_multi_value, multi_value_range, range_mask)
from content_node.matching.nearest_neighbor import FoundNeighbors, nearest_neighbors
from content_node.matching.predicate_match import predicate_matches
from content_node.matching.proximity import compound_postings, near_matches
from content_node.matching.same_element import same_element_matches
from content_node.matching.string_items import in_matches, string_item_matches
from content_node.matching.weighted_tokens import matching_ids, token_scores
from content_node.matching.weakand_stopwords import DISABLED, stop_words
from content_node.matching.weak_and import WandTerm, term_score, wand_top_k
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.model import Schema

EMPTY = np.empty(0, dtype=np.int32)


class Postings(Protocol):
    doc_ids: np.ndarray
    term_freqs: np.ndarray

    def positions(self, index: int) -> np.ndarray: ...


class MatchableIndex(Protocol):
    """What matching reads from a document database."""

    @property
    def local_id_limit(self) -> int: ...

    @property
    def alive(self) -> np.ndarray: ...

    def postings(self, field: str, term: str) -> Postings: ...

    def element_layout(self, field: str, local_ids: np.ndarray): ...  # store.element_layout.Layout

    def attribute(self, name: str) -> np.ndarray: ...


def union_all(arrays: Sequence[np.ndarray], id_limit: int | None = None) -> np.ndarray:
    non_empty = [a for a in arrays if len(a)]
    if not non_empty:
        return EMPTY
    if len(non_empty) == 1:
        return non_empty[0]
    total = sum(len(a) for a in non_empty)
    if id_limit is not None and total * 8 > id_limit:
        # dense unions: counting ids is linear, sorting the concatenation is not
        return np.flatnonzero(np.bincount(np.concatenate(non_empty), minlength=id_limit)).astype(np.int32)
    return np.unique(np.concatenate(non_empty)).astype(np.int32, copy=False)


def intersect_all(arrays: Sequence[np.ndarray]) -> np.ndarray:
    ordered = sorted(arrays, key=len)
    result = ordered[0]
    for other in ordered[1:]:
        if not len(result):
            break
        result = np.intersect1d(result, other, assume_unique=True)
    return result.astype(np.int32, copy=False)


class MatchEvaluator:
    """Match sets for one query against one document database snapshot."""

    def __init__(self, schema: Schema, index: MatchableIndex,
                 query_features: Mapping[str, object] | None = None,
                 settings: Mapping[str, str] | None = None) -> None:
        self._schema = schema
        self._index = index
        self._postings: dict[tuple[str, str], Postings] = {}
        self._query_features = query_features or {}  # query tensors for nearestNeighbor
        self._settings = settings or {}  # rank-profile settings (approximate-threshold, ...)
        self.neighbors = FoundNeighbors()  # what nearestNeighbor found, for the ranking to read

    def postings(self, field: str, term: str) -> Postings:
        """Posting lists looked up once per query; ranking reads the same lists again."""
        key = (field, term)
        found = self._postings.get(key)
        if found is None:
            found = compound_postings(field, term, self.postings)
            found = self._postings[key] = self._index.postings(field, term) if found is None else found
        return found

    def matches(self, node: q.QueryNode) -> np.ndarray:
        """Sorted local ids of alive documents matching the node."""
        found = self._match(node)
        alive = self._index.alive
        return found[alive[found]] if len(found) else found

    def fields_of(self, index_name: str) -> tuple[str, ...]:
        fields = self._schema.index_fields(index_name)
        if not fields:
            raise InvalidParameterError(
                f"Field '{index_name}' does not exist in schema '{self._schema.name}'")
        return fields

    def _match(self, node: q.QueryNode) -> np.ndarray:
        if isinstance(node, q.Term):
            return union_all([self._term_in_field(f, node.term, node.affix) for f in self.fields_of(node.field)],
                             self._index.local_id_limit)
        if isinstance(node, q.Phrase):
            return union_all([self._phrase_in_field(f, node.terms) for f in self.fields_of(node.field)],
                             self._index.local_id_limit)
        if isinstance(node, q.Equiv):
            return union_all([self.postings(f, q.equiv_key(node.terms)).doc_ids
                              if self._schema.fields[f].is_index
                              else union_all([self._phrase_in_field(f, q.phrase_words(term) or (term,))
                                              for term in node.terms])
                              for f in self.fields_of(node.field)], self._index.local_id_limit)
        if isinstance(node, q.WeightedTokens):
            present, score = token_scores(node, self.fields_of(node.field), self._schema,
                                          self._index.local_id_limit, self._index.attribute, self.postings)
            return matching_ids(node, present, score, np.asarray(self._index.alive, dtype=bool))
        if isinstance(node, q.Near):
            return union_all([near_matches(node, f, self.postings, self._mover(f)) for f in self.fields_of(node.field)
                              if self._schema.fields[f].is_index], self._index.local_id_limit)
        if isinstance(node, (q.Fuzzy, q.Regex)):
            return union_all(string_item_matches(node, self.fields_of(node.field), self._schema,
                                                 self._index.attribute), self._index.local_id_limit)
        if isinstance(node, q.In):
            return union_all(in_matches(node, self.fields_of(node.field), self._schema, self._index.attribute,
                                        self.postings), self._index.local_id_limit)
        if isinstance(node, q.Range):
            return self._range(node)
        if isinstance(node, q.GeoLocation):
            return geo_matches(node, self._schema, self._index.attribute)
        if isinstance(node, q.PredicateQuery):
            return predicate_matches(node, self._schema, self._index.attribute)
        if isinstance(node, q.SameElement):
            return same_element_matches(node, self._schema, self._index.attribute, self._index.alive)
        if isinstance(node, (q.WeakAnd, q.NearestNeighbor)):
            return self._top_k(node, None)
        if isinstance(node, q.Or):  # one union of every term's lists (a union of unions is one union)
            parts: list[np.ndarray] = []
            for child in node.children:
                if type(child) is q.Term:
                    parts.extend(self._term_in_field(f, child.term, child.affix) for f in self.fields_of(child.field))
                else:
                    parts.append(self._match(child))
            return union_all(parts, self._index.local_id_limit)
        if isinstance(node, q.Rank):
            return self._match(node.children[0]) if node.children else EMPTY
        if isinstance(node, q.And):
            return self._and(node.children)
        if isinstance(node, q.Not):
            return np.setdiff1d(self._all(), self._match(node.child), assume_unique=True).astype(np.int32)
        if isinstance(node, q.TrueItem):
            return self._all()
        if isinstance(node, q.FalseItem):
            return EMPTY
        raise InvalidParameterError(f"Unsupported query item {type(node).__name__}")

    def _and(self, children: Sequence[q.QueryNode]) -> np.ndarray:
        # top-k operators (weakAnd, nearestNeighbor) pick their k among documents passing the rest
        top_k = [c for c in children if isinstance(c, (q.WeakAnd, q.NearestNeighbor))]
        positives = [c for c in children if not isinstance(c, q.Not) and c not in top_k]
        negatives = [c.child for c in children if isinstance(c, q.Not)]
        if positives:
            result = intersect_all([self._match(c) for c in positives])
        else:
            result = self._all()
        for negative in negatives:
            if not len(result):
                break
            result = np.setdiff1d(result, self._match(negative), assume_unique=True)
        for i, operator in enumerate(top_k):
            result = self._top_k(operator, result if (positives or negatives or i) else None)
        return result.astype(np.int32, copy=False)

    def _top_k(self, node: q.WeakAnd | q.NearestNeighbor, allowed: np.ndarray | None) -> np.ndarray:
        """The operator's k documents among `allowed` (sorted ids; None means all alive)."""
        if isinstance(node, q.NearestNeighbor):
            return nearest_neighbors(node, self._schema, self._index, self._query_features,
                                     allowed, self._settings, self.neighbors).local_ids
        mask = np.asarray(self._index.alive, dtype=bool)
        if allowed is not None:
            restricted = np.zeros(len(mask), dtype=bool)
            restricted[allowed] = True
            mask = mask & restricted
        doc_count = max(getattr(self._index, "doc_count", int(mask.sum())), 1)
        postings = [self._match(child) for child in node.children]
        dropped = stop_words([len(ids) for ids in postings], doc_count, self._settings)
        terms = [WandTerm(ids, term_score(float(getattr(child, "weight", 100)), len(ids), doc_count))
                 for child, ids, keep in zip(node.children, postings, dropped.keep) if keep]
        if dropped.rare_enough != DISABLED:  # adjust-target: only documents matching a rare enough term
            rare = np.zeros(len(mask), dtype=bool)
            for ids, keep in zip(postings, dropped.keep):
                if keep and len(ids) <= dropped.rare_enough:
                    rare[ids] = True
            mask = mask & rare
        return wand_top_k(terms, node.target_hits, mask).local_ids

    def _remap(self, field: str):
        """The profile's element gap for `field` as a position remap, None without one."""
        gap = element_gap(self._settings, field)
        if gap is None or self._schema.fields[field].type.kind not in ("array", "weightedset"):
            return None
        return remapper(self._index, field, gap)

    def _mover(self, field: str):
        """Near/onear's placing of a multi-value field's elements (the profile's gap, else apart)."""
        if self._schema.fields[field].type.kind not in ("array", "weightedset"):
            return None
        return mover(self._index, field, element_gap(self._settings, field))

    def _all(self) -> np.ndarray:
        return np.flatnonzero(self._index.alive).astype(np.int32)

    def _term_in_field(self, field: str, term: str, affix: str = "") -> np.ndarray:
        spec = self._schema.fields[field]
        if spec.is_index:
            return self.postings(field, term).doc_ids
        if spec.is_attribute:
            return attribute_term_matches(spec, self._index.attribute(field), term, affix)
        raise InvalidParameterError(f"Field '{field}' is not searchable (it has neither index nor attribute)")

    def _phrase_in_field(self, field: str, terms: Sequence[str]) -> np.ndarray:
        if len(terms) == 1:
            return self._term_in_field(field, terms[0])
        if not self._schema.fields[field].is_index:
            return EMPTY
        postings = [self.postings(field, t) for t in terms]
        candidates = intersect_all([p.doc_ids for p in postings])
        if not len(candidates):
            return EMPTY
        rows = [np.searchsorted(p.doc_ids, candidates) for p in postings]
        keep = np.zeros(len(candidates), dtype=bool)
        remap = self._remap(field)

        def at(i: int, p, r) -> list[int]:
            positions = p.positions(int(r[i]))
            return (remap(int(candidates[i]), positions) if remap is not None else positions).tolist()

        for i in range(len(candidates)):  # only documents holding every word: positions decide
            starts = set(at(i, postings[0], rows[0]))
            for offset, (p, r) in enumerate(zip(postings[1:], rows[1:]), start=1):
                starts &= {pos - offset for pos in at(i, p, r)}
                if not starts:
                    break
            keep[i] = bool(starts)
        return candidates[keep]

    def _range(self, node: q.Range) -> np.ndarray:
        spec = self._schema.fields.get(node.field)
        if spec is None:
            raise InvalidParameterError(
                f"Field '{node.field}' does not exist in schema '{self._schema.name}'")
        if not spec.is_attribute or element_kind(spec) not in _NUMERIC_KINDS:
            raise InvalidParameterError(
                f"Field '{node.field}' must be a numeric attribute to be used in a range or comparison")
        column = self._index.attribute(node.field)
        if is_multi_value(spec):
            return multi_value_range(column, node)
        ids = np.flatnonzero(range_mask(column, node.low, node.high, node.low_inclusive, node.high_inclusive))
        if node.hit_limit and len(ids) > abs(node.hit_limit):  # the lowest (or highest) values, ties by id
            values = column[ids] if node.hit_limit > 0 else -column[ids]
            ids = np.sort(ids[np.lexsort((ids, values))[: abs(node.hit_limit)]])
        return ids.astype(np.int32)


_NUMERIC_KINDS = ("int", "long", "byte", "float", "double", "bool")
