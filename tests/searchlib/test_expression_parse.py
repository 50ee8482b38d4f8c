"""Parser: precedence, feature references, special forms, and located errors."""
import pytest

from searchlib.errors import ExpressionError, SourceLocation
from searchlib.expression import ast as A
from searchlib.expression import canonical_feature_name, parse_expression, to_text


@pytest.mark.parametrize("text, rendered", [
    ("1 + 2 * 3", "1 + (2 * 3)"),
    ("a * b / c", "a * (b / c)"),          # Vespa: '/' binds tighter than '*'
    ("a - b + c", "(a - b) + c"),
    ("2 ^ 3 ^ 2", "2 ^ (3 ^ 2)"),           # right-associative power
    ("a || b && c", "a || (b && c)"),
    ("a + 1 > b", "(a + 1) > b"),
    ("-a ^ 2", "(-a) ^ 2"),
    ("!a == 0", "(!a) == 0"),
    ("x in [1, 2]", "x in [1, 2]"),
])
def test_precedence(text, rendered):
    assert to_text(parse_expression(text)) == rendered


@pytest.mark.parametrize("text, canonical", [
    ("bm25( title )", "bm25(title)"),
    ("attribute(pop)", "attribute(pop)"),
    ("query(w)", "query(w)"),
    ("fieldMatch(title).completeness", "fieldMatch(title).completeness"),
    ("closeness( field , embedding )", "closeness(field,embedding)"),
    ("nativeRank", "nativeRank"),
    ("onnx(model).out", "onnx(model).out"),
    ("term(0).significance", "term(0).significance"),
    ('foreach(fields, N, fieldMatch(N), ">0", average)', 'foreach(fields,N,fieldMatch(N),">0",average)'),
    ("attribute(tags, foo).weight", "attribute(tags,foo).weight"),
    ("f()", "f"),
])
def test_canonical_feature_names(text, canonical):
    assert canonical_feature_name(text) == canonical


def test_feature_node_keeps_arguments_and_output():
    node = parse_expression("fieldMatch(title).completeness")
    assert isinstance(node, A.Feature)
    assert node.name == "fieldMatch" and node.output == "completeness"
    assert [to_text(a) for a in node.args] == ["title"]


def test_special_forms():
    assert isinstance(parse_expression("if(a > 1, 2, 3)"), A.If)
    assert isinstance(parse_expression("map(t, f(x)(x * 2))"), A.TensorMap)
    assert isinstance(parse_expression("join(a, b, f(x,y)(x + y))"), A.TensorJoin)
    reduce = parse_expression("reduce(t, sum, x, y)")
    assert isinstance(reduce, A.TensorReduce) and reduce.dimensions == ("x", "y")
    assert isinstance(parse_expression("sum(t)"), A.TensorReduce)
    assert isinstance(parse_expression("max(a, b)"), A.MinMaxOrReduce)
    assert isinstance(parse_expression("max(a, 2)"), A.Call)
    gen = parse_expression("tensor<float>(y[2], x[3])(x + y)")
    assert isinstance(gen, A.TensorGenerate) and gen.type_spec == "tensor<float>(x[3],y[2])"
    peek = parse_expression("onnx(m){d0:0, d1:0}")
    assert isinstance(peek, A.Peek) and peek.address == (("d0", "0"), ("d1", "0"))
    assert isinstance(parse_expression("t[2]"), A.Peek)
    lit = parse_expression("tensor(x[3]):[1, 2, 3]")
    assert isinstance(lit, A.Const)


def test_lambda_parameters_shadow_features():
    node = parse_expression("map(a, f(a)(a + 1))")
    assert isinstance(node.operand, A.Feature)
    assert node.fn.body.left == A.Var("a")


def test_error_names_column():
    with pytest.raises(ExpressionError) as info:
        parse_expression("1 + * 2")
    assert "column 5" in str(info.value)


def test_error_names_file_and_line_when_located():
    where = SourceLocation("schemas/doc.sd", 12, 21)
    with pytest.raises(ExpressionError) as info:
        parse_expression("bm25(title) +", where)
    assert info.value.location == SourceLocation("schemas/doc.sd", 12, 21 + 13)
    assert str(info.value).startswith("schemas/doc.sd:12:34:")


@pytest.mark.parametrize("bad", ["", "foo(", "1 2", "max(1,2,3", "if(1,2)", "reduce(t, mean)", "sin(1, 2)",
                                 "map(t, 3)", "tensor(x[3]):[1,2]", "a ? b", "'open"])
def test_bad_expressions_raise(bad):
    with pytest.raises(ExpressionError):
        parse_expression(bad)


def test_never_uses_python_eval():
    # Python syntax that would do something under eval() is just a parse error here.
    with pytest.raises(ExpressionError):
        parse_expression("__import__('os').system('true')")
