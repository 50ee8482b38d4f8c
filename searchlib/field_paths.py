"""Updates of one map entry, weighted-set key or array element (Vespa's field-path updates):

    "scores{math}": {"assign": 5}        set the map entry (created when missing)
    "scores{math}": {"remove": 0}        remove the entry (or the weighted-set key)
    "tags{red}":    {"increment": 2}     a weighted-set weight or numeric map value; a missing
                                         weighted-set key is created only with create-if-nonexistent,
                                         and a weight reaching 0 removed with remove-if-zero
    "persons[1]":   {"assign": {...}}    replace array element 1 (none past the end: a no-op)
    "scores[1]":    {"increment": 2}     arithmetic on a numeric array element
    "tags": {"match": {"element": "red", "increment": 2}}   Vespa's JSON form of the same updates

Deeper paths (`m{k}.f`) are refused. Each error is a DocumentError naming the path.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from searchlib.errors import DocumentError
from searchlib.schema.model import Field, FieldType, StructType

_PATH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\{(.*)\}|\[([0-9]+)\])$", re.S)
_ARITHMETIC = ("increment", "decrement", "multiply", "divide")


def split_path(name: str) -> tuple[str, str | None, int | None] | None:
    """`m{k}` -> ("m", "k", None); `a[2]` -> ("a", None, 2); None when `name` is no field path."""
    if "{" not in name and "[" not in name:
        return None
    match = _PATH.match(name)
    if match is None:
        raise DocumentError(f"Field path '{name}' is not supported (only f{{key}} and f[index])")
    return match.group(1), match.group(2), None if match.group(3) is None else int(match.group(3))


def apply_path_operation(document: dict[str, Any], field: Field, path: str, key: str | None, index: int | None,
                         operation: str, argument: Any, structs: Mapping[str, StructType],
                         coerce: Callable[..., Any], arithmetic: Callable[..., Any]) -> None:
    kind, name = field.type.kind, field.name
    if index is not None:
        if kind != "array":
            raise DocumentError(f"Field path '{path}': '{name}' is a {field.type}, not an array")
        if operation in _ARITHMETIC:  # checked even when there is no such element
            arithmetic(path, field.type.element, operation, 0, argument)
        elif operation == "assign":
            value = coerce(path, field.type.element, argument, structs=structs)
        else:
            raise DocumentError(f"Field path '{path}': an array element takes 'assign' or arithmetic, not '{operation}'")
        elements = list(document.get(name) or [])
        if index < len(elements):  # as Vespa: an index past the end changes nothing
            elements[index] = (arithmetic(path, field.type.element, operation, elements[index], argument)
                               if operation in _ARITHMETIC else value)
            document[name] = elements
        return
    if kind == "map":
        entries = dict(document.get(name) or {})
        map_key = _key(path, field.type, key, coerce)
        if operation == "assign":
            entries[map_key] = coerce(path, field.type.element, argument, structs=structs)
        elif operation == "remove":
            entries.pop(map_key, None)
        elif operation in _ARITHMETIC:
            entries[map_key] = arithmetic(path, field.type.element, operation, entries.get(map_key), argument)
        else:
            raise DocumentError(f"Unknown update operation '{operation}' for field path '{path}'")
        _store(document, name, entries)
        return
    if kind == "weightedset":
        weights = dict(document.get(name) or {})
        ws_key = _key(path, field.type, key, coerce)
        if operation == "remove":
            weights.pop(ws_key, None)
        elif operation == "assign":
            weights[ws_key] = arithmetic(path, FieldType("int"), "increment", 0, argument)
        elif operation in _ARITHMETIC:
            if ws_key not in weights and field.settings.get("weightedset.create-if-nonexistent") != "true":
                return  # Vespa: an increment of a missing key changes nothing without create-if-nonexistent
            weights[ws_key] = arithmetic(path, FieldType("int"), operation, weights.get(ws_key), argument)
            if weights[ws_key] == 0 and field.settings.get("weightedset.remove-if-zero") == "true":
                del weights[ws_key]
        else:
            raise DocumentError(f"Unknown update operation '{operation}' for field path '{path}'")
        _store(document, name, weights)
        return
    raise DocumentError(f"Field path '{path}': '{name}' is a {field.type}, not a map or weighted set")


def match_operation(field: Field, name: str, argument: Any) -> tuple[str, str, Any]:
    """`{"element": k, "<operation>": value}` -> (k as text, operation, value): the key of a
    weighted set or map, or the index of an array, and the one operation applied to it."""
    if not isinstance(argument, Mapping) or "element" not in argument or len(argument) != 2:
        raise DocumentError(f"'match' on field '{name}' takes {{\"element\": key, \"increment\": value}} "
                            "(one of assign, increment, decrement, multiply, divide)")
    (operation, value), = ((k, v) for k, v in argument.items() if k != "element")
    if operation not in ("assign", *_ARITHMETIC):
        raise DocumentError(f"'match' on field '{name}': unknown operation '{operation}'")
    element = argument["element"]
    if field.type.kind == "array" and (isinstance(element, bool) or not (str(element).isascii() and str(element).isdigit())):
        raise DocumentError(f"'match' on array field '{name}': element must be an index, not {element!r}")
    if field.type.kind not in ("array", "weightedset", "map"):
        raise DocumentError(f"'match' on field '{name}': it is a {field.type}, not an array, weighted set or map")
    return str(element), operation, value


def _key(path: str, field_type: FieldType, key: str, coerce: Callable[..., Any]) -> Any:
    key_type = field_type.key if field_type.kind == "map" else field_type.element
    if key_type.kind == "string":
        return key
    try:
        number = float(key) if key_type.kind in ("float", "double", "float16") else int(key)
    except ValueError:
        raise DocumentError(f"Field path '{path}': key '{key}' is not a {key_type}") from None
    return str(coerce(path, key_type, number))


def _store(document: dict[str, Any], name: str, value: dict) -> None:
    if value:
        document[name] = value
    else:
        document.pop(name, None)
