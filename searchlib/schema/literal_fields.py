"""`rank: literal` on an indexed string field f (Vespa's literal boost): f also gets the index
`f_literal`, holding f's words lowercased but neither stemmed nor accent-folded (Vespa derives it
with `input f | tokenize | index f_literal`, stemming none). The container fills it from f when a
document is written (container.docproc), as it fills uri components, and the query parser adds
each word searched in f, in its literal form, as a rank term on f_literal (Vespa's
LiteralBoostSearcher; searchlib.query.literal_boost): documents holding the word as written rank
higher than those that only match its stem. `f_literal contains "word"` also searches it directly."""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from searchlib.errors import SchemaError
from searchlib.schema.model import Field

LITERAL = "rank.literal"  # setting of a field with `rank: literal`: the name of its literal index
LITERAL_SOURCE = "literal.source"  # setting of a literal index: the field it is filled from


def literal_index_name(field: str) -> str:
    return f"{field}_literal"


def add_literal_indexes(fields: dict[str, Field]) -> None:
    for field in [f for f in fields.values() if LITERAL in f.settings]:
        if not field.is_index or field.match != "text":
            raise SchemaError(f"rank: literal in field '{field.name}' needs 'index' with text matching "
                              f"(it adds an index of the field's words as written)", field.location)
        name = literal_index_name(field.name)
        if name in fields:
            raise SchemaError(f"rank: literal in field '{field.name}' adds the index '{name}', which is "
                              f"already a field: rename that field", field.location)
        fields[field.name] = replace(field, settings=MappingProxyType({**field.settings, LITERAL: name}))
        fields[name] = Field(name=name, type=field.type, is_index=True, in_document=False, match="text",
                             location=field.location, weight=field.weight,
                             settings=MappingProxyType({LITERAL_SOURCE: field.name, "stemming": "none",
                                                        "normalizing": "none"}))


def literal_sources(fields) -> dict[str, str]:
    """{literal index: the field it is filled from} of a compiled schema."""
    return {name: f.settings[LITERAL_SOURCE] for name, f in fields.items() if LITERAL_SOURCE in f.settings}


def with_literal_values(fields, document: dict) -> dict:
    """The document with its literal indexes holding their fields' values."""
    result = dict(document)
    for name, source in literal_sources(fields).items():
        result.pop(name, None)
        if document.get(source) is not None:
            result[name] = document[source]
    return result


def with_literal_updates(fields, operations: dict) -> dict:
    """Update operations plus the same operation on the literal index of every field they change
    (the values are the same, so assign, add and remove carry over as written)."""
    result = dict(operations)
    for name, source in literal_sources(fields).items():
        result.pop(name, None)
        if source in operations:
            result[name] = operations[source]
    return result
