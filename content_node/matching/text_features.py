"""Text-match rank features from term positions: fieldMatch(f) and its outputs, fieldTermMatch,
termDistance, term(n).*, matches(f, n), over the query's terms as term_data numbers them (a phrase
is one term; fieldMatch alone reads its words).

Vectorized over the candidates: per query term one searchsorted into the posting list gives every
candidate's term frequency and first position, and the fieldMatch outputs are numpy arithmetic over
the (candidates x terms) matrix of first positions. termDistance needs every position pair and
loops over the candidates that contain both terms (use it in second phase or match-features).

fieldMatch is a documented simplification of Vespa's segment-matching algorithm: it looks at the
first occurrence of each query term (in query order, i = 0..n-1; a phrase as its words, each where
the whole phrase matched: term_data.split_phrases) and at adjacent query-term pairs:
- matches: terms found; queryCompleteness = matches/n; fieldCompleteness = matches/fieldLength;
  completeness = queryCompleteness*(1-0.05) + 0.05*fieldCompleteness (fieldCompletenessImportance);
- for a pair with both terms found, d = pos(i+1) - pos(i): in order when d > 0, a gap when d > 1;
  proximity = mean over the n-1 pairs of 1/d (in order) or 1/(2|d|+1) (out of order), 0 when a term
  is missing, and 1 for one matched term; orderness = in-order share of the found pairs;
  relatedness = share of pairs with d == 1; longestSequence = longest chain of d == 1, plus one;
- positions are the stored ones, or those at the profile's element gap for an array field
  (`rank f { element-gap: n }`, content_node/matching/element_gap.py), as matching reads them;
- earliness = 1 - first match position / fieldLength; head/tail = tokens before the first /
  after the last matched position; occurrence = occurrences / fieldLength (max 1),
  absoluteOccurrence = occurrences / (100 n) (max 1); weightedOccurrence, weightedAbsoluteOccurrence
  and significantOccurrence as Vespa's Computer (see _weighted_occurrences); unweightedProximity is
  proximity (it is unweighted here) and degradedMatches 0 (no degraded matching);
- weight / significance: share of the query's term weight / significance that matched;
  importance = their mean;
- fieldMatch(f) = completeness * (0.5 + 0.5*proximity) * (0.9 + 0.1*earliness).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.schema.feature_types import FIELD_MATCH_OUTPUTS, FIELD_TERM_MATCH_OUTPUTS
from searchlib.query import tree as q

from content_node.matching.core_features import item_statistics, searched_index_fields, significance
from content_node.matching.core_features import matches as field_matches
from content_node.matching.element_gap import element_gap
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.term_data import QueryTerm, query_terms, split_phrases

NOT_FOUND = 1000000.0
FIELD_COMPLETENESS_IMPORTANCE = 0.05
DEFAULT_CONNECTEDNESS = 0.1


def term_occurrences(calc: Calculator, field: str, term: str,
                 candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, object, np.ndarray]:
    """(term frequency, first position or -1, postings, posting index or -1) per candidate; a phrase
    key's are the phrase's (where it starts), a term without a word ("") has none."""
    postings = calc.postings(field, term) if term else None
    tf = np.zeros(len(candidates), dtype=np.float64)
    first = np.full(len(candidates), -1.0)
    where = np.full(len(candidates), -1, dtype=np.int64)
    if postings is None or not len(postings.doc_ids) or not len(candidates):
        return tf, first, postings, where
    rows = np.minimum(np.searchsorted(postings.doc_ids, candidates), len(postings.doc_ids) - 1)
    present = postings.doc_ids[rows] == candidates
    where[present] = rows[present]
    tf[present] = postings.term_freqs[rows[present]]
    first[present] = postings.flat_positions[postings.position_offsets[rows[present]]]
    remap = calc.position_remap(field)
    if remap is not None:  # the profile's element gap moves positions (order kept: the first stays first)
        for row in np.flatnonzero(present & (tf > 0)):  # a filter term has no position to move
            first[row] = remap(int(candidates[row]), first[row:row + 1].astype(np.int64))[0]
    return tf, first, postings, where


def _field_terms(calc: Calculator, field: str, split: bool) -> list[QueryTerm]:
    """The terms in `field`: fieldMatch's split phrases into words (PhraseSplitterQueryEnv); the
    native features' keep a phrase one term (QueryTermHelper over the term data)."""
    covered = calc.schema.index_fields
    terms = query_terms(calc)
    return [t for t in (split_phrases(terms) if split else terms) if field in covered(t.index_name)]


