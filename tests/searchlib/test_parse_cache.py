"""The parsed-YQL cache: a hit needs the same statement, every parameter and the context; the
least recently used entry goes first; unhashable parameters are not cached."""
from __future__ import annotations

from searchlib.query.parse_cache import ParseCache
from searchlib.query.yql import parse_yql

YQL = "select * from doc where userQuery()"


def test_a_hit_needs_the_same_statement_parameters_and_context() -> None:
    cache = ParseCache()
    params = {"query": "heart attack", "type": "any"}
    key = ParseCache.key(YQL, params, {"year"})
    cache.put(key, parse_yql(YQL, parameters=params))
    assert cache.get(ParseCache.key(YQL, dict(params), {"year"})) == parse_yql(YQL, parameters=params)
    assert cache.get(ParseCache.key(YQL, {**params, "type": "all"}, {"year"})) is None
    assert cache.get(ParseCache.key(YQL, {**params, "language": "de"}, {"year"})) is None
    assert cache.get(ParseCache.key(YQL + " limit 3", params, {"year"})) is None
    assert cache.get(ParseCache.key(YQL, params, {"year", "price"})) is None


def test_least_recently_used_goes_first() -> None:
    cache = ParseCache(size=2)
    keys = [ParseCache.key(YQL, {"query": str(i)}) for i in range(3)]
    cache.put(keys[0], "zero")
    cache.put(keys[1], "one")
    assert cache.get(keys[0]) == "zero"  # now the most recent
    cache.put(keys[2], "two")
    assert cache.get(keys[1]) is None and cache.get(keys[0]) == "zero" and cache.get(keys[2]) == "two"


def test_unhashable_parameters_are_not_cached() -> None:
    cache = ParseCache()
    key = ParseCache.key(YQL, {"query": ["a", "list"]})
    assert key is None
    cache.put(key, "x")
    assert cache.get(key) is None
