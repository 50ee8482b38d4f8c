"""The `distance(pos)` / `closeness(pos)` rank features of position fields, as Vespa's
distance/closeness blueprints define them.

- `distance(pos)`: the great-circle distance from the query's location to the document's closest
  point, in micro-degrees of the mean-radius sphere; outputs `.km`, `.latitude`, `.longitude` of
  that point and `.index` (its place in an array). Locations on this field are used, else those on
  other fields (as Vespa). Without a location or a point: 6.4e9 (.km 40000, .index -1, .latitude
  90, .longitude -180).
- `attribute(pos_zcurve)`: the z-curve (Vespa's stored form) of a single position.
- `closeness(pos)`: max(1 - distance / maxDistance, 0); `.logscale`: Vespa's logarithmic shape with
  scale s (halfResponse h gives s = h^2 / (maxDistance - 2h)). Rank properties
  `closeness(pos).maxDistance` (default 9013305, about 250 km) and `closeness(pos).halfResponse`.

Matching is in geo_match.py. Every function is vectorized over all points of the candidates.
`distance`/`closeness` of tensor fields and labels are the nearestNeighbor features
(retrieval_features), chosen by the field type.
"""
from __future__ import annotations

import math

import numpy as np

from content_node.matching import retrieval_features
from content_node.matching.core_features import attribute as core_attribute
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.geo_match import geo_items, position_field
from searchlib import geo
from searchlib.errors import InvalidParameterError
from searchlib.rank_properties import number
from searchlib.schema.geo_fields import is_position, zcurve_source

DEFAULT_MAX_DISTANCE = 9013305.0
DEFAULT_SCALE_DISTANCE = 5.0 * 9013.305
_DEFAULTS = {"out": geo.DEFAULT_DISTANCE, "index": -1.0, "latitude": 90.0, "longitude": -180.0, "km": 40000.0}


def _geo_field(calc: Calculator, feature: FeatureName) -> str | None:
    """The position field a distance/closeness feature names, None for the vector features."""
    args = feature.args
    name = args[1] if len(args) == 2 and args[0] == "field" else args[0] if len(args) == 1 else None
    spec = calc.schema.fields.get(name) if name is not None else None
    return name if spec is not None and is_position(spec) else None


def _distance_outputs(calc: Calculator, field: str, candidates: np.ndarray) -> dict[str, np.ndarray]:
    outputs = {name: np.full(len(candidates), value) for name, value in _DEFAULTS.items()}
    items = [item for item in geo_items(calc.query) if item.has_circle]
    own = [item for item in items if item.field == field]
    locations = own or items
    if not locations or not len(candidates):
        return outputs
    position_field(calc.schema, field, "distance")
    points = calc.index.attribute(field)
    order = np.argsort(candidates, kind="stable")
    sorted_candidates = candidates[order]
    place = np.minimum(np.searchsorted(sorted_candidates, points.owners), len(candidates) - 1)
    selected = np.flatnonzero(sorted_candidates[place] == points.owners)
    if not len(selected):
        return outputs
    lats, lngs = points.y[selected] / 1e6, points.x[selected] / 1e6
    km = np.min([geo.great_circle_km(item.y / 1e6, item.x / 1e6, lats, lngs) for item in locations], axis=0)
    owners = points.owners[selected]
    best = np.lexsort((km, owners))  # by owner, closest point first
    first = best[np.r_[True, owners[best][1:] != owners[best][:-1]]]
    rows = order[place[selected[first]]]
    outputs["km"][rows] = km[first]
    outputs["out"][rows] = km[first] * geo.MICRO_DEGREES_PER_KM
    outputs["latitude"][rows], outputs["longitude"][rows] = lats[first], lngs[first]
    point = selected[first]
    outputs["index"][rows] = point - np.searchsorted(points.owners, points.owners[point])
    return outputs


def distance(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = _geo_field(calc, feature)
    if field is None:
        return retrieval_features.distance(calc, feature, candidates)
    output = feature.output or "out"
    if output not in _DEFAULTS:
        raise InvalidParameterError(f"distance({field}) has no output '{output}' "
                                    f"(outputs: {', '.join(sorted(_DEFAULTS))})")
    return _distance_outputs(calc, field, candidates)[output]


def closeness(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = _geo_field(calc, feature)
    if field is None:
        return retrieval_features.closeness(calc, feature, candidates)
    max_distance, scale = closeness_parameters(calc, feature)
    distances = _distance_outputs(calc, field, candidates)["out"]
    if feature.output == "logscale":
        clipped = np.clip(distances, 0.0, max_distance)
        return (math.log(max_distance + scale) - np.log(clipped + scale)) / (math.log(max_distance + scale)
                                                                             - math.log(scale))
    if feature.output not in ("", "out"):
        raise InvalidParameterError(f"closeness({field}) has no output '{feature.output}' (outputs: out, logscale)")
    return np.maximum(1.0 - distances / max_distance, 0.0)


def closeness_parameters(calc: Calculator, feature: FeatureName) -> tuple[float, float]:
    """(maxDistance, log scale) from the rank properties, with Vespa's sanity limits."""
    properties = calc.rank_properties
    name = f"closeness({','.join(feature.args)})"

    max_distance = max(number(properties, 0.0, f"{name}.maxDistance") or DEFAULT_MAX_DISTANCE, 1.0)
    half_response = number(properties, math.nan, f"{name}.halfResponse")
    if math.isnan(half_response):
        return max_distance, DEFAULT_SCALE_DISTANCE
    half_response = min(max(half_response, 1.0), max_distance / 2 - 1) if max_distance > 2 else 1.0
    room = max_distance - 2 * half_response  # 0 when maxDistance is 2, or past 2^53 (the -1 is lost)
    return max_distance, half_response * half_response / room if room != 0 else math.inf  # C++: x/0.0


INT64_UNDEFINED = float(-(2**63))  # Vespa's undefined integer attribute value


def attribute(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """`attribute(pos_zcurve)`: the z-curve of each candidate's position (as a double, like every
    feature); other attributes are the core feature."""
    source = zcurve_source(calc.schema.fields, feature.args[0]) if len(feature.args) == 1 else None
    if source is None or feature.output:
        return core_attribute(calc, feature, candidates)
    points = calc.index.attribute(source)
    values = np.full(len(candidates), INT64_UNDEFINED)
    order = np.argsort(candidates, kind="stable")
    place = np.minimum(np.searchsorted(candidates[order], points.owners), max(len(candidates) - 1, 0))
    hit = np.flatnonzero(candidates[order][place] == points.owners) if len(candidates) else place[:0]
    values[order[place[hit]]] = points.zcurve[hit].astype(np.float64)
    return values


GEO_FEATURES = {"distance": distance, "closeness": closeness, "attribute": attribute}
