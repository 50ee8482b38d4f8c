"""Grouping language text → GroupingOperation (recursive descent; never eval).

    operation := ('all' | 'each') '(' clause* ')'
    clause    := 'group' '(' attribute ')' | 'max' '(' NUMBER | 'inf' ')' | 'precision' '(' NUMBER ')'
               | 'order' '(' ['-'|'+'] (aggregate | attribute) (',' ...)* ')'   (attribute: the group value) | 'output' '(' output (',' output)* ')'
               | operation
    output    := aggregate | 'summary' '(' [NAME] ')'
    aggregate := 'count' '(' ')' | ('sum'|'avg'|'min'|'max') '(' attribute | 'relevance' '(' ')' ')'
"""
from __future__ import annotations

import re

from searchlib.errors import QueryError
from searchlib.grouping.model import AGGREGATORS, GROUP_VALUE, RELEVANCE, UNLIMITED, Aggregate, GroupingOperation, OrderKey

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<number>[0-9]+)|(?P<punct>[(),+\-]))")


class _Tokens:
    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []
        position = 0
        while position < len(text):
            if text[position:].strip() == "":
                break
            match = _TOKEN.match(text, position)
            if match is None:
                raise QueryError(f"Could not parse grouping '{text}': unexpected '{text[position:].strip()[:1]}' "
                                 f"at column {position + 1}")
            kind = match.lastgroup
            self.items.append((kind, match.group(kind), match.start(kind)))
            position = match.end()
        self.index = 0

    def peek(self) -> str | None:
        return self.items[self.index][1] if self.index < len(self.items) else None

    def take(self, expected: str | None = None) -> str:
        if self.index >= len(self.items):
            self.fail(f"expected {expected or 'more'} but the expression ended")
        kind, value, _ = self.items[self.index]
        if expected is not None and value != expected:
            self.fail(f"expected '{expected}' but found '{value}'")
        self.index += 1
        return value

    def take_name(self, what: str) -> str:
        if self.index >= len(self.items) or self.items[self.index][0] != "name":
            self.fail(f"expected {what}")
        return self.take()

    def fail(self, message: str):
        column = self.items[self.index][2] + 1 if self.index < len(self.items) else len(self.text) + 1
        raise QueryError(f"Could not parse grouping '{self.text}': {message} at column {column}")


def parse_grouping(text: str) -> GroupingOperation:
    tokens = _Tokens(text)
    if tokens.peek() not in ("all", "each"):
        tokens.fail("expected 'all(' or 'each('")
    operation = _operation(tokens)
    if tokens.peek() is not None:
        tokens.fail(f"unexpected '{tokens.peek()}' after the grouping expression")
    return operation


def _operation(tokens: _Tokens) -> GroupingOperation:
    kind = tokens.take()
    tokens.take("(")
    group_by, maximum, order, outputs, summary, children = None, None, (), [], None, []
    while tokens.peek() != ")":
        if tokens.peek() is None:
            tokens.fail(f"expected ')' to close '{kind}(' but the expression ended")
        clause = tokens.take_name("group, max, order, output, precision, all or each")
        if clause in ("all", "each"):
            tokens.index -= 1
            children.append(_operation(tokens))
            continue
        tokens.take("(")
        if clause == "group":
            group_by = _attribute(tokens)
        elif clause == "max":
            value = tokens.take()
            if value == "inf":
                maximum = UNLIMITED
            elif value.isascii() and value.isdigit():
                maximum = int(value)
            else:
                tokens.index -= 1
                tokens.fail("expected a number or 'inf' in max()")
        elif clause == "precision":
            tokens.take()  # accepted; every node returns all its groups, so it changes nothing
        elif clause == "order":
            order = _comma_separated(tokens, _order_key)
        elif clause == "output":
            for item in _comma_separated(tokens, _output):
                if isinstance(item, Aggregate):
                    outputs.append(item)
                else:
                    summary = item
        else:
            tokens.index -= 2
            tokens.fail(f"unsupported grouping clause '{clause}'")
        tokens.take(")")
    tokens.take(")")
    for key in order:
        if key.aggregate.function == GROUP_VALUE and key.aggregate.argument != group_by:
            raise QueryError(f"Could not parse grouping '{tokens.text}': order({key.aggregate.argument}) needs "
                             f"group({key.aggregate.argument}) in the same operation; use an aggregator otherwise")
    return GroupingOperation(kind, group_by, maximum, tuple(order), tuple(outputs), summary, tuple(children))


def _comma_separated(tokens: _Tokens, item) -> list:
    items = [item(tokens)]
    while tokens.peek() == ",":
        tokens.take()
        items.append(item(tokens))
    return items


def _order_key(tokens: _Tokens) -> OrderKey:
    descending = False
    if tokens.peek() in ("-", "+"):
        descending = tokens.take() == "-"
    if tokens.peek() not in AGGREGATORS and tokens.index + 1 < len(tokens.items) \
            and tokens.items[tokens.index + 1][1] != "(":
        return OrderKey(Aggregate(GROUP_VALUE, _attribute(tokens)), descending)  # order(brand): by the value
    return OrderKey(_aggregate(tokens), descending)


def _output(tokens: _Tokens) -> Aggregate | str:
    if tokens.peek() == "summary":
        tokens.take()
        tokens.take("(")
        name = tokens.take_name("a summary class") if tokens.peek() != ")" else ""
        tokens.take(")")
        return name
    return _aggregate(tokens)


def _aggregate(tokens: _Tokens) -> Aggregate:
    function = tokens.take_name("an aggregator: count(), sum(x), avg(x), min(x) or max(x)")
    if function not in AGGREGATORS:
        tokens.index -= 1
        tokens.fail(f"unsupported aggregator '{function}'")
    tokens.take("(")
    if function == "count":
        tokens.take(")")
        return Aggregate("count")
    argument = _attribute(tokens)
    tokens.take(")")
    return Aggregate(function, argument)


def _attribute(tokens: _Tokens) -> str:
    name = tokens.take_name("an attribute name")
    if name == "relevance":
        tokens.take("(")
        tokens.take(")")
        return RELEVANCE
    return name
