"""distanceToPath(pos) (Vespa's distancetopathfeature.cpp): the document's position against a path
given with the query as the rank property `distanceToPath(pos).path=(x1,y1,x2,y2,...)` (x longitude,
y latitude, in micro-degrees, as positions are stored), on the plane of those coordinates:

- `.distance`: the Euclidean distance from the closest point of the path (each segment clamped to
  its ends) to the document's closest position;
- `.traveled`: how far along the path that closest point lies, 0 at its start, 1 at its end;
- `.product`: the cross product of the segment (B - A) and the intersection-to-document vector
  (I - D): its sign tells the side of the path the document lies on.

The first (segment, position) pair at the least distance wins, as in Vespa's loop (segments outer,
positions inner). Without a path of two or more points, or a position: 6.4e9, 1 and 0. Computed
over every (segment, point) pair of the candidates at once."""
from __future__ import annotations

import numpy as np

from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.geo_match import position_field
from searchlib.errors import InvalidParameterError
from searchlib.rank_vectors import path_numbers

DEFAULT_DISTANCE = 6400000000.0
OUTPUTS = ("distance", "traveled", "product")


def distance_to_path(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=False)
    output = feature.output or "distance"
    if output not in OUTPUTS:
        raise InvalidParameterError(f"distanceToPath({field}) has no output '{output}' (outputs: {', '.join(OUTPUTS)})")
    position_field(calc.schema, field, "distanceToPath")
    found = calc.memo(("distanceToPath", field, candidates.tobytes()), lambda: _outputs(calc, field, candidates))
    return found[OUTPUTS.index(output)]


def parse_path(text: str | None, field: str) -> np.ndarray:
    """The path's points as an (n, 2) array; `(x1,y1,x2,y2,...)`, a trailing odd number ignored."""
    numbers = path_numbers(text, field)
    return np.array(numbers[:len(numbers) // 2 * 2], dtype=np.float64).reshape(-1, 2)


def _outputs(calc: Calculator, field: str, candidates: np.ndarray) -> np.ndarray:
    result = np.array([np.full(len(candidates), DEFAULT_DISTANCE), np.ones(len(candidates)),
                       np.zeros(len(candidates))])
    path = parse_path(calc.rank_properties.get(f"distanceToPath({field}).path"), field)
    if len(path) < 2 or not len(candidates):
        return result
    points = calc.index.attribute(field)
    order = np.argsort(candidates, kind="stable")
    place = np.minimum(np.searchsorted(candidates[order], points.owners), len(candidates) - 1)
    selected = np.flatnonzero(candidates[order][place] == points.owners)
    if not len(selected):
        return result
    x = points.x[selected].astype(np.float64)[None, :]
    y = points.y[selected].astype(np.float64)[None, :]
    start, end = path[:-1], path[1:]
    ax, ay = start[:, 0:1], start[:, 1:2]
    sx, sy = (end - start)[:, 0:1], (end - start)[:, 1:2]  # each segment's vector, one row per segment
    squared = sx * sx + sy * sy
    length = np.sqrt(squared)
    point_like = length < 1e-6
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(point_like, 0.0, np.clip(((x - ax) * sx + (y - ay) * sy) / squared, 0.0, 1.0))
    dx = np.where(u == 0, ax - x, np.where(u == 1, ax + sx - x, ax + u * sx - x))
    dy = np.where(u == 0, ay - y, np.where(u == 1, ay + sy - y, ay + u * sy - y))
    distance2 = dx * dx + dy * dy  # (segments, points)
    segment = np.argmin(distance2, axis=0)  # per point: the first segment at its least distance
    columns = np.arange(len(selected))
    best2 = distance2[segment, columns]
    owners = points.owners[selected]
    ranked = np.lexsort((columns, segment, best2, owners))  # per document: least, then earliest segment
    first = ranked[np.r_[True, owners[ranked][1:] != owners[ranked][:-1]]]
    seg, column = segment[first], columns[first]
    trip = np.concatenate(([0.0], np.cumsum(length[:, 0])))
    rows = order[place[selected[first]]]
    result[0, rows] = np.sqrt(best2[first])
    traveled = trip[seg] + u[seg, column] * length[seg, 0]
    result[1, rows] = traveled / trip[-1] if trip[-1] > 0 else 0.0
    result[2, rows] = sx[seg, 0] * dy[seg, column] - sy[seg, 0] * dx[seg, column]
    return result


PATH_FEATURES = {"distanceToPath": distance_to_path}
