"""`phasedsearch eval-expr`: evaluate a ranking/tensor expression with the engine's own evaluator.

    eval-expr EXPR [--input NAME=TENSOR_LITERAL ...] [--json]
    eval-expr --jsonl < cases.jsonl      # {"expression": str, "inputs": {name: literal}} per line

Prints the result as a Vespa tensor literal (a number for rank 0), or with --json as
{"type": ..., "cells": [{"address": {...}, "value": ...}]}. --jsonl answers each line with that
JSON form or {"error": "..."}, in one process. A bad expression or literal exits with status 2.
"""
from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from searchlib.errors import ExpressionError
from searchlib.expression import CompiledExpression, compile_expression
from searchlib.tensor import Tensor, format_literal, parse_tensor_literal, tensor_from_json, tensor_to_json

USAGE = """usage: phasedsearch eval-expr EXPR [--input NAME=TENSOR_LITERAL ...] [--json]
       phasedsearch eval-expr --jsonl < lines.jsonl

Evaluate a ranking expression. Inputs are named features: `--input a=tensor(x[3]):[1,2,3]`,
`--input 'query(w)=0.5'`. Output is a Vespa tensor literal, or JSON with --json.
--jsonl reads {"expression": ..., "inputs": {name: literal}} lines from stdin and writes one JSON
line per input line: the result as {"type", "cells"} or {"error": "..."}.
"""


class UsageError(Exception):
    pass


def parse_input_value(value: Any) -> Tensor | float:
    """A literal string, a number, or a JSON tensor object."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return tensor_from_json(value)
    if not isinstance(value, str):
        raise ExpressionError(f"Cannot read an input from JSON {type(value).__name__}")
    tensor = parse_tensor_literal(value)
    return tensor.as_float() if tensor.type.rank == 0 else tensor


def render(result: Tensor | float, as_json: bool) -> str:
    if as_json:
        return json.dumps(tensor_to_json(result))
    return format_literal(result)


def _parse_args(argv: list[str]) -> tuple[str | None, dict[str, str], bool, bool]:
    expression, inputs, as_json, jsonl = None, {}, False, False
    i, options_done = 0, False
    while i < len(argv):
        arg = argv[i]
        if not options_done and arg in ("-h", "--help"):
            raise UsageError("")
        if not options_done and arg == "--":
            options_done = True
        elif not options_done and arg == "--json":
            as_json = True
        elif not options_done and arg == "--jsonl":
            jsonl = True
        elif not options_done and (arg == "--input" or arg.startswith("--input=")):
            if arg == "--input":
                i += 1
                if i >= len(argv):
                    raise UsageError("--input needs NAME=TENSOR_LITERAL")
                spec = argv[i]
            else:
                spec = arg[len("--input="):]
            name, sep, literal = spec.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"--input needs NAME=TENSOR_LITERAL, got '{spec}'")
            inputs[name.strip()] = literal
        elif not options_done and arg.startswith("--"):
            raise UsageError(f"unknown option {arg}")
        elif expression is None:
            expression = arg
        else:
            raise UsageError(f"unexpected argument '{arg}' (quote the expression)")
        i += 1
    return expression, inputs, as_json, jsonl


def main(argv: list[str], stdin: TextIO | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    try:
        expression, raw_inputs, as_json, jsonl = _parse_args(argv)
        if jsonl and (expression is not None or raw_inputs):
            raise UsageError("--jsonl takes no expression or --input")
        if not jsonl and expression is None:
            raise UsageError("missing EXPR")
    except UsageError as e:
        if str(e):
            print(f"error: {e}", file=stderr)
        print(USAGE, file=stderr if str(e) else stdout, end="")
        return 2 if str(e) else 0
    if jsonl:
        return run_jsonl(stdin, stdout)
    inputs = {}
    for name, literal in raw_inputs.items():
        try:
            inputs[name] = parse_input_value(literal)
        except ExpressionError as e:
            print(f"error: --input {name}: {e}", file=stderr)
            return 2
    try:
        result = compile_expression(expression).evaluate_value(inputs)
    except ExpressionError as e:
        print(f"error: {e}", file=stderr)
        return 2
    print(render(result, as_json), file=stdout)
    return 0


def run_jsonl(stdin: TextIO, stdout: TextIO) -> int:
    """One JSON answer per input line; blank lines are skipped. Compiled expressions are reused."""
    cache: dict[str, CompiledExpression] = {}
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        try:
            answer = tensor_to_json(_evaluate_line(line, cache))
        except (ExpressionError, ValueError, KeyError, TypeError) as e:
            message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
            answer = {"error": f"line {number}: {message}"}
        stdout.write(json.dumps(answer) + "\n")
    stdout.flush()
    return 0


def _evaluate_line(line: str, cache: dict[str, CompiledExpression]) -> Tensor | float:
    request = json.loads(line)
    if not isinstance(request, dict) or not isinstance(request.get("expression"), str):
        raise ExpressionError('each line needs {"expression": str, "inputs": {...}}')
    inputs = request.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ExpressionError('"inputs" must be an object')
    values = {}
    for name, value in inputs.items():
        if isinstance(value, dict) and "literal" in value:  # conformance-suite style {"type", "literal"}
            values[name] = parse_tensor_literal(value["literal"], value.get("type"))
        else:
            try:
                values[name] = parse_input_value(value)
            except ExpressionError as e:
                raise ExpressionError(f"input {name}: {e}") from None
    text = request["expression"]
    compiled = cache.get(text)
    if compiled is None:
        if len(cache) > 10_000:
            cache.clear()
        compiled = cache[text] = compile_expression(text)
    return compiled.evaluate_value(values)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
