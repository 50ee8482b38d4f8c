"""The basic rank features: bm25, attribute, query, matches, matchCount, fieldLength,
queryTermCount, now, freshness. Each is a column over the candidates (or a scalar).

The statistics behind bm25 (document count, document frequency, average field length) are this
node's own, as in Vespa, but for an item's (frequency, count) the query gives ({documentFrequency:
...} or a significance model's): each item's own (term_data.QueryTerm.document_frequency,
given_idf), read before the node's everywhere. bm25 scores each query item as one term, as
Vespa's Bm25Executor over its
match data: a phrase's frequency is its occurrences, an equiv's the sum of its alternatives'; its
document frequency is the item's blueprint estimate (see document_frequency), the one value
every feature's significance or document frequency reads (item_document_frequency). Rank properties
`bm25(f).k1`, `bm25(f).b`, `bm25(f).averageFieldLength` and `freshness(f).maxAge` override the
defaults.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from content_node.matching.attribute_terms import attribute_term_matches
from content_node.matching.collection_features import collection_attribute
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.filter_threshold import FILTER_THRESHOLD, threshold_of
from content_node.matching.match_sets import MatchEvaluator
from content_node.matching.tensor_attributes import tensor_attribute_column
from content_node.matching.term_data import query_terms
from searchlib.errors import InvalidParameterError
from searchlib.expression import string_hash
from searchlib.numbers import as_floats
from searchlib.query import tree as q
from searchlib.rank_properties import number
from searchlib.ranking.formulas import BM25_B, BM25_K1, bm25_score, document_frequency_idf

FRESHNESS_MAX_AGE = 7776000.0  # 90 days, Vespa's default
NOT_FOUND_POSITION = 1000000.0
_POSTINGS_PER_CANDIDATE = 8  # above: binary searches of the candidates in the lists cost less


def bm25(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    k1, b, average = bm25_parameters(calc, field)
    if not len(candidates):
        return np.zeros(0, dtype=np.float64)
    by_local_id = calc.memo(("bm25", field, k1, b, average), None)
    if by_local_id is None and calc.is_dense(candidates):  # one column per query, every chunk reads it
        by_local_id = bm25_column(calc, field)
    if by_local_id is not None:
        return by_local_id[candidates]
    terms = _terms_with_idf(calc, field)
    summed = _bm25_of_sorted(calc, field, terms, (k1, b, average), candidates)
    if summed is not None:
        return summed
    score = np.zeros(len(candidates), dtype=np.float64)  # few candidates, long lists: binary searches
    lengths = calc.index.field_lengths(field)
    for term, idf in terms:
        rows, tf = bm25_hits(calc, field, term, candidates)  # only rows with the term contribute
        score[rows] += bm25_score(idf, tf, lengths[candidates[rows]], k1, b, average)
    return score


def bm25_column(calc: Calculator, field: str) -> np.ndarray:
    """bm25(field) of every local id, made once per query (the column bm25 indexes for dense
    candidates)."""
    k1, b, average = bm25_parameters(calc, field)
    return calc.memo(("bm25", field, k1, b, average), lambda: _bm25_by_local_id(calc, field, k1, b, average))


def bm25_scores(calc: Calculator, field: str, terms: list[Bm25Term], parameters: tuple[float, float, float],
                candidates: np.ndarray) -> np.ndarray:
    """bm25 of the candidates over the given query terms of `field` (the labeled forms' sum)."""
    k1, b, average = parameters
    score = np.zeros(len(candidates), dtype=np.float64)
    lengths = calc.index.field_lengths(field)
    for term, idf in _terms_with_idf(calc, field, terms):
        rows, tf = bm25_hits(calc, field, term, candidates)
        score[rows] += bm25_score(idf, tf, lengths[candidates[rows]], k1, b, average)
    return score


@dataclass(frozen=True, slots=True)
class Bm25Term:
    """One query item as bm25 sees it: its term (a word, phrase key or equiv key) and the index
    fields the item searches (its document frequency is estimated over all of them)."""

    term: str
    fields: tuple[str, ...]
    given: float | None = None  # the idf the query gives the item (given_idf), read before this node's


def bm25_term(calc: Calculator, item: q.Term | q.Phrase) -> Bm25Term:
    """The one term a query item is to bm25: a word, an equiv's combined word, or a phrase as
    its phrase key (postings of the phrase's occurrences, where it starts)."""
    return Bm25Term(q.item_key(item), searched_fields(calc, item.field), given_idf(item))


def searched_index_fields(calc: Calculator, index_name: str) -> tuple[str, ...]:
    """The index fields an item on `index_name` (a field or fieldset) searches (once per query)."""
    schema = calc.schema
    return calc.memo(("searched index fields", index_name), lambda: tuple(
        f for f in schema.index_fields(index_name) if f in schema.fields and schema.fields[f].is_index))


def searched_fields(calc: Calculator, index_name: str) -> tuple[str, ...]:
    """The fields an item on `index_name` searches, index or attribute: each adds its estimate to
    the item's document frequency (an attribute's: see IndexReads.document_frequency)."""
    schema = calc.schema
    return calc.memo(("searched fields", index_name), lambda: tuple(
        f for f in schema.index_fields(index_name)
        if f in schema.fields and (schema.fields[f].is_index or schema.fields[f].is_attribute)))


def item_document_frequency(calc: Calculator, index_name: str, term: str) -> int:
    """The one document frequency of a query item (a word, phrase key or equiv key on `index_name`)
    that every feature reads, whatever field it ranks: Vespa sets the item's estimate on all its
    fields' TermFieldData (blueprintbuilder.cpp), which bm25, nativeRank's and fieldMatch's
    significance, term(n).significance and queryTermDocumentFrequency all read."""
    return document_frequency(calc.index, Bm25Term(term, searched_fields(calc, index_name)))


def item_statistics(calc: Calculator, index_name: str, term: str,
                    given: tuple[int, int] | None = None) -> tuple[int, int]:
    """(document frequency, document count) of a query item: `given`, the (frequency, count) the
    query gave that item itself (Vespa's vespa.term.N.docfreq, per item: never another item's of
    the same word), else item_document_frequency and this node's document count."""
    return given or (item_document_frequency(calc, index_name, term), calc.index.doc_count)


def given_idf(item: q.RankTerm) -> float | None:
    """The idf the query gives an item, which bm25 reads before any statistics of the node
    (Vespa's Bm25Utils.get_inverse_document_frequency): from its (frequency, count), else its
    {significance: s} itself (util::lookupSignificance); None when it gives neither."""
    given = getattr(item, "document_frequency", None)
    if given is not None:
        return document_frequency_idf(*given)
    return getattr(item, "significance", None)


SIGNIFICANCE_FLOOR = 1e-6  # the least document frequency ratio significance tells apart (1/N, N = 1e6)


def significance(document_frequency: int, doc_count: int) -> float:
    """Vespa's util::calculate_legacy_significance of the term's document frequency ratio
    r = df / documents, held in [1e-6, 1]: 0.5 + 0.5 * ln(r) / ln(1e-6), from 1.0 for a term in
    (almost) no document down to 0.5 for one in all; 0.5 when there are no documents."""
    if doc_count <= 0:
        return 0.5
    ratio = document_frequency / doc_count
    ratio = min(max(ratio, SIGNIFICANCE_FLOOR), 1.0)
    return 0.5 + 0.5 * math.log(ratio) / math.log(SIGNIFICANCE_FLOOR)


def document_frequency(index, term: Bm25Term) -> int:
    """The document frequency Vespa gives a query item in every field it searches: the hit
    estimate of its blueprint (blueprintbuilder.cpp sets it on all the item's fields):
    - over several fields an OR of per-field blueprints, the saturated sum of their estimates
      (OrBlueprint::combine), at most the document count; an attribute field of a fieldset adds
      its own estimate (IndexReads.document_frequency);
    - an equiv the largest of its alternatives' estimates (EquivBlueprint::addTerm);
    - in one field a word's count, a phrase's its rarest word's (simple_phrase_blueprint.cpp)."""
    alternatives = q.equiv_alternatives(term.term)
    if alternatives is not None:
        return max(document_frequency(index, Bm25Term(word, term.fields)) for word in alternatives)
    if q.phrase_words(term.term) is None:  # a plain word: its count in each field
        return min(sum(index.document_frequency(field, term.term) for field in term.fields), index.doc_count)
    return min(sum(_field_estimate(index, field, term.term) for field in term.fields), index.doc_count)


def _field_estimate(index, field: str, term: str) -> int:
    words = q.phrase_words(term)
    if words is not None:
        return min(_field_estimate(index, field, word) for word in words)
    alternatives = q.equiv_alternatives(term)
    if alternatives is not None:  # alternatives inside a phrase
        return max(_field_estimate(index, field, word) for word in alternatives)
    return index.document_frequency(field, term)


def _terms_with_idf(calc: Calculator, field: str, terms: list[Bm25Term] | None = None) -> list[tuple[str, float]]:
    if terms is None:  # the query's own: each item's idf is the same whichever field bm25 ranks
        return [(term, idf) for covered, term, idf in calc.memo(("bm25 idf",), lambda: _items_with_idf(calc))
                if field in covered and idf is not None]
    return [(term.term, idf) for term in terms if (idf := _idf(calc.index, term)) is not None]


def _items_with_idf(calc: Calculator) -> list[tuple[tuple[str, ...], str, float | None]]:
    """Per ranked term or phrase of the query, in query order: (the fields its index name covers,
    its bm25 term, its idf or None when no document holds it), made once per query."""
    index, schema = calc.index, calc.schema
    fields_of: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}  # index name → (covered, searched)
    found = []
    for item in calc.ranked_items:
        if isinstance(item, (q.Term, q.Phrase)):
            fields = fields_of.get(item.field)
            if fields is None:
                fields = fields_of[item.field] = (schema.index_fields(item.field),
                                                  searched_fields(calc, item.field))
            term = q.item_key(item)
            idf = given_idf(item)
            found.append((fields[0], term, idf if idf is not None else _idf_in(index, term, fields[1])))
    return found


