"""Tensor types: `tensor<float>(x[3],p{})`, dimensions sorted by name, and Vespa's cell-type rules.

Cell-type resolution (Vespa's CellMeta): a rank-0 value is always `double`; join/merge/map/reduce
unify the operands' cell types (a rank-0 operand does not count; same type stays, any double gives
double, else float) and then *decay* bfloat16/int8 to float; concat unifies without decay;
rename, peek and cell access keep the cell type.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from searchlib.errors import ExpressionError

CELL_TYPES = ("double", "float", "bfloat16", "int8")


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    size: int | None = None  # None: mapped (sparse); int: indexed with labels 0..size-1

    @property
    def indexed(self) -> bool:
        return self.size is not None

    def __str__(self) -> str:
        return f"{self.name}{{}}" if self.size is None else f"{self.name}[{self.size}]"


@dataclass(frozen=True, slots=True)
class TensorType:
    cell_type: str = "double"
    dimensions: tuple[Dimension, ...] = ()

    def __post_init__(self) -> None:
        names = [d.name for d in self.dimensions]
        if names != sorted(names):
            object.__setattr__(self, "dimensions", tuple(sorted(self.dimensions, key=lambda d: d.name)))
        if len(set(names)) != len(names):
            raise ExpressionError(f"Duplicate dimension in tensor type: {', '.join(names)}")
        if self.cell_type not in CELL_TYPES:
            raise ExpressionError(f"Unknown cell type '{self.cell_type}'")
        if not self.dimensions and self.cell_type != "double":
            object.__setattr__(self, "cell_type", "double")

    @staticmethod
    def parse(text: str) -> "TensorType":
        return parse_type(text)

    @property
    def rank(self) -> int:
        return len(self.dimensions)

    @property
    def dimension_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    @property
    def mapped(self) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dimensions if d.size is None)

    @property
    def indexed(self) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dimensions if d.size is not None)

    @property
    def dense_shape(self) -> tuple[int, ...]:
        return tuple(d.size for d in self.dimensions if d.size is not None)

    @property
    def is_dense(self) -> bool:
        return all(d.size is not None for d in self.dimensions)

    def dimension(self, name: str) -> Dimension | None:
        for d in self.dimensions:
            if d.name == name:
                return d
        return None

    def __str__(self) -> str:
        if not self.dimensions:
            return "double"
        cell = "" if self.cell_type == "double" else f"<{self.cell_type}>"
        return f"tensor{cell}({','.join(str(d) for d in self.dimensions)})"


DOUBLE = TensorType()

_TYPE_RE = re.compile(r"^\s*tensor\s*(?:<\s*(\w+)\s*>)?\s*\((.*)\)\s*$", re.S)
_DIM_RE = re.compile(r"^\s*([A-Za-z_][\w@$]*)\s*(?:\[\s*(\d+)\s*\]|\{\s*\})\s*$")


def parse_type(text: str) -> TensorType:
    """Parse `double`, `float` (rank 0) or `tensor<cell>(dims)`; dimensions end up sorted by name."""
    stripped = text.strip()
    if stripped in ("double", "float", "tensor", "tensor()"):
        return DOUBLE
    match = _TYPE_RE.match(stripped)
    if not match:
        raise ExpressionError(f"Invalid tensor type '{text}'")
    cell_type = match.group(1) or "double"
    if cell_type not in CELL_TYPES:
        raise ExpressionError(f"Invalid tensor type '{text}': unknown cell type '{cell_type}'")
    dims = []
    inner = match.group(2).strip()
    for part in inner.split(",") if inner else []:
        dim = _DIM_RE.match(part)
        if not dim:
            raise ExpressionError(f"Invalid tensor type '{text}': bad dimension '{part.strip()}'")
        dims.append(Dimension(dim.group(1), int(dim.group(2)) if dim.group(2) is not None else None))
    return TensorType(cell_type, tuple(dims))


# ---- cell-type rules

def unify_cells(a: TensorType, b: TensorType) -> str:
    if a.rank == 0:
        return b.cell_type
    if b.rank == 0:
        return a.cell_type
    if a.cell_type == b.cell_type:
        return a.cell_type
    if "double" in (a.cell_type, b.cell_type):
        return "double"
    return "float"


def top_type(count: "TensorType | None", operand: "TensorType | None") -> "TensorType | None":
    """The type of top(n, t) (Vespa's Top): n a number, t a sparse tensor; t's type, cells decayed.
    None (not known before run time) passes; a wrong argument is an ExpressionError."""
    if count is not None and count.dimensions:
        raise ExpressionError(f"top: the first argument should be a number, not {count}")
    if operand is not None and (not operand.dimensions or operand.indexed):
        raise ExpressionError(f"top: the second argument should be a sparse tensor, not {operand}")
    return None if operand is None else TensorType(decay(operand.cell_type), operand.dimensions)


def decay(cell_type: str) -> str:
    return "float" if cell_type in ("bfloat16", "int8") else cell_type


def join_type(a: TensorType, b: TensorType, cell_type: str | None = None) -> TensorType:
    """Union of the dimensions; a dimension indexed in both keeps the smaller size."""
    dims = {d.name: d for d in a.dimensions}
    for d in b.dimensions:
        other = dims.get(d.name)
        if other is None:
            dims[d.name] = d
        elif other.indexed != d.indexed:
            raise ExpressionError(f"Dimension '{d.name}' is mapped in one operand and indexed in the other")
        elif d.indexed and d.size != other.size:
            dims[d.name] = Dimension(d.name, min(d.size, other.size))
    return TensorType(cell_type or decay(unify_cells(a, b)), tuple(dims.values()))


def reduce_type(t: TensorType, dims: tuple[str, ...]) -> TensorType:
    for name in dims:
        if t.dimension(name) is None:
            raise ExpressionError(f"Cannot reduce over '{name}': not a dimension of {t}")
    kept = tuple(d for d in t.dimensions if d.name not in dims) if dims else ()
    return TensorType(decay(t.cell_type), kept)
