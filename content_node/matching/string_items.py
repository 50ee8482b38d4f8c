"""fuzzy() and `matches` over string attribute columns: each distinct value is tested once
(searchlib.query.string_match has the rules), then the documents holding a passing value match."""
from __future__ import annotations

from typing import Callable

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.query.string_match import compile_regex, fuzzy_match
from searchlib.schema.model import Schema


def string_item_matches(node: q.Fuzzy | q.Regex, fields: tuple[str, ...], schema: Schema,
                        column_of: Callable[[str], np.ndarray]) -> list[np.ndarray]:
    """Sorted local ids per field of the documents whose value passes the item."""
    passes = _predicate(node)
    found = []
    for field in fields:
        spec = schema.fields[field]
        if not (spec.is_attribute and spec.type.kind == "string"):
            operator = "fuzzy()" if isinstance(node, q.Fuzzy) else "'matches'"
            raise InvalidParameterError(
                f"{operator} searches string attribute fields; '{field}' is not one")
        column = column_of(field)
        verdicts: dict[str, bool] = {}
        hit = np.fromiter(
            (isinstance(value, str) and (verdicts[value] if value in verdicts
                                         else verdicts.setdefault(value, passes(value)))
             for value in column),
            dtype=bool, count=len(column))
        found.append(np.flatnonzero(hit).astype(np.int32))
    return found


def _predicate(node: q.Fuzzy | q.Regex) -> Callable[[str], bool]:
    if isinstance(node, q.Fuzzy):
        return lambda value: fuzzy_match(value, node.term, node.max_edit_distance, node.prefix_length,
                                         node.prefix)
    pattern = compile_regex(node.pattern)
    return lambda value: pattern.search(value) is not None
