"""distanceToPath(pos) (distancetopathfeature.cpp), worked by hand in micro-degrees (x longitude,
y latitude): the closest point of the path, how far along it lies, and the side of the path."""
from __future__ import annotations

import math

import pytest

from ranking_support import RankingBed
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.schema.application import application_from_text

OUTPUTS = ["distance", "traveled", "product"]
SD = f"""schema doc {{
    document doc {{
        field pos type position {{ indexing: attribute }}
        field stops type array<position> {{ indexing: attribute }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile path {{
        first-phase {{ expression: attribute(n) }}
        match-features: {' '.join(f'distanceToPath({f}).{o}' for f in ('pos', 'stops') for o in OUTPUTS)}
    }}
}}
"""
DOCS = [
    {"n": 4, "pos": {"lat": 0.5, "lng": 0.3}, "stops": [{"lat": 3.0, "lng": 3.0}, {"lat": 0.6, "lng": 1.2}]},
    {"n": 3, "pos": {"lat": -0.2, "lng": 1.5}},
    {"n": 2},
]


def outputs(tmp_path_factory, path: str | None) -> list[dict]:
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("path"))
    try:
        properties = {} if path is None else {"distanceToPath(pos).path": path, "distanceToPath(stops).path": path}
        return [dict(h.match_features) for h in bed.search("path", rank_properties=properties).hits]
    finally:
        bed.close()


def values(found: dict, field: str) -> list[float]:
    return [found[f"distanceToPath({field}).{o}"] for o in OUTPUTS]


def test_one_segment(tmp_path_factory) -> None:
    found = outputs(tmp_path_factory, "(0,0,1000000,0)")
    # (300000, 500000): intersection (300000, 0) at 0.3 of the way; I - D = (0, -500000);
    # product = 1e6 * -500000 - 0 * 0 (left of the path: negative)
    assert values(found[0], "pos") == [500000.0, pytest.approx(0.3), -5e11]
    # (1500000, -200000): past the end, so the end point; I - D = (-500000, 200000); right: positive
    assert values(found[1], "pos") == [pytest.approx(math.sqrt(500000 ** 2 + 200000 ** 2)), 1.0, 2e11]
    assert values(found[2], "pos") == [6400000000.0, 1.0, 0.0]  # no position


def test_two_segments_and_the_closest_of_several_positions(tmp_path_factory) -> None:
    found = outputs(tmp_path_factory, "( 0, 0, 1000000, 0, 1000000, 1000000 )")
    # stops (1200000, 600000) is 200000 from the second segment at u = 0.6: traveled (1e6 + 0.6e6) / 2e6;
    # I - D = (-200000, 0), segment (0, 1e6): product 0 * 0 - 1e6 * -200000
    assert values(found[0], "stops") == [200000.0, pytest.approx(0.8), 2e11]


def test_without_a_path_the_defaults(tmp_path_factory) -> None:
    assert values(outputs(tmp_path_factory, None)[0], "pos") == [6400000000.0, 1.0, 0.0]
    assert values(outputs(tmp_path_factory, "(1,2)")[0], "pos") == [6400000000.0, 1.0, 0.0]  # one point


def test_a_malformed_path_is_an_error(tmp_path_factory) -> None:
    with pytest.raises(InvalidParameterError, match=r"must be written \(x1,y1,x2,y2,...\)"):
        outputs(tmp_path_factory, "{0,0,1,1}")
    with pytest.raises(InvalidParameterError, match="not a number"):
        outputs(tmp_path_factory, "(0,0,a,1)")


@pytest.mark.parametrize("feature, message", [
    ("distanceToPath(n)", "'n' is not a position field"),
    ("distanceToPath(pos).nearest", "distanceToPath has no output 'nearest'"),
])
def test_load_errors(feature: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message.replace("(", r"\(").replace(")", r"\)")):
        application_from_text(SD.replace("expression: attribute(n)", f"expression: {feature}"), name="doc.sd")
