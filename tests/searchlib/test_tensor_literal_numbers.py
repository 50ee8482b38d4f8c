"""Dense literals of plain numbers (a query embedding) read in one go give exactly what reading each
number with float() gives: same values, same signs of zero, same errors."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from searchlib.errors import ExpressionError
from searchlib.tensor.literal import _plain_numbers, parse_tensor_literal


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_embedding_literals_read_as_float_reads_each_number():
    rng = np.random.default_rng(9)
    for scale in (1e-300, 1e-40, 1.0, 1e30, 1e300):
        vector = rng.normal(size=384) * scale
        as_float32 = vector.astype(np.float32).astype(np.float64) if scale < 1e38 else vector
        for values in (vector, as_float32):
            text = json.dumps(values.tolist())
            parsed = parse_tensor_literal(text, "tensor(x[384])").dense_values
            assert all(_same(p, float(item)) for p, item in zip(parsed, text[1:-1].split(",")))


@pytest.mark.parametrize("inner", [
    "+1, .5, 1., 01, 1E5",  # float() reads these, JSON does not
    "-0, 0, -0.0",  # integers: -0 keeps its sign
    "1e400, -1e400, 1e-400, -1e-400",  # beyond the double range: inf, and underflow to ±0
    "2.4703282292062328e-324, 1.00000000000000011102230246251565404236316680908203125",  # rounding
    "  1.5 ,\n-2.25\t",
])
def test_every_item_reads_as_float_reads_it(inner):
    values = _plain_numbers(inner)
    assert values is not None and len(values) == len(inner.split(","))
    assert all(_same(v, float(item)) for v, item in zip(values, inner.split(",")))


@pytest.mark.parametrize("inner", ["1,,2", "1,2,", "1 2", "1e", "-", "1.2.3"])
def test_malformed_items_are_not_numbers(inner):
    assert _plain_numbers(inner) is None


def test_a_malformed_literal_is_still_located():
    with pytest.raises(ExpressionError, match="position"):
        parse_tensor_literal("[1.0, 2.0,, 3.0]", "tensor(x[3])")
