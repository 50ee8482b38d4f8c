"""The Vespa feed format (`vespa feed`): JSONL or a JSON array of put/update/remove operations.

A malformed line never stops a feed: it becomes a `FeedParseError` in the stream, is reported and
counted as failed, and the operations around it are still fed.
"""
from __future__ import annotations

import io
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, TextIO
from urllib.parse import quote

import orjson

from searchlib.docid import DocumentId
from searchlib.errors import DocumentError

OPERATION_KINDS = ("put", "update", "remove")


@dataclass(frozen=True, slots=True)
class FeedOperation:
    kind: str  # put | update | remove
    document_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    condition: str | None = None
    create: bool = False  # update: create the document if missing (upsert)
    source_line: int = 0  # 1-based line (JSONL) or item number (JSON array), for error reports

    @property
    def http_method(self) -> str:
        return {"put": "POST", "update": "PUT", "remove": "DELETE"}[self.kind]

    @property
    def path(self) -> str:
        return document_path(self.document_id)

    def request_body(self) -> dict[str, Any] | None:
        return None if self.kind == "remove" else {"fields": dict(self.fields)}

    def request_params(self) -> dict[str, str]:
        params = {}
        if self.condition is not None:
            params["condition"] = self.condition
        if self.create:
            params["create"] = "true"
        return params


@dataclass(frozen=True, slots=True)
class FeedParseError:
    source_line: int
    message: str
    excerpt: str = ""

    def __str__(self) -> str:
        where = f"line {self.source_line}" if self.source_line else "input"
        return f"{where}: {self.message}" + (f": {self.excerpt}" if self.excerpt else "")


FeedItem = FeedOperation | FeedParseError


class FeedFormatError(ValueError):
    pass


def document_path(document_id: str) -> str:
    """`id:ns:type::key` → `/document/v1/ns/type/docid/key` (§5.1), with the key URL-escaped."""
    parsed = DocumentId.parse(document_id)
    key = quote(parsed.user_specified, safe="")
    base = f"/document/v1/{quote(parsed.namespace, safe='')}/{quote(parsed.doctype, safe='')}"
    if not parsed.key_values:
        return f"{base}/docid/{key}"
    name, _, value = parsed.key_values.partition("=")
    location = {"n": "number", "g": "group"}.get(name)
    if location is None or not value:
        raise DocumentError(f"Document id '{document_id}' has an unknown modifier '{parsed.key_values}'")
    return f"{base}/{location}/{quote(value, safe='')}/{key}"


def parse_operation(item: Any, source_line: int = 0) -> FeedOperation:
    """One JSON operation object → FeedOperation; raises FeedFormatError with a readable reason."""
    if not isinstance(item, dict):
        raise FeedFormatError(f"expected a JSON object, got {type(item).__name__}")
    kinds = [kind for kind in OPERATION_KINDS if kind in item]
    if len(kinds) > 1:
        raise FeedFormatError(f"an operation must have exactly one of put/update/remove, got {kinds}")
    if kinds:
        kind = kinds[0]
        document_id = item[kind]
    elif "id" in item:  # the legacy form {"id": ..., "fields": ...} is a put
        kind, document_id = "put", item["id"]
    else:
        raise FeedFormatError("missing 'put', 'update' or 'remove' with a document id")
    if not isinstance(document_id, str):
        raise FeedFormatError(f"document id must be a string, got {json.dumps(document_id)}")
    try:
        DocumentId.parse(document_id)
        document_path(document_id)
    except DocumentError as error:
        raise FeedFormatError(str(error)) from None
    fields = item.get("fields", {})
    if not isinstance(fields, dict):
        raise FeedFormatError("'fields' must be a JSON object")
    if kind == "update" and not fields:
        raise FeedFormatError("an update needs 'fields' with at least one field operation")
    if kind == "remove" and fields:
        raise FeedFormatError("a remove takes no 'fields'")
    condition = item.get("condition")
    if condition is not None and not isinstance(condition, str):
        raise FeedFormatError("'condition' must be a string")
    create = item.get("create", False)
    if not isinstance(create, bool):
        raise FeedFormatError("'create' must be true or false")
    return FeedOperation(kind, document_id, fields, condition, create, source_line)


def _excerpt(text: str, limit: int = 80) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LONG_DIGITS = re.compile(r"\d{19,}")  # orjson reads integers beyond 64 bits as floats: silently inexact


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def _loads(text: str) -> Any:
    """orjson (~6x json.loads) unless the text has a digit run long enough to be an integer past
    64 bits: json keeps those exact, so the document is refused or stored as written, never rounded.
    NaN and Infinity are errors either way."""
    if _LONG_DIGITS.search(text) is None:
        return orjson.loads(text)
    return json.loads(text, parse_constant=_no_constant)


def _parse_jsonl(lines: Iterable[str], first_line: int = 1) -> Iterator[FeedItem]:
    for line_number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            item = _loads(line)
        except json.JSONDecodeError as error:  # orjson's error is a subclass
            yield FeedParseError(line_number, f"invalid JSON ({error.msg} at column {error.colno})",
                                 _excerpt(line))
            continue
        try:
            yield parse_operation(item, line_number)
        except FeedFormatError as error:
            yield FeedParseError(line_number, str(error), _excerpt(line))


def _parse_json_array(text: str) -> Iterator[FeedItem]:
    try:
        items = _loads(text)
    except json.JSONDecodeError as error:
        yield FeedParseError(error.lineno, f"invalid JSON array ({error.msg} at column {error.colno})")
        return
    if not isinstance(items, list):
        yield FeedParseError(1, "expected a JSON array of operations")
        return
    for number, item in enumerate(items, start=1):
        try:
            yield parse_operation(item, number)
        except FeedFormatError as error:
            yield FeedParseError(number, f"operation #{number}: {error}", _excerpt(json.dumps(item)))


def parse_feed_stream(stream: TextIO) -> Iterator[FeedItem]:
    """Operations from a text stream: a JSON array if it starts with '[', else JSONL (read lazily)."""
    leading: list[str] = []
    for line in stream:
        leading.append(line)
        if line.strip():
            break
    if leading and leading[-1].lstrip().startswith("["):
        yield from _parse_json_array("".join(leading) + stream.read())
        return
    yield from _parse_jsonl(leading)
    yield from _parse_jsonl(stream, first_line=len(leading) + 1)


def parse_feed_text(text: str) -> list[FeedItem]:
    return list(parse_feed_stream(io.StringIO(text)))


def iter_feed_file(path: str | Path) -> Iterator[FeedItem]:
    """Operations from a file, or from stdin when path is '-'."""
    if str(path) == "-":
        yield from parse_feed_stream(sys.stdin)
        return
    with open(path, encoding="utf-8") as stream:
        yield from parse_feed_stream(stream)


def count_feed_items(path: str | Path) -> int | None:
    """A cheap estimate of the operation count for a progress bar (None for stdin)."""
    if str(path) == "-":
        return None
    with open(path, "rb") as stream:
        head = stream.read(4096).lstrip()
        if head.startswith(b"["):
            return None  # counted when parsed; arrays are read whole anyway
        stream.seek(0)
        return sum(1 for line in stream if line.strip())