def term_significance(calc: Calculator, term: QueryTerm) -> float:
    """The term's significance, as Vespa's util::get_legacy_significance: from the (frequency,
    count) the query gave the item (vespa.term.N.docfreq: {documentFrequency: ...} or a
    significance model's), else its {significance: s} (vespa.term.N.significance), else from the
    item's document frequency on this node; the same in every field."""
    if term.document_frequency is not None:
        return significance(*term.document_frequency)
    if term.significance is not None:
        return term.significance
    return significance(*item_statistics(calc, term.index_name, term.item))


def field_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    outputs = field_match_outputs(calc, field, candidates)
    name = feature.output or "match"
    if name not in outputs:
        raise InvalidParameterError(f"fieldMatch({field}) has no output '{feature.output}'")
    return outputs[name]


def field_match_outputs(calc: Calculator, field: str, candidates: np.ndarray,
                        split: bool = True) -> dict[str, np.ndarray]:
    """fieldMatch's outputs; split=False keeps each phrase one term (nativeProximity's view), a pair's
    distance then measured from the earlier term's last word (termdistancecalculator.cpp)."""
    terms = _field_terms(calc, field, split)
    rows = len(candidates)
    n = len(terms)
    zeros = np.zeros(rows)
    lengths = calc.index.field_lengths(field)[candidates].astype(np.float64)
    if n == 0:
        return {k: zeros for k in FIELD_MATCH_OUTPUTS}
    tf = np.zeros((rows, n))
    first = np.full((rows, n), -1.0)
    weights = np.array([t.weight for t in terms])
    significance = np.array([term_significance(calc, t) for t in terms])
    for i, term in enumerate(terms):  # a split phrase word: where its phrase matched, + its offset
        tf[:, i], first[:, i], _, _ = term_occurrences(calc, field, term.text, candidates)
        first[:, i] = np.where(first[:, i] >= 0, first[:, i] + term.offset, -1.0)
    found = first >= 0
    matches = found.sum(axis=1).astype(np.float64)
    length = np.maximum(lengths, 1.0)
    query_completeness = matches / n
    field_completeness = np.minimum(matches / length, 1.0)
    completeness = (query_completeness * (1 - FIELD_COMPLETENESS_IMPORTANCE)
                    + FIELD_COMPLETENESS_IMPORTANCE * field_completeness)

    if n > 1:
        both = found[:, 1:] & found[:, :-1]
        last = first + np.array([t.length - 1 for t in terms])  # a phrase's last word (a word: itself)
        distance = np.where(first[:, 1:] > first[:, :-1], first[:, 1:] - last[:, :-1], last[:, 1:] - first[:, :-1])
        with np.errstate(divide="ignore", invalid="ignore"):
            closeness = np.where(distance > 0, 1.0 / np.abs(distance), 1.0 / (2 * np.abs(distance) + 1))
        pair_proximity = np.where(both, closeness, 0.0)
        proximity = pair_proximity.mean(axis=1)
        found_pairs = both.sum(axis=1)
        in_order = (both & (distance > 0)).sum(axis=1)
        adjacent = both & (distance == 1)
        orderness = np.where(found_pairs > 0, in_order / np.maximum(found_pairs, 1), 1.0)
        relatedness = adjacent.sum(axis=1) / (n - 1)
        out_of_order = (both & (distance < 0)).sum(axis=1).astype(np.float64)
        gap_pairs = both & (distance > 1)
        gaps = gap_pairs.sum(axis=1).astype(np.float64)
        gap_length = np.where(gap_pairs, distance - 1, 0.0).sum(axis=1)
        longest = _longest_run(adjacent) + 1.0
    else:
        proximity = relatedness = found[:, 0].astype(np.float64)
        orderness = np.ones(rows)
        out_of_order = gaps = gap_length = zeros
        longest = np.ones(rows)
    longest = np.where(matches > 0, longest, 0.0)

    first_found = np.where(found, first, np.inf).min(axis=1)
    last_found = np.where(found, first, -np.inf).max(axis=1)
    any_found = matches > 0
    earliness = np.where(any_found, 1.0 - np.where(any_found, first_found, 0.0) / length, 0.0)
    occurrences = tf.sum(axis=1)
    weight = (found * weights).sum(axis=1) / max(weights.sum(), 1e-9)
    significance_share = (found * significance).sum(axis=1) / max(significance.sum(), 1e-9)
    match = completeness * (0.5 + 0.5 * proximity) * (0.9 + 0.1 * earliness)
    return {
        "match": np.where(any_found, match, 0.0),
        "matches": matches, "queryCompleteness": query_completeness, "fieldCompleteness": field_completeness,
        "completeness": completeness, "proximity": proximity, "orderness": np.where(any_found, orderness, 0.0),
        "relatedness": relatedness, "earliness": earliness,
        "longestSequence": longest, "longestSequenceRatio": longest / n,
        "segments": any_found.astype(np.float64), "segmentProximity": proximity,
        "segmentDistance": np.zeros(rows),
        "outOfOrder": out_of_order, "gaps": gaps, "gapLength": gap_length,
        "head": np.where(any_found, np.where(any_found, first_found, 0.0), 0.0),
        "tail": np.where(any_found, lengths - 1 - np.where(any_found, last_found, 0.0), 0.0),
        "occurrence": np.minimum(occurrences / length, 1.0),
        "absoluteOccurrence": np.minimum(occurrences / (100.0 * n), 1.0),
        **_weighted_occurrences(tf, found, weights, significance, length),
        "unweightedProximity": proximity, "degradedMatches": zeros,
        "weight": weight, "significance": significance_share, "importance": (weight + significance_share) / 2,
    }


