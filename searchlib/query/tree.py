"""The query tree. Frozen values; the container builds them, the wire codec ships them, content
nodes execute them. `field` is an index name: a field or a fieldset (content nodes expand
fieldsets). Terms are already normalized by searchlib.linguistics, exactly as indexed text was.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field  # `field` is also an item attribute
from typing import Union

from searchlib.geo import Location


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    term: str
    weight: int = 100
    label: str = ""
    ranked: bool = True
    filter: bool = False
    affix: str = ""  # {prefix|substring|suffix: true}: matches values starting with/holding/ending with the term
    significance: float | None = None  # {significance: s}: replaces the one from document frequency in ranking
    item_id: int = 0  # {id: N} (0: none), what a {connectivity: {id: N, weight: w}} names
    connectivity: tuple[int, float] | None = None  # (id of the item this one connects to, weight)
    # (frequency, count) from {documentFrequency: {frequency: f, count: c}} or a significance model
    # (searchlib.significance): the term's idf and significance in place of this node's statistics
    # (Vespa's vespa.term.N.docfreq, features/utils.cpp; content_node/matching/core_features.py)
    document_frequency: tuple[int, int] | None = None
    # word settings that already shaped the term, kept only to show the item as Vespa's serializer
    # does (searchlib.query.yql_serializer): (name, value) of origin, andSegmenting, language, ...
    form: tuple[tuple[str, object], ...] = dataclass_field(default=(), compare=False)
    # the text the word was parsed from, before stemming and folding: what a significance model
    # is looked up by (searchlib.significance.model_word); "" when not kept
    written: str = dataclass_field(default="", compare=False)
    # {usePositionData: false}: ranked as a filter in every field it searches (Vespa's forceFilter
    # in querynodes.h): it matches, but carries no occurrences (content_node/matching/filter_threshold.py)
    positions: bool = True


@dataclass(frozen=True, slots=True)
class Phrase:
    """segment: the words of one string ('foo.bar'), Vespa's PhraseSegmentItem, matched as any
    phrase but shown in single quotes; False for phrase(...)."""

    field: str
    terms: tuple[str, ...]
    weight: int = 100
    label: str = ""
    segment: bool = dataclass_field(default=False, compare=False)  # how it prints, not what it is
    # [start, end) spans of terms that were a phrase segment nested in phrase(...): printed only
    segments: tuple[tuple[int, int], ...] = dataclass_field(default=(), compare=False)
    ranked: bool = True  # {ranked: false}: matched, but no rank term (as a Term)
    filter: bool = False  # {filter: true}: no rank term either (as a Term)
    significance: float | None = None  # {significance: s}, as on a Term
    item_id: int = 0  # {id: N} and {connectivity: ...}, as on a Term
    connectivity: tuple[int, float] | None = None
    # word settings that already shaped the term, kept only to show the item as Vespa's serializer
    # does (searchlib.query.yql_serializer): the origin of a phrase segment
    form: tuple[tuple[str, object], ...] = dataclass_field(default=(), compare=False)
    # the members as parsed (Vespa's child items, with their own annotations), for display only
    items: tuple["QueryNode", ...] = dataclass_field(default=(), compare=False)
    positions: bool = True  # {usePositionData: false}, as on a Term
    document_frequency: tuple[int, int] | None = None  # {documentFrequency: ...}, as on a Term
    # the text the words were parsed from (a string's, userQuery's), as Term.written; "" when not kept
    written: str = dataclass_field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Near:
    """`near(...)`/`onear(...)`: every word of `terms` in one window of positions with
    last - first <= distance (in the given order when `ordered`), and no word of `negative` inside
    that window widened by `exclusion_distance` on both sides."""

    field: str
    terms: tuple[str, ...]
    negative: tuple[str, ...] = ()
    distance: int = 2
    exclusion_distance: int = 1
    ordered: bool = False
    weight: int = 100
    label: str = ""
    # the members as parsed (Vespa's child items, with their own annotations), for display only
    items: tuple["QueryNode", ...] = dataclass_field(default=(), compare=False)
    # (frequency, count) of each of `terms` from a significance model (searchlib.significance): its
    # words are rank terms each (Vespa's near children), so each reads its own; () when none
    document_frequencies: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Equiv:
    """`equiv("a", "b")`: any of the words matches, and ranking sees them as ONE query term (its
    occurrences are the union of theirs), as Vespa's EquivItem."""

    field: str
    terms: tuple[str, ...]
    weight: int = 100
    label: str = ""
    item_id: int = 0  # {id: N} and {connectivity: ...}, as on a Term
    connectivity: tuple[int, float] | None = None
    # alternatives({"trees": 1.0, "tree": 0.7}): the exactness of each term, shown only
    exactness: tuple[float, ...] = dataclass_field(default=(), compare=False)
    # word settings that already shaped the term, kept only to show the item as Vespa's serializer
    # does (searchlib.query.yql_serializer): origin, implicitTransforms
    form: tuple[tuple[str, object], ...] = dataclass_field(default=(), compare=False)
    # the members as parsed (Vespa's child items, with their own annotations), for display only
    items: tuple["QueryNode", ...] = dataclass_field(default=(), compare=False)
    # (frequency, count) from a significance model (searchlib.significance), as on a Term
    document_frequency: tuple[int, int] | None = None


