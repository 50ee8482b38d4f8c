"""Rules of `predicate` fields (searchlib.predicate), as Vespa checks them at deploy: an attribute,
not an index, with `index { arity: N }` (N >= 2) and optional integer `lower-bound`/`upper-bound`.
Arity and bounds tune Vespa's predicate index; this engine evaluates the predicates exactly, so
they are checked but change no result."""
from __future__ import annotations

from typing import Mapping

from searchlib.errors import SchemaError
from searchlib.schema.model import Field


def check_predicate_fields(fields: Mapping[str, Field]) -> None:
    for field in fields.values():
        settings = field.settings
        if field.type.kind != "predicate":
            for key in ("arity", "lower-bound", "upper-bound"):
                if f"index.{key}" in settings:
                    raise SchemaError(f"'{key}' is only for predicate fields, not field '{field.name}' of type "
                                      f"{field.type}", field.location)
            continue
        where = f"predicate field '{field.name}'"
        if not field.is_attribute or field.is_index:
            raise SchemaError(f"{where} must be an attribute (indexing: attribute), not an index", field.location)
        if "index.arity" not in settings:
            raise SchemaError(f"Missing arity value in {where}: add index {{ arity: 2 }}", field.location)
        arity = _integer(settings["index.arity"], "arity", where, field)
        if arity < 2:
            raise SchemaError(f"arity of {where} must be at least 2, got {arity}", field.location)
        low = _integer(settings.get("index.lower-bound", str(-(2**63))), "lower-bound", where, field)
        high = _integer(settings.get("index.upper-bound", str(2**63 - 1)), "upper-bound", where, field)
        if low > high:
            raise SchemaError(f"lower-bound {low} of {where} is above its upper-bound {high}", field.location)


def _integer(text: str, key: str, where: str, field: Field) -> int:
    try:
        value = int(text.rstrip("lL"))
    except ValueError:
        raise SchemaError(f"{key} of {where} must be an integer, got {text!r}", field.location) from None
    if not -(2**63) <= value < 2**63:
        raise SchemaError(f"{key} of {where} must be a 64-bit integer, got {text}", field.location)
    return value
