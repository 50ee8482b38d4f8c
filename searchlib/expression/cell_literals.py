"""Tensor literals whose cells are expressions: `tensor(x[2]):[query(a), 2*attribute(b)]`,
`tensor(k{}):{a: query(x), b: 1}` (also `{{k:a}: query(x)}`), as Vespa's "dynamic tensor" form.

A literal of constants stays a constant (parser.literal_body); this form is rewritten into nodes the
evaluator already runs over whole columns: each cell expression times a one-hot constant tensor,
the cells merged (a union of addresses, so mapped labels never meet in a join), then cast to the
literal's cell type.
"""
from __future__ import annotations

from searchlib.expression import ast as A
from searchlib.expression.forms import Parser  # the protocol: parser.py imports this module
from searchlib.expression.lexer import IDENT, NUMBER, STRING
from searchlib.tensor import Tensor, TensorType

_ADD = A.Lambda(("a", "b"), A.Binary("+", A.Var("a"), A.Var("b")))


def dynamic_literal(p: Parser, spec: str, start: int) -> A.Node:
    tensor_type = TensorType.parse(spec)
    dims = tensor_type.dimensions
    if all(d.size is not None for d in dims) and dims:
        cells = _dense_cells(p, [d.size for d in dims])
        addresses = [{d.name: str(i) for d, i in zip(dims, index)} for index, _ in cells]
    elif len(dims) == 1 and dims[0].size is None:
        cells, addresses = [], []
        for label, node in _mapped_cells(p, dims[0].name):
            addresses.append({dims[0].name: label})
            cells.append(((), node))
    else:
        raise p.error(f"cells given as expressions need an indexed or a one-dimension mapped type, not {spec}")
    double_type = TensorType("double", dims)
    result: A.Node | None = None
    for address, (_, node) in zip(addresses, cells):
        one_hot = A.Const(Tensor.from_cells(double_type, [(address, 1.0)]), "", start)
        term = A.Binary("*", node, one_hot, start)
        result = term if result is None else A.TensorJoin(result, term, _ADD, True, start)
    if result is None:
        return A.Const(Tensor.from_cells(tensor_type, []), "", start)
    return result if tensor_type.cell_type == "double" else A.CellCast(result, tensor_type.cell_type, start)


def _dense_cells(p: Parser, sizes: list[int]) -> list[tuple[tuple[int, ...], A.Node]]:
    """`[[e, e], [e, e]]` in the type's dimension order (row-major), each list the dimension's size."""
    p.expect("[")
    cells: list[tuple[tuple[int, ...], A.Node]] = []
    count = 0
    while not p.at("]"):
        if count:
            p.expect(",")
        if len(sizes) > 1:
            cells.extend(((count, *index), node) for index, node in _dense_cells(p, sizes[1:]))
        else:
            cells.append(((count,), p.expression()))
        count += 1
    p.expect("]")
    if count != sizes[0]:
        raise p.error(f"expected {sizes[0]} cells in a tensor literal dimension, got {count}")
    return cells


def _mapped_cells(p: Parser, dimension: str) -> list[tuple[str, A.Node]]:
    """`{a: e, b: e}` or `{{dim:a}: e, ...}`."""
    p.expect("{")
    cells: list[tuple[str, A.Node]] = []
    while not p.at("}"):
        if cells:
            p.expect(",")
        if p.at("{"):
            p.advance()
            name = p.identifier("a dimension name")
            if name != dimension:
                raise p.error(f"'{name}' is not the dimension of this tensor literal ('{dimension}')")
            p.expect(":")
            label = _label(p)
            p.expect("}")
        else:
            label = _label(p)
        p.expect(":")
        cells.append((label, p.expression()))
    p.expect("}")
    return cells


def _label(p: Parser) -> str:
    token = p.advance()
    if token.kind not in (IDENT, NUMBER, STRING):
        raise p.error("Expected a label", token)
    return token.text.strip("\"'")