def _idf(index, term: Bm25Term) -> float | None:
    return term.given if term.given is not None else _idf_in(index, term.term, term.fields)


def _idf_in(index, term: str, fields: tuple[str, ...]) -> float | None:
    """This node's idf of `term` searched in `fields` (Bm25Term made only when the cache lacks it)."""
    statistic = getattr(index, "statistic", None)  # the node's cache of this generation's (posting_cache.py)
    if statistic is None:
        return _idf_of(index, Bm25Term(term, fields))
    return statistic(("idf", term, fields), lambda: _idf_of(index, Bm25Term(term, fields)))


def _idf_of(index, term: Bm25Term) -> float | None:
    return known_idf(index, document_frequency(index, term), index.doc_count)


def known_idf(index, df: int, count: int) -> float | None:
    """bm25's idf, or None for a term no document holds (it adds nothing: skipped); a streamed
    search knows no frequencies (term_statistics.StreamedIndex), so its every term has the idf."""
    return document_frequency_idf(df, count) if df or getattr(index, "STREAMED", False) else None


def bm25_hits(calc: Calculator, field: str, term: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows of the candidates holding `term` in `field`, its frequency there): an equiv's is the
    sum of its alternatives' (TermMatchDataMerger adds their occurrence counts for bm25)."""
    alternatives = q.equiv_alternatives(term)
    if alternatives is None:
        return calc.term_hits(field, term, candidates)
    tf = np.zeros(len(candidates), dtype=np.float64)
    for word in alternatives:
        rows, frequencies = bm25_hits(calc, field, word, candidates)
        tf[rows] += frequencies
    rows = np.flatnonzero(tf)
    return rows, tf[rows]


