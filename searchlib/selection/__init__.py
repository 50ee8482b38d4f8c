"""Vespa's document selection language: the `condition` of test-and-set writes.

    selection = Selection.parse('music.year >= 2000 and not id.namespace == "old"')
    selection.check(application.schemas.values())      # names only known types and fields
    selection.matches("id:ns:music::1", {"year": 2015})  # True

The container parses and checks a condition to answer a malformed one with a located 400; the
content node parses the same text again and evaluates it under its document database's lock,
against the stored document, atomically with the write.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from searchlib.errors import ErrorCode, SearchlibError, SourceLocation
from searchlib.schema.model import Schema
from searchlib.selection.evaluator import Document, evaluate, matches
from searchlib.selection.parser import SelectionError, parse_selection
from searchlib.selection.tree import DocType, FieldRef, Node, walk


class ConditionNotMet(SearchlibError):
    """A test-and-set condition that is not true for the stored document: HTTP 412, nothing written."""

    code = ErrorCode.BAD_REQUEST


@dataclass(frozen=True, slots=True)
class Selection:
    text: str
    tree: Node

    @classmethod
    def parse(cls, text: str) -> "Selection":
        return cls(text, parse_selection(text))

    def check(self, schemas: Iterable[Schema]) -> None:
        """SelectionError unless every document type and field the selection names exists."""
        by_type: dict[str, Schema] = {}
        for schema in schemas:
            by_type.setdefault(schema.document_name, schema)
            by_type.setdefault(schema.name, schema)
        for node in walk(self.tree):
            if isinstance(node, (DocType, FieldRef)):
                name = node.name if isinstance(node, DocType) else node.doctype
                schema = by_type.get(name)
                where = SourceLocation("condition", 1, node.column)
                if schema is None:
                    raise SelectionError(f"document type '{name}' does not exist", where)
                if isinstance(node, FieldRef):
                    field = schema.fields.get(node.field)
                    if field is not None and field.imported is not None and not field.parent:
                        _check_imported(field, node, name, where)
                    elif field is None or not field.in_document:
                        raise SelectionError(
                            f"field '{node.field}' does not exist in document type '{name}'", where)

    def field_names(self, schema: Schema) -> frozenset[str]:
        """The top-level fields of `schema`'s document type the selection reads."""
        return frozenset(node.field for node in walk(self.tree)
                         if isinstance(node, FieldRef) and node.doctype in (schema.name, schema.document_name))

    def matches(self, document_id: str, fields: Mapping[str, Any] | None, now: float | None = None) -> bool:
        """True only when the selection is true for the document (false and invalid are not)."""
        return matches(self.tree, Document(document_id, fields), now)

    def test(self, document_id: str, fields: Mapping[str, Any] | None, create: bool) -> None:
        """Test-and-set as Vespa: a missing document fails the condition unless the write may
        create it (`create=true`: then the condition is ignored); an existing one must match."""
        if fields is None:
            if not create:
                raise ConditionNotMet(f"ReturnCode(TEST_AND_SET_CONDITION_FAILED, Document {document_id} "
                                      "does not exist)")
            return
        if not self.matches(document_id, fields):
            raise ConditionNotMet(f"ReturnCode(TEST_AND_SET_CONDITION_FAILED, Condition did not match "
                                  f"document {document_id})")


def _check_imported(field, node: FieldRef, doctype: str, where: SourceLocation) -> None:
    """As Vespa: a selection may read a simple (single-value, primitive) imported field; the content
    node resolves it through the child's reference when it evaluates the selection."""
    if not (field.type.is_numeric or field.type.kind == "string") or node.path:
        raise SelectionError(f"imported field '{node.field}' of document type '{doctype}' has type {field.type}: "
                             "only simple (single-value) imported fields can be used in a document selection",
                             where)


__all__ = ["ConditionNotMet", "Document", "Selection", "SelectionError", "evaluate", "parse_selection"]
