"""searchlib.predicate: the predicate language, its evaluation, subquery grouping checked against
a naive evaluation per bit, and the schema rules of predicate fields."""
from __future__ import annotations

import random

import pytest

from searchlib.errors import SchemaError
from searchlib.predicate import (
    ALL_SUBQUERIES, And, In, InRange, Not, Or, PredicateError, QueryTerms, evaluate, matched_subqueries,
    parse_predicate,
)
from searchlib.schema.application import application_from_sources


def test_parse() -> None:
    assert parse_predicate("country in [no, se] and age in [20..30]") == And(
        (In("country", ("no", "se")), InRange("age", 20, 30)))
    assert parse_predicate("not (a in ['x y']) or b not in [\"1\"]") == Or(
        (Not(In("a", ("x y",))), In("b", ("1",), negated=True)))
    assert parse_predicate("age in [..17] or age in [-5..]") == Or((InRange("age", None, 17), InRange("age", -5, None)))


@pytest.mark.parametrize("text", ["a in", "a in []", "a in [1..0]", "a b", "(a in [x]", "a in [x..y]", "and", ""])
def test_bad_predicates(text) -> None:
    with pytest.raises(PredicateError):
        parse_predicate(text)


def terms(features=(), ranges=()) -> QueryTerms:
    return QueryTerms(tuple((k, v, ALL_SUBQUERIES) for k, v in features),
                      tuple((k, v, ALL_SUBQUERIES) for k, v in ranges))


@pytest.mark.parametrize("text, query, expected", [
    ("country in [no, se] and age in [20..30]", terms([("country", "se")], [("age", 30)]), True),
    ("country in [no, se] and age in [20..30]", terms([("country", "se")], [("age", 31)]), False),
    ("gender not in [male]", terms(), True),
    ("gender not in [male]", terms([("gender", "male")]), False),
    ("age not in [..17]", terms(ranges=[("age", 18)]), True),
    ("age in [..17]", terms(features=[("age", "10")]), False),  # a feature is not a range value
    ("true and not false", terms(), True),
])
def test_evaluate(text, query, expected) -> None:
    assert evaluate(parse_predicate(text), query) is expected


def random_predicate(rng: random.Random, depth: int = 0):
    choice = rng.randrange(6 if depth < 3 else 2)
    if choice == 0:
        return In(rng.choice("ab"), tuple(rng.sample("xyz", rng.randrange(1, 3))), rng.random() < 0.3)
    if choice == 1:
        low = rng.choice([None, rng.randrange(0, 10)])
        return InRange("n", low, rng.choice([None, (low or 0) + rng.randrange(0, 10)]), rng.random() < 0.3)
    if choice == 2:
        return Not(random_predicate(rng, depth + 1))
    children = tuple(random_predicate(rng, depth + 1) for _ in range(rng.randrange(2, 4)))
    return And(children) if choice < 5 else Or(children)


def test_subquery_groups_equal_a_naive_evaluation_per_bit() -> None:
    rng = random.Random(5)
    for _ in range(300):
        predicate = random_predicate(rng)
        query = QueryTerms(
            tuple((rng.choice("ab"), rng.choice("xyz"), rng.choice([ALL_SUBQUERIES, 1, 2, 3, 1 << 63, 5]))
                  for _ in range(rng.randrange(0, 4))),
            tuple(("n", rng.randrange(0, 20), rng.choice([ALL_SUBQUERIES, 1, 6])) for _ in range(rng.randrange(0, 3))))
        naive = 0
        for bit in range(64):
            only = QueryTerms(tuple(t for t in query.features if t[2] >> bit & 1),
                              tuple(t for t in query.ranges if t[2] >> bit & 1))
            naive |= evaluate(predicate, only) << bit
        assert matched_subqueries(predicate, query.subquery_classes()) == naive


SERVICES = """<services version="1.0"><container id="c" version="1.0"><search/></container>
<content id="x" version="1.0"><documents><document type="d" mode="index"/></documents>
<nodes><node hostalias="n" distribution-key="0"/></nodes></content></services>"""


def load(body: str):
    return application_from_sources({"services.xml": SERVICES,
                                     "schemas/d.sd": f"schema d {{\n document d {{\n{body}\n }}\n}}\n"})


def test_predicate_field_rules() -> None:
    fields = load("field p type predicate { indexing: attribute\n index { arity: 2\n upper-bound: 9 } }"
                  ).schemas["d"].fields
    assert fields["p"].type.kind == "predicate"
    for body, message in (
        ("field p type predicate { indexing: attribute }", "Missing arity value"),
        ("field p type predicate { indexing: attribute\n index { arity: 1 } }", "at least 2"),
        ("field p type predicate { indexing: attribute\n index { arity: 2\n lower-bound: 5\n upper-bound: 1 } }",
         "above its upper-bound"),
        ("field p type predicate { indexing: summary\n index { arity: 2 } }", "must be an attribute"),
        ("field s type string { indexing: attribute\n index { arity: 2 } }", "only for predicate fields"),
    ):
        with pytest.raises(SchemaError, match=message):
            load(body)
