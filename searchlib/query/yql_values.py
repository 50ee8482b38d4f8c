"""The YQL value layer under the parser: annotation blocks (`{...}` and the older `[{...}]`),
numbers (plain, `(-500)`, `({filter: true}500)`) and `@parameter` values, each failure positioned."""
from __future__ import annotations

from collections.abc import Mapping

from searchlib.query import parameters as params
from searchlib.query.parameters import AnnotationValueError
from searchlib.query.yql_tokens import Token, TokenCursor

MAX_DEPTH = 100  # nesting limit: deeper input is an error, never a RecursionError


class YqlValueCursor(TokenCursor):
    def __init__(self, source: str, parameters: Mapping[str, object]) -> None:
        super().__init__(source)
        self._parameters = parameters
        self._item_ids: set[object] = set()  # every `{id: N}` in the query
        self._connections: list[tuple[object, int]] = []  # `{connectivity: {id: N}}` and where
        self._value_depth = 0  # > 0 inside an annotation's map value (whose `id` names no item)

    def _check_connectivity(self) -> None:
        """Vespa refuses a `connectivity` to an item id the query does not have."""
        for target, offset in self._connections:
            if target not in self._item_ids:
                self.fail(f"An item connects to the item with id {target}, which is not in the query", offset)

    def _starts_annotations(self) -> bool:
        """`{...}`, or Vespa's older form `[{...}]`."""
        return self._starts_annotations_at(0)

    def _starts_annotations_at(self, ahead: int) -> bool:
        return self.is_punct("{", ahead) or (self.is_punct("[", ahead) and self.is_punct("{", ahead + 1))

    def _annotated_number(self, depth: int) -> tuple[float, dict[str, object]]:
        """A number, `(-500)`, `({filter: true}500)` or `({id: 1}(-500))`: its annotations too."""
        if depth > MAX_DEPTH:
            self.fail(f"The query nests deeper than {MAX_DEPTH} levels", self.peek().start)
        if not self.is_punct("("):
            return self._number("a number", exact=True), {}
        self.advance()
        annotations = self._annotations(depth) if self._starts_annotations() else {}
        value, inner = self._annotated_number(depth + 1)
        self.expect_punct(")")
        return value, {**inner, **annotations}

    def _annotation(self, reader, annotations, name, default, at: Token, **options):  # type: ignore[no-untyped-def]
        try:
            return reader(annotations, name, default, **options)
        except AnnotationValueError as error:
            self.fail(str(error), at.start)

    def _annotations(self, depth: int) -> dict[str, object]:
        if depth > MAX_DEPTH:
            self.fail(f"Annotations nest deeper than {MAX_DEPTH} levels", self.peek().start)
        if self.is_punct("["):  # Vespa's older `[{...}]` form
            self.advance()
            values = self._annotations(depth + 1)
            self.expect_punct("]")
            return values
        self.expect_punct("{")
        values: dict[str, object] = {}
        while not self.is_punct("}"):
            if values:
                self.expect_punct(",")
            key = self.advance()
            if key.kind not in ("ident", "string"):
                self.expected("an annotation name", key)
            self.expect_punct(":")
            values[key.text] = self._annotation_value(depth)
            if key.text == "id" and not self._value_depth:
                self._item_ids.add(values["id"])
            elif key.text == "connectivity" and isinstance(values["connectivity"], dict):
                self._connections.append((values["connectivity"].get("id"), key.start))
        self.advance()
        return values

    def _annotation_value(self, depth: int) -> object:
        token = self.peek()
        if depth > MAX_DEPTH:
            self.fail(f"Annotations nest deeper than {MAX_DEPTH} levels", token.start)
        if token.kind == "string":
            return self.advance().text
        if token.kind == "param":
            return self._parameter(self.advance())
        if self.is_keyword("true") or self.is_keyword("false"):
            return self.advance().text.lower() == "true"
        if self.is_punct("{"):
            self._value_depth += 1
            try:
                return self._annotations(depth + 1)
            finally:
                self._value_depth -= 1
        if self.is_punct("["):
            self.advance()
            items: list[object] = []
            while not self.is_punct("]"):
                if items:
                    self.expect_punct(",")
                items.append(self._annotation_value(depth + 1))
            self.advance()
            return items
        literal = self.peek(1) if self.is_punct("-") else self.peek()
        value = self._number("an annotation value")
        if literal.kind == "number" and literal.text.rstrip("lL").isdigit():
            return int(value)  # element ids must tell 2 from 2.0 (as Vespa's parser does)
        return value

    def _number(self, what: str, exact: bool = False) -> float:
        """A number; `exact`: an integer literal stays an int (longs beyond 2^53 stay exact, and a
        range prints `500` for 500 and `500.0` for 500.0, as Vespa's Long and Double items do)."""
        token = self.peek()
        negative = self.is_punct("-")
        if negative:
            self.advance()
            token = self.peek()
        if token.kind == "number" or (token.kind == "ident" and token.text == "Infinity"):
            text = token.text
        elif token.kind == "param":
            text = self._parameter(token)
        else:
            self.expected(what)
        self.advance()
        signed = negative and text[:1] not in "+-"
        try:  # the sign parsed with the digits: -9223372036854775808L is a long
            value = params.parse_number("-" + text if signed else text)
        except AnnotationValueError as error:
            self.fail(str(error), token.start)
        value = -value if negative and not signed else value
        return value if exact and isinstance(value, int) else float(value)

    def _parameter(self, token: Token) -> str:
        value = params.first_parameter(self._parameters, token.text[1:])
        if value is None:
            self.fail(f"Could not find query parameter '{token.text[1:]}'", token.start)
        return value
