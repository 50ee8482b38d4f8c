"""Scalar operators and math functions as numpy functions over whole columns (or tensor blocks).

Semantics follow Vespa's C++ evaluator: `%` is C fmod, min/max are std::min/std::max (so NaN
handling depends on argument order), `&&`/`||`/`!`/`if` treat any non-zero (NaN included) as true,
comparisons with NaN are false.
"""
from __future__ import annotations

import hashlib
import math
from typing import Callable

import numpy as np

Array = np.ndarray | float


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _truth(x) -> np.ndarray:
    return _f(x) != 0.0


def approx_equal(a, b) -> np.ndarray:
    a, b = _f(a), _f(b)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - b) <= 1e-6 * np.maximum(np.abs(a), np.abs(b))
    return ((a == b) | close).astype(np.float64)


LDEXP_EXPONENT_RANGE = (-2**31, 2**31 - 1)  # std::ldexp takes an int exponent


def _ldexp(a, b):
    """std::ldexp(a, int(b)) as Vespa's evaluator: the exponent truncated, and saturated to the int
    range (so ±inf scale by 2^±huge: ldexp(0, -inf) is 0, ldexp(inf, -inf) is inf); a NaN
    exponent gives NaN. The reference evaluator (reference.py) follows the same rule."""
    a, b = np.broadcast_arrays(_f(a), _f(b))
    nan = np.isnan(b)
    exponent = np.clip(np.trunc(np.where(nan, 0.0, b)), *LDEXP_EXPONENT_RANGE).astype(np.int32)
    with np.errstate(over="ignore"):
        scaled = np.ldexp(a, exponent)
    return np.where(nan, np.nan, scaled)


def _min(a, b):
    a, b = _f(a), _f(b)
    return np.where(b < a, b, a)


def _max(a, b):
    a, b = _f(a), _f(b)
    return np.where(a < b, b, a)


def _sigmoid(x):
    x = _f(x)
    return 1.0 / (1.0 + np.exp(-x))


def _elu(x):
    x = _f(x)
    return np.where(x < 0, np.expm1(np.minimum(x, 0.0)), x)


def _relu(x):
    x = _f(x)
    return np.where(x < 0, 0.0, x)  # NaN stays NaN, as std::max(x, 0.0)


def _int8(x) -> np.ndarray:
    return np.trunc(np.nan_to_num(_f(x))).astype(np.int64).astype(np.int8)


def _bit(x, n):
    return ((_int8(x).astype(np.int64) >> np.trunc(_f(n)).astype(np.int64)) & 1).astype(np.float64)


def _hamming(a, b):
    xor = np.bitwise_xor(_int8(a).view(np.uint8), _int8(b).view(np.uint8))
    return np.unpackbits(xor[..., None], axis=-1).sum(axis=-1).astype(np.float64)


_erf = np.frompyfunc(math.erf, 1, 1)


BINARY_OPERATORS: dict[str, Callable] = {
    "+": lambda a, b: _f(a) + b,
    "-": lambda a, b: _f(a) - b,
    "*": lambda a, b: _f(a) * b,
    "/": lambda a, b: _f(a) / b,
    "%": lambda a, b: np.fmod(_f(a), b),
    "^": lambda a, b: np.power(_f(a), b),
    "==": lambda a, b: (_f(a) == b).astype(np.float64),
    "!=": lambda a, b: (_f(a) != b).astype(np.float64),
    "<": lambda a, b: (_f(a) < b).astype(np.float64),
    "<=": lambda a, b: (_f(a) <= b).astype(np.float64),
    ">": lambda a, b: (_f(a) > b).astype(np.float64),
    ">=": lambda a, b: (_f(a) >= b).astype(np.float64),
    "~=": approx_equal,
    "&&": lambda a, b: (_truth(a) & _truth(b)).astype(np.float64),
    "||": lambda a, b: (_truth(a) | _truth(b)).astype(np.float64),
}

# Lowest to highest precedence, as in Vespa's Operator enum; `^` is right-associative.
PRECEDENCE = {op: level for level, op in enumerate(
    ["||", "&&", ">=", ">", "<=", "<", "~=", "!=", "==", "+", "-", "*", "/", "%", "^"])}

UNARY_FUNCTIONS: dict[str, Callable] = {
    "acos": np.arccos, "asin": np.arcsin, "atan": np.arctan, "ceil": np.ceil, "cos": np.cos,
    "cosh": np.cosh, "exp": np.exp, "fabs": np.abs, "abs": np.abs, "floor": np.floor, "log": np.log,
    "log10": np.log10, "sin": np.sin, "sinh": np.sinh, "sqrt": np.sqrt, "tan": np.tan, "tanh": np.tanh,
    "sigmoid": _sigmoid, "relu": _relu, "elu": _elu, "square": np.square,
    "isNan": lambda x: np.isnan(_f(x)).astype(np.float64),
    "erf": lambda x: _erf(_f(x)).astype(np.float64),
    "neg": np.negative,
    "not": lambda x: (_f(x) == 0.0).astype(np.float64),
}

BINARY_FUNCTIONS: dict[str, Callable] = {
    "atan2": lambda a, b: np.arctan2(_f(a), b),
    "fmod": lambda a, b: np.fmod(_f(a), b),
    "pow": lambda a, b: np.power(_f(a), b),
    "ldexp": _ldexp,
    "min": _min,
    "max": _max,
    "bit": _bit,
    "hamming": _hamming,
}


def apply_unary(name: str, x):
    with np.errstate(all="ignore"):
        return UNARY_FUNCTIONS[name](x)


def apply_binary(name: str, a, b):
    fn = BINARY_OPERATORS.get(name) or BINARY_FUNCTIONS[name]
    with np.errstate(all="ignore"):
        return fn(a, b)


def string_hash(text: str) -> float:
    """Strings in expressions are hashed to doubles; only equality is meaningful (as in Vespa)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=6).digest()
    return float(int.from_bytes(digest, "big"))
