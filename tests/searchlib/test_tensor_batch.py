"""Per-row tensors (TensorBatch): vectorized results equal evaluating each row on its own."""
import numpy as np
import pytest

from searchlib.errors import ExpressionError
from searchlib.expression import compile_expression
from searchlib.tensor import Tensor, TensorBatch, TensorType, parse_tensor_literal

EMB = TensorType.parse("tensor<float>(x[4])")
rng = np.random.default_rng(7)
ROWS = 6
DOCS = rng.normal(size=(ROWS, 4))
QUERY = Tensor.dense("tensor<float>(x[4])", rng.normal(size=4))
POP = rng.uniform(size=ROWS)


def batch_features():
    return {"attribute(embedding)": TensorBatch.dense(EMB, DOCS), "query(q)": QUERY, "attribute(pop)": POP}


def row_features(i):
    return {"attribute(embedding)": Tensor.dense(EMB, DOCS[i]), "query(q)": QUERY, "attribute(pop)": float(POP[i])}


@pytest.mark.parametrize("text", [
    "sum(query(q) * attribute(embedding))",
    "reduce(query(q) * attribute(embedding), max, x) + attribute(pop)",
    "cosine_similarity(query(q), attribute(embedding), x)",
    "euclidean_distance(query(q), attribute(embedding), x) * attribute(pop)",
    "attribute(embedding){x:2} - attribute(embedding)[0]",
    "sum(map(attribute(embedding), f(v)(v * v)))",
    "sum(rename(attribute(embedding), x, y) * rename(query(q), x, y))",
    "sum(l2_normalize(attribute(embedding), x) * attribute(pop))",
    "sum(concat(attribute(embedding), query(q), x))",
    "sum(tensor(x[4])(attribute(pop) * (x + 1)) * attribute(embedding))",
    "if(attribute(pop) > 0.5, sum(attribute(embedding)), -1)",
    "sum(merge(attribute(embedding), query(q), f(a,b)(a+b)))",
])
def test_batch_equals_row_by_row_scalar_results(text):
    compiled = compile_expression(text)
    got = compiled.evaluate(batch_features(), ROWS)
    assert isinstance(got, np.ndarray) and got.shape == (ROWS,)
    want = [compiled.evaluate_value(row_features(i)) for i in range(ROWS)]
    assert got.tolist() == pytest.approx(want, rel=1e-6)


def test_tensor_results_come_back_as_a_batch():
    compiled = compile_expression("attribute(embedding) * attribute(pop)")
    got = compiled.evaluate(batch_features(), ROWS)
    assert isinstance(got, TensorBatch) and str(got.type) == "tensor<float>(x[4])"
    for i in range(ROWS):
        assert got.row(i) == compiled.evaluate_value(row_features(i))


def test_mapped_per_row_tensors_take_the_row_path():
    rows = [parse_tensor_literal(f"tensor(tag{{}}):{{a:{i},b:{2 * i}}}") for i in range(3)]
    batch = TensorBatch(rows[0].type, rows=rows)
    weights = parse_tensor_literal("tensor(tag{}):{a:10,c:5}")
    out = compile_expression("sum(attribute(tags) * query(w))").evaluate(
        {"attribute(tags)": batch, "query(w)": weights}, 3)
    assert out.tolist() == [0.0, 10.0, 20.0]


def test_batch_row_count_is_checked():
    with pytest.raises(ExpressionError, match="rows"):
        compile_expression("sum(attribute(embedding))").evaluate(batch_features(), ROWS + 1)


def test_dense_batch_is_vectorized_at_scale():
    rows, dims = 20000, 64
    docs = rng.normal(size=(rows, dims))
    q = rng.normal(size=dims)
    t = TensorType.parse(f"tensor(x[{dims}])")
    out = compile_expression("sum(query(q) * attribute(e))").evaluate(
        {"query(q)": Tensor.dense(t, q), "attribute(e)": TensorBatch.dense(t, docs)}, rows)
    assert np.allclose(out, docs @ q)