def near_frequencies(terms: tuple[str, ...], frequencies: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
    """A near's (frequency, count) list when it gives one for each of its terms, else (): a list
    of another length says nothing about which term is which (never zipped short, dropping terms)."""
    return tuple(frequencies) if len(frequencies) == len(terms) else ()


_EQUIV_MARK = "\x1f"  # never in a normalized word: marks the combined term of an Equiv
# the forms of alternatives() inside a phrase: a mark of their own, so that phrase can stand as one
# word of an equiv (equiv("a", phrase("b", alternatives(...)))) and still split back unambiguously
_INNER_EQUIV_MARK = "\x1d"


def equiv_key(terms: tuple[str, ...], *, inner: bool = False) -> str:
    """The one word ranking uses for an Equiv; content nodes merge the postings it names.
    inner=True: the key of alternatives inside a phrase (a word of a phrase key)."""
    mark = _INNER_EQUIV_MARK if inner else _EQUIV_MARK
    return mark + mark.join(terms)


def equiv_alternatives(word: str) -> tuple[str, ...] | None:
    mark = word[:1]
    return tuple(word[1:].split(mark)) if mark in (_EQUIV_MARK, _INNER_EQUIV_MARK) else None


_PHRASE_MARK = "\x1e"  # never in a normalized word: marks a phrase standing as one word


def phrase_key(terms: tuple[str, ...]) -> str:
    """A phrase as one word of an Equiv or Near (`equiv("ny", phrase("new", "york"))`,
    `near('a-b', 'c')`): it occurs where the phrase starts; content nodes build its postings."""
    return _PHRASE_MARK + _PHRASE_MARK.join(terms)


_FIELD_MARK = "\x1c"  # never in a normalized word: marks a word that counts in one field only


def field_word(field: str, word: str) -> str:
    """`word` in `field` alone: an alternative of an equiv over a fieldset whose fields match a
    query word by different algorithms (streaming search), so that each field matches only the
    words its own algorithm finds while ranking still sees one query term."""
    return _FIELD_MARK + field + _FIELD_MARK + word


def word_in_field(word: str, field: str) -> str | None:
    """The word `word` looks up in `field`: itself, a field_word's word in its own field, None in
    any other (no document holds it there)."""
    if not word.startswith(_FIELD_MARK):
        return word
    scope, _, plain = word[1:].partition(_FIELD_MARK)
    return plain if scope == field else None


def item_key(item: "Term | Phrase") -> str:
    """The one word a ranked word or phrase stands as (a phrase of one word is that word)."""
    if isinstance(item, Term):
        return item.term
    return item.terms[0] if len(item.terms) == 1 else phrase_key(item.terms)


def phrase_words(word: str) -> tuple[str, ...] | None:
    return tuple(word[1:].split(_PHRASE_MARK)) if word.startswith(_PHRASE_MARK) else None


def plain_words(word: str) -> list[str]:
    """The words of a compound word (an equiv's combined word, a phrase key), nested as they are."""
    parts = equiv_alternatives(word) or phrase_words(word)
    return [word] if parts is None else [plain for part in parts for plain in plain_words(part)]


@dataclass(frozen=True, slots=True)
class WeightedTokens:
    """`weightedSet(f, {...})`, `dotProduct(f, {...})`, `wand(f, {...})`: (token, weight) pairs.
    All match documents whose field holds any token; a document's score is the sum over its
    tokens of query weight x document weight (weighted-set weight, 1 for array elements, term
    frequency in indexed text) - `rawScore(f)` for dotProduct and wand; wand keeps only the
    target_hits best scores above score_threshold on each content node."""

    operator: str  # weightedSet, dotProduct or wand
    field: str
    tokens: tuple[tuple[str, int], ...]
    target_hits: int | None = None
    score_threshold: float | None = None
    threshold_boost_factor: float | None = None  # kept and shown: this wand is exact, so it changes nothing
    label: str = ""


@dataclass(frozen=True, slots=True)
class Fuzzy:
    """`fuzzy("word")`: string attribute values within max_edit_distance (searchlib.query.string_match)."""

    field: str
    term: str
    max_edit_distance: int = 2
    prefix_length: int = 0
    prefix: bool = False
    label: str = ""
    weight: int = 100  # a rank term's weight (Vespa's FuzzyItem): term(n).weight


@dataclass(frozen=True, slots=True)
class Regex:
    """`field matches "pattern"`: string attribute values an RE2 pattern finds a match in."""

    field: str
    pattern: str
    label: str = ""
    weight: int = 100  # a rank term's weight (Vespa's RegExpItem): term(n).weight


@dataclass(frozen=True, slots=True)
class In:
    """`field in (1, 2)` / `field in ("a", "b")`: the field holds one of the values (integers, or
    normalized strings, never mixed)."""

    field: str
    values: tuple[str, ...]
    numeric: bool
    label: str = ""


@dataclass(frozen=True, slots=True)
class Range:
    """Numeric comparison/range over an attribute: low/high None means unbounded; an integer
    literal stays an int, so longs beyond 2^53 compare exactly."""

    field: str
    low: int | float | None = None
    high: int | float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    label: str = ""
    filter: bool = False  # {filter: true}: not a rank term (as a filter Term)
    hit_limit: int = 0  # N: only the N lowest matching values (per content node); -N: the N highest
    weight: int = 100  # as Vespa's IntItem, a range is a rank term with this weight (terms_of)
    ranked: bool = True  # {ranked: false}: matched, but no rank term
    item_id: int = dataclass_field(default=0, compare=False)  # {id: N}, shown only


@dataclass(frozen=True, slots=True)
class And:
    children: tuple["QueryNode", ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple["QueryNode", ...]


@dataclass(frozen=True, slots=True)
class Not:
    """`!(x)`: inside an And it removes matches of x; alone it is 'everything except x'."""

    child: "QueryNode"


@dataclass(frozen=True, slots=True)
class WeakAnd:
    """target_hits: per content node; `{totalTargetHits: N}` (cluster-wide) alone makes it N on
    every node, a superset of the global best N (total_target_hits keeps N for display)."""

    children: tuple["QueryNode", ...]
    target_hits: int = 100
    total_target_hits: int = 0  # 0: not given


@dataclass(frozen=True, slots=True)
class Rank:
    """`rank(a, b, ...)`: only the first child decides matching; the rest only add features.
    `labeled(a, "l", 2.5)` (Vespa's LabelWrapperItem) is a Rank of the one child a with label "l"
    and label_score 2.5: itemRawScore(l) is 2.5 for the documents matching a, else 0."""

    children: tuple["QueryNode", ...]
    label: str = ""
    label_score: float | None = None


HNSW_TUNING = ("hnsw.approximateThreshold", "hnsw.explorationSlack", "hnsw.filterFirstExploration",
               "hnsw.filterFirstThreshold", "hnsw.postFilterThreshold", "hnsw.targetHitsMaxAdjustmentFactor")


@dataclass(frozen=True, slots=True)
class NearestNeighbor:
    """target_hits: per content node; with only `totalTargetHits` (cluster-wide) given, every node
    uses max(totalTargetHits, minTargetHits), a superset of the global best that stays exact.
    hnsw: the item's HNSW_TUNING overrides (sorted). `hnsw.approximateThreshold` picks exact vs
    graph search as the profile's approximate-threshold does; the others tune Vespa's post-filter /
    filter-first strategies, which this engine does not have (its graph search always filters
    inside the graph), so they are kept and shown only."""

    field: str
    query_tensor: str  # name x of the query input query(x)
    target_hits: int
    approximate: bool = True
    explore_additional_hits: int = 0
    distance_threshold: float | None = None
    label: str = ""
    total_target_hits: int = 0  # 0: not given
    min_target_hits: int = 0  # 0: not given
    hnsw: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class SameElement:
    """`f contains sameElement(c1, c2, ...)`: every child holds in the same element of the array of
    structs, map or array `f`. Children name fields relative to f (`name`, `key`, `value.x`); a
    child without a field ("") tests the element itself (arrays of primitives). element_filter:
    only those element ids (sorted, unique), empty for all."""

    field: str
    children: tuple["QueryNode", ...]
    element_filter: tuple[int, ...] = ()
    label: str = ""


@dataclass(frozen=True, slots=True)
class GeoLocation:
    """`geoLocation(f, lat, lng, "10 km")` / `geoBoundingBox(f, s, w, n, e)` over a position field,
    in micro-degrees as searchlib.geo.Location: documents with a position inside match, and the
    `distance(f)`/`closeness(f)` features measure from the circle's center."""

    field: str
    x: int = 0
    y: int = 0
    radius: int = -1  # micro-degrees; -1: no limit
    aspect: int = 0
    has_circle: bool = False
    box: tuple[int, int, int, int] | None = None  # (x1, y1, x2, y2)
    label: str = ""


@dataclass(frozen=True, slots=True)
class PredicateQuery:
    """`predicate(field, {"gender": "male"}, {"age": 25L})`: documents whose predicate field holds
    for these attributes (searchlib.predicate); each term has a 64-bit subquery bitmap."""

    field: str
    features: tuple[tuple[str, str, int], ...] = ()  # (key, value, subquery bitmap)
    ranges: tuple[tuple[str, int, int], ...] = ()  # (key, number, subquery bitmap)
    label: str = ""


def geo_location(node: GeoLocation) -> Location:
    return Location(node.x, node.y, node.radius, node.aspect, node.has_circle, node.box)


@dataclass(frozen=True, slots=True)
class TrueItem:
    pass


@dataclass(frozen=True, slots=True)
class FalseItem:
    pass


QueryNode = Union[
    Term, Phrase, Near, Equiv, WeightedTokens, Fuzzy, Regex, In, Range, And, Or, Not, WeakAnd, Rank,
    NearestNeighbor, GeoLocation, PredicateQuery, SameElement, TrueItem, FalseItem,
]
# the leaves that search one field (or fieldset): its name is `.field`
FIELD_ITEMS = (Term, Phrase, Near, Equiv, WeightedTokens, Fuzzy, Regex, In, Range, NearestNeighbor, GeoLocation,
               PredicateQuery)


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str  # an attribute name, or "[relevance]"
    ascending: bool = False
    # a string sort function (searchlib.sort_functions): raw, lowercase or uca; "" for the attribute's
    function: str = ""
    strength: str = ""  # uca: primary .. identical; "" for the attribute's
    locale: str = ""  # uca: kept and shown (no locale tailoring here)


@dataclass(frozen=True, slots=True)
class ParsedYql:
    """What a YQL statement says. limit/offset/timeout are None when the statement does not set them."""

    select_fields: tuple[str, ...]  # ("*",) for all
    sources: tuple[str, ...]  # ("*",) for `sources *`
    where: QueryNode
    order_by: tuple[SortKey, ...] = ()
    limit: int | None = None
    offset: int | None = None
    timeout_ms: float | None = None
    grouping: str = ""  # the text after `|`, parsed by the grouping module
    emptied: bool = False  # the where held only empty items (Vespa's NullItem root); where is then FalseItem
    # the language the words were parsed in ("" when no word needed one): how, not what
    language: str = dataclass_field(default="", compare=False)


RankTerm = Union[Term, Phrase, Fuzzy, Regex, SameElement]


def map_children(node: QueryNode, function) -> QueryNode:
    """`node` with `function` applied to each of its child items (And, Or, WeakAnd, Rank,
    SameElement: children; Not: child); a leaf is returned as it is. The one step a rewrite of the
    whole tree repeats, so that no composite is left out."""
    if isinstance(node, (And, Or, WeakAnd, Rank, SameElement)):
        return replace(node, children=tuple(function(child) for child in node.children))
    if isinstance(node, Not):
        return replace(node, child=function(node.child))
    return node


def terms_of(node: QueryNode, scopes: dict[int, SameElement] | None = None) -> list[RankTerm]:
    """Every query term in the tree, in query order (used for bm25 and term features). fuzzy and
    regex items are terms (Vespa's FuzzyItem, RegExpItem) but search no index (item_words). A
    sameElement(...) is a term itself on the struct field (`persons`: searchcore's querynodes.h
    makes ProtonSameElement term data, vespa-engine/vespa#25541 exposes it to `matches(persons)`),
    placed before its descendants, unless it ranks over an array of primitives (self_ranked);
    its positive descendants are terms on the struct field's sub-fields (`persons.name`), as Vespa
    exposes them too; `scopes` gets the id of each such term, and of the sameElement, → it."""
    found: list[RankTerm] = []

    def visit(item: QueryNode, scope: SameElement | None = None) -> None:
        if scope is not None and isinstance(item, FIELD_ITEMS):
            item = replace(item, field=f"{scope.field}.{item.field}" if item.field else scope.field)
        size = len(found)
        visit_item(item, scope)
        if scope is not None and scopes is not None:
            scopes.update((id(term), scope) for term in found[size:])

    def visit_item(item: QueryNode, scope: SameElement | None) -> None:
        if isinstance(item, (Term, Phrase, Fuzzy, Regex)):
            found.append(item)
        elif isinstance(item, Equiv):
            found.append(Term(item.field, equiv_key(item.terms), item.weight, item.label,
                              item_id=item.item_id, connectivity=item.connectivity,
                              document_frequency=item.document_frequency))
        elif isinstance(item, Range) and item.field:  # a numeric term (Vespa's IntItem) ranks too
            found.append(Term(item.field, range_term(item), item.weight, item.label, item.ranked, item.filter))
        elif isinstance(item, Near):  # its positive words rank as words; negatives never do
            given = near_frequencies(item.terms, item.document_frequencies) or (None,) * len(item.terms)
            found.extend(Term(item.field, term, item.weight, item.label, document_frequency=frequency)
                         for term, frequency in zip(item.terms, given))
        elif isinstance(item, (And, Or, WeakAnd, Rank)):
            for child in item.children:
                visit(child, scope)
        elif isinstance(item, SameElement):
            if self_ranked(item):
                found.append(item)
                if scopes is not None:  # it matches where it matches
                    scopes[id(item)] = item
            for child in item.children:
                visit(child, item)
        elif isinstance(item, Not):
            pass  # negative terms never contribute to ranking

    visit(node)
    return found


def rank_terms(node: QueryNode, scopes: dict[int, SameElement] | None = None) -> list[RankTerm]:
    """The query's rank terms, one per Vespa term data (termdataextractor.cpp), in query order: the
    one numbering of queryTermCount, term(n), matches(f, n), fieldTermMatch, termDistance, matchCount
    and queryTermDocumentFrequency (a phrase is one); {ranked: false}/{filter: true} items are none."""
    return [item for item in terms_of(node, scopes)
            if not isinstance(item, (Term, Phrase)) or (item.ranked and not item.filter)]


def self_ranked(node: SameElement) -> bool:
    """Whether the sameElement is a rank term itself: not when a ranked positive descendant searches
    the field itself (an array of primitives, `tags contains sameElement("red")`), whose match data
    would be the same field's (searchcore's sameelementmodifier.cpp: expose_match_data_for_same_element;
    a negated descendant is hidden there and does not count)."""
    def on_the_field(item: QueryNode) -> bool:
        if isinstance(item, (Term, Range)):
            return not item.field and item.ranked
        if isinstance(item, (And, Or, Rank, WeakAnd)):
            return any(on_the_field(child) for child in item.children)
        return False
    return not any(on_the_field(child) for child in node.children)


def item_words(item: RankTerm) -> list[str]:
    """The words a ranked item looks up in an index (none for fuzzy, regex and sameElement items)."""
    return [item.term] if isinstance(item, Term) else list(item.terms) if isinstance(item, Phrase) else []


def vespa_number(value: float) -> str:
    """An integer literal's int prints as Vespa's Long, a float as its Double (`0.0`), and
    `flag = true` (a Range over 1 held as the bool True) as its BoolItem."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int) else repr(float(value))


def bounds_text(node: Range, low: str | None, high: str | None, *, open_inclusive: bool) -> str:
    """`5`, `>5`, `<5`, or `[1;5]` with an exclusive bound in angle brackets; a missing bound
    prints as inclusive when `open_inclusive` (a numeric term), else as its flag says."""
    if low is not None and low == high and node.low_inclusive and node.high_inclusive:
        return low
    if high is None and low is not None and not node.low_inclusive:
        return f">{low}"
    if low is None and high is not None and not node.high_inclusive:
        return f"<{high}"
    opening = "[" if node.low_inclusive or (open_inclusive and low is None) else "<"
    closing = "]" if node.high_inclusive or (open_inclusive and high is None) else ">"
    return f"{opening}{low or ''};{high or ''}{closing}"


def range_term(node: Range) -> str:
    """The range as the text of a numeric term (Vespa's IntItem): `5`, `<5`, `>5`, `[1;5]`,
    `<1;5]` (an exclusive bound in angle brackets), `[1;]`; a bool is 1 or 0. The hit limit is
    left out: it limits matching, not what a document's value is compared with."""
    low, high = (None if v is None else str(int(v)) if isinstance(v, bool) else vespa_number(v)
                 for v in (node.low, node.high))
    return bounds_text(node, low, high, open_inclusive=True)
