"""A small, deterministic YAML emitter for Kubernetes manifests (block style, keys in insertion order).

Written here rather than depending on PyYAML at run time: manifests need only mappings, lists,
strings, ints, bools and null. Strings are left plain only when every YAML 1.1 and 1.2 reader (PyYAML,
the Go yaml used by kubectl) reads them back as the same string; multi-line text becomes a literal
block so an application package's files stay readable in a ConfigMap.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable

INDENT = "  "
# starts with a letter, `_` or `/` (never a digit, sign, `.`, `=`, `<`, `~` or an indicator), so
# it cannot resolve to a number, timestamp, merge key or `!!value`; the words below are the rest
_PLAIN = re.compile(r"[A-Za-z_/]([A-Za-z0-9_./:-]*[A-Za-z0-9_./-])?\Z")  # `:` never last
_RESERVED_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}
# characters a YAML stream may not hold raw, or that YAML 1.1 reads as line breaks (NEL, LS, PS)
_NEEDS_ESCAPE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def dump(value: Any) -> str:
    """One YAML document (no `---`), ending in a newline."""
    return "".join(_lines(value, 0))


def dump_all(documents: Iterable[Any]) -> str:
    """Several documents separated by `---`, as `kubectl apply -f` reads them."""
    return "---\n".join(dump(document) for document in documents)


def _lines(value: Any, depth: int) -> Iterable[str]:
    pad = INDENT * depth
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _entry(f"{pad}{_scalar(key, as_key=True)}:", item, depth)
    elif isinstance(value, (list, tuple)) and value:
        for item in value:
            if isinstance(item, dict) and item:
                first = True
                for key, member in item.items():
                    lead = f"{pad}- " if first else f"{pad}  "
                    yield from _entry(f"{lead}{_scalar(key, as_key=True)}:", member, depth + 1)
                    first = False
            elif isinstance(item, (list, tuple)) and item:
                yield f"{pad}-\n"
                yield from _lines(item, depth + 1)
            else:
                yield from _entry(f"{pad}-", item, depth)
    else:
        yield f"{pad}{_scalar(value)}\n"  # a bare scalar document: quoted, never a block


def _entry(lead: str, value: Any, depth: int) -> Iterable[str]:
    """`lead` (a `key:` or `-`) followed by the value, inline when it is a scalar."""
    if isinstance(value, (dict, list, tuple)) and value:
        yield lead + "\n"
        yield from _lines(value, depth + 1)
    else:
        yield f"{lead} {_inline(value, depth + 1)}\n"


def _inline(value: Any, depth: int) -> str:
    if isinstance(value, str) and "\n" in value.rstrip("\n") and _block_safe(value):
        return _literal_block(value, depth)
    return _scalar(value)


def _scalar(value: Any, *, as_key: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, dict):
        return "{}"  # only empty ones get here
    if isinstance(value, (list, tuple)):
        return "[]"
    if not isinstance(value, str):
        raise TypeError(f"cannot write {type(value).__name__} as YAML")
    if _PLAIN.match(value) and value.lower() not in _RESERVED_WORDS:
        return value
    return _double_quoted(value)


def _double_quoted(text: str) -> str:
    # JSON's string syntax is YAML's double-quoted syntax, except that YAML wants the characters
    # it cannot carry raw escaped too; astral characters stay raw (YAML has no surrogate pairs)
    encoded = json.dumps(text, ensure_ascii=False)
    return _NEEDS_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


def _block_safe(text: str) -> bool:
    # tabs would be fine, but a CR or a control character needs escaping, which blocks cannot do;
    # trailing spaces on the last line would be fine too, but lines of only blanks read ambiguously
    return not _NEEDS_ESCAPE.search(text) and "\r" not in text and not any(
        line and not line.strip(" \t") for line in text.split("\n"))


def _literal_block(text: str, depth: int) -> str:
    pad = INDENT * depth
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomping = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    # an explicit indentation indicator when the first line starts with blanks (or is empty)
    indicator = str(len(INDENT)) if body[:1] in (" ", "\t", "") else ""
    lines = [f"{pad}{line}" if line else "" for line in body.split("\n")]
    lines.extend([""] * (trailing - 1))
    return f"|{indicator}{chomping}\n" + "\n".join(lines)
