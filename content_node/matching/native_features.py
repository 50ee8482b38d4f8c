"""Vespa's nativeRank and its parts, nativeFieldMatch and nativeProximity, as searchlib's
nativerankfeature.cpp, nativefieldmatchfeature.cpp and nativeproximityfeature.cpp compute them
(nativeAttributeMatch: native_attribute_match.py). Tables and rank properties: native_tables.py.

The query's terms are term_data's (a phrase is one term, occurring where it starts whole), each with
its weight w and significance s (term_significance). A field is considered when the feature covers
it (its arguments, else every index field), its weight (`weight:`, or the profile's) is not 0 and
it is not a filter field (the profile's `rank f: filter`, else the field's `rank: filter`).

nativeFieldMatch: per term with w != 0 and considered fields F it searches, for each f in F where it
occurs (first position p, occurrences n, field length L, or nativeFieldMatch(f).averageFieldLength):
  firstOcc = firstOccurrenceTable[p * (size - 1) // (max(minFieldLength, L) - 1)]
  numOcc   = occurrenceCountTable[n * (size - 1) // max(minFieldLength, L)]
  term += (imp * firstOcc + (1 - imp) * numOcc) * weight(f) / (imp * max(first) + (1 - imp) * max(occ))
summed as term * s * w and divided by the sum of s * w * sum(weight(f) for f in F); minFieldLength
6, imp = firstOccurrenceImportance 0.5 (both rank properties, imp also per field). In an array or
weighted set (Vespa's TermFieldMatchData positions carry their element): p is the first
occurrence's position within its element, n counts the occurrences in every element, and L is the
longest element holding one (getIterator's max element length).

nativeProximity: per considered field, the terms searching it in query order; term pairs (i, j) with
j - i < slidingWindowSize (4) where either weight is not 0; the pair's connectedness c is the least
connectedness along the terms i+1..j (each to the term before it in this list: its {connectivity},
else 0.1) divided by j - i. The pair scores
  (imp * proximityTable[fwd - 1] + (1 - imp) * reverseProximityTable[rev - 1]) * c * (s_i w_i + s_j w_j)
over the tables' weighted maxima, fwd the least distance from i to a later j (from a phrase's last
word), rev the same from j to i (1000000 when a term is missing: the tables' last entries); a field
sums its pairs times its weight over the sum of c * (s_i w_i + s_j w_j), and the feature is the sum
over the fields with pairs divided by their weights' sum; imp = proximityImportance 0.5.

Positions are the index's (term_data: a phrase's where it starts); a pair's distance is from the
first term's last word (a phrase's) to the second term after it: a word inside the phrase never
pairs with it, though an earlier occurrence may. In an array or weighted set positions of two
elements never pair for nativeProximity unless there is an element gap (the rank property
nativeProximity.elementGap.<field>, a count or `infinity`, else the profile's element-gap): then
those of adjacent elements do, the first element's length plus the gap further apart (Vespa's
TermDistanceCalculator). The elements come from the index's element lengths
(store/element_layout.py): no document is read again.

nativeRank = (fieldMatchWeight * nativeFieldMatch + proximityWeight * nativeProximity +
attributeMatchWeight * nativeAttributeMatch) / (the weights' sum), weights 100, 25 and 100 (the
proximity weight 100 when nativeRank.useTableNormalization is false); nativeRank(f, ...) gives its
index fields to the first two and its attribute fields to the third (a part without fields is 0).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from content_node.matching.core_features import field_weight
from content_node.matching.element_gap import element_gap
from content_node.store.element_layout import ELEMENT_GAP as STORED_GAP, Layout
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.native_attribute_match import attribute_fields, native_attribute_match, \
    native_attribute_score
from content_node.matching.native_tables import count, field_rank_type, field_table, lookup, number, \
    use_table_normalization
from content_node.matching.term_data import QueryTerm, query_terms
from content_node.matching.text_features import DEFAULT_CONNECTEDNESS, term_occurrences, term_significance
from searchlib.rank_properties import element_gap_property
from searchlib.schema.model import FIELD_RANK

UNDEFINED_DISTANCE = 1000000  # TermDistanceCalculator's distance of a pair that is not found


def native_rank(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    properties = calc.rank_properties
    field_match_weight = number(properties, 100.0, "nativeRank.fieldMatchWeight")
    attribute_match_weight = number(properties, 100.0, "nativeRank.attributeMatchWeight")
    proximity_weight = number(properties, 25.0 if use_table_normalization(properties) else 100.0,
                              "nativeRank.proximityWeight")
    total = field_match_weight + proximity_weight + attribute_match_weight
    score = np.zeros(len(candidates), dtype=np.float64)
    if total <= 0.0:  # Vespa's nativeRank is then the value 0
        return score
    indexes = index_fields(calc, feature.args)
    attributes = attribute_fields(calc, feature.args)
    if field_match_weight and indexes:
        score += field_match_weight * field_match_score(calc, indexes, candidates)
    if proximity_weight and indexes:
        score += proximity_weight * proximity_score(calc, indexes, candidates)
    if attribute_match_weight and attributes:
        score += attribute_match_weight * native_attribute_score(calc, attributes, candidates)
    return score / total


def native_field_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    return field_match_score(calc, index_fields(calc, feature.args), candidates)


def native_proximity(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    return proximity_score(calc, index_fields(calc, feature.args), candidates)


def index_fields(calc: Calculator, names: tuple[str, ...]) -> tuple[str, ...]:
    """The index fields among `names` (FieldWrapper over FieldType::INDEX), all of them for none."""
    fields = calc.schema.fields
    wanted = names or tuple(fields)
    return tuple(name for name in wanted if name in fields and fields[name].is_index)


def _considered(calc: Calculator, fields: tuple[str, ...]) -> tuple[str, ...]:
    """The fields with a contribution: weight not 0 and not a filter field (considerField)."""
    return tuple(f for f in fields if field_weight(calc, f) != 0.0 and not _is_filter(calc, f))


def _is_filter(calc: Calculator, field: str) -> bool:
    """The profile's `rank f: filter|normal`, else the field's `rank: filter` (or `match: exact`)."""
    given = calc.settings.get(f"{FIELD_RANK}{field}")
    return given == "filter" if given is not None else calc.schema.fields[field].rank_filter


def _table(calc: Calculator, feature: str, table: str, field: str) -> np.ndarray:
    spec = calc.schema.fields[field]
    rank_type = field_rank_type(calc.settings, spec.settings, field, spec.is_attribute, feature, table)
    return field_table(calc.rank_properties, rank_type, feature, table, field)


def _importance(calc: Calculator, feature: str, name: str, field: str) -> float:
    """`<feature>.<name>.<field>`, else `<feature>(<field>).<name>`, else `<feature>.<name>`, else 0.5."""
    return number(calc.rank_properties, 0.5, f"{feature}.{name}.{field}", f"{feature}({field}).{name}",
                  f"{feature}.{name}")


def _max_table_sum(calc: Calculator, first: np.ndarray, second: np.ndarray, importance: float) -> float:
    """The normalizer of a field: the tables' importance-weighted maxima, 1 without normalization
    or when that is 0 (NativeRankParamsBase::setMaxTableSums)."""
    if not use_table_normalization(calc.rank_properties):
        return 1.0
    return float(first.max() * importance + second.max() * (1.0 - importance)) or 1.0


def _significance(calc: Calculator, term: QueryTerm) -> float:
    """term_significance, read once per query term (each pair and field asks again)."""
    found = calc.memo(("native significances",), lambda: {})
    if term not in found:
        found[term] = term_significance(calc, term)
    return found[term]


def _searched(calc: Calculator, term: QueryTerm, fields: tuple[str, ...]) -> list[str]:
    covered = calc.schema.index_fields(term.index_name)
    return [f for f in fields if f in covered]


# ---- nativeFieldMatch ----

@dataclass(frozen=True, slots=True)
class _FieldMatchParams:
    weight: float
    first_table: np.ndarray
    count_table: np.ndarray
    importance: float
    average_length: int | None  # nativeFieldMatch's averageFieldLength, instead of the document's
    max_table_sum: float


def _field_match_params(calc: Calculator, field: str) -> _FieldMatchParams:
    first = _table(calc, "nativeFieldMatch", "firstOccurrenceTable", field)
    occurrences = _table(calc, "nativeFieldMatch", "occurrenceCountTable", field)
    importance = _importance(calc, "nativeFieldMatch", "firstOccurrenceImportance", field)
    average = count(calc.rank_properties, -1, f"nativeFieldMatch({field}).averageFieldLength",
                    f"nativeFieldMatch.averageFieldLength.{field}")
    return _FieldMatchParams(field_weight(calc, field), first, occurrences, importance,
                             average if average >= 0 else None, _max_table_sum(calc, first, occurrences, importance))


def field_match_score(calc: Calculator, fields: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
    considered = _considered(calc, fields)
    params = {f: _field_match_params(calc, f) for f in considered}
    min_length = count(calc.rank_properties, 6, "nativeFieldMatch.minFieldLength")
    layouts = {f: _layout(calc, f, candidates) for f in considered}
    score = np.zeros(len(candidates), dtype=np.float64)
    divisor = 0.0
    for term in query_terms(calc):
        searched = _searched(calc, term, considered) if term.weight != 0 else []
        if not searched:
            continue
        significance = _significance(calc, term)
        divisor += significance * term.weight * sum(params[f].weight for f in searched)
        term_score = np.zeros(len(candidates), dtype=np.float64)
        for field in searched:
            term_score += _term_field_score(calc, field, term, params[field], min_length, candidates, layouts[field])
        score += term_score * (significance * term.weight)
    return score / divisor if divisor > 0.0 else score


def _term_field_score(calc: Calculator, field: str, term: QueryTerm, p: _FieldMatchParams, min_length: int,
                      candidates: np.ndarray, layout: Layout | None) -> np.ndarray:
    """One term's boost in one field, where it occurs (fixed-point index arithmetic as Vespa's)."""
    part = np.zeros(len(candidates), dtype=np.float64)
    if not term.text:
        return part
    if layout is None:  # one element: the first position of each posting, the field's length
        tf, first, _, _ = term_occurrences(calc, field, term.text, candidates)
        rows = np.flatnonzero(tf > 0)
        tf, first = tf[rows].astype(np.int64), first[rows].astype(np.int64)
        lengths = calc.index.field_lengths(field)[candidates[rows]].astype(np.int64)
    else:
        rows, first, tf, lengths = _element_occurrences(calc, field, term.text, candidates, layout)
    if not len(rows):
        return part
    if p.average_length is not None:
        lengths = np.full(len(rows), p.average_length, dtype=np.int64)
    span = np.maximum(lengths, min_length)
    first_index = first * (len(p.first_table) - 1) // np.maximum(span - 1, 1)
    count_index = tf * (len(p.count_table) - 1) // np.maximum(span, 1)
    boost = lookup(p.first_table, first_index) * p.importance + lookup(p.count_table, count_index) * (1 - p.importance)
    part[rows] = boost * p.weight / p.max_table_sum
    return part


def _element_occurrences(calc: Calculator, field: str, text: str, candidates: np.ndarray,
                         layout: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows, first position, occurrences, length) where the term occurs in an array: the first
    occurrence's position within its element, every element's occurrences, and the longest
    element holding one (TermFieldMatchData::getIterator: its max element length)."""
    rows, at = _stored_positions(calc, field, text, candidates)
    if not len(rows):
        return rows, rows, rows, rows
    runs = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    elements = layout.locate(rows, at)
    first = at[runs] - layout.starts[elements[runs]]
    occurrences = np.diff(np.append(runs, len(rows)))
    return rows[runs], first, occurrences, np.maximum.reduceat(layout.lengths[elements], runs)


