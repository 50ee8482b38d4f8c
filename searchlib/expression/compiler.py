"""Binding user functions and constants into an expression tree at compile time.

Functions with parameters are inlined with their arguments substituted (also into feature arguments,
so `function f(foo) { nativeRank(foo, body) }` called as `f(title)` needs `nativeRank(title,body)`).
Zero-argument functions are inlined when referenced as `f` or `f()`. Recursion is an error.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any, Mapping

from searchlib.errors import ExpressionError, SourceLocation
from searchlib.expression import ast as A
from searchlib.expression.parser import parse_expression
from searchlib.expression.token_functions import TOKEN_FUNCTIONS, leading_integer_count


@dataclass(frozen=True, slots=True)
class _Argument:
    """A function argument: its bound value, and the node as the caller wrote it (parameters of the
    caller substituted) for feature arguments: `f(W_0)` with body `constant(p)` reads constant(W_0)."""

    bound: A.Node
    written: A.Node


def _constant_name(key: str) -> str:
    return key[len("constant("):-1].strip() if key.startswith("constant(") and key.endswith(")") else key


class Binder:
    def __init__(self, functions: Mapping[str, Any], constants: Mapping[str, Any], source: str,
                 location: SourceLocation | None) -> None:
        self.functions = functions
        self.constants = {_constant_name(k): v for k, v in constants.items()}
        self.source = source
        self.location = location
        self.parsed: dict[str, A.Node] = {}
        self.stack: list[str] = []

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} in expression '{self.source.strip()}'", self.location)

    def function_body(self, name: str) -> A.Node:
        if name not in self.parsed:
            fn = self.functions[name]
            self.parsed[name] = parse_expression(fn.expression.text, _location(fn))
        return self.parsed[name]

    def bind(self, node: A.Node, params: Mapping[str, _Argument]) -> A.Node:
        if isinstance(node, A.Feature):
            return self.bind_feature(node, params)
        if isinstance(node, A.MinMaxOrReduce):
            other = self.bind(node.other, params)
            operand = self.bind(node.operand, params)
            if isinstance(other, A.Feature) and not other.args and not other.output:
                return replace(node, operand=operand, other=other)
            return A.Call(node.name, (operand, other), node.offset)
        if isinstance(node, A.Lambda):
            return node  # lambdas see only their own parameters
        changes = {}
        for f in fields(node):
            value = getattr(node, f.name)
            if isinstance(value, A.Lambda):
                continue
            if _is_node(value):
                changes[f.name] = self.bind(value, params)
            elif isinstance(value, tuple) and value and f.name in ("args", "items"):
                changes[f.name] = tuple(self.bind(v, params) for v in value)
            elif f.name == "address":
                changes[f.name] = tuple((d, v if isinstance(v, str) else self.bind(v, params)) for d, v in value)
        return replace(node, **changes) if changes else node

    def bind_feature(self, node: A.Feature, params: Mapping[str, _Argument]) -> A.Node:
        name = node.name
        if not node.args and not node.output and name in params:
            return params[name].bound
        if name == "constant" and len(node.args) == 1 and not node.output:
            key = A.to_text(self.substitute_args(node.args[0], params))
            if key in self.constants:
                return A.Const(self.constants[key], node.canonical, node.offset)
            raise self.error(f"Unknown constant '{key}'")
        if name in self.functions and not node.output:
            return self.inline(node, params)
        if name == "rankingExpression" and len(node.args) == 1 and not node.output:
            # Vespa's own name for a reference to a function of the profile
            target = A.to_text(node.args[0]).strip("\"'")
            if target not in self.functions:
                raise self.error(f"rankingExpression({target}): no function '{target}' in the profile")
            return self.inline(A.Feature(target, (), "", False, node.offset), params)
        if name in TOKEN_FUNCTIONS and len(node.args) >= 2 and not node.output:
            return self.bind_token_function(node, params)
        if not node.args and not node.output and name in self.constants:
            return A.Const(self.constants[name], f"constant({name})", node.offset)
        if node.args:  # substitute parameters into feature arguments, nothing else
            return replace(node, args=tuple(self.substitute_args(a, params) for a in node.args))
        return node

    def bind_token_function(self, node: A.Feature, params: Mapping[str, _Argument]) -> A.Node:
        """tokenInputIds(L, a, b, ...) and friends: a built-in call over the bound inputs."""
        leading = leading_integer_count(node.name)
        if len(node.args) <= leading:
            raise self.error(f"{node.name} needs at least {leading + 1} arguments")
        for i, arg in enumerate(node.args[:leading]):
            if not isinstance(arg, A.Num) or arg.value != int(arg.value) or arg.value < 0:
                raise self.error(f"{node.name}: argument {i + 1} must be an integer literal")
        inputs = tuple(self.bind(a, params) for a in node.args[leading:])
        return A.Call(node.name, (*node.args[:leading], *inputs), node.offset)

    def substitute_args(self, node: A.Node, params: Mapping[str, _Argument]) -> A.Node:
        if isinstance(node, A.Feature):
            if not node.args and not node.output and node.name in params:
                return params[node.name].written
            return replace(node, args=tuple(self.substitute_args(a, params) for a in node.args))
        return node

    def inline(self, node: A.Feature, params: Mapping[str, _Argument]) -> A.Node:
        fn = self.functions[node.name]
        if node.name in self.stack:
            cycle = " -> ".join([*self.stack[self.stack.index(node.name):], node.name])
            raise self.error(f"Function '{node.name}' is recursive ({cycle})")
        if len(node.args) != len(fn.parameters):
            raise self.error(f"Function '{node.name}' takes {len(fn.parameters)} argument"
                             f"{'s' if len(fn.parameters) != 1 else ''}, got {len(node.args)}")
        arguments = {p: _Argument(self.bind(a, params), self.substitute_args(a, params))
                     for p, a in zip(fn.parameters, node.args)}
        self.stack.append(node.name)
        try:
            return self.bind(self.function_body(node.name), arguments)
        finally:
            self.stack.pop()


def _is_node(value: Any) -> bool:
    return type(value).__module__ == A.__name__ and hasattr(value, "offset")


def _location(fn: Any) -> SourceLocation | None:
    location = getattr(fn.expression, "location", None)
    return location if location is not None and location.line > 0 else None


def external_features(node: A.Node) -> frozenset[str]:
    """Canonical names of the rank features a bound tree reads (feature arguments are not features)."""
    found: set[str] = set()

    def walk(n: A.Node) -> None:
        if isinstance(n, A.Feature):
            found.add(n.canonical)
        elif isinstance(n, A.MinMaxOrReduce):
            walk(n.operand)  # `other` is either a feature or a dimension name; decided at evaluation
        for child in A.children(n):
            if not isinstance(n, A.MinMaxOrReduce):
                walk(child)

    walk(node)
    return frozenset(found)


def bind(text: str, functions: Mapping[str, Any], constants: Mapping[str, Any],
         location: SourceLocation | None) -> A.Node:
    binder = Binder(functions, constants, text, location)
    return binder.bind(parse_expression(text, location), {})