MAX_OCCURRENCES = 100  # fieldMatch(f).maxOccurrences: occurrences counted per term


def _weighted_occurrences(tf: np.ndarray, found: np.ndarray, weights: np.ndarray, significance: np.ndarray,
                          length: np.ndarray) -> dict[str, np.ndarray]:
    """Vespa's fieldmatch Computer over the matched terms (occurrences capped at maxOccurrences):
    weightedAbsoluteOccurrence = sum(occ*w) / (maxOccurrences * sum(w)); weightedOccurrence and
    significantOccurrence = sum(occ*x) / (min(fieldLength, maxOccurrences) * sum(x)) for x the
    term weight / significance; 0 where nothing matched."""
    capped = np.minimum(tf, MAX_OCCURRENCES) * found
    per_field = np.minimum(length, MAX_OCCURRENCES)

    def share(values: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
        total = (found * values).sum(axis=1) * scale
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, (capped * values).sum(axis=1) / total, 0.0)

    return {"weightedAbsoluteOccurrence": share(weights, float(MAX_OCCURRENCES)),
            "weightedOccurrence": share(weights, per_field), "significantOccurrence": share(significance, per_field)}


def _longest_run(flags: np.ndarray) -> np.ndarray:
    """Longest run of True per row."""
    best = np.zeros(flags.shape[0])
    current = np.zeros(flags.shape[0])
    for column in flags.T:  # one step per query-term pair, not per document
        current = np.where(column, current + 1, 0.0)
        best = np.maximum(best, current)
    return best


