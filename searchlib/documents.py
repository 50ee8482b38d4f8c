"""Document JSON checked against a schema, and partial updates applied to it (Vespa §5.3 formats).

Pure functions over plain JSON values: the content node stores what `validate_document` returns,
and `apply_update` turns an update's `{"field": {"op": value}}` into the next document.
Every error is a DocumentError naming the field and the problem.
"""
from __future__ import annotations

import base64
import binascii
import functools
import math
import re
import struct
from typing import Any, Mapping

from searchlib.docid import DocumentId
from searchlib.errors import DocumentError, ExpressionError
from searchlib.field_paths import match_operation, apply_path_operation, split_path
from searchlib.geo import GeoError, parse_position, position_json
from searchlib.predicate import PredicateError, parse_predicate
from searchlib.languages import field_language, language_sources
from searchlib.lucene_languages import LANGUAGE_ANALYSIS, UnsupportedLanguageError
from searchlib.match_modes import MatchMode, lucene_chain, match_mode, mode_language, text_elements
from searchlib.schema.model import EMPTY, Field, FieldType, Schema, StructType
from searchlib.struct_values import coerce_composite, field_value

_INTEGER_RANGES = {
    "byte": (-(2**7), 2**7 - 1),
    "int": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
_FLOAT_KINDS = ("float", "double")
_ARITHMETIC = ("increment", "decrement", "multiply", "divide")
_HEX = re.compile(r"^[0-9a-fA-F]*$")
_INDEXED_DIMENSION = re.compile(r"(\w+)\[(\d+)\]")


def validate_document(schema: Schema, fields: Mapping[str, Any], *,
                      allow_synthetic: bool = False, languages: bool = True) -> dict[str, Any]:
    """The document's fields, checked and coerced; an empty string means the field is not set.

    Synthetic fields (outside the `document` block) cannot be fed by users; the container, which
    computes them (e.g. `embed`), passes `allow_synthetic=True`. Mutable attributes are never fed.
    `languages=False`: no `check_languages`, for a copy of a version a replica acknowledged (catch-up,
    merge), as replay checks none: a package change may have dropped its language's analyzer since,
    and refusing the copy would stall catch-up and merges; the index leaves such values out.
    """
    if not isinstance(fields, Mapping):
        raise DocumentError(f"Document fields must be a JSON object, got {_json_kind(fields)}")
    document: dict[str, Any] = {}
    for name, value in fields.items():
        field = feedable_field(schema, name, allow_synthetic=allow_synthetic)
        if value is None:
            continue
        coerced = coerce_value(field.name, field.type, value, structs=schema.structs)
        if coerced == "" and field.type.kind in ("string", "reference"):
            continue
        document[name] = coerced
    return check_languages(schema, document) if languages else document


def check_languages(schema: Schema, document: dict[str, Any]) -> dict[str, Any]:
    """`document`, or a DocumentError for text in a language that a field's Lucene language analyzer
    (searchlib.lucene_languages) is not run for here, before anything is written (an update: the
    whole updated document, as its language field may be unchanged). Checked on exactly what the
    index analyzes: struct-fields' values from their parent, in the language the index takes (its
    set_language field's, else detected from the whole value)."""
    for field, mode, source in _language_checks(schema):
        value = field_value(document, field)
        if not value:
            continue
        text = value if isinstance(value, str) else " ".join(text_elements(value))
        try:
            lucene_chain(mode, mode_language(mode, text, field_language(document, source)))
        except UnsupportedLanguageError as error:
            raise DocumentError(f"Field '{field.name}': {error.message}") from None
    return document


_LANGUAGE_CHECKS: dict[int, tuple[Schema, tuple[tuple[Field, MatchMode, str], ...]]] = {}


def _language_checks(schema: Schema) -> tuple[tuple[Field, MatchMode, str], ...]:
    """The fields analyzed by language, with their mode and set_language source, once per schema
    (every put asks). By identity: a Schema holds dicts, so it is not hashable; the entry keeps
    the schema alive so its id is not reused."""
    cached = _LANGUAGE_CHECKS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    sources = language_sources(schema)
    checks = tuple((field, match_mode(field), sources.get(field.name, "")) for field in schema.fields.values()
                   if LANGUAGE_ANALYSIS in field.settings)
    if len(_LANGUAGE_CHECKS) >= 64:  # schemas are replaced on redeploy: drop the old ones
        _LANGUAGE_CHECKS.clear()
    _LANGUAGE_CHECKS[id(schema)] = (schema, checks)
    return checks


def feedable_field(schema: Schema, name: str, *, allow_synthetic: bool = False) -> Field:
    field = schema.fields.get(name)
    if field is None or (not field.in_document and not allow_synthetic) or field.parent:
        raise DocumentError(
            f"No field '{name}' in the structure of type '{schema.document_name}'")
    if "mutable" in field.attribute_properties:
        raise DocumentError(
            f"Field '{name}' is a mutable attribute: it is changed by rank-profile mutate, not fed")
    return field


def coerce_value(name: str, field_type: FieldType, value: Any, *, structs: Mapping[str, StructType] = EMPTY) -> Any:
    """`value` checked against `field_type`, with numbers converted to the type's Python form;
    `structs` (the schema's) types struct values."""
    kind = field_type.kind
    if kind == "string":
        if not isinstance(value, str):
            raise _type_error(name, field_type, value, "a string")
        return value
    if kind in _INTEGER_RANGES:
        return _coerce_integer(name, field_type, value)
    if kind in _FLOAT_KINDS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(name, field_type, value, "a number")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _type_error(name, field_type, value, "true or false")
        return value
    if kind == "array":
        if not isinstance(value, list):
            raise _type_error(name, field_type, value, "a JSON array")
        return [coerce_value(name, field_type.element, item, structs=structs) for item in value]
    if kind == "weightedset":
        if not isinstance(value, Mapping):
            raise _type_error(name, field_type, value, 'an object of {"key": weight}')
        return {_weightedset_key(name, field_type, key): _coerce_integer(
            name, FieldType("int"), weight) for key, weight in value.items()}
    if kind == "tensor":
        _check_tensor(name, field_type, value)
        return value
    if kind == "uri":
        if not isinstance(value, str):
            raise _type_error(name, field_type, value, "a URI string")
        return value
    if kind == "position":
        return _coerce_position(name, field_type, value)
    if kind == "predicate":
        if not isinstance(value, str):
            raise _type_error(name, field_type, value, "a predicate expression string")
        try:
            parse_predicate(value)
        except PredicateError as error:
            raise DocumentError(f"Field '{name}' of type predicate: {error}") from None
        return value
    if kind in ("struct", "map"):
        return coerce_composite(name, field_type, value, structs, coerce_value)
    if kind == "float16":  # kept at half precision, as Vespa stores it
        number = coerce_value(name, FieldType("float"), value)
        try:
            return struct.unpack("<e", struct.pack("<e", number))[0]
        except OverflowError:
            raise DocumentError(f"Field '{name}' of type float16: {value} is outside its range") from None
    if kind == "raw":
        return _check_raw(name, field_type, value)
    if kind == "reference":  # a parent's document id ("" = none): content_node/imported_fields.py follows it
        return _check_reference(name, field_type, value)
    if kind == "annotationreference":  # as in Vespa: annotations have no JSON form
        raise DocumentError(f"Field '{name}' of type {field_type}: annotations cannot be fed as JSON")
    return value  # struct, map, position, raw, ...: kept as fed


def apply_update(schema: Schema, current: Mapping[str, Any] | None,
                 operations: Mapping[str, Any], *, allow_synthetic: bool = False) -> dict[str, Any]:
    """The document after `{"field": {"assign"|"add"|"remove"|"increment"|...: value}}`.

    `current` None means the document does not exist (an update with create=true): start empty.
    """
    if not isinstance(operations, Mapping):
        raise DocumentError(f"Update fields must be a JSON object, got {_json_kind(operations)}")
    document = dict(current or {})
    for name, field_operations in operations.items():
        path = split_path(name)  # `m{key}`, `a[1]`: one entry or element (field_paths.py)
        field = feedable_field(schema, path[0] if path else name, allow_synthetic=allow_synthetic)
        if not isinstance(field_operations, Mapping) or not field_operations:
            raise DocumentError(
                f"Update of field '{name}' must be an object like {{\"assign\": value}}")
        for operation, argument in field_operations.items():
            if operation == "match" and not path:  # {"match": {"element": k, "increment": 2}}: `f{k}` / `f[k]`
                key, operation, argument = match_operation(field, name, argument)
                index = int(key) if field.type.kind == "array" else None
                apply_path_operation(document, field, f"{name}[{index}]" if index is not None else f"{name}{{{key}}}",
                                     None if index is not None else key, index, operation, argument,
                                     schema.structs, coerce_value, _arithmetic)
            elif path:
                apply_path_operation(document, field, name, path[1], path[2], operation, argument,
                                     schema.structs, coerce_value, _arithmetic)
            else:
                _apply_field_operation(document, field, operation, argument, schema.structs)
    return document


def _apply_field_operation(document: dict[str, Any], field: Field, operation: str,
                           argument: Any, structs: Mapping[str, StructType] = EMPTY) -> None:
    name, field_type = field.name, field.type
    if operation == "assign":
        value = None if argument is None else coerce_value(name, field_type, argument, structs=structs)
        if value is None or (value == "" and field_type.kind in ("string", "reference")):
            document.pop(name, None)
        else:
            document[name] = value
    elif operation in _ARITHMETIC:
        document[name] = _arithmetic(name, field_type, operation, document.get(name), argument)
    elif operation == "add":
        _add(document, name, field_type, argument, structs)
    elif operation == "remove":
        _remove(document, name, field_type, argument, structs)
    else:
        raise DocumentError(f"Unknown update operation '{operation}' for field '{name}'")


def _arithmetic(name: str, field_type: FieldType, operation: str, current: Any,
                argument: Any) -> int | float:
    kind = field_type.kind
    if kind not in _INTEGER_RANGES and kind not in _FLOAT_KINDS and kind != "float16":
        raise DocumentError(
            f"Operation '{operation}' on field '{name}' requires a numeric field, "
            f"but its type is {field_type}")
    if isinstance(argument, bool) or not isinstance(argument, (int, float)):
        raise DocumentError(
            f"Operation '{operation}' on field '{name}' needs a number, got {_json_kind(argument)}")
    base = 0 if current is None else current  # an unset numeric field counts as 0
    if operation == "increment":
        result = base + argument
    elif operation == "decrement":
        result = base - argument
    elif operation == "multiply":
        result = base * argument
    else:
        if argument == 0:
            raise DocumentError(f"Operation 'divide' on field '{name}': division by zero")
        if isinstance(base, int) and isinstance(argument, int) and kind in _INTEGER_RANGES:
            quotient = abs(base) // abs(argument)  # exact beyond 2^53; truncated toward zero
            result = quotient if (base < 0) == (argument < 0) else -quotient
        else:
            result = base / argument
    if kind in _INTEGER_RANGES:
        return _coerce_integer(name, field_type, math.trunc(result))
    return coerce_value(name, field_type, float(result))  # float16: back to half precision


def _add(document: dict[str, Any], name: str, field_type: FieldType, argument: Any,
         structs: Mapping[str, StructType] = EMPTY) -> None:
    if field_type.kind == "array":
        additions = coerce_value(name, field_type, argument, structs=structs)
        document[name] = list(document.get(name) or []) + additions
    elif field_type.kind == "weightedset":
        additions = coerce_value(name, field_type, argument, structs=structs)
        document[name] = {**(document.get(name) or {}), **additions}
    else:
        raise DocumentError(
            f"Operation 'add' on field '{name}' requires an array or weighted set, "
            f"but its type is {field_type}")


def _remove(document: dict[str, Any], name: str, field_type: FieldType, argument: Any,
            structs: Mapping[str, StructType] = EMPTY) -> None:
    if field_type.kind == "weightedset":
        keys = list(argument.keys()) if isinstance(argument, Mapping) else argument
        if not isinstance(keys, list):
            raise DocumentError(
                f"Operation 'remove' on field '{name}' needs an object or array of keys")
        removed = {_weightedset_key(name, field_type, key) for key in keys}
        remaining = {k: w for k, w in (document.get(name) or {}).items() if k not in removed}
        _set_or_clear(document, name, remaining)
    elif field_type.kind == "array":
        if not isinstance(argument, list):
            raise DocumentError(f"Operation 'remove' on field '{name}' needs an array of values")
        removed_values = coerce_value(name, field_type, argument, structs=structs)
        remaining = [v for v in (document.get(name) or []) if v not in removed_values]
        _set_or_clear(document, name, remaining)
    else:
        raise DocumentError(
            f"Operation 'remove' on field '{name}' requires an array or weighted set, "
            f"but its type is {field_type}")


def _set_or_clear(document: dict[str, Any], name: str, value: Any) -> None:
    if value:
        document[name] = value
    else:
        document.pop(name, None)


def _check_reference(name: str, field_type: FieldType, value: Any) -> str:
    if not isinstance(value, str):
        raise _type_error(name, field_type, value, "a document id string")
    if value and DocumentId.parse(value).doctype != field_type.document_type:
        raise DocumentError(f"Field '{name}': can't assign document id '{value}' (of type "
                            f"'{DocumentId.parse(value).doctype}') to a reference of document type "
                            f"'{field_type.document_type}'")
    return value


def _check_raw(name: str, field_type: FieldType, value: Any) -> str:
    """A raw field is fed as base64 (Vespa's JSON) and kept in that form."""
    if not isinstance(value, str):
        raise _type_error(name, field_type, value, "a base64 string")
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise _type_error(name, field_type, value, "a base64 string") from None
    return value


def _coerce_integer(name: str, field_type: FieldType, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type_error(name, field_type, value, "an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise _type_error(name, field_type, value, "an integer")
        value = int(value)
    low, high = _INTEGER_RANGES.get(field_type.kind, _INTEGER_RANGES["long"])
    if not low <= value <= high:
        raise DocumentError(
            f"Field '{name}' of type {field_type}: {value} is outside the range [{low}, {high}]")
    return value


def _weightedset_key(name: str, field_type: FieldType, key: Any) -> Any:
    element = field_type.element or FieldType("string")
    if element.kind in _INTEGER_RANGES and isinstance(key, str):
        try:
            key = int(key)  # JSON object keys are always strings
        except ValueError:
            raise _type_error(name, field_type, key, f"{element.kind} keys") from None
    coerced = coerce_value(name, element, key)
    return str(coerced) if element.kind in _INTEGER_RANGES else coerced


def _coerce_position(name: str, field_type: FieldType, value: Any) -> dict[str, float]:
    """{"lat": .., "lng": ..} or "N37.4;W122.0", stored as {"lat": .., "lng": ..} (micro-degree precision)."""
    try:
        return position_json(*parse_position(value))
    except GeoError as error:
        raise DocumentError(f"Field '{name}' of type {field_type}: {error}") from None


def _check_tensor(name: str, field_type: FieldType, value: Any) -> None:
    """Accept the JSON tensor forms (§5.3) structurally: numbers in lists/objects, string
    addresses, or a hex string for dense cells. Full typing is the tensor library's job."""
    hex_cells = value.get("values") if isinstance(value, Mapping) and len(value) == 1 else value
    if isinstance(hex_cells, str):  # the bare hex form, or the short form with hex `values`
        if not _HEX.match(hex_cells):
            raise _type_error(name, field_type, hex_cells, "a tensor (hex string of cells)")
        _parse_tensor(name, field_type, {"values": hex_cells})  # its length must fit the type
        return
    if not isinstance(value, (list, Mapping)):
        raise _type_error(name, field_type, value, "a tensor in JSON form")
    _check_tensor_cells(name, field_type, value)
    dense_size = _dense_size(field_type.tensor_type)
    dense_values = value.get("values") if isinstance(value, Mapping) else value
    if dense_size is not None and isinstance(dense_values, list) and _PLAIN_NUMBERS.issuperset(
            map(type, dense_values)):
        if len(dense_values) != dense_size:
            raise DocumentError(
                f"Field '{name}' of type {field_type}: expected {dense_size} cells, "
                f"got {len(dense_values)}")
        return  # flat cells of the right count: nothing more to check (the common, fast form)
    _parse_tensor(name, field_type, value)  # addresses, block sizes, nesting: read as the nodes will


def _parse_tensor(name: str, field_type: FieldType, value: Any) -> None:
    """A tensor the content nodes could not read is a 400 here, with the tensor library's reason."""
    from searchlib.tensor import dense_cells, tensor_from_json  # the tensor package: only for tensor fields

    try:
        tensor_type = _tensor_type(field_type.tensor_type)
        if dense_cells(value, tensor_type) is None:  # the flat forms (hex values) read without a Tensor
            tensor_from_json(value, tensor_type)
    except ExpressionError as error:
        raise DocumentError(f"Field '{name}' of type {field_type}: {error.message}") from None


_PLAIN_NUMBERS = frozenset((int, float))  # not bool: cells are numbers


@functools.lru_cache(maxsize=256)
def _tensor_type(text: str):
    from searchlib.tensor import parse_type

    return parse_type(text)


def _check_tensor_cells(name: str, field_type: FieldType, value: Any) -> None:
    if isinstance(value, list) and _PLAIN_NUMBERS.issuperset(map(type, value)):
        return  # dense cells: checked in C, not one call a cell
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "address":
                if not isinstance(item, Mapping) or not all(
                        isinstance(label, (str, int)) for label in item.values()):
                    raise _type_error(name, field_type, item, "a tensor address of labels")
            elif key == "type" and isinstance(item, str):
                continue
            else:
                _check_tensor_cells(name, field_type, item)
    elif isinstance(value, list):
        for item in value:
            _check_tensor_cells(name, field_type, item)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _type_error(name, field_type, value, "numeric tensor cells")


def _dense_size(tensor_type: str) -> int | None:
    """Cell count of an all-indexed tensor type like tensor<float>(x[384]); None if mapped."""
    if "(" not in tensor_type or "{" in tensor_type:
        return None
    dimensions = _INDEXED_DIMENSION.findall(tensor_type)
    if not dimensions:
        return None
    return math.prod(int(size) for _, size in dimensions)


def _type_error(name: str, field_type: FieldType, value: Any, expected: str) -> DocumentError:
    shown = repr(value) if not isinstance(value, (list, dict)) else _json_kind(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return DocumentError(f"Field '{name}' of type {field_type}: expected {expected}, got {shown}")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def document_fields_only(schema: Schema, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a user fed (the `document` block), without synthetic ones the indexing
    language derived (token ids, say): what Vespa's get and visit return."""
    declared = schema.fields
    return {name: value for name, value in fields.items()
            if (field := declared.get(name)) is not None and field.in_document}
