"""Sort specifications with string sort functions, as Vespa writes them:

    YQL      order by {function: "uca", locale: "en_US", strength: "IDENTICAL"}title desc
    sorting  -uca(title,en_US,PRIMARY) +lowercase(name) raw(code) +price

A key without a function takes the attribute's (searchlib.sort_functions.resolve_sort)."""
from __future__ import annotations

import re
from typing import Callable, NoReturn

from searchlib.errors import InvalidParameterError, quote_input
from searchlib.query.tree import SortKey
from searchlib.sort_functions import FUNCTIONS, STRENGTHS

_FUNCTION_CALL = re.compile(r"^(\w+)\(([^()]*)\)$")


def _checked(function: str, strength: str, complain: Callable[[str], NoReturn]) -> tuple[str, str]:
    function, strength = function.lower(), strength.lower()
    if function and function not in FUNCTIONS:
        complain(f"Unknown sort function '{quote_input(function, 40)}': expected one of {', '.join(FUNCTIONS)}")
    if strength and strength not in STRENGTHS:
        complain(f"Unknown sort strength '{quote_input(strength, 40)}': expected one of {', '.join(STRENGTHS)}")
    if strength and function != "uca":
        complain("A sort strength needs the uca function")
    return function, strength


def sort_function(annotations: dict[str, object], fail: Callable[[str, int], NoReturn],
                  at: int) -> tuple[str, str, str]:
    """(function, strength, locale) from an order-by item's annotations."""
    unknown = sorted(set(annotations) - {"function", "locale", "strength"})
    if unknown:
        fail(f"Unknown annotation '{unknown[0]}' on an order by item (function, locale, strength)", at)

    def text(name: str) -> str:
        value = annotations.get(name, "")
        if not isinstance(value, str):
            fail(f"The order by annotation '{name}' must be a string", at)
        return value

    function, strength = _checked(text("function"), text("strength"), lambda message: fail(message, at))
    return function, strength, text("locale")


def parse_sorting(text: str) -> tuple[SortKey, ...]:
    """`sorting=-price +uca(title,en_US,PRIMARY)` ('+' may arrive as a space from a URL)."""
    def complain(message: str) -> NoReturn:
        raise InvalidParameterError(f"Could not set 'ranking.sorting' to '{quote_input(text, 80)}': {message}")

    keys = []
    for token in text.split():
        ascending = not token.startswith("-")
        body = token.lstrip("+-")
        call = _FUNCTION_CALL.match(body)
        if call is None:
            keys.append(SortKey(body, ascending))
            continue
        arguments = [argument.strip() for argument in call.group(2).split(",")]
        function = call.group(1)
        if function.lower() == "uca":
            if not 1 <= len(arguments) <= 3:
                complain("uca(field, locale, strength) takes one to three arguments")
            field, locale, strength = (arguments + ["", ""])[:3]
        else:
            if len(arguments) != 1:
                complain(f"{function}(field) takes one argument")
            field, locale, strength = arguments[0], "", ""
        function, strength = _checked(function, strength, complain)
        keys.append(SortKey(field, ascending, function, strength, locale))
    return tuple(keys)
