"""Vectorized scalar evaluation: functions, constants, NaN semantics, errors."""
import math

import numpy as np
import pytest

from searchlib.errors import ExpressionError, SourceLocation
from searchlib.expression import compile_expression, evaluate_expression
from searchlib.schema.model import Expression, RankFunction
from searchlib.tensor import Tensor


def fn(name, text, *params):
    return RankFunction(name, tuple(params), Expression(text))


def run(text, num_rows=1, **kwargs):
    features = kwargs.pop("features", {})
    return compile_expression(text, **kwargs).evaluate(features, num_rows)


@pytest.mark.parametrize("text, expected", [
    ("1 + 2 * 3", 7.0), ("7 % 3", 1.0), ("-7 % 3", -1.0), ("2 ^ 10", 1024.0), ("-2 ^ 2", 4.0),
    ("10 / 4", 2.5), ("1 < 2", 1.0), ("2 <= 1", 0.0), ("3 == 3", 1.0), ("3 != 3", 0.0),
    ("1 ~= 1.0000000001", 1.0), ("1 ~= 1.1", 0.0), ("1 && 0", 0.0), ("1 || 0", 1.0), ("!0", 1.0), ("!5", 0.0),
    ("if(2 > 1, 10, 20)", 10.0), ("if(0, 10, 20)", 20.0), ("3 in [1, 2, 3]", 1.0), ("4 in [1, 2, 3]", 0.0),
    ("exp(0)", 1.0), ("log(1)", 0.0), ("log10(100)", 2.0), ("sqrt(16)", 4.0), ("pow(2, 3)", 8.0),
    ("sigmoid(0)", 0.5), ("tanh(0)", 0.0), ("min(3, 4)", 3.0), ("max(3, 4)", 4.0), ("fabs(-2)", 2.0),
    ("abs(-2)", 2.0), ("floor(1.7)", 1.0), ("ceil(1.2)", 2.0), ("relu(-3)", 0.0), ("relu(3)", 3.0),
    ("atan2(0, 1)", 0.0), ("fmod(7, 4)", 3.0), ("ldexp(3, 2.9)", 12.0), ("isNan(1)", 0.0),
    ("true + false", 1.0), ('"a" == "a"', 1.0), ('"a" == "b"', 0.0), ("elu(0)", 0.0),
])
def test_scalar_values(text, expected):
    assert run(text).tolist() == [pytest.approx(expected)]


def test_columns_are_evaluated_vectorized():
    pop = np.array([1.0, 2.0, 3.0, 4.0])
    out = run("attribute(pop) * query(w) + if(attribute(pop) > 2, 100, 0)", 4,
              features={"attribute(pop)": pop, "query(w)": 0.5})
    assert out.dtype == np.float64 and out.shape == (4,)
    assert out.tolist() == [0.5, 1.0, 101.5, 102.0]


def test_constant_result_is_broadcast_to_rows():
    assert run("1 + 1", 3).tolist() == [2.0, 2.0, 2.0]


def test_features_are_canonical_after_inlining():
    functions = {
        "my_fn": fn("my_fn", "bm25(title) + bm25(body)"),
        "cheap": fn("cheap", "attribute( pop ) * 0.1"),
        "other": fn("other", "nativeRank(foo, body) + foo", "foo"),
    }
    compiled = compile_expression("my_fn + cheap() + other(fieldMatch(title).completeness)", functions=functions)
    assert compiled.features == {"bm25(title)", "bm25(body)", "attribute(pop)",
                                 "nativeRank(fieldMatch(title).completeness,body)",
                                 "fieldMatch(title).completeness"}


def test_function_with_parameters_is_bound():
    functions = {"scale": fn("scale", "x * factor + 1", "x", "factor")}
    out = run("scale(attribute(a), 10)", 2, functions=functions, features={"attribute(a)": np.array([1.0, 2.0])})
    assert out.tolist() == [11.0, 21.0]


def test_a_name_argument_is_substituted_into_feature_arguments_as_written():
    # neuralnet: get_model_weights(W_0) reads constant(W_0) and query(W_0), though W_0 is itself a constant
    functions = {"weights": fn("weights", "if(query(p) == 0, constant(p), query(p))", "p"),
                 "outer": fn("outer", "weights(q) * 10", "q")}
    constants = {"W_0": 2.0, "W_1": 3.0}
    assert run("weights(W_0)", functions=functions, constants=constants, features={"query(W_0)": 0.0}).tolist() == [2.0]
    assert run("weights(W_0)", functions=functions, constants=constants, features={"query(W_0)": 5.0}).tolist() == [5.0]
    assert run("outer(W_1)", functions=functions, constants=constants, features={"query(W_1)": 0.0}).tolist() == [30.0]
    assert compile_expression("outer(W_1)", functions=functions, constants=constants).features == {"query(W_1)"}


