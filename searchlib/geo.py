"""Geo positions as Vespa keeps them: micro-degrees (x = longitude, y = latitude), the z-curve
(bit-interleaved x/y) attribute `<field>_zcurve`, the query's location (circle or bounding box,
Vespa's `Location`), radius units (Vespa's DistanceParser) and great-circle distance (GeoGcd).

Pure functions over numbers and numpy arrays; content nodes match and rank with them, the
container parses queries and documents with them.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

ZCURVE_SUFFIX = "_zcurve"
# DistanceParser: degrees per unit on a sphere with Earth's polar radius (6356752 m)
_M_TO_DEG = 180.0 / (math.pi * 6356752.0)
_UNITS = (("km", 1000.0 * _M_TO_DEG), ("m", _M_TO_DEG), ("miles", 1609.344 * _M_TO_DEG),
          ("mi", 1609.344 * _M_TO_DEG), ("deg", 1.0), ("d", 1.0))
# GeoGcd: the distance rank feature is the great-circle distance on the IUGG mean radius,
# reported in "internal" micro-degrees of that sphere
EARTH_MEAN_RADIUS_KM = 6371.0088
MICRO_DEGREES_PER_KM = (1.0e6 * 180.0) / (math.pi * EARTH_MEAN_RADIUS_KM)
DEFAULT_DISTANCE = 6400000000.0  # distance(pos) of a document without a position (Vespa's default)
_COORDINATE = re.compile(r"^\s*([NSEW])\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*$")
_DEGREES = re.compile(r"^\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*$")
_UINT32 = 4294967295
_INT32_MAX = 2**31 - 1  # micro-degrees travel as 32-bit integers (Vespa's Location; the wire's sint32)


class GeoError(ValueError):
    """A position, coordinate or distance that does not parse; callers add where."""


def zcurve_name(field: str) -> str:
    return field + ZCURVE_SUFFIX


# --- positions in documents ----------------------------------------------------------------------

def parse_position(value: object) -> tuple[int, int]:
    """(x, y) in micro-degrees from a fed position: {"lat": 37.4, "lng": -122.0}, Vespa's legacy
    {"x": lng_micro, "y": lat_micro}, or the string "N37.4;W122.0"."""
    if isinstance(value, dict):
        if set(value) == {"lat", "lng"}:
            lat, lng = (_finite(value[k], k) for k in ("lat", "lng"))
            return _checked(round(lng * 1e6), round(lat * 1e6))
        if set(value) == {"x", "y"}:
            x, y = value["x"], value["y"]
            if any(isinstance(v, bool) or not isinstance(v, int) for v in (x, y)):
                raise GeoError("x and y of a position are integers (micro-degrees)")
            return _checked(x, y)
        raise GeoError('a position is {"lat": degrees, "lng": degrees}')
    if isinstance(value, str):
        parts = value.split(";")
        if len(parts) != 2:
            raise GeoError(f"a position string is like 'N37.4;W122.0', got {value!r}")
        axes = dict(_hemisphere_coordinate(part) for part in parts)
        if set(axes) != {"lat", "lng"}:
            raise GeoError(f"a position string needs one of N/S and one of E/W, got {value!r}")
        return _checked(round(axes["lng"] * 1e6), round(axes["lat"] * 1e6))
    raise GeoError('a position is {"lat": degrees, "lng": degrees} or a string like "N37.4;W122.0"')


def position_json(x: int, y: int) -> dict[str, float]:
    """The stored and rendered form of a position (Vespa 8's summary form)."""
    return {"lat": y / 1e6, "lng": x / 1e6}


def _finite(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise GeoError(f"'{key}' of a position must be a number, got {value!r}")
    return float(value)


def _checked(x: int, y: int) -> tuple[int, int]:
    if not -180_000_000 <= x <= 180_000_000:
        raise GeoError(f"longitude {x / 1e6} is outside [-180, 180]")
    if not -90_000_000 <= y <= 90_000_000:
        raise GeoError(f"latitude {y / 1e6} is outside [-90, 90]")
    return x, y


def _hemisphere_coordinate(text: str) -> tuple[str, float]:
    """'N37.4' -> ('lat', 37.4); 'W122.0' -> ('lng', -122.0)."""
    match = _COORDINATE.match(text)
    if match is None:
        raise GeoError(f"a coordinate is like N37.4 or W122.0, got {text!r}")
    hemisphere, degrees = match.group(1), float(match.group(2))
    sign = -1.0 if hemisphere in "SW" else 1.0
    return ("lat" if hemisphere in "NS" else "lng"), sign * degrees


# --- the z-curve ---------------------------------------------------------------------------------

def _spread(values: np.ndarray) -> np.ndarray:
    """The 32 bits of each value moved to the even bit positions of a uint64."""
    v = values.astype(np.int64).astype(np.uint64) & np.uint64(0xFFFFFFFF)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F),
                        (2, 0x3333333333333333), (1, 0x5555555555555555)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _gather(values: np.ndarray) -> np.ndarray:
    v = values & np.uint64(0x5555555555555555)
    for shift, mask in ((1, 0x3333333333333333), (2, 0x0F0F0F0F0F0F0F0F), (4, 0x00FF00FF00FF00FF),
                        (8, 0x0000FFFF0000FFFF), (16, 0x00000000FFFFFFFF)):
        v = (v | (v >> np.uint64(shift))) & np.uint64(mask)
    return v.astype(np.uint32).view(np.int32)


def zcurve_encode(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Vespa's ZCurve::encode: x bits at even, y bits at odd positions (as int64)."""
    return (_spread(np.asarray(x)) | (_spread(np.asarray(y)) << np.uint64(1))).view(np.int64)


def zcurve_value(position: object) -> int | None:
    """The z-curve attribute's value for a stored position (a summary of `<field>_zcurve` shows it,
    as Vespa's attribute writer does), None for none."""
    if position is None:
        return None
    x, y = parse_position(position)
    return int(zcurve_encode(np.array([x], dtype=np.int32), np.array([y], dtype=np.int32))[0])


def zcurve_decode(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bits = np.asarray(z, dtype=np.int64).view(np.uint64)
    return _gather(bits), _gather(bits >> np.uint64(1))


# --- query locations -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Location:
    """Vespa's Location in micro-degrees: a circle (x, y, radius; radius -1 = no limit) with the
    longitude scale `aspect` = cos(latitude) * 2^32, and/or a bounding box [x1, x2] x [y1, y2]."""

    x: int = 0
    y: int = 0
    radius: int = -1
    aspect: int = 0
    has_circle: bool = False
    box: tuple[int, int, int, int] | None = None  # (x1, y1, x2, y2)

    def __str__(self) -> str:  # Location.toString()
        text = ""
        if self.box is not None:
            text += "[2," + ",".join(str(v) for v in self.box) + "]"
        if self.has_circle:
            text += f"(2,{self.x},{self.y},{self.radius},0,1,0" + (f",{self.aspect}" if self.aspect else "") + ")"
        return text


def circle(lat: float, lng: float, radius_degrees: float) -> Location:
    """Location.setGeoCircle: coordinates and radius truncated to micro-degrees, as Vespa."""
    if not -180.1 <= lng <= 180.1:
        raise GeoError("e/w location must be in range [-180,+180]")
    if not -90.1 <= lat <= 90.1:
        raise GeoError("n/s location must be in range [-90,+90]")
    x, y = int(lng * 1e6), int(lat * 1e6)
    # Java's (int) cast saturates: a radius beyond 2^31-1 micro-degrees (or infinite) is the largest
    radius = -1 if radius_degrees < 0 else int(min(radius_degrees * 1e6, _INT32_MAX))
    degrees = y / 1e6
    aspect = 0 if abs(degrees) >= 90.0 else int(math.cos(math.radians(degrees)) * _UINT32)
    return Location(x, y, radius, aspect, True)


def bounding_box(south: float, west: float, north: float, east: float) -> Location:
    """Location.setBoundingBox: rounded to micro-degrees; w > e or s > n is an error, and so is a
    side that is not finite or beyond 32-bit micro-degrees (Java's casts would wrap it to garbage)."""
    if not all(math.isfinite(v) for v in (south, west, north, east)):
        raise GeoError("a bounding box needs finite numbers of degrees")
    x1, x2, y1, y2 = (int(_java_round(v * 1e6)) for v in (west, east, south, north))
    if not all(-_INT32_MAX - 1 <= v <= _INT32_MAX for v in (x1, x2, y1, y2)):
        raise GeoError("bounding box degrees out of range (at most ±2147.483647)")
    if x1 > x2:
        raise GeoError("cannot have w > e")
    if y1 > y2:
        raise GeoError("cannot have s > n")
    return Location(box=(x1, y1, x2, y2))


def _java_round(value: float) -> int:
    return math.floor(value + 0.5)


def parse_coordinate_pair(first: str, second: str) -> tuple[float, float]:
    """(lat, lng) from geoLocation's two coordinate arguments: plain degrees (latitude first) or
    hemisphere-tagged ('E10.4', 'N63.4', in either order); two of one axis are an error."""
    axes: list[tuple[str | None, float]] = []
    for text in (first, second):
        if _DEGREES.match(text):
            axes.append((None, float(text)))
        else:
            axes.append(_hemisphere_coordinate(text))
    (axis1, value1), (axis2, value2) = axes
    axis1, axis2 = axis1 or "lat", axis2 or "lng"  # untagged: latitude first, as Vespa
    if axis1 == axis2:
        name = "Latitude" if axis1 == "lat" else "Longitude"
        raise GeoError(f"Invalid geoLocation coordinates '{name}: {abs(value1)} degrees' and "
                       f"'{name}: {abs(value2)} degrees'")
    return (value1, value2) if axis1 == "lat" else (value2, value1)


def parse_distance(text: str) -> float:
    """DistanceParser.parse: '5 km', '5km', '100 miles', '0.5 deg', '-77 d' -> degrees."""
    for unit, factor in _UNITS:
        for suffix in (" " + unit, unit):
            if text.endswith(suffix):
                number = text[: -len(suffix)]
                if not _DEGREES.match(number) or number != number.strip():
                    raise GeoError(f"invalid distance: {text!r}")
                return float(number) * factor
    raise GeoError(f"missing unit for distance: {text}")


# --- distances -----------------------------------------------------------------------------------

def great_circle_km(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    """Haversine distance in km from (lat, lng) to each point (GeoGcd::km_great_circle_distance)."""
    theta_a, phi_a = math.radians(lat), math.radians(lng)
    theta_b, phi_b = np.radians(lats), np.radians(lngs)
    hav_theta = np.sin(0.5 * (theta_a - theta_b)) ** 2
    hav_phi = np.sin(0.5 * (phi_a - phi_b)) ** 2
    central = hav_theta + math.cos(theta_a) * np.cos(theta_b) * hav_phi
    return 2.0 * np.arcsin(np.sqrt(np.minimum(central, 1.0))) * EARTH_MEAN_RADIUS_KM


def inside(location: Location, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points (micro-degrees) the location matches: inside its bounding box and within its
    radius, with longitude differences scaled by the aspect (Vespa's GeoLocation::inside_limit)."""
    x = np.asarray(x, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    keep = np.ones(len(x), dtype=bool)
    if location.box is not None:
        x1, y1, x2, y2 = location.box
        keep &= (x >= x1) & (x <= x2) & (y >= y1) & (y <= y2)
    if location.has_circle and location.radius >= 0:
        dx = (x - location.x).astype(np.float64)
        if location.aspect:
            dx = dx * (location.aspect / 4294967296.0)
        dy = (y - location.y).astype(np.float64)
        keep &= dx * dx + dy * dy <= float(location.radius) ** 2
    return keep
