"""Vespa's YQL conformance corpus (../shared/data/vespa-language-conformance/) and the expected
query trees read out of the Java tests it came from.

Each corpus row names `File.java:line`. Where that line starts an `assertParse(yql, "expected")`
or `assertCanonicalParse(...)` call whose second argument is a string literal (or a `+`
concatenation of literals), that literal is the expected `Item.toString()` of the parsed tree.
Other valid rows (asserts on single properties) carry no tree string.
VespaSerializerTestCase's `parseAndConfirm(expected, toParse)` rows carry the YQL that Vespa's
serializer writes for the parsed tree instead. For the other rows the Java test only says the
string parses.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.integration.conftest import shared_data_dir

_ASSERT_CALL = re.compile(r"\b(assertParse|assertCanonicalParse)\(")
_JAVA_TOKEN = re.compile(r'\s+|//[^\n]*|"((?:[^"\\]|\\.)*)"|([(),+])|([^\s(),+"]+)')
_JAVA_ESCAPE = re.compile(r"\\(u+[0-9a-fA-F]{4}|.)")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


@dataclass(frozen=True)
class YqlCase:
    yql: str
    parameters: dict
    valid: bool
    source: str  # File.java:line method
    expected_tree: str | None  # Item.toString() from an assertParse, when the Java test gives one
    expected_yql: str | None = None  # VespaSerializer's YQL for the tree, from a parseAndConfirm


def corpus_dir() -> Path:
    return shared_data_dir() / "vespa-language-conformance"


def _java_string(body: str) -> str:
    def unescape(match: re.Match) -> str:
        text = match.group(1)
        if text.startswith("u"):
            return chr(int(text.lstrip("u"), 16))
        return _SIMPLE_ESCAPES.get(text, text)

    return _JAVA_ESCAPE.sub(unescape, body)


# the Java constants the serializer test writes its expected strings with
_JAVA_CONSTANTS = {"YqlParser.TARGET_HITS": "targetHits"}


def _literal_argument(source: str, start: int, index: int) -> str | None:
    """The call's argument `index` if it is made only of string literals (and _JAVA_CONSTANTS)
    joined by `+`."""
    depth, arguments = 0, [[]]
    for match in _JAVA_TOKEN.finditer(source, start):
        literal, punct, other = match.group(1), match.group(2), match.group(3)
        if literal is None and punct is None and other is None:
            continue  # blank or comment
        if punct == "(":
            depth += 1
            if depth == 1:
                continue
        elif punct == ")":
            depth -= 1
            if depth == 0:
                break
        elif punct == "," and depth == 1:
            arguments.append([])
            continue
        if other in _JAVA_CONSTANTS:
            arguments[-1].append(("literal", _JAVA_CONSTANTS[other]))
            continue
        arguments[-1].append(("literal", _java_string(literal)) if literal is not None else ("code", punct or other))
    if len(arguments) <= index or not arguments[index]:
        return None
    parts = arguments[index]
    if any(kind == "code" and text != "+" for kind, text in parts):
        return None
    return "".join(text for kind, text in parts if kind == "literal")


@cache
def _java_lines(name: str) -> tuple[str, list[int]]:
    text = (corpus_dir() / "yql-tests" / name).read_text()
    offsets = [0] + [m.end() for m in re.finditer("\n", text)]
    return text, offsets


def _expected_tree(source: str) -> str | None:
    file_name, line = source.split()[0].split(":")
    text, offsets = _java_lines(file_name)
    line_start = offsets[int(line) - 1]
    line_end = offsets[int(line)] if int(line) < len(offsets) else len(text)
    call = _ASSERT_CALL.search(text, line_start, line_end)
    return None if call is None else _literal_argument(text, call.end() - 1, 1)


_ROUND_TRIP_CALL = re.compile(r"\bparseAndConfirm\(")


def _expected_yql(source: str) -> str | None:
    """VespaSerializerTestCase's `parseAndConfirm(expected[, toParse])` on that line: `expected`
    is what VespaSerializer must write for the parsed tree (the `where` text)."""
    file_name, line = source.split()[0].split(":")
    if file_name != "VespaSerializerTestCase.java":
        return None
    text, offsets = _java_lines(file_name)
    line_end = offsets[int(line)] if int(line) < len(offsets) else len(text)
    call = _ROUND_TRIP_CALL.search(text, offsets[int(line) - 1], line_end)
    return None if call is None else _literal_argument(text, call.end() - 1, 0)


_PROPERTY_SET = re.compile(r'query\.properties\(\)\.set\("(\w+)", "((?:[^"\\]|\\.)*)"\)')


@cache
def _user_query_properties() -> dict[str, str]:
    """What YqlParserTestCase.createUserQuery() sets (`@foonumeric`, `@foostring`): the rows of test
    methods that call it (`parser.setUserQuery(createUserQuery())`) parse with these."""
    text, _ = _java_lines("YqlParserTestCase.java")
    body = text[text.index("Query createUserQuery()"):]
    body = body[:body.index("return query;")]
    return {name: _java_string(value) for name, value in _PROPERTY_SET.findall(body)}


def _parameters(row: dict) -> dict:
    file_name, line = row["source"].split()[0].split(":")
    if file_name != "YqlParserTestCase.java":
        return row["parameters"]
    text, offsets = _java_lines(file_name)
    method = text.rfind("void ", 0, offsets[int(line) - 1])
    last_set = text.rfind("setUserQuery(", method, offsets[int(line) - 1])
    if last_set < 0 or not text.startswith("setUserQuery(createUserQuery())", last_set):
        return row["parameters"]
    return {**row["parameters"], **_user_query_properties()}


@cache
def yql_cases() -> tuple[YqlCase, ...]:
    cases = []
    with (corpus_dir() / "yql.jsonl").open() as rows:
        for row in map(json.loads, rows):
            valid = row["expect"] == "valid"
            cases.append(YqlCase(
                row["yql"], _parameters(row), valid, row["source"],
                _expected_tree(row["source"]) if valid else None,
                _expected_yql(row["source"]) if valid else None,
            ))
    return tuple(cases)
