"""The attribute of a `position` or `array<position>` field: each document's points in
micro-degrees (searchlib.geo), read by geo matching and the distance features as one flat set of
points (owner local id, x, y) so a query is a few numpy operations over all points. The z-curve
(`<field>_zcurve`, Vespa's stored form) is derived from the same points."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from content_node.store.arrays import ensure_capacity
from searchlib.geo import parse_position, position_json, zcurve_encode
from searchlib.schema.model import Field

_NO_POINTS = np.zeros((0, 2), dtype=np.int64)


@dataclass(frozen=True, slots=True)
class PositionPoints:
    """Every point of the column below `limit`: point i is (x[i], y[i]) of document owners[i]."""

    limit: int
    owners: np.ndarray  # int32, ascending
    x: np.ndarray  # int64 micro-degrees longitude
    y: np.ndarray  # int64 micro-degrees latitude

    @property
    def zcurve(self) -> np.ndarray:
        return zcurve_encode(self.x, self.y)


class PositionColumn:
    mutable = False
    numeric = False
    unset = None

    def __init__(self, field: Field) -> None:
        self.name = field.name
        self.multi = field.type.kind == "array"
        self._points = np.empty(0, dtype=object)  # per local id: an (n, 2) int64 array, or None
        self._flat: PositionPoints | None = None

    def set(self, local_id: int, value: Any) -> None:
        self._points = ensure_capacity(self._points, local_id + 1, None)
        if value is None:
            points = None
        else:
            items = value if isinstance(value, list) else [value]
            points = np.array([parse_position(item) for item in items], dtype=np.int64).reshape(-1, 2)
        self._points[local_id] = points
        self._flat = None

    def get(self, local_id: int) -> Any:
        points = self._points[local_id] if local_id < len(self._points) else None
        if points is None:
            return None
        values = [position_json(int(x), int(y)) for x, y in points]
        return values if self.multi else values[0]

    def values(self, limit: int) -> PositionPoints:
        flat = self._flat
        if flat is None or flat.limit != limit:
            rows = self._points[:limit]
            present = [(i, p) for i, p in enumerate(rows) if p is not None and len(p)]
            owners = np.concatenate([np.full(len(p), i, dtype=np.int32) for i, p in present]) if present \
                else np.zeros(0, dtype=np.int32)
            stacked = np.concatenate([p for _, p in present]) if present else _NO_POINTS
            flat = self._flat = PositionPoints(limit, owners, stacked[:, 0].copy(), stacked[:, 1].copy())
        return flat

    @property
    def nbytes(self) -> int:
        return self._points.nbytes + sum(p.nbytes for p in self._points if p is not None)
