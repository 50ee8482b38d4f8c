"""Naive row-by-row evaluator of scalar expressions in plain Python (math module, no numpy).

It exists to check the vectorized evaluator (design decision 6): property tests compare the two on
random expressions and columns. It is slow by design; never use it for ranking.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from searchlib.errors import ExpressionError
from searchlib.expression import ast as A
from searchlib.expression.builtins import LDEXP_EXPONENT_RANGE, string_hash

_NAN = float("nan")


def _div(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or math.isnan(a):
            return _NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _fmod(a: float, b: float) -> float:
    if b == 0.0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return _NAN
    return math.fmod(a, b)


def _pow(a: float, b: float) -> float:
    try:
        result = a ** b
    except ZeroDivisionError:  # C pow(±0, y < 0): ±inf for an odd integer y, else +inf
        odd = float(b).is_integer() and int(b) % 2 == 1
        return math.copysign(math.inf, a) if odd else math.inf
    except OverflowError:
        return math.inf if a > 0 or float(b).is_integer() and int(b) % 2 == 0 else -math.inf
    return _NAN if isinstance(result, complex) else float(result)


def _ldexp(a: float, b: float) -> float:
    """std::ldexp(a, int(b)): the exponent truncated and saturated to the int range; NaN gives NaN."""
    if math.isnan(b):
        return _NAN
    low, high = LDEXP_EXPONENT_RANGE
    exponent = low if b < low else high if b > high else int(math.trunc(b))
    try:
        return math.ldexp(a, exponent)
    except OverflowError:
        return math.copysign(math.inf, a)


def _safe(fn, *args: float) -> float:
    try:
        return float(fn(*args))
    except (ValueError, ZeroDivisionError):
        return _NAN
    except OverflowError:
        return math.inf


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(fn, x: float) -> float:
    if x == 0.0:
        return -math.inf
    return _NAN if x < 0 or math.isnan(x) else fn(x)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + _exp(-x))


_OPS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": _div, "%": _fmod, "^": _pow,
    "==": lambda a, b: float(a == b), "!=": lambda a, b: float(a != b), "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b), ">": lambda a, b: float(a > b), ">=": lambda a, b: float(a >= b),
    "~=": lambda a, b: float(a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))),
    "&&": lambda a, b: float(a != 0.0 and b != 0.0), "||": lambda a, b: float(a != 0.0 or b != 0.0),
    "atan2": math.atan2, "fmod": _fmod, "pow": _pow,
    "min": lambda a, b: b if b < a else a, "max": lambda a, b: b if a < b else a,
    "ldexp": lambda a, b: _ldexp(a, b),
}

_FUNCS = {
    "exp": _exp, "log": lambda x: _log(math.log, x), "log10": lambda x: _log(math.log10, x),
    "sqrt": lambda x: _NAN if x < 0 else math.sqrt(x), "fabs": abs, "abs": abs,
    "floor": lambda x: float(math.floor(x)) if math.isfinite(x) else x,
    "ceil": lambda x: float(math.ceil(x)) if math.isfinite(x) else x,
    "sin": lambda x: _safe(math.sin, x), "cos": lambda x: _safe(math.cos, x), "tan": lambda x: _safe(math.tan, x),
    "tanh": math.tanh, "sinh": lambda x: _safe(math.sinh, x), "cosh": lambda x: _safe(math.cosh, x),
    "atan": math.atan, "asin": lambda x: _safe(math.asin, x), "acos": lambda x: _safe(math.acos, x),
    "sigmoid": _sigmoid, "relu": lambda x: 0.0 if x < 0 else x,
    "elu": lambda x: math.expm1(x) if x < 0 else x, "isNan": lambda x: float(math.isnan(x)),
    "square": lambda x: _pow(x, 2.0), "erf": math.erf,
}


def evaluate_row(node: A.Node, features: Mapping[str, float]) -> float:
    """Evaluate a bound scalar tree for one row whose features are plain floats."""
    match node:
        case A.Num(value=v):
            return v
        case A.Str(value=s):
            return string_hash(s)
        case A.Const(value=v):
            return float(v)
        case A.Feature():
            name = node.canonical
            if name not in features:
                raise ExpressionError(f"Missing rank feature '{name}'")
            return float(features[name])
        case A.Neg(operand=o):
            return -evaluate_row(o, features)
        case A.Not(operand=o):
            return float(evaluate_row(o, features) == 0.0)
        case A.Binary(op=op, left=l, right=r):
            return _OPS[op](evaluate_row(l, features), evaluate_row(r, features))
        case A.If(condition=c, then=t, otherwise=o):
            return evaluate_row(t if evaluate_row(c, features) != 0.0 else o, features)
        case A.In(operand=o, items=items):
            x = evaluate_row(o, features)
            return float(any(x == evaluate_row(i, features) for i in items))
        case A.Call(name=name, args=args):
            values = [evaluate_row(a, features) for a in args]
            return _FUNCS[name](*values) if len(values) == 1 else _OPS[name](*values)
        case A.MinMaxOrReduce(name=name, operand=o, other=other):
            return _OPS[name](evaluate_row(o, features), evaluate_row(other, features))
    raise ExpressionError(f"The reference evaluator handles scalars only, not {type(node).__name__}")


def evaluate_rows(node: A.Node, features: Mapping[str, Any], num_rows: int) -> list[float]:
    """Row by row over columns: per-row features are sequences, others plain floats."""
    out = []
    for i in range(num_rows):
        row = {k: (float(v[i]) if hasattr(v, "__len__") else float(v)) for k, v in features.items()}
        out.append(evaluate_row(node, row))
    return out