def test_a_tensor_condition_is_true_when_its_cells_sum_to_non_zero():
    # Vespa's content nodes: Value::as_double of a tensor is the sum of its cells
    constants = {"zero_sum": Tensor.dense("tensor(x[2])", [1.0, -1.0]), "some": Tensor.dense("tensor(x[2])", [0.0, 2.0])}
    assert run("if(constant(zero_sum), 10, 20)", constants=constants).tolist() == [20.0]
    assert run("if(constant(some), 10, 20)", constants=constants).tolist() == [10.0]
    unset = Tensor.dense("tensor(x[2])", [0.0, 0.0])  # neuralnet: query(W) == 0 -> the constant instead
    assert run("if(query(q) == 0, 10, 20)", 2, features={"query(q)": unset}).tolist() == [10.0, 10.0]
    given = Tensor.dense("tensor(x[2])", [1.0, 2.0])
    assert run("if(query(q) == 0, 10, 20)", 2, features={"query(q)": given}).tolist() == [20.0, 20.0]


def test_nested_functions_and_zero_arg_call_forms():
    functions = {"a": fn("a", "b() + 1"), "b": fn("b", "2")}
    assert run("a + a()", functions=functions).tolist() == [6.0]


def test_recursion_is_an_error():
    functions = {"a": fn("a", "b + 1"), "b": fn("b", "a * 2")}
    with pytest.raises(ExpressionError, match="recursive"):
        compile_expression("a", functions=functions)


def test_wrong_argument_count_is_an_error():
    with pytest.raises(ExpressionError, match="takes 2 arguments"):
        compile_expression("f(1)", functions={"f": fn("f", "x + y", "x", "y")})


def test_function_errors_are_located_in_the_function():
    where = SourceLocation("s.sd", 7, 30)
    functions = {"bad": RankFunction("bad", (), Expression("1 +", where))}
    with pytest.raises(ExpressionError) as info:
        compile_expression("bad", functions=functions)
    assert info.value.location.file == "s.sd" and info.value.location.line == 7


def test_constants_by_name_and_constant_feature():
    constants = {"w": 0.5, "constant(t)": Tensor.dense("tensor(x[2])", [1.0, 2.0])}
    out = run("w * 4 + sum(constant(t))", constants=constants)
    assert out.tolist() == [5.0]
    assert compile_expression("w + constant(w)", constants=constants).features == frozenset()


def test_unknown_constant_is_an_error():
    with pytest.raises(ExpressionError, match="Unknown constant 'nope'"):
        compile_expression("constant(nope)")


def test_missing_feature_names_it():
    with pytest.raises(ExpressionError, match=r"Missing rank feature 'attribute\(pop\)'"):
        run("attribute(pop) + 1", 2)


def test_nan_semantics():
    nan = float("nan")
    col = np.array([nan, 1.0])
    f = {"attribute(x)": col}
    assert run("attribute(x) < 2", 2, features=f).tolist() == [0.0, 1.0]
    assert run("attribute(x) == attribute(x)", 2, features=f).tolist() == [0.0, 1.0]
    assert run("isNan(attribute(x))", 2, features=f).tolist() == [1.0, 0.0]
    assert run("if(isNan(attribute(x)), -1, attribute(x))", 2, features=f).tolist() == [-1.0, 1.0]
    assert run("if(attribute(x), 5, 6)", 2, features=f).tolist() == [5.0, 5.0]  # NaN is "true" as in C++
    # std::max/min semantics: the NaN survives only in one argument position
    assert math.isnan(run("max(attribute(x), 0)", 2, features=f)[0])
    assert run("max(0, attribute(x))", 2, features=f)[0] == 0.0


def test_division_by_zero_gives_ieee_values():
    out = run("attribute(x) / 0", 3, features={"attribute(x)": np.array([1.0, -1.0, 0.0])})
    assert out[0] == math.inf and out[1] == -math.inf and math.isnan(out[2])


def test_max_with_bare_name_is_a_feature_or_a_dimension():
    assert run("max(1, nativeRank)", features={"nativeRank": 3.0}).tolist() == [3.0]
    t = Tensor.dense("tensor(x[3])", [1.0, 5.0, 2.0])
    assert evaluate_expression("max(t, x)", {"t": t}) == 5.0


def test_bad_feature_shape_is_rejected():
    with pytest.raises(ExpressionError, match="shape"):
        run("attribute(x)", 3, features={"attribute(x)": np.zeros(2)})