def _term_index(feature: FeatureName, position: int, what: str) -> int:
    try:
        return int(feature.args[position])
    except (IndexError, ValueError):
        raise InvalidParameterError(f"{what}: expected a query term number as argument {position + 1}") from None


def field_term_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """fieldTermMatch(f, n) as fieldtermmatchfeature.cpp over term n's occurrences in f (a phrase's:
    where the whole phrase starts, term_data): .firstPosition / .lastPosition the least / greatest
    position within its element (1000000 without one), .occurrences their count, .weight the sum of
    their elements' weights (1 each but in a weighted set), .exactness their mean match exactness
    (1: an index occurrence is an exact match of the term); a term that matched without positions
    (a filter) is one occurrence at no position, of weight and exactness 0."""
    field = calc.field_arg(feature, index_required=True)
    n = _term_index(feature, 1, "fieldTermMatch")
    terms = query_terms(calc)
    output = feature.output or "firstPosition"
    if output not in FIELD_TERM_MATCH_OUTPUTS:
        raise InvalidParameterError(f"fieldTermMatch({field},{n}) has no output '{output}'")
    positional = output in ("firstPosition", "lastPosition")
    if n >= len(terms) or field not in calc.schema.index_fields(terms[n].index_name):
        return np.full(len(candidates), NOT_FOUND if positional else 0.0)
    tf, _, postings, where = term_occurrences(calc, field, terms[n].text, candidates)
    if output == "occurrences":
        return np.where((where >= 0) & (tf == 0), 1.0, tf)
    if output == "exactness":
        return (tf > 0).astype(np.float64)
    spec = calc.schema.fields.get(field)
    weighted = output == "weight" and spec is not None and spec.type.kind == "weightedset"
    if output == "weight" and not weighted:
        return tf.astype(np.float64)  # each occurrence in an element of weight 1
    result = np.full(len(candidates), 0.0 if weighted else NOT_FOUND)
    elements = calc.elements(field)
    rows = np.flatnonzero(tf > 0)
    weights = _element_weights(calc, field, spec.is_attribute, candidates[rows]) if weighted else None
    for i, row in enumerate(rows):
        element, within, _ = elements(int(candidates[row]), postings.positions(int(where[row])))
        if weights is not None:
            result[row] = float(np.sum(weights[i][element]))
        else:
            result[row] = float(within.max() if output == "lastPosition" else within.min())
    return result


def _element_weights(calc: Calculator, field: str, attribute: bool, local_ids: np.ndarray) -> list[np.ndarray]:
    """Each document's weighted-set weights in stored (element) order: read from the attribute
    column when the field is one, else decoded from the stored document once per query (under the
    database's lock: not again for every term and output)."""
    cache: dict[int, np.ndarray] = calc.memo(("weightedset weights", field), dict)
    missing = [int(i) for i in local_ids if int(i) not in cache]
    if missing:
        values = calc.index.attribute(field)[np.asarray(missing)].tolist() if attribute else \
            [(calc.index.document(i, (field,)) or {}).get(field) for i in missing]
        for local_id, value in zip(missing, values):
            cache[local_id] = np.fromiter((float(w) for w in (value or {}).values()), np.float64)
    return [cache[int(i)] for i in local_ids]


