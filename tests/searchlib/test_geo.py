"""searchlib.geo against Vespa's definitions: the z-curve against a bit-by-bit reference
(ZCurve::encodeSlow), positions in both feed forms, radius units, and Location strings."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib import geo
from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_sources, load_application
from searchlib.schema.geo_fields import is_position
from tests.integration.conftest import shared_data_dir


def encode_slow(x: int, y: int) -> int:
    result = 0
    for bit in range(32):
        result |= ((x >> bit) & 1) << (2 * bit) | ((y >> bit) & 1) << (2 * bit + 1)
    return result - (1 << 64) if result >= 1 << 63 else result


def test_zcurve_matches_the_bitwise_reference_and_round_trips() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(-(2**31), 2**31, 2000)
    y = rng.integers(-(2**31), 2**31, 2000)
    z = geo.zcurve_encode(x, y)
    assert [int(v) for v in z[:200]] == [encode_slow(int(a) & 0xFFFFFFFF, int(b) & 0xFFFFFFFF)
                                         for a, b in zip(x[:200], y[:200])]
    back_x, back_y = geo.zcurve_decode(z)
    assert np.array_equal(back_x, x) and np.array_equal(back_y, y)
    assert int(geo.zcurve_encode(np.array([1]), np.array([0]))[0]) == 1
    assert int(geo.zcurve_encode(np.array([0]), np.array([1]))[0]) == 2


@pytest.mark.parametrize("value, expected", [
    ({"lat": 37.4, "lng": -122.0}, (-122000000, 37400000)),
    ("N37.4;W122.0", (-122000000, 37400000)),
    ("W122.0;S37.4", (-122000000, -37400000)),
    ({"x": 10433033, "y": 63418417}, (10433033, 63418417)),
])
def test_position_forms(value, expected) -> None:
    assert geo.parse_position(value) == expected


@pytest.mark.parametrize("value", [{"lat": 91, "lng": 0}, {"lat": 0}, "N37.4", "N1;N2", "X1;E2",
                                   {"lat": "1", "lng": 2}, 5, {"lat": float("nan"), "lng": 0}])
def test_bad_positions_are_refused(value) -> None:
    with pytest.raises(geo.GeoError):
        geo.parse_position(value)


def test_distances_and_locations_print_as_vespa() -> None:
    assert geo.parse_distance("5km") * 1e6 == pytest.approx(45066.5, abs=0.5)
    assert geo.parse_distance("100 miles") == pytest.approx(1.4505614, abs=1e-6)
    assert geo.parse_distance("-77 d") == -77.0
    with pytest.raises(geo.GeoError, match="missing unit"):
        geo.parse_distance("10")
    assert str(geo.circle(63.418417, 10.433033, 0.5)) == "(2,10433033,63418417,500000,0,1,0,1921876103)"
    assert str(geo.bounding_box(-63.418, -10.433, 63.5, 10.5)) == "[2,-10433000,-63418000,10500000,63500000]"
    with pytest.raises(geo.GeoError, match="w > e"):
        geo.bounding_box(0, 10, 1, 5)


def test_inside_scales_longitude_by_the_aspect() -> None:
    center = geo.circle(60.0, 10.0, 1.0)  # cos(60) = 0.5: two degrees east is one scaled degree
    x = np.array([12_000_000, 12_100_000, 10_000_000, 10_000_000])
    y = np.array([60_000_000, 60_000_000, 61_000_000, 61_100_000])
    assert geo.inside(center, x, y).tolist() == [True, False, True, False]
    unlimited = geo.circle(60.0, 10.0, -1)
    assert geo.inside(unlimited, x, y).all()


def test_great_circle_distance() -> None:
    km = geo.great_circle_km(59.9139, 10.7522, np.array([60.3913]), np.array([5.3221]))
    assert km[0] == pytest.approx(305.067, abs=0.01)


SERVICES = """<services version="1.0"><container id="c" version="1.0"><search/></container>
<content id="x" version="1.0"><documents><document type="{doc}" mode="index"/></documents>
<nodes><node hostalias="n" distribution-key="0"/></nodes></content></services>"""


def load(doc: str, body: str):
    return application_from_sources({"services.xml": SERVICES.format(doc=doc),
                                  f"schemas/{doc}.sd": f"schema {doc} {{\n document {doc} {{\n{body}\n }}\n}}\n"})


def test_position_fields_compile_and_invalid_ones_are_refused() -> None:
    app = load("p", "field pos type position { indexing: attribute | summary }\n"
                    "field many type array<position> { indexing: attribute }")
    assert app.schemas["p"].fields["pos"].type.kind == "position"
    assert str(app.schemas["p"].fields["many"].type) == "array<position>"
    with pytest.raises(SchemaError, match="reserved name"):
        load("position", "")
    with pytest.raises(SchemaError, match="cannot have 'index'"):
        load("p", "field pos type position { indexing: index }")
    with pytest.raises(SchemaError, match="clashes with the z-curve attribute"):
        load("p", "field pos type position { indexing: attribute }\nfield pos_zcurve type long { indexing: attribute }")


def test_a_reference_to_an_unknown_document_type_is_refused_at_its_field() -> None:
    with pytest.raises(SchemaError, match="references unknown document type 'other'") as error:
        load("d", "field r type reference<other> { indexing: attribute }")
    assert str(error.value).startswith("schemas/d.sd:3:")  # the field's line


@pytest.mark.parametrize("case", ["position_array", "position_attribute", "position_extra", "position_nosummary",
                                  "position_summary"])
def test_vespa_position_cases_load(case) -> None:
    app = load_application(shared_data_dir() / "vespa-language-conformance" / "schemas" / case)
    assert any(is_position(f) for schema in app.schemas.values() for f in schema.fields.values())


def test_vespa_reserved_position_case_is_refused() -> None:
    with pytest.raises(SchemaError, match="'position' is a reserved name") as error:
        load_application(shared_data_dir() / "vespa-language-conformance" / "schemas" / "reserved_position")
    assert "position.sd:2:8" in str(error.value)


def test_position_fields_are_not_read_by_the_attribute_feature() -> None:
    with pytest.raises(SchemaError, match=r"attribute\(pos\): 'pos' is a position field, read by distance"):
        application_from_sources({"services.xml": SERVICES.format(doc="p"), "schemas/p.sd": (
            "schema p {\n document p {\n field pos type position { indexing: attribute }\n }\n"
            " rank-profile r { first-phase { expression: attribute(pos) } }\n}\n")})


def test_global_documents_are_read_from_services_xml() -> None:
    services = SERVICES.format(doc="p").replace('mode="index"', 'mode="index" global="true"')
    app = application_from_sources({"services.xml": services, "schemas/p.sd": "schema p {\n document p {\n }\n}\n"})
    assert app.content.global_types == ("p",)


def _where(arguments: str):
    from searchlib.query.yql import parse_yql
    return parse_yql(f"select * from s where {arguments}").where


@pytest.mark.parametrize("arguments, box", [
    ('"0x1p3", 0, 20, 30', (0, 8_000_000, 30_000_000, 20_000_000)),  # Java's Double grammar: hex, suffix
    ('" 1d", -2, 20, 30', (-2_000_000, 1_000_000, 30_000_000, 20_000_000)),  # String.trim: ASCII space
    ("1.5, 0, 2, 3", (0, 1_500_000, 3_000_000, 2_000_000)),
])
def test_bounding_box_numbers_are_read_as_java_doubles(arguments, box) -> None:
    assert _where(f"geoBoundingBox(pos, {arguments})").box == box


@pytest.mark.parametrize("arguments, message", [
    ('"inf", 0, 20, 30', "Expected a number of degrees"),  # Python's float() takes these, Java's not
    ('"nan", 0, 20, 30', "Expected a number of degrees"),
    ('"١", 0, 20, 30', "Expected a number of degrees"),  # an Arabic-Indic digit
    ('"\u00a01", 0, 20, 30', "Expected a number of degrees"),  # a no-break space
    ('"1_0", 0, 20, 30', "Expected a number of degrees"),
    ('"Infinity", 0, 20, 30', "finite"),  # Java's own spellings: a number, but no box
    ('"NaN", 0, 20, 30', "finite"),
    ('"1e400", 0, 2, 3', "finite"),
    ("-1e300, -1e300, 1e300, 1e300", "out of range"),  # the wire's 32-bit micro-degrees
])
def test_bad_bounding_box_numbers_are_query_errors(arguments, message) -> None:
    from searchlib.query.yql import QueryError
    with pytest.raises(QueryError, match=message):
        _where(f"geoBoundingBox(pos, {arguments})")


def test_a_radius_beyond_the_wire_saturates_as_javas_int_cast() -> None:
    assert _where('geoLocation(pos, 63.4, 10.4, "1e400 km")').radius == 2**31 - 1
    assert _where('geoLocation(pos, 63.4, 10.4, "1e30 km")').radius == 2**31 - 1
