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
    """An append-only log of points (owner, x, y, alive) plus each document's slice of it: a write
    marks the document's old points dead and appends the new ones, so a read is numpy work over
    the live points (no Python loop per document); the log is compacted when half of it is dead."""

    mutable = False
    numeric = False
    unset = None

    def __init__(self, field: Field) -> None:
        self.name = field.name
        self.multi = field.type.kind == "array"
        self._owner = np.zeros(0, dtype=np.int32)
        self._xy = np.zeros((0, 2), dtype=np.int64)
        self._alive = np.zeros(0, dtype=bool)
        self._used = 0  # log entries in use
        self._start = np.zeros(0, dtype=np.int64)  # per local id: first log entry (-1: no points)
        self._length = np.zeros(0, dtype=np.int32)
        self._flat: PositionPoints | None = None

    def set(self, local_id: int, value: Any) -> None:
        points = _NO_POINTS if value is None else np.array(
            [parse_position(item) for item in (value if isinstance(value, list) else [value])],
            dtype=np.int64).reshape(-1, 2)
        self._start = ensure_capacity(self._start, local_id + 1, -1)
        self._length = ensure_capacity(self._length, local_id + 1, 0)
        old = int(self._start[local_id])
        if old >= 0:
            self._alive[old: old + int(self._length[local_id])] = False
        self._start[local_id], self._length[local_id] = (self._used if len(points) else -1), len(points)
        if len(points):
            end = self._used + len(points)
            self._owner = ensure_capacity(self._owner, end, 0)
            self._xy = ensure_capacity(self._xy, end, 0)
            self._alive = ensure_capacity(self._alive, end, False)
            self._owner[self._used:end], self._xy[self._used:end], self._alive[self._used:end] = local_id, points, True
            self._used = end
        self._flat = None
        if self._used > 1024 and int(self._alive[: self._used].sum()) * 2 < self._used:
            self._compact()

    def _compact(self) -> None:
        live = np.flatnonzero(self._alive[: self._used])
        self._owner, self._xy = self._owner[live].copy(), self._xy[live].copy()
        self._alive = np.ones(len(live), dtype=bool)
        self._used = len(live)
        has = self._start >= 0
        self._start[has] = np.searchsorted(live, self._start[has])  # a live slice stays contiguous

    def get(self, local_id: int) -> Any:
        start = int(self._start[local_id]) if local_id < len(self._start) else -1
        if start < 0:
            return None
        values = [position_json(int(x), int(y)) for x, y in self._xy[start: start + int(self._length[local_id])]]
        return values if self.multi else values[0]

    def values(self, limit: int) -> PositionPoints:
        flat = self._flat
        if flat is None or flat.limit != limit:
            live = np.flatnonzero(self._alive[: self._used] & (self._owner[: self._used] < limit))
            live = live[np.argsort(self._owner[live], kind="stable")]  # by owner, each in its own order
            flat = self._flat = PositionPoints(limit, self._owner[live], self._xy[live, 0], self._xy[live, 1])
        return flat

    @property
    def nbytes(self) -> int:
        return self._owner.nbytes + self._xy.nbytes + self._alive.nbytes + self._start.nbytes + self._length.nbytes
