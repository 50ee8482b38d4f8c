"""Boolean predicates of `predicate` fields (Vespa's predicate language) and their evaluation
against a query's attributes, as the `predicate(field, {features}, {range features})` operator asks.

    country in [no, se] and age in [20..30]
    not (gender in [male]) or hobby not in ['tv', "games"]
    age in [..17] or age in [65..]        true        false

`key in [values]` is true when the query gives the key one of the values; `key in [a..b]` when the
query gives the range key a number in the range; `not in` is the negation (so also true when the
query does not mention the key). Query terms carry a 64-bit subquery bitmap: a document's result is
the set of subqueries (bits) for which its predicate is true with the terms of that subquery.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

ALL_SUBQUERIES = (1 << 64) - 1
_TOKEN = re.compile(r"""\s*(?:(?P<punct>\.\.|[\[\](),])|'(?P<single>(?:[^'\\]|\\.)*)'|"(?P<double>(?:[^"\\]|\\.)*)"
                        |(?P<word>[^\s\[\](),'"]+?)(?=\s|$|[\[\](),]|\.\.))""", re.VERBOSE)
_INTEGER = re.compile(r"^-?\d+$")


class PredicateError(ValueError):
    """A predicate expression that does not parse; callers add the field."""


@dataclass(frozen=True, slots=True)
class In:
    key: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InRange:
    key: str
    low: int | None
    high: int | None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class And:
    children: tuple["Predicate", ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple["Predicate", ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: "Predicate"


@dataclass(frozen=True, slots=True)
class Constant:
    value: bool


Predicate = Union[In, InRange, And, Or, Not, Constant]


def parse_predicate(text: str) -> Predicate:
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    result = parser.disjunction(0)
    if parser.position != len(tokens):
        raise PredicateError(f"unexpected {tokens[parser.position][1]!r} in predicate {text!r}")
    return result


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise PredicateError(f"unexpected character {text[position:].strip()[:1]!r} in predicate {text!r}")
        position = match.end()
        if match.group("punct"):
            tokens.append(("punct", match.group("punct")))
        elif match.group("word") is not None:
            tokens.append(("word", match.group("word")))
        else:
            quoted = match.group("single") if match.group("single") is not None else match.group("double")
            tokens.append(("string", re.sub(r"\\(.)", r"\1", quoted)))
    return tokens


class _Parser:
    MAX_DEPTH = 100

    def __init__(self, tokens: list[tuple[str, str]], text: str) -> None:
        self.tokens, self.text, self.position = tokens, text, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def punct(self, symbol: str) -> bool:
        if self.peek() == ("punct", symbol):
            self.position += 1
            return True
        return False

    def expect(self, symbol: str) -> None:
        if not self.punct(symbol):
            found = self.peek()
            raise PredicateError(f"expected {symbol!r} but found {found[1] if found else 'the end'!r} "
                                 f"in predicate {self.text!r}")

    def disjunction(self, depth: int) -> Predicate:
        children = [self.conjunction(depth)]
        while self.keyword("or"):
            children.append(self.conjunction(depth))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def conjunction(self, depth: int) -> Predicate:
        children = [self.unary(depth)]
        while self.keyword("and"):
            children.append(self.unary(depth))
        return children[0] if len(children) == 1 else And(tuple(children))

    def unary(self, depth: int) -> Predicate:
        if depth > self.MAX_DEPTH:
            raise PredicateError(f"predicate nests deeper than {self.MAX_DEPTH} levels")
        if self.keyword("not"):
            return Not(self.unary(depth + 1))
        if self.punct("("):
            inner = self.disjunction(depth + 1)
            self.expect(")")
            return inner
        if self.keyword("true"):
            return Constant(True)
        if self.keyword("false"):
            return Constant(False)
        return self.feature()

    def value(self, what: str) -> str:
        token = self.peek()
        if token is None or token[0] == "punct":
            raise PredicateError(f"expected {what} but found {token[1] if token else 'the end'!r} in predicate "
                                 f"{self.text!r}")
        self.position += 1
        return token[1]

    def feature(self) -> Predicate:
        key = self.value("a key")
        negated = self.keyword("not")
        if not self.keyword("in"):
            raise PredicateError(f"expected 'in' after {key!r} in predicate {self.text!r}")
        self.expect("[")
        if self.peek() == ("punct", ".."):
            return self.range(key, None, negated)
        first = self.value("a value")
        if self.peek() == ("punct", ".."):
            return self.range(key, _integer(first, self.text), negated)
        values = [first]
        while self.punct(","):
            values.append(self.value("a value"))
        self.expect("]")
        return In(key, tuple(values), negated)

    def range(self, key: str, low: int | None, negated: bool) -> Predicate:
        self.expect("..")
        high = None if self.peek() == ("punct", "]") else _integer(self.value("a number"), self.text)
        self.expect("]")
        if low is not None and high is not None and low > high:
            raise PredicateError(f"empty range [{low}..{high}] in predicate {self.text!r}")
        return InRange(key, low, high, negated)


def _integer(text: str, source: str) -> int:
    if not _INTEGER.match(text) or not -(2**63) <= int(text) < 2**63:
        raise PredicateError(f"range bounds are 64-bit integers, not {text!r} in predicate {source!r}")
    return int(text)


# --- evaluation ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueryTerms:
    """The query side: (key, value, subquery bitmap) features and (key, number, bitmap) ranges."""

    features: tuple[tuple[str, str, int], ...] = ()
    ranges: tuple[tuple[str, int, int], ...] = ()

    def subquery_classes(self) -> list[tuple[int, "QueryTerms"]]:
        """(bits, the terms of those subqueries): bits that see the same terms share one result."""
        terms = [*self.features, *self.ranges]
        classes: dict[tuple[int, ...], int] = {}
        for bit in range(64):
            signature = tuple(i for i, term in enumerate(terms) if term[2] >> bit & 1)
            classes[signature] = classes.get(signature, 0) | (1 << bit)
        count = len(self.features)
        return [(bits, QueryTerms(tuple(terms[i] for i in signature if i < count),
                                  tuple(terms[i] for i in signature if i >= count)))
                for signature, bits in classes.items()]


def evaluate(predicate: Predicate, terms: QueryTerms) -> bool:
    if isinstance(predicate, In):
        found = any(key == predicate.key and value in predicate.values for key, value, _ in terms.features)
        return found != predicate.negated
    if isinstance(predicate, InRange):
        low = predicate.low if predicate.low is not None else -(2**63)
        high = predicate.high if predicate.high is not None else 2**63 - 1
        found = any(key == predicate.key and low <= value <= high for key, value, _ in terms.ranges)
        return found != predicate.negated
    if isinstance(predicate, And):
        return all(evaluate(child, terms) for child in predicate.children)
    if isinstance(predicate, Or):
        return any(evaluate(child, terms) for child in predicate.children)
    if isinstance(predicate, Not):
        return not evaluate(predicate.child, terms)
    return predicate.value


def matched_subqueries(predicate: Predicate, classes: list[tuple[int, QueryTerms]]) -> int:
    """The bitmap of subqueries for which the predicate holds."""
    result = 0
    for bits, terms in classes:
        if evaluate(predicate, terms):
            result |= bits
    return result
