"""The parsed grouping request: a tree of `all(...)`/`each(...)` operations."""
from __future__ import annotations

from dataclasses import dataclass

AGGREGATORS = ("count", "sum", "avg", "min", "max")
RELEVANCE = "relevance()"
UNLIMITED = -1  # max(inf)
GROUP_VALUE = "value"  # order(year) inside group(year): order by the group's own value
DEFAULT_MAX = 10  # Vespa's grouping.defaultMaxGroups / grouping.defaultMaxHits when max() is absent


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`count()`, `sum(x)`, `avg(x)`, `min(x)`, `max(x)` over an attribute x (or `relevance()`)."""

    function: str
    argument: str = ""

    @property
    def label(self) -> str:
        return f"{self.function}({self.argument})"


@dataclass(frozen=True, slots=True)
class OrderKey:
    aggregate: Aggregate
    descending: bool = False  # `-count()`


@dataclass(frozen=True, slots=True)
class GroupingOperation:
    """One `all(...)` or `each(...)`.

    - `outputs` are computed for the group the operation is evaluated in;
    - with `group_by`, the operation splits its documents into groups by that attribute; `order`
      and `max` then apply to those groups and the `each` children run once per group;
    - without `group_by`, an `each` child with `output(summary())` lists the group's hits, the
      best `max` by relevance.
    """

    kind: str  # "all" | "each"
    group_by: str | None = None
    max: int | None = None  # None: DEFAULT_MAX; UNLIMITED for max(inf)
    order: tuple[OrderKey, ...] = ()
    outputs: tuple[Aggregate, ...] = ()
    summary: str | None = None  # `output(summary())` → "", `output(summary(short))` → "short"
    children: tuple["GroupingOperation", ...] = ()

    @property
    def label(self) -> str:
        return self.group_by or ""

    @property
    def limit(self) -> int | None:
        """How many groups/hits to keep (None: all)."""
        if self.max is None:
            return DEFAULT_MAX
        return None if self.max == UNLIMITED else self.max

    def aggregates_needed(self) -> tuple[Aggregate, ...]:
        """What each group of this operation's group list must compute: outputs of its `each`
        children plus the order keys (default order: best relevance first)."""
        needed: dict[Aggregate, None] = {}
        for child in self.children:
            if child.kind == "each":
                needed.update(dict.fromkeys(child.outputs))
        for key in self.order or (OrderKey(Aggregate("max", RELEVANCE), True),):
            if key.aggregate.function != GROUP_VALUE:
                needed[key.aggregate] = None
        return tuple(needed)

    @property
    def hit_list(self) -> "GroupingOperation | None":
        """The `each(output(summary()))` child that lists hits, when this operation has one."""
        for child in self.children:
            if child.kind == "each" and child.group_by is None and child.summary is not None:
                return child
        return None
