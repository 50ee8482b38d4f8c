"""Fuzzing the expression and tensor-literal parsers and the load-time type checker: bad input
always gives a located error (ExpressionError / SchemaError), never a crash."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.errors import ExpressionError, SchemaError, SearchlibError
from searchlib.expression import compile_expression, parse_expression
from searchlib.schema.application import application_from_text
from searchlib.tensor import parse_tensor_literal

TOKENS = ["attribute(pop)", "attribute(emb)", "bm25(title)", "query(q)", "constant(w)", "f", "g(1)", "(", ")",
          "{", "}", "[", "]", ",", ":", "+", "-", "*", "/", "^", "%", "<", "==", "&&", "!", "if", "sum", "reduce",
          "map", "join", "x", "y", "1", "2.5", "-3", '"s"', "tensor(x[3])", "tensor<float>(x{})", "f(a)(a*2)",
          "max", "min", "rename", "concat", "cell_cast", "in", "nope(1)", "fieldMatch(title).proximity", ".", " "]
expressions = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map(" ".join)
literal_chars = st.text(alphabet="{}[]():,.-+0123456789abxyz tensor<float>", max_size=40)

SCHEMA = """schema doc {{
    document doc {{
        field title type string {{ indexing: index | summary }}
        field pop type double {{ indexing: attribute }}
        field emb type tensor<float>(x[3]) {{ indexing: attribute }}
    }}
    rank-profile p {{
        inputs {{
            query(q) tensor<float>(x[3])
        }}
        constants {{
            constant(w) tensor(x[3]):[1,2,3]
        }}
        function f() {{ expression: attribute(pop) }}
        function g(v) {{ expression: v * 2 }}
        first-phase {{
            expression: {expression}
        }}
    }}
}}
"""


def _located(error: SearchlibError) -> bool:
    return (error.location is not None and error.location.line > 0) or "column" in error.message


@settings(max_examples=300, deadline=None)
@given(text=expressions)
def test_expression_parser_fails_with_located_errors(text: str) -> None:
    try:
        parse_expression(text)
        compile_expression(text, functions={}, constants={})
    except ExpressionError as error:
        assert _located(error) or "Unknown constant" in error.message or "Function" in error.message, error


@settings(max_examples=300, deadline=None)
@given(text=literal_chars)
def test_tensor_literal_parser_never_crashes(text: str) -> None:
    try:
        parse_tensor_literal(text)
    except ExpressionError:
        pass


@settings(max_examples=200, deadline=None)
@given(text=expressions)
def test_type_checker_gives_located_schema_errors(text: str) -> None:
    source = SCHEMA.format(expression=text.replace("}", ")").replace("{", "("))
    try:
        application_from_text(source, name="doc.sd")
    except SchemaError as error:
        assert error.location is not None and error.location.line > 0, error
        assert "doc.sd" in str(error)
