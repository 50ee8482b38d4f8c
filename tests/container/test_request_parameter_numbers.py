"""Numeric request parameters (container.search.request_parameters) trim as Java's String.trim()."""
from __future__ import annotations

import pytest

from container.search.request_parameters import read_float, read_int
from searchlib.errors import InvalidParameterError


def test_ascii_spaces_and_control_characters_around_a_number_are_trimmed() -> None:
    assert read_int({"hits": " 7\t"}, "hits", 10) == 7
    assert read_int({"hits": "\x015\n"}, "hits", 10) == 5
    assert read_float({"r": " 2.5\r\n"}, "r") == 2.5
    assert read_float({"r": "\t-Infinity "}, "r", allow_infinite=True) == float("-inf")


@pytest.mark.parametrize("text", ["\u00a07", "7\u2003", "\u30007", "7\u2028", "\u00857"])
def test_unicode_spaces_are_not_trimmed(text: str) -> None:
    with pytest.raises(InvalidParameterError, match="not a valid integer"):
        read_int({"hits": text}, "hits", 10)
    with pytest.raises(InvalidParameterError, match="not a number"):
        read_float({"r": text}, "r")
    with pytest.raises(InvalidParameterError, match="not a number"):
        read_float({"r": text.replace("7", "Infinity")}, "r", allow_infinite=True)