def _bm25_postings(calc: Calculator, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """(local ids holding `term` in `field`, its frequency in each), an equiv's summed as above."""
    alternatives = q.equiv_alternatives(term)
    if alternatives is None:
        postings = calc.postings(field, term)
        return postings.doc_ids, postings.term_freqs.astype(np.float64)
    parts = [_bm25_postings(calc, field, word) for word in alternatives]
    ids, inverse = np.unique(np.concatenate([part[0] for part in parts]), return_inverse=True)
    tf = np.bincount(inverse, weights=np.concatenate([part[1] for part in parts]), minlength=len(ids))
    return ids, tf


def _bm25_by_local_id(calc: Calculator, field: str, k1: float, b: float, average: float) -> np.ndarray:
    """bm25 of every local id (dense candidate sets): the terms' contributions over their postings
    (the same per-element arithmetic, kept between queries until the next write) summed by local
    id; bincount adds in input order, so a document's sum runs over its terms in query order from
    0.0, as the sparse loop does: the same scores to the bit."""
    limit = len(calc.index.field_lengths(field))
    parts = _contributions(calc, field, _terms_with_idf(calc, field), k1, b, average)
    if not parts:
        return np.zeros(limit, dtype=np.float64)
    ids = np.concatenate([part[0] for part in parts])
    weights = np.concatenate([part[1] for part in parts])
    if len(ids) and int(ids.max()) >= limit:
        inside = ids < limit
        ids, weights = ids[inside], weights[inside]
    # float64 even when no posting is left: numpy's bincount of nothing is integers, weights or not
    return np.bincount(ids, weights=weights, minlength=limit).astype(np.float64, copy=False)


def _bm25_of_sorted(calc: Calculator, field: str, terms: list[tuple[str, float]],
                    parameters: tuple[float, float, float], candidates: np.ndarray) -> np.ndarray | None:
    """bm25 of sorted sparse candidates from the terms' cached contributions, each posting placed
    by one binary search among the candidates and summed by bincount in query order (the same sum
    to the bit as the per-term loop); None when the lists are much longer than the candidates
    (the loop then searches the candidates in the lists instead) or the candidates are unsorted."""
    postings = sum(_postings_length(calc, field, term) for term, _ in terms)
    if postings > _POSTINGS_PER_CANDIDATE * len(candidates) or not _sorted(candidates):
        return None
    parts = [_term_contributions(calc, field, term, idf, *parameters) for term, idf in terms]
    if not parts:
        return np.zeros(len(candidates), dtype=np.float64)
    ids = np.concatenate([part[0] for part in parts]) if len(parts) > 1 else parts[0][0]
    weights = np.concatenate([part[1] for part in parts]) if len(parts) > 1 else parts[0][1]
    at = np.minimum(np.searchsorted(candidates, ids), len(candidates) - 1)
    hit = candidates[at] == ids
    return np.bincount(at[hit], weights=weights[hit], minlength=len(candidates))


def _postings_length(calc: Calculator, field: str, term: str) -> int:
    """How many postings bm25 reads for `term` (an equiv's: its alternatives' together)."""
    alternatives = q.equiv_alternatives(term)
    if alternatives is None:
        return len(calc.postings(field, term).doc_ids)
    return sum(_postings_length(calc, field, word) for word in alternatives)


def _sorted(ids: np.ndarray) -> bool:
    return len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1]))


