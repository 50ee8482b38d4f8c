"""The query tree. Frozen values; the container builds them, the wire codec ships them, content
nodes execute them. `field` is an index name: a field or a fieldset (content nodes expand
fieldsets). Terms are already normalized by searchlib.linguistics, exactly as indexed text was.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True, slots=True)
class Term:
    field: str
    term: str
    weight: int = 100
    label: str = ""
    ranked: bool = True
    filter: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    field: str
    terms: tuple[str, ...]
    weight: int = 100
    label: str = ""


@dataclass(frozen=True, slots=True)
class Range:
    """Numeric comparison/range over an attribute: low/high None means unbounded."""

    field: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    label: str = ""


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
    children: tuple["QueryNode", ...]
    target_hits: int = 100


@dataclass(frozen=True, slots=True)
class Rank:
    """`rank(a, b, ...)`: only the first child decides matching; the rest only add features."""

    children: tuple["QueryNode", ...]


@dataclass(frozen=True, slots=True)
class NearestNeighbor:
    field: str
    query_tensor: str  # name x of the query input query(x)
    target_hits: int
    approximate: bool = True
    explore_additional_hits: int = 0
    distance_threshold: float | None = None
    label: str = ""


@dataclass(frozen=True, slots=True)
class TrueItem:
    pass


@dataclass(frozen=True, slots=True)
class FalseItem:
    pass


QueryNode = Union[Term, Phrase, Range, And, Or, Not, WeakAnd, Rank, NearestNeighbor, TrueItem, FalseItem]


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str  # an attribute name, or "[relevance]"
    ascending: bool = False


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


def terms_of(node: QueryNode) -> list[Term | Phrase]:
    """Every text item in the tree, in query order (used for bm25 and term features)."""
    found: list[Term | Phrase] = []

    def visit(item: QueryNode) -> None:
        if isinstance(item, (Term, Phrase)):
            found.append(item)
        elif isinstance(item, (And, Or, WeakAnd, Rank)):
            for child in item.children:
                visit(child)
        elif isinstance(item, Not):
            pass  # negative terms never contribute to ranking

    visit(node)
    return found
