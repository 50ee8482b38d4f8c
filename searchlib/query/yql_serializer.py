"""The query tree back to YQL, as Vespa's VespaSerializer writes it (the `where` part): what
Vespa's serializer tests expect after parsing a string (`parseAndConfirm`), and a YQL form of any
tree the parser builds. Parsing the result again gives an equal tree, except where Vespa's own form
drops something: near()'s negative words and exclusionDistance (VespaSerializer writes the
negative words as positive ones), and the numbers and booleans of indexed access (`ints[1] = 2`),
which have no form inside sameElement(...). Where Vespa's serializer has no form at all (a not
without a positive part, a near()'s label) this writes one that parses back.

Items print their annotations in VespaSerializer's order: the word's own settings (origin,
usePositionData, stem, normalizeCase, accentDrop, andSegmenting, implicitTransforms, the affix,
language), then the leaf ones (connectivity, significance, documentFrequency, id, filter, ranked, label,
weight, hitLimit). Words print as the tree holds them (parse with fold_case=False, stem=False for the words
as written, as Vespa's parser leaves them).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

from searchlib.query.tree import (
    And, Equiv, FalseItem, Fuzzy, GeoLocation, In, Near, NearestNeighbor, Not, Or, ParsedYql, Phrase,
    PredicateQuery, QueryNode, Range, Rank, Regex, SameElement, SortKey, Term, TrueItem, WeakAnd, WeightedTokens,
    equiv_alternatives, phrase_words,
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_INT32 = range(-(1 << 31), 1 << 31)
_ALL_SUBQUERIES = (1 << 64) - 1
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "'": "\\'",
            "\\": "\\\\", "/": "\\/"}


def yql_statement(parsed: ParsedYql) -> str:
    """The whole statement, as Vespa's Query.yqlRepresentation(true) writes it: `limit` is the end
    of the window (offset + hits), `offset` only when not 0, the grouping after `|`."""
    fields = ", ".join(parsed.select_fields)
    sources = parsed.sources[0] if len(parsed.sources) == 1 and parsed.sources != ("*",) else \
        "sources " + ", ".join(parsed.sources)
    text = f"select {fields} from {sources} where {yql_where(parsed.where)}"
    if parsed.order_by:
        text += " order by " + ", ".join(map(_sort_key, parsed.order_by))
    if parsed.limit is not None or parsed.offset:
        text += f" limit {parsed.limit if parsed.limit is not None else (parsed.offset or 0) + 10}"
    if parsed.offset:
        text += f" offset {parsed.offset}"
    if parsed.timeout_ms is not None:
        text += f" timeout {number(int(parsed.timeout_ms) if parsed.timeout_ms.is_integer() else parsed.timeout_ms)}"
    return text + (f" | {parsed.grouping}" if parsed.grouping else "")


def _sort_key(key: SortKey) -> str:
    """`field`, `field desc`, `[{"function": "uca", "locale": "en_US", "strength": "IDENTICAL"}]field`."""
    settings = [("function", key.function), ("locale", key.locale), ("strength", key.strength.upper())]
    shown = ", ".join(f'"{name}": {quoted(value)}' for name, value in settings if value)
    field = key.field if _IDENTIFIER.fullmatch(key.field) else quoted(key.field)  # `"[rank]"`, as Vespa
    return (f"[{{{shown}}}]" if shown else "") + field + ("" if key.ascending else " desc")


def yql_where(node: QueryNode) -> str:
    """The tree as the text of a YQL `where` clause, in VespaSerializer's form."""
    if isinstance(node, And):
        negatives = [child.child for child in node.children if isinstance(child, Not)]
        positives = [child for child in node.children if not isinstance(child, Not)]
        if negatives and not positives:  # no YQL form for Vespa's NotItem without a positive part
            return " AND ".join(f"!({yql_where(negative)})" for negative in negatives)
        if negatives:  # Vespa's NotItem: the positive part, then the negatives as one OR
            positive = positives[0] if len(positives) == 1 else And(tuple(positives))
            return f"({yql_where(positive)}) AND !(" + " OR ".join(map(yql_where, negatives)) + ")"
        return "(" + " AND ".join(map(yql_where, node.children)) + ")"
    if isinstance(node, Not):
        return f"!({yql_where(node.child)})"
    if isinstance(node, Or):
        return "(" + " OR ".join(map(yql_where, node.children)) + ")"
    if isinstance(node, Rank):
        if node.label_score is not None:
            return (f"labeled({yql_where(node.children[0])}, {quoted(node.label)}, "
                    f"{java_double(node.label_score)})")
        return "rank(" + ", ".join(map(yql_where, node.children)) + ")"
    if isinstance(node, WeakAnd):
        hits = {"targetHits": node.target_hits} if node.target_hits != 100 and not node.total_target_hits else {}
        if node.total_target_hits:
            hits["totalTargetHits"] = node.total_target_hits
        inner = "weakAnd(" + ", ".join(map(yql_where, node.children)) + ")"
        return f"({_block(_pairs(hits))}{inner})" if hits else inner
    if isinstance(node, TrueItem):
        return "true"
    if isinstance(node, FalseItem):
        return "false"
    if isinstance(node, Range):
        return _range(node)
    if isinstance(node, (Term, Phrase, Equiv, Near, Fuzzy)):
        return _contains(node.field, _leaf(node, with_field=True))
    if isinstance(node, Regex):
        return f"{node.field} matches " + _wrapped(_leaf_annotations(node), quoted(node.pattern))
    if isinstance(node, WeightedTokens):
        return _weighted_tokens(node)
    if isinstance(node, In):
        return _in(node)
    if isinstance(node, NearestNeighbor):
        return _nearest_neighbor(node)
    if isinstance(node, GeoLocation):
        return _geo(node)
    if isinstance(node, PredicateQuery):
        return _predicate(node)
    if isinstance(node, SameElement):
        return _same_element(node)
    raise TypeError(f"not a query node: {node!r}")