def _term_contributions(calc: Calculator, field: str, term: str, idf: float, k1: float, b: float,
                        average: float) -> tuple[np.ndarray, np.ndarray]:
    """(the term's posting local ids, its bm25 part in each), memoized by the node's posting
    cache when the index has one (the key holds every input besides the postings and lengths)."""
    return _contributions(calc, field, [(term, idf)], k1, b, average)[0]


def _contributions(calc: Calculator, field: str, terms: list[tuple[str, float]], k1: float, b: float,
                   average: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """_term_contributions of each (term, idf), the cache and its key's suffix looked up once."""
    def compute(term: str, idf: float):
        ids, tf = _bm25_postings(calc, field, term)
        return ids, bm25_score(idf, tf, calc.index.field_lengths(field)[ids], k1, b, average)
    derived, suffix = _kept_in(calc)
    if derived is None:
        return [compute(term, idf) for term, idf in terms]
    return [derived(("bm25", field, term, idf, k1, b, average, *suffix), partial(compute, term, idf))
            for term, idf in terms]


def kept(calc: Calculator, key: tuple, compute: Callable[[], object]):
    """`compute()`, a value of this write generation's term reads alone (`key` names every other
    input), kept between queries by the node's posting cache when the index reads through one."""
    derived, suffix = _kept_in(calc)
    return compute() if derived is None else derived((*key, *suffix), compute)


def _kept_in(calc: Calculator) -> tuple[Callable | None, tuple]:
    """(the node's cache of derived values or None, what every key of it ends with): the
    profile's filter-threshold and the query's {usePositionData: false} words join the key: those
    reads are the calculator's postings, which they strip of frequencies (filter_threshold.py), and
    the cache is shared by every profile and query."""
    threshold = threshold_of(calc.settings)
    suffix: tuple = () if threshold >= 1.0 else (FILTER_THRESHOLD, threshold)
    words = calc.no_position_words  # {usePositionData: false} terms read as filters too
    return getattr(calc.index, "derived", None), ((*suffix, "no positions", words) if words else suffix)


def bm25_terms(calc: Calculator, field: str) -> list[tuple[str, float]]:
    """The query's terms of bm25(field) and their idf, in query order (a repeated word twice)."""
    return _terms_with_idf(calc, field)


def bm25_contributions(calc: Calculator, field: str, term: str, idf: float) -> tuple[np.ndarray, np.ndarray]:
    """(the term's posting local ids, its part of bm25(field) in each): the very numbers bm25 sums,
    so a sum over some of a document's terms is a lower bound of its score (every part is > 0) up
    to the order of the additions."""
    return _term_contributions(calc, field, term, idf, *bm25_parameters(calc, field))


def bm25_part(calc: Calculator, field: str, term: str, idf: float, candidates: np.ndarray) -> np.ndarray:
    """The term's part of bm25(field) for each candidate (0 without it), by the same arithmetic,
    found without reading the whole list when the candidates are few."""
    k1, b, average = bm25_parameters(calc, field)
    part = np.zeros(len(candidates), dtype=np.float64)
    rows, tf = bm25_hits(calc, field, term, candidates)
    part[rows] = bm25_score(idf, tf, calc.index.field_lengths(field)[candidates[rows]], k1, b, average)
    return part


def bm25_parameters(calc: Calculator, field: str) -> tuple[float, float, float]:
    """(k1, b, average field length) of bm25(field): the rank properties' or the defaults."""
    properties = calc.rank_properties  # a bad number is the query's or profile's error, not a 500
    k1 = number(properties, BM25_K1, f"bm25({field}).k1")
    b = number(properties, BM25_B, f"bm25({field}).b")
    average = number(properties, 0.0, f"bm25({field}).averageFieldLength") \
        or calc.index.average_field_length(field) or 1.0
    return k1, b, average


def field_weight(calc: Calculator, field: str) -> float:
    """The field's rank weight: the profile's (or query's) vespa.fieldweight.f, else its `weight:`."""
    given = number(calc.rank_properties, math.nan, f"vespa.fieldweight.{field}")
    if not math.isnan(given):
        return given
    spec = calc.schema.fields.get(field)
    return float(spec.weight) if spec is not None else 100.0


def attribute(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    name = feature.args[0] if feature.args else ""
    spec = calc.schema.fields.get(name)
    if spec is None or not spec.is_attribute:
        raise InvalidParameterError(f"attribute({name}): '{name}' is not an attribute field")
    column = calc.index.attribute(name)
    if spec.type.kind in ("array", "weightedset") or len(feature.args) > 1 or feature.output:
        return collection_attribute(spec, column[candidates], feature.args, feature.output)
    if spec.type.kind == "tensor":
        return tensor_attribute_column(spec, column[candidates])
    if spec.type.is_numeric:
        return as_floats(column[candidates])  # a double, as Vespa's features are; NaN when unset
    return np.array([_string_hash(v) for v in column[candidates]], dtype=np.float64)


def query(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> object:
    key = f"query({feature.args[0]})" if feature.args else "query"
    return calc.query_features.get(key, 0.0)


def matches(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    spec = calc.schema.fields.get(feature.args[0]) if feature.args else None
    if spec is not None and spec.is_attribute and not spec.is_index:
        return _attribute_matches(calc, spec, candidates).astype(np.float64)
    if spec is not None and not spec.is_index and any(name.startswith(spec.name + ".") for name in calc.schema.fields):
        return _same_element_matches(calc, spec.name, candidates).astype(np.float64)
    return (match_count(calc, feature, candidates) > 0).astype(np.float64)


def _same_element_matches(calc: Calculator, field: str, candidates: np.ndarray) -> np.ndarray:
    """matches(persons) of a struct, array-of-struct or map field (Vespa's virtual field, searched
    through its struct-fields): whether a sameElement on it matched, the one rank term with match
    data in that field (q.terms_of; vespa-engine/vespa#25541)."""
    hit = np.zeros(len(candidates), dtype=bool)
    for item in calc.ranked_items:
        if isinstance(item, q.SameElement) and item.field == field:
            hit |= calc.in_scope(item, candidates)
    return hit


def _attribute_matches(calc: Calculator, spec, candidates: np.ndarray) -> np.ndarray:
    """Whether a positive query item on the attribute matched: its words, and the ranges, in(),
    weighted-token, fuzzy and regex items naming it."""
    hit = np.zeros(len(candidates), dtype=bool)
    column = calc.index.attribute(spec.name)
    for item in calc.ranked_items:
        if spec.name in calc.schema.index_fields(item.field):
            for term in q.item_words(item):
                for word in q.equiv_alternatives(term) or (term,):
                    hit |= np.isin(candidates, attribute_term_matches(spec, column, word, getattr(item, "affix", ""))) \
                        & calc.in_scope(item, candidates)
    evaluator = MatchEvaluator(calc.schema, calc.index)
    stack = [calc.query]
    while stack:
        item = stack.pop()
        if isinstance(item, (q.And, q.Or, q.WeakAnd, q.Rank)):
            stack.extend(item.children)
        elif isinstance(item, (q.Range, q.In, q.WeightedTokens, q.Fuzzy, q.Regex)) and item.field == spec.name \
                and not getattr(item, "filter", False) and getattr(item, "ranked", True):  # no rank term
            hit |= np.isin(candidates, evaluator.matches(item))
    return hit


def match_count(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """The query terms (term_data: a phrase one, where it matched whole) with a match in f, each
    counted, a repeated word too: matchcountfeature.cpp counts the terms' match data in f (the
    document, so a filter term without occurrences counts: filter_threshold.py)."""
    field = calc.field_arg(feature, index_required=True)
    count = np.zeros(len(candidates), dtype=np.float64)
    for term in query_terms(calc):
        if term.text and field in calc.schema.index_fields(term.index_name):
            count[calc.term_hits(field, term.text, candidates)[0]] += 1.0
    return count


def field_length(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    lengths = calc.index.field_lengths(field)[candidates].astype(np.float64)
    matched = match_count(calc, feature, candidates) > 0
    return np.where(matched, lengths, NOT_FOUND_POSITION)


def query_term_count(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> float:
    """Vespa's count, its query environment's number of term data (querytermcountfeature.cpp:
    getNumTerms()): one per ranked item - a word, number, phrase (however many words), equiv,
    fuzzy, regex or sameElement item."""
    return float(len(calc.ranked_items))


def now(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> float:
    return calc.now


def freshness(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    timestamps = attribute(calc, FeatureName("attribute", feature.args, ""), candidates)
    max_age = number(calc.rank_properties, FRESHNESS_MAX_AGE, f"freshness({feature.args[0]}).maxAge", positive=True)
    age = np.maximum(calc.now - timestamps, 0.0)
    return np.maximum(1.0 - age / max_age, 0.0)


def _string_hash(value: object) -> float:
    # the expression language hashes string literals the same way, so == works across the two
    return string_hash(value) if isinstance(value, str) else math.nan


CORE_FEATURES = {
    "bm25": bm25,
    "attribute": attribute,
    "query": query,
    "matches": matches,
    "matchCount": match_count,
    "fieldLength": field_length,
    "queryTermCount": query_term_count,
    "now": now,
    "freshness": freshness,
}
