"""Numbers written as text (rank properties, query feature values), read as Vespa reads them: Java's
Double.parseDouble and Long.parseLong grammar, not Python's float()/int(), which also take `1_0`,
full-width or other non-ASCII digits, `inf`/`infinity`/`nan` in any case and Unicode spaces.

- double: ASCII control characters and spaces trimmed at both ends (String.trim), an optional sign,
  then `NaN`, `Infinity`, a decimal (`1`, `1.`, `.5`, `1e-3`) or a hexadecimal with its binary
  exponent (`0x1.8p1`), the decimal and hexadecimal forms with an optional f/F/d/D suffix. A value
  beyond the double range is ±Infinity, as in Java.
- long: an optional sign and ASCII digits, nothing around them, from -2^63 to 2^63-1 (Java's
  Character.digit would also take other Unicode digits; Vespa's content node reads rank properties
  with C's strtod/strtol, which take only ASCII ones, so they are refused here).
Both raise ValueError with a short reason; callers name the property.
"""
from __future__ import annotations

import re

_TRIMMED = "".join(chr(c) for c in range(0x21))  # String.trim(): every char <= ' '
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fFdD]?", re.ASCII)
_HEX = re.compile(r"([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+)[fFdD]?", re.ASCII)
_SPECIAL = {"NaN": float("nan"), "+NaN": float("nan"), "-NaN": float("nan"),
            "Infinity": float("inf"), "+Infinity": float("inf"), "-Infinity": float("-inf")}
_LONG = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)  # 19 digits hold every long; more are out of range
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def java_trim(text: str) -> str:
    """Java's String.trim(): only ASCII control characters and spaces, not Unicode spaces."""
    return text.strip(_TRIMMED)


def parse_double(text: str) -> float:
    """Java's Double.parseDouble(text)."""
    stripped = java_trim(str(text))
    special = _SPECIAL.get(stripped)
    if special is not None:
        return special
    if _DECIMAL.fullmatch(stripped):
        return float(stripped.rstrip("fFdD"))
    hexadecimal = _HEX.fullmatch(stripped)
    if hexadecimal:
        try:
            return float.fromhex(hexadecimal[1] + "0x" + hexadecimal[2])
        except OverflowError:
            return float("-inf") if hexadecimal[1] == "-" else float("inf")
    raise ValueError("not a number")


def parse_long(text: str) -> int:
    """Java's Long.parseLong(text) over ASCII digits."""
    value = str(text)
    if not _LONG.fullmatch(value):
        raise ValueError("out of range for a 64-bit integer" if re.fullmatch(r"[+-]?[0-9]+", value, re.ASCII)
                         else "not an integer")
    number = int(value)
    if not LONG_MIN <= number <= LONG_MAX:
        raise ValueError("out of range for a 64-bit integer")
    return number


def parse_int(text: str) -> int:
    """Java's Integer.parseInt(text): the long grammar, from -2^31 to 2^31-1."""
    number = parse_long(text)
    if not INT_MIN <= number <= INT_MAX:
        raise ValueError("out of range for a 32-bit integer")
    return number