def quoted(text: str) -> str:
    """A YQL string literal, escaped as VespaSerializer does (JSON-like; \\uXXXX outside ASCII)."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 32 or ord(char) >= 127:
            out.extend(f"\\u{unit:04X}" for unit in _utf16(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _utf16(char: str) -> tuple[int, ...]:
    code = ord(char)
    if code < 0x10000:
        return (code,)
    code -= 0x10000
    return (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def java_double(value: float) -> str:
    """Java's Double.toString (shortest digits): `500.0`, `0.05`, `1.0E7`, `1.0E-4`."""
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    exact = Decimal(repr(value))
    if 1e-3 <= abs(value) < 1e7:
        text = f"{exact:f}"
        return text if "." in text else text + ".0"
    sign, digits, exponent = exact.as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    mantissa = text[0] + "." + (text[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{len(digits) - 1 + exponent}"


def number(value: int | float) -> str:
    """An int as Vespa's Integer (or Long with `L` outside int32), a float as its Double."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value) + ("" if value in _INT32 else "L")
    return java_double(value)


def _pairs(values: dict[str, object]) -> list[str]:
    return [f"{name}: {_value(value)}" for name, value in values.items()]


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, dict):
        return "{" + ", ".join(_pairs(value)) + "}"
    return str(value)


def _block(annotations: list[str]) -> str:
    return "{" + ", ".join(annotations) + "}" if annotations else ""


def _wrapped(annotations: list[str], text: str) -> str:
    """`text`, or `({annotations}text)`."""
    return f"({_block(annotations)}{text})" if annotations else text


def _contains(field: str, item: str) -> str:
    """`field contains item`; inside sameElement over an array of primitives, just the item."""
    return f"{field} contains {item}" if field else item


def _leaf_annotations(node: object) -> list[str]:
    found: dict[str, object] = {}
    connectivity = getattr(node, "connectivity", None)
    if connectivity is not None:
        found["connectivity"] = {"id": connectivity[0], "weight": float(connectivity[1])}
    if getattr(node, "significance", None) is not None:
        found["significance"] = float(node.significance)
    if getattr(node, "document_frequency", None) is not None:
        frequency, count = node.document_frequency
        found["documentFrequency"] = {"frequency": frequency, "count": count}
    if getattr(node, "item_id", 0):
        found["id"] = node.item_id
    if getattr(node, "filter", False):
        found["filter"] = True
    if not getattr(node, "ranked", True):
        found["ranked"] = False
    if getattr(node, "label", ""):
        found["label"] = node.label
    if getattr(node, "weight", 100) != 100:
        found["weight"] = node.weight
    if getattr(node, "hit_limit", 0):
        found["hitLimit"] = node.hit_limit
    return _pairs(found)


def _form(node: Term | Phrase | Equiv) -> list[str]:
    """The word settings the item keeps for display (tree.Term.form), in VespaSerializer's order."""
    return _pairs(dict(node.form))


def _leaf(node: Term | Phrase | Equiv | Near | Fuzzy, *, with_field: bool) -> str:
    """A word-like item after `contains` (or inside near/phrase/equiv without its field)."""
    if isinstance(node, Term):
        affix = [f"{node.affix}: true"] if node.affix else []
        form = _form(node)
        # the affix sits after implicitTransforms and before language in Vespa's order
        split = next((i for i, text in enumerate(form) if text.startswith("language:")), len(form))
        return _wrapped(form[:split] + affix + form[split:] + _leaf_annotations(node), quoted(node.term))
    if isinstance(node, Phrase):
        return _phrase(node)
    if isinstance(node, Equiv):
        if node.exactness:
            return _alternatives(node)
        members = node.items or tuple(_word_item(node.field, word) for word in node.terms)
        inner = "equiv(" + ", ".join(_member(item) for item in members) + ")"
        return _wrapped(_form(node) + _leaf_annotations(node), inner)
    if isinstance(node, Near):
        name = "onear" if node.ordered else "near"
        members = node.items or tuple(_word_item(node.field, word) for word in node.terms + node.negative)
        inner = f"{name}(" + ", ".join(_member(item) for item in members) + ")"
        # Vespa shows only the distance; the label and weight here too, so they survive a round trip
        distance = [f"distance: {node.distance}"] if node.distance != 2 else []
        return _wrapped(distance + _leaf_annotations(node), inner)
    shape = []
    if node.max_edit_distance != 2:
        shape.append(f"maxEditDistance:{node.max_edit_distance}")
    if node.prefix_length:
        shape.append(f"prefixLength:{node.prefix_length}")
    if node.prefix:
        shape.append("prefix:true")
    inner = f"fuzzy({quoted(node.term)})"
    return f"({{{','.join(shape)}}}{inner})" if shape else inner


def _word_item(field: str, word: str) -> Term | Phrase | Equiv:
    """A compound word of an Equiv or Near (tree.phrase_key, tree.equiv_key) as its item."""
    words = phrase_words(word)
    if words is not None:
        return Phrase(field, words)
    alternatives = equiv_alternatives(word)
    return Term(field, word) if alternatives is None else Equiv(field, alternatives)


def _member(item: Term | Phrase | Equiv) -> str:
    return _leaf(item, with_field=False)


def _phrase(node: Phrase) -> str:
    members = node.items or tuple(Term(node.field, word) if equiv_alternatives(word) is None
                                  else _word_item(node.field, word) for word in node.terms)
    inner = "phrase(" + ", ".join(_member(item) for item in members) + ")"
    return _wrapped(_form(node) + _leaf_annotations(node), inner)


def _alternatives(node: Equiv) -> str:
    forms = sorted(zip(node.terms, node.exactness), key=lambda pair: -pair[1])
    inner = "alternatives({" + ", ".join(f"{quoted(word)}: {java_double(e)}" for word, e in forms) + "})"
    return _wrapped(_form(node) + _leaf_annotations(node), inner)


def _range(node: Range) -> str:
    if node.low is not None and node.high is not None and node.low != node.high:
        bounds = {(True, True): "", (False, False): "open", (False, True): "leftOpen",
                  (True, False): "rightOpen"}[(node.low_inclusive, node.high_inclusive)]
        text = f"range({node.field}, {number(node.low)}, {number(node.high)})"
        if not bounds:  # Vespa's RangeItem: annotations without parentheses
            return _block(_leaf_annotations(node)) + text
        return f"({_block(_leaf_annotations(node) + [f'bounds: {quoted(bounds)}'])}{text})"
    if node.low is not None and node.low == node.high:
        operator, value = "=", node.low
    elif node.low is None:
        operator, value = "<=" if node.high_inclusive else "<", node.high
    else:
        operator, value = ">=" if node.low_inclusive else ">", node.low
    text = number(value)
    if text.startswith("-"):
        text = f"({text})"
    return f"{node.field or 'default'} {operator} " + _wrapped(_leaf_annotations(node), text)


def _weighted_tokens(node: WeightedTokens) -> str:
    annotations = _leaf_annotations(node)
    if node.operator == "wand":
        if node.target_hits not in (None, 10):
            annotations.append(f"targetHits: {node.target_hits}")
        if node.score_threshold:
            annotations.append(f"scoreThreshold: {java_double(node.score_threshold)}")
        if node.threshold_boost_factor not in (None, 1.0):
            annotations.append(f"thresholdBoostFactor: {java_double(node.threshold_boost_factor)}")
    tokens = sorted(node.tokens, key=lambda pair: _token_order(pair[0]))
    inner = f"{node.operator}({node.field}, {{" + ", ".join(f"{quoted(t)}: {w}" for t, w in tokens) + "})"
    return _wrapped(annotations, inner)


def _token_order(token: str) -> tuple[int, object]:
    """Vespa sorts a set's keys as they are: numbers (an integer list) numerically, else as strings."""
    try:
        return (0, int(token))
    except ValueError:
        return (1, token)


def _in(node: In) -> str:
    if node.numeric:
        values = [number(v) for v in sorted(int(v) for v in node.values)]
    else:
        values = [quoted(v) for v in sorted(node.values)]
    return f"{node.field} in (" + ", ".join(values) + ")"


def _nearest_neighbor(node: NearestNeighbor) -> str:
    settings: dict[str, object] = {}
    if node.target_hits and not node.total_target_hits:  # else derived from totalTargetHits
        settings["targetHits"] = node.target_hits
    if node.total_target_hits:
        settings["totalTargetHits"] = node.total_target_hits
    if node.min_target_hits:
        settings["minTargetHits"] = node.min_target_hits
    if node.distance_threshold is not None:
        settings["distanceThreshold"] = float(node.distance_threshold)
    if node.explore_additional_hits:
        settings["hnsw.exploreAdditionalHits"] = node.explore_additional_hits
    if not node.approximate:
        settings["approximate"] = False
    hnsw = dict(node.hnsw)
    for name in ("hnsw.approximateThreshold", "hnsw.explorationSlack", "hnsw.filterFirstExploration",
                 "hnsw.filterFirstThreshold", "hnsw.postFilterThreshold", "hnsw.targetHitsMaxAdjustmentFactor"):
        if name in hnsw:
            settings[name] = float(hnsw[name])
    annotations = _leaf_annotations(node) + _pairs(settings)
    return "{" + ", ".join(annotations) + f"}}nearestNeighbor({node.field}, {node.query_tensor})"


def _degrees(micro: int) -> str:
    return java_double(micro / 1e6)


def _geo(node: GeoLocation) -> str:
    annotations = _leaf_annotations(node)
    if node.has_circle:
        radius = "-1.0" if node.radius < 0 else _degrees(node.radius)
        inner = (f"geoLocation({node.field}, {_degrees(node.y)}, {_degrees(node.x)}, "
                 f'"{radius} deg")')
    else:
        x1, y1, x2, y2 = node.box or (0, 0, 0, 0)
        inner = f"geoBoundingBox({node.field}, " + ", ".join(map(_degrees, (y1, x1, y2, x2))) + ")"
    return f"({_block(annotations)}{inner})" if annotations else inner


def _predicate(node: PredicateQuery) -> str:
    def entries(items: list[tuple[str, str, int]]) -> str:
        if not items:
            return "0"  # Vespa's form of an empty map
        parts = []
        for key, value, bits in items:
            pair = f"{quoted(key)}:{value}"
            parts.append(pair if bits == _ALL_SUBQUERIES else f'"0x{bits:x}":{{{pair}}}')
        return "{" + ",".join(parts) + "}"

    features = [(key, quoted(value), bits) for key, value, bits in node.features]
    ranges = [(key, f"{value}L", bits) for key, value, bits in node.ranges]
    return f"predicate({node.field},{entries(features)},{entries(ranges)})"


def _same_element(node: SameElement) -> str:
    inner = "sameElement(" + ", ".join(map(yql_where, node.children)) + ")"
    if node.element_filter:
        inner = f"({{elementFilter:[{', '.join(map(str, node.element_filter))}]}} {inner})"
    return f"{node.field} contains {inner}"
