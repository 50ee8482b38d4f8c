"""geoLocation/geoBoundingBox matching over position attributes: a document matches when any of
its points is inside the item (searchlib.geo.inside, Vespa's GeoLocation matching), a few numpy
operations over all points of the field."""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from searchlib import geo
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.geo_fields import is_position
from searchlib.schema.model import Schema


def position_field(schema: Schema, name: str, what: str):
    spec = schema.fields.get(name)
    if spec is None or not is_position(spec):
        raise InvalidParameterError(f"{what}: '{name}' is not a position field in schema '{schema.name}'")
    if not spec.is_attribute:
        raise InvalidParameterError(f"{what}: position field '{name}' is not an attribute")
    return spec


def geo_matches(node: q.GeoLocation, schema: Schema, attribute: Callable[[str], object]) -> np.ndarray:
    position_field(schema, node.field, "geoLocation")
    points = attribute(node.field)
    keep = geo.inside(q.geo_location(node), points.x, points.y)
    return np.unique(points.owners[keep]).astype(np.int32)


def geo_items(node: q.QueryNode) -> Iterator[q.GeoLocation]:
    if isinstance(node, q.GeoLocation):
        yield node
    elif isinstance(node, (q.And, q.Or, q.WeakAnd, q.Rank)):
        for child in node.children:
            yield from geo_items(child)
    elif isinstance(node, q.Not):
        yield from geo_items(node.child)
