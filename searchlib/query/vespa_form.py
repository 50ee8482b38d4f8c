"""The query tree in Vespa's string form (`Item.toString()`): what Vespa's YQL parser tests print
and the conformance test compares, and how error messages name an item."""
from __future__ import annotations

from searchlib.query.tree import (
    And, Equiv, FalseItem, Fuzzy, GeoLocation, In, Near, NearestNeighbor, Not, Or, Phrase, PredicateQuery,
    QueryNode, Range, Rank, Regex, SameElement, Term, TrueItem, WeakAnd, WeightedTokens, bounds_text,
    equiv_alternatives, geo_location, phrase_words, vespa_number,
)
from searchlib.query.yql_serializer import java_double
from searchlib.uri import anchor_symbol


def vespa_string(node: QueryNode) -> str:
    """The tree in Vespa's query-tree string form (`Item.toString()`, what Vespa's YQL parser tests
    print): `AND title:madonna (OR a b)`, `+a -b`, `price:<500`, `|price:>500` (filter), `a:b!150`
    (weight). The conformance test compares it with the corpus's expected serializations."""
    return _vespa_item(node, nested=False)


def _vespa_item(node: QueryNode, *, nested: bool) -> str:
    if isinstance(node, (And, Or, Rank, WeakAnd, Not)):
        text = _vespa_composite(node)
        return f"({text})" if nested else text
    if isinstance(node, SameElement):
        ids = f"[{','.join(map(str, node.element_filter))}]" if node.element_filter else ""
        return f"{node.field}{ids}:{{{' '.join(_vespa_item(child, nested=True) for child in node.children)}}}"
    if isinstance(node, Term):
        weight = f"!{node.weight}" if node.weight != 100 else ""
        term = {"prefix": "{}*", "substring": "*{}*", "suffix": "*{}"}.get(node.affix, "{}").format(node.term)
        return f"{'|' if node.filter else ''}{_qualified(node.field, term)}{weight}"
    if isinstance(node, Phrase):
        weight = f"!{node.weight}" if node.weight != 100 else ""
        terms = list(map(anchor_symbol, node.terms) if node.field.endswith(".hostname") else node.terms)
        terms = [_alternatives_word(node, term) for term in terms]
        for start, end in reversed(node.segments):
            terms[start:end] = ["'" + " ".join(terms[start:end]) + "'"]
        quote = "'" if node.segment else '"'
        return f'{"|" if node.filter else ""}{node.field}:{quote}{" ".join(terms)}{quote}{weight}'
    if isinstance(node, Near):
        name = "ONEAR" if node.ordered else "NEAR"
        shape = f"{node.distance}"
        if node.negative:
            shape += f",{len(node.negative)},{node.exclusion_distance}"
        words = " ".join(_vespa_word(node.field, term, "'") for term in node.terms + node.negative)
        return f"({name}({shape}) {words})" if nested else f"{name}({shape}) {words}"
    if isinstance(node, Equiv):
        text = "EQUIV " + " ".join(_vespa_word(node.field, term, '"') for term in node.terms)
        return f"({text})" if nested else text  # a composite, as Vespa's EquivItem
    if isinstance(node, WeightedTokens):
        name = node.operator.upper() + (f"({node.target_hits})" if node.target_hits is not None else "")
        settings = [f"{key}={value!r}" for key, value in (("scoreThreshold", node.score_threshold),
                    ("thresholdBoostFactor", node.threshold_boost_factor)) if value is not None]
        tokens = ",".join(f'[{weight}]:"{token}"' for token, weight in node.tokens)
        return f"{name} " + (f"{{{', '.join(settings)}}} " if settings else "") + f"{node.field}{{{tokens}}}"
    if isinstance(node, Fuzzy):
        shape = f"{node.max_edit_distance},{node.prefix_length}{',prefix' if node.prefix else ''}"
        return f"FUZZY({shape}) {node.field}:{node.term}"
    if isinstance(node, Regex):
        return f"REGEXP {node.field}:{node.pattern}"
    if isinstance(node, In):
        return f"IN {node.field}{{{', '.join(node.values)}}}"
    if isinstance(node, Range):
        weight = f"!{node.weight}" if node.weight != 100 else ""
        return f"{'|' if node.filter else ''}{_qualified(node.field, _vespa_range(node))}{weight}"
    if isinstance(node, NearestNeighbor):
        parts = [f"field={node.field}", f"queryTensorName={node.query_tensor}"]
        if node.total_target_hits:
            parts.append(f"totalTargetHits={node.total_target_hits}")
            if node.min_target_hits:
                parts.append(f"minTargetHits={node.min_target_hits}")
        elif node.target_hits:  # 0: not given (Vespa's item shows no target then)
            parts.append(f"targetHits={node.target_hits}")
        if not node.approximate:
            parts.append("approximate=false")
        if node.explore_additional_hits:
            parts.append(f"hnsw.exploreAdditionalHits={node.explore_additional_hits}")
        if node.distance_threshold is not None:
            parts.append(f"distanceThreshold={node.distance_threshold!r}")
        parts.extend(f"{name}={value!r}" for name, value in node.hnsw)
        return "NEAREST_NEIGHBOR {" + ",".join(parts) + "}"
    if isinstance(node, GeoLocation):
        return f"GEO_LOCATION {node.field}:{geo_location(node)}"
    if isinstance(node, PredicateQuery):
        def bits(value: int) -> str:
            return "" if value == (1 << 64) - 1 else f"[0x{value:x}]"
        terms = [f"{key}={value}{bits(b)}" for key, value, b in node.features]
        terms += [f"{key}:{value}{bits(b)}" for key, value, b in node.ranges]
        return "PREDICATE_QUERY_ITEM " + ", ".join(terms)
    if isinstance(node, TrueItem):
        return "TRUE"
    if isinstance(node, FalseItem):
        return "FALSE"
    raise TypeError(f"not a query node: {node!r}")


