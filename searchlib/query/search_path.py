"""`model.searchPath` (reference §4.6): which nodes of which group a query goes to.

    searchpath ::= ELEMENT (';' ELEMENT)*      ELEMENT ::= NODES ['/' GROUPS]
    NODES, GROUPS ::= SEL (',' SEL)* | '*' | ''  SEL ::= NUM | '[' NUM ',' NUM '>'   (half-open)

Semantics follow Vespa's dispatch/SearchPath.java:
- node numbers are 0-based indexes into the chosen group's node list, not distribution keys;
- an empty or `*` node part means all nodes of the group; an empty or `*` group part means any
  group; with several groups listed the dispatcher picks one with sufficient coverage;
- a path with `;` (multi-level) is not supported and is ignored (normal dispatch), as is "";
- anything else malformed raises InvalidParameterError ("Invalid search path: ...").
Picking the group (randomly, among those with coverage) is the dispatcher's job, not this module's.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from searchlib.errors import InvalidParameterError, quote_input

_RANGE = re.compile(r"\[([0-9]+),([0-9]+)>")
_NUMBER = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Selection:
    """Indexes [start, end): a single number n is [n, n+1)."""

    start: int
    end: int

    def indexes(self, size: int) -> range:
        """The selected indexes that exist among size items (out-of-range indexes are skipped)."""
        return range(min(self.start, size), min(self.end, size))

    def __str__(self) -> str:
        return str(self.start) if self.end == self.start + 1 else f"[{self.start},{self.end}>"


@dataclass(frozen=True, slots=True)
class SearchPath:
    """Empty `nodes` means all nodes of the group; empty `groups` means any group."""

    nodes: tuple[Selection, ...] = ()
    groups: tuple[Selection, ...] = ()

    def node_indexes(self, group_size: int) -> list[int]:
        """Indexes into the chosen group's node list, ascending and without duplicates."""
        if not self.nodes:
            return list(range(group_size))
        return sorted({index for selection in self.nodes for index in selection.indexes(group_size)})

    def candidate_groups(self, group_count: int) -> list[int]:
        """Groups the query may go to, in the order written; a group the cluster lacks is an error."""
        if not self.groups:
            return list(range(group_count))
        candidates: list[int] = []
        for selection in self.groups:
            for group in range(selection.start, selection.end):
                if group >= group_count:
                    raise InvalidParameterError(
                        f"Invalid searchPath, cluster does not have {group + 1} groups"
                    )
                if group not in candidates:
                    candidates.append(group)
        return candidates

    def __str__(self) -> str:
        text = ",".join(map(str, self.nodes))
        return f"{text}/{','.join(map(str, self.groups))}" if self.groups else text


def parse_search_path(text: str | None) -> SearchPath | None:
    """Parse model.searchPath; None when it selects nothing special (normal dispatch is used)."""
    if not text or ";" in text:
        return None  # multi-level paths are not supported: ignored, as in Vespa
    nodes_text, _, groups_text = text.partition("/")
    try:
        path = SearchPath(_parse_selections(nodes_text), _parse_selections(groups_text))
    except ValueError as error:
        raise InvalidParameterError(f"Invalid search path: {quote_input(text)} ({quote_input(error)})") from None
    if not path.nodes and not path.groups:
        return None
    return path


def _parse_selections(text: str) -> tuple[Selection, ...]:
    if text in ("", "*"):
        return ()
    selections: list[Selection] = []
    position = 0
    while position <= len(text):
        if text.startswith("*", position) and position + 1 in (len(text), text.find(",", position)):
            return ()  # a wildcard anywhere in the list selects everything
        match = _RANGE.match(text, position) or _NUMBER.match(text, position)
        if match is None:
            raise ValueError(f"expected a number or [from,to> at {text[position:]!r}")
        if match.re is _RANGE:
            start, end = int(match.group(1)), int(match.group(2))
            if start > end:
                raise ValueError(f"range [{start},{end}> ends before it starts")
        else:
            start = int(match.group())
            end = start + 1
        selections.append(Selection(start, end))
        position = match.end()
        if position == len(text):
            break
        if text[position] != ",":
            raise ValueError(f"expected ',' at {text[position:]!r}")
        position += 1
        if position == len(text):
            raise ValueError("trailing ','")
    return tuple(selections)