def matches(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """matches(f): 1 if any query term matched f; matches(f, n): 1 if term n did (a phrase: the
    whole phrase; matchesfeature.cpp reads term n's match data in f, its document id: a filter term
    without occurrences counts)."""
    if len(feature.args) < 2:
        return field_matches(calc, feature, candidates)
    field = calc.field_arg(feature, index_required=True)
    n = _term_index(feature, 1, "matches")
    terms = query_terms(calc)
    if n >= len(terms) or field not in calc.schema.index_fields(terms[n].index_name):
        return np.zeros(len(candidates))
    _, _, _, where = term_occurrences(calc, field, terms[n].text, candidates)
    return (where >= 0).astype(np.float64)  # by document, as a filter term's match data says


def term_distance(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """termDistance(f, x, y) as termdistancecalculator.cpp: .forward the least b - a > 0 over the
    occurrences a of term x's last word (a phrase's start + its length - 1) and b of term y's start
    in the same element, or with the profile's element gap g in the next one, where b counts from
    the end of a's element: b + (a's element length) + g; .forwardTermPosition x's start within its
    element. .reverse / .reverseTermPosition the same from y to x (the position is y's). A phrase x
    'a b' and y 'c' in 'a b x c': forward 2, position 0. 1000000: no such pair (nor without positions)."""
    field = calc.field_arg(feature, index_required=True)
    x, y = _term_index(feature, 1, "termDistance"), _term_index(feature, 2, "termDistance")
    output = feature.output or "forward"
    result = np.full(len(candidates), NOT_FOUND)
    terms = query_terms(calc)
    if max(x, y) >= len(terms):
        return result
    if output.startswith("reverse"):
        x, y = y, x
    _, _, x_postings, x_at = term_occurrences(calc, field, terms[x].text, candidates)
    _, _, y_postings, y_at = term_occurrences(calc, field, terms[y].text, candidates)
    add = terms[x].length - 1  # from a phrase's first word to its last
    gap = element_gap(calc.settings, field)  # None: no pair spans two elements
    elements = calc.elements(field)
    never = np.iinfo(np.int64).max
    for row in np.flatnonzero((x_at >= 0) & (y_at >= 0)):  # documents with both terms only
        local_id = int(candidates[row])
        xs = x_postings.positions(int(x_at[row]))
        ys = y_postings.positions(int(y_at[row]))
        if not len(xs) or not len(ys):  # a filter term (no positions: filter_threshold.py)
            continue
        x_element, x_within, x_length = (part[:, None] for part in elements(local_id, xs))
        y_element, y_within, _ = elements(local_id, ys)
        deltas = y_within[None, :] - (x_within + add)
        deltas = np.where((y_element == x_element) & (deltas > 0), deltas, never)
        if gap is not None:  # the next element, counted from the end of x's
            across = y_within[None, :] + x_length + gap - (x_within + add)
            deltas = np.where((y_element == x_element + 1) & (across >= 0), across, deltas)
        best = np.unravel_index(np.argmin(deltas), deltas.shape)
        if deltas[best] == never:
            continue
        result[row] = float(x_within[best[0], 0]) if output.endswith("TermPosition") else float(deltas[best])
    return result


def term(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> float:
    """term(n).weight (100 default), .significance, .connectedness (0.1); 0 past the last term
    (termfeature.cpp, over term n's data: a phrase's weight and its document frequency)."""
    n = _term_index(feature, 0, "term")
    terms = query_terms(calc)
    if n >= len(terms):
        return 0.0
    if feature.output == "weight":
        return terms[n].weight
    if feature.output == "connectedness":  # util::lookupConnectedness: to term n-1, by its {id}
        link = terms[n].connectivity
        if n > 0 and link is not None and link[0] != 0 and link[0] == terms[n - 1].item_id:
            return link[1]
        return DEFAULT_CONNECTEDNESS
    if feature.output == "significance":
        # a term on attributes only has no statistics of its own here, but the query's are given
        given = terms[n].significance is not None or terms[n].document_frequency is not None
        searches_index = bool(given or searched_index_fields(calc, terms[n].index_name))
        return term_significance(calc, terms[n]) if searches_index else 0.0
    raise InvalidParameterError(f"term({n}) has no output '{feature.output}'")


TEXT_FEATURES: dict[str, Callable[..., object]] = {
    "fieldMatch": field_match,
    "fieldTermMatch": field_term_match,
    "termDistance": term_distance,
    "term": term,
    "matches": matches,
}
