"""Ranking expressions: parse text into an immutable AST, bind functions/constants, evaluate vectorized.

    compiled = compile_expression("bm25(title) + 2 * attribute(pop)", functions=profile.functions)
    compiled.features          # frozenset({"bm25(title)", "attribute(pop)"})
    compiled.evaluate({"bm25(title)": col1, "attribute(pop)": col2}, num_rows=len(col1))  # float64 (n,)

Feature values: a float (same for every row), an ndarray of shape (num_rows,), a Tensor (same for
every row) or a TensorBatch (one tensor per row, see searchlib.tensor.batch).
"""
from searchlib.expression.api import (CompiledExpression, FeatureValue, canonical_feature_name,
                                      compile_expression, evaluate_expression)
from searchlib.expression.ast import Node, to_text
from searchlib.expression.builtins import string_hash
from searchlib.expression.parser import parse_expression

__all__ = ["CompiledExpression", "FeatureValue", "Node", "canonical_feature_name", "compile_expression",
           "evaluate_expression", "parse_expression", "string_hash", "to_text"]
