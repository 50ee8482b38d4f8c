"""Shared shapes of .sd blocks: `key: value` lines, bare flags, nested settings blocks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from searchlib.errors import SchemaError, SourceLocation
from searchlib.java_numbers import parse_double, parse_long
from searchlib.schema.lexer import Scanner

Kind = Literal["flag", "value", "block", "flag-or-value", "unsupported", "custom"]


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    value: str | None  # None for a bare flag or a nested block
    location: SourceLocation
    children: tuple["Setting", ...] = ()


def read_settings_block(
    sc: Scanner, what: str, allowed: dict[str, Kind], nested: dict[str, dict[str, Kind]] | None = None,
    custom: "dict[str, Callable[[Scanner, str, SourceLocation], Setting]] | None" = None,
) -> list[Setting]:
    """After `{`: items up to the matching `}`. Unknown keys are errors naming `what`. A "custom"
    item is read by its own reader in `custom` (after its key), which returns its Setting."""
    items: list[Setting] = []
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        start = sc.pos
        key = sc.word(f"an element in {what}")
        kind = allowed.get(key)
        if kind is None:
            raise SchemaError(f"unknown element '{key}' in {what}", sc.location(start))
        location = sc.location(start)
        if kind == "unsupported":  # known to Vespa, not implemented here: refused, never skipped
            raise SchemaError(f"not supported: '{key}' in {what}", location)
        if kind == "custom":
            items.append((custom or {})[key](sc, what, location))
            continue
        if kind == "block":
            sc.expect("{", f"after '{key}' in {what}")
            children = read_settings_block(sc, f"{key} in {what}", (nested or {}).get(key, {}), nested)
            items.append(Setting(key, None, location, tuple(children)))
        elif kind == "flag" or (kind == "flag-or-value" and not sc.try_inline_char(":")):
            items.append(Setting(key, None, location))
        else:
            if kind == "value":
                sc.expect(":", f"after '{key}' in {what}")
            value, _ = sc.line_value(f"'{key}' in {what}", stop_at_space=True)
            if not value:
                raise SchemaError(f"missing value for '{key}' in {what}", location)
            items.append(Setting(key, value, location))
    return items


def parse_int(value: str, what: str, location: SourceLocation) -> int:
    try:  # Java's grammar, as Vespa's schema parser: no 1_0 or full-width digits
        return parse_long(value.strip())
    except ValueError:
        raise SchemaError(f"{what} must be an integer, not '{value}'", location) from None


def parse_float(value: str, what: str, location: SourceLocation) -> float:
    try:
        return parse_double(value)
    except ValueError:
        raise SchemaError(f"{what} must be a number, not '{value}'", location) from None


def parse_bool(value: str, what: str, location: SourceLocation) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "on", "yes"):
        return True
    if lowered in ("false", "off", "no"):
        return False
    raise SchemaError(f"{what} must be true or false, not '{value}'", location)