def _alternatives_word(node: Phrase, word: str) -> str:
    """alternatives() inside a phrase as Vespa's WordAlternativesItem prints: `WORD_ALTERNATIVES
    f:[ tree(0.7) trees(1.0) ]` (the forms sorted, with their exactness where the phrase keeps it)."""
    forms = equiv_alternatives(word)
    if forms is None:
        return word
    exactness = next((dict(zip(item.terms, item.exactness)) for item in node.items
                      if isinstance(item, Equiv) and item.exactness and item.terms == forms), {})
    shown = " ".join(f"{form}({java_double(exactness[form])})" if form in exactness else form
                     for form in sorted(forms))
    return f"WORD_ALTERNATIVES {node.field}:[ {shown} ]"


def _vespa_word(index: str, word: str, quote: str) -> str:
    """A word of a Near/Equiv: a phrase in quotes (Vespa shows a phrase segment in near with ',
    an equiv's phrase with "), a nested equiv as (EQUIV ...)."""
    words = phrase_words(word)
    if words is not None:
        return _qualified(index, quote + " ".join(words) + quote)
    alternatives = equiv_alternatives(word)
    if alternatives is not None:
        return "(EQUIV " + " ".join(_vespa_word(index, a, '"') for a in alternatives) + ")"
    return _qualified(index, word)


def _qualified(index: str, text: str) -> str:
    """`index:text`; just `text` inside sameElement over an array of primitives (no field)."""
    return f"{index}:{text}" if index else text


def _vespa_composite(node: And | Or | Rank | WeakAnd | Not) -> str:
    if isinstance(node, Not):  # Vespa's NotItem: the positive child, then the negatives
        return f"-{_vespa_item(node.child, nested=True)}"
    if isinstance(node, Rank) and node.label_score is not None:
        return f"LABEL_WRAPPER({node.label},{node.label_score!r}) {_vespa_item(node.children[0], nested=True)}"
    name = {And: "AND", Or: "OR", Rank: "RANK"}.get(type(node))
    if isinstance(node, WeakAnd):
        name = "WEAKAND" if node.target_hits == 100 else f"WEAKAND({node.target_hits})"
        if node.total_target_hits:
            name = f"WEAKAND {{totalTargetHits={node.total_target_hits}}}"
    children = list(node.children)
    if isinstance(node, And) and any(isinstance(child, Not) for child in children):
        positives = [child for child in children if not isinstance(child, Not)]
        negatives = " ".join(_vespa_composite(child) for child in children if isinstance(child, Not))
        if not positives:
            return negatives
        positive = positives[0] if len(positives) == 1 else And(tuple(positives))
        return f"+{_vespa_item(positive, nested=True)} {negatives}"
    return f"{name} " + " ".join(_vespa_item(child, nested=True) for child in children)


def _vespa_range(node: Range) -> str:
    if node.hit_limit:
        low, high = ("" if v is None else vespa_number(v) for v in (node.low, node.high))
        return f"[{low};{high};{node.hit_limit}]"
    low = None if node.low is None else vespa_number(node.low)
    high = None if node.high is None else vespa_number(node.high)
    return bounds_text(node, low, high, open_inclusive=False)
