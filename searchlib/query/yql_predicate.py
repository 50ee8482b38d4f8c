"""`predicate(field, features, range features)`, a layer of the YQL parser (yql.py), as Vespa's
YqlParser reads it:

    predicate(f, {"gender": "male", "hobby": ["music", "hiking"]}, {"age": 23L})
    predicate(f, {"0x03": {"gender": "male"}}, {"[62, 63]": {"age": 23L}})   subquery bitmaps
    predicate(f, 0, void)    predicate(f, null, {})                          no terms

A subquery key is a hex bitmap (at most 16 digits) or a list of bit numbers 0..63; terms outside a
subquery key belong to every subquery."""
from __future__ import annotations

import re

from searchlib.predicate import ALL_SUBQUERIES
from searchlib.query import parameters as params
from searchlib.query.tree import PredicateQuery, QueryNode
from searchlib.query.yql_tokens import Token
from searchlib.query.yql_values import YqlValueCursor

_HEX = re.compile(r"^0[xX]([0-9a-fA-F]+)$")
_BIT_LIST = re.compile(r"^\[\s*([0-9]+(?:\s*,\s*[0-9]+)*)?\s*\]$")


class YqlPredicateParser(YqlValueCursor):
    def _predicate(self, annotations: dict[str, object], at: Token) -> QueryNode:
        self.expect_punct("(")
        field = self.expect_ident("a predicate field name")
        self.expect_punct(",")
        features: list[tuple[str, str, int]] = []
        self._predicate_terms(features, ALL_SUBQUERIES, numeric=False, nested=True)
        self.expect_punct(",")
        ranges: list[tuple[str, int, int]] = []
        self._predicate_terms(ranges, ALL_SUBQUERIES, numeric=True, nested=True)
        self.expect_punct(")")
        return PredicateQuery(field, tuple(features), tuple(ranges),
                              self._annotation(params.annotation_str, annotations, "label", "", at))

    def _predicate_terms(self, into: list, bits: int, *, numeric: bool, nested: bool) -> None:
        """A `{key: value, ...}` map (or 0, null, void for none) into (key, value, bits) terms."""
        token = self.peek()
        if not self.is_punct("{"):
            if (token.kind == "number" and token.text.rstrip("lL") == "0") or (
                    token.kind == "ident" and token.text in ("null", "void")):
                self.advance()
                return
            self.expected("a map of predicate terms, 0, null or void", token)
        self.advance()
        first = True
        while not self.is_punct("}"):
            if not first:
                self.expect_punct(",")
            first = False
            key_token = self.advance()
            if key_token.kind not in ("string", "ident"):
                self.expected("a predicate key", key_token)
            self.expect_punct(":")
            if nested and self.is_punct("{"):
                self._predicate_terms(into, self._subquery_bits(key_token), numeric=numeric, nested=False)
            elif numeric:
                value_token = self.peek()
                number = self._number("an integer")
                if not number.is_integer() or not -(2**63) <= number < 2**63:
                    self.fail(f"Range predicate values are 64-bit integers, not {number!r}", value_token.start)
                into.append((key_token.text, int(number), bits))
            elif self.is_punct("["):
                self.advance()
                while not self.is_punct("]"):
                    into.append((key_token.text, self._predicate_value(), bits))
                    if not self.is_punct("]"):
                        self.expect_punct(",")
                self.advance()
            else:
                into.append((key_token.text, self._predicate_value(), bits))
        self.advance()

    def _predicate_value(self) -> str:
        token = self.advance()
        if token.kind == "string":
            return token.text
        if token.kind == "param":
            return self._parameter(token)
        if token.kind in ("number", "ident"):
            return token.text
        self.expected("a predicate value", token)

    def _subquery_bits(self, token: Token) -> int:
        text = token.text.strip()
        hex_match = _HEX.match(text)
        if hex_match:
            if len(hex_match.group(1)) > 16:
                self.fail(f"Too long subquery string: {text}", token.start)
            return int(hex_match.group(1), 16)
        bit_list = _BIT_LIST.match(text)
        if bit_list:
            bits = 0
            for number in re.findall(r"[0-9]+", bit_list.group(1) or ""):
                if int(number) > 63:
                    self.fail(f"Subquery numbers are 0..63, not {number}", token.start)
                bits |= 1 << int(number)
            return bits
        self.fail(f"A subquery is a hex bitmap (0x..) or a list of bit numbers ([0, 1]), not {text!r}", token.start)