# ---- nativeProximity ----

def proximity_score(calc: Calculator, fields: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
    window = count(calc.rank_properties, 4, "nativeProximity.slidingWindowSize")
    terms = query_terms(calc)
    score = np.zeros(len(candidates), dtype=np.float64)
    total_weight = 0.0
    for field in _considered(calc, fields):
        in_field = [t for t in terms if field in calc.schema.index_fields(t.index_name)]
        pairs = _term_pairs(calc, in_field, window)
        if not pairs:
            continue
        weight = field_weight(calc, field)
        total_weight += weight
        prox = _table(calc, "nativeProximity", "proximityTable", field)
        reverse = _table(calc, "nativeProximity", "reverseProximityTable", field)
        importance = _importance(calc, "nativeProximity", "proximityImportance", field)
        max_sum = _max_table_sum(calc, prox, reverse, importance)
        positions: dict[str, Occurrences] = {}
        gap = _proximity_gap(calc, field)
        layout = _layout(calc, field, candidates)
        field_score = np.zeros(len(candidates), dtype=np.float64)
        divisor = 0.0
        for a, b, pair_weight in pairs:
            for term in (a, b):
                if term.text not in positions:
                    positions[term.text] = _pair_positions(calc, field, term.text, candidates, layout, gap)
            forward = _least_gaps(positions[a.text], positions[b.text], a.length - 1, len(candidates))
            backward = _least_gaps(positions[b.text], positions[a.text], b.length - 1, len(candidates))
            boost = lookup(prox, np.where(forward > 0, forward - 1, 0)) * importance \
                + lookup(reverse, np.where(backward > 0, backward - 1, 0)) * (1.0 - importance)
            field_score += boost * pair_weight / max_sum
            divisor += pair_weight
        field_score *= weight
        score += field_score / divisor if divisor > 0.0 else field_score
    return score / total_weight if total_weight > 0.0 else score


def _term_pairs(calc: Calculator, terms: list[QueryTerm], window: int) -> list[tuple[QueryTerm, QueryTerm, float]]:
    """(a, b, connectedness * (s_a w_a + s_b w_b)) per pair in the sliding window (generateTermPairs)."""
    links = [_connectedness(terms[k - 1], terms[k]) if k else 0.0 for k in range(len(terms))]
    pairs = []
    for i, a in enumerate(terms):
        for j in range(i + 1, min(i + window, len(terms))):
            b = terms[j]
            if a.weight == 0 and b.weight == 0:
                continue
            connectedness = min([1.0, *links[i + 1:j + 1]]) / (j - i)
            weight = _significance(calc, a) * a.weight + _significance(calc, b) * b.weight
            pairs.append((a, b, connectedness * weight))
    return pairs


def _connectedness(previous: QueryTerm, term: QueryTerm) -> float:
    """util::lookupConnectedness: the term's {connectivity} when it names `previous`, else 0.1."""
    link = term.connectivity
    if link is not None and link[0] != 0 and link[0] == previous.item_id:
        return link[1]
    return DEFAULT_CONNECTEDNESS


def _proximity_gap(calc: Calculator, field: str) -> int | None:
    """nativeProximity.elementGap.<field> (`infinity`: none), else the profile's element-gap."""
    key = f"nativeProximity.elementGap.{field}"
    if key in calc.rank_properties:
        return element_gap_property(calc.rank_properties, key)
    return element_gap(calc.settings, field)


def _layout(calc: Calculator, field: str, candidates: np.ndarray) -> Layout | None:
    """The candidates' elements of an array or weighted set field (None for another field: one
    element each), as the index keeps them: no document is read again."""
    if calc.schema.fields[field].type.kind not in ("array", "weightedset") or not len(candidates):
        return None
    return calc.index.element_layout(field, candidates)


# (candidate row, group, position, element ordinal) per occurrence, ascending: positions pair within
# a group only, and then only from the element before or the same one
Occurrences = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _pair_positions(calc: Calculator, field: str, text: str, candidates: np.ndarray, layout: Layout | None,
                    gap: int | None) -> Occurrences:
    """A term's positions as nativeProximity pairs them: in an array each element apart (its
    positions within it), as Vespa's TermDistanceCalculator pairs only positions of one element,
    unless the profile sets an element-gap: then a word of one element and one of the next are the
    first's element length plus the gap further apart (the elements one sequence)."""
    rows, at = _stored_positions(calc, field, text, candidates)
    if layout is None or not len(rows):
        return rows, rows, at, np.zeros(len(rows), dtype=np.int64)
    elements = layout.locate(rows, at)
    ordinals = layout.ordinal(elements, rows)
    if gap is None:
        return rows, elements, at - layout.starts[elements], ordinals
    return rows, rows, at - ordinals * (STORED_GAP - gap), ordinals


def _stored_positions(calc: Calculator, field: str, text: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(candidate row, stored position) of every occurrence, rows ascending and positions ascending
    in a row."""
    empty = np.zeros(0, dtype=np.int64)
    postings = calc.postings(field, text) if text else None
    if postings is None or not len(postings.doc_ids) or not len(candidates):
        return empty, empty
    where = np.minimum(np.searchsorted(postings.doc_ids, candidates), len(postings.doc_ids) - 1)
    rows = np.flatnonzero(postings.doc_ids[where] == candidates)
    if not len(rows):
        return empty, empty
    offsets = postings.position_offsets
    starts, ends = offsets[where[rows]], offsets[where[rows] + 1]
    counts = (ends - starts).astype(np.int64)
    flat = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    return np.repeat(rows.astype(np.int64), counts), postings.flat_positions[flat].astype(np.int64)


def _least_gaps(first: Occurrences, second: Occurrences, add: int, rows_wanted: int) -> np.ndarray:
    """Per row, the least b - (a + add) over positions a of `first` (a phrase of add + 1 words: from
    its last word) and b of `second` after it in one group, from the same element or the one before
    (TermDistanceCalculator::findBest): each b's nearest earlier a + add, found by one binary search
    over (group, position) keys."""
    result = np.full(rows_wanted, UNDEFINED_DISTANCE, dtype=np.int64)
    _, first_groups, first_at, first_elements = first
    second_rows, second_groups, second_at, second_elements = second
    if not len(first_at) or not len(second_at):
        return result
    last = first_at + add
    scale = int(max(last.max(), second_at.max())) + 1  # (group, position) keys in row order
    before = np.searchsorted(first_groups * scale + last, second_groups * scale + second_at, side="left") - 1
    valid = before >= 0
    valid[valid] = (first_groups[before[valid]] == second_groups[valid]) \
        & (second_elements[valid] - first_elements[before[valid]] <= 1)
    gaps = second_at[valid] - last[before[valid]]
    rows = second_rows[valid]  # ascending: each row's least gap by one reduceat over its run
    if len(rows):
        starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        result[rows[starts]] = np.minimum.reduceat(gaps, starts)
    return result


NATIVE_FEATURES = {
    "nativeRank": native_rank,
    "nativeFieldMatch": native_field_match,
    "nativeProximity": native_proximity,
    "nativeAttributeMatch": native_attribute_match,
}
