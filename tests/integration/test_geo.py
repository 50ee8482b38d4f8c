"""Position and uri fields on a running 2-node cluster. Positions: feeding both position forms, geoLocation and
geoBoundingBox matching, and the distance/closeness features checked against values worked out
here from Vespa's definitions (independently of searchlib.geo):

- matching a circle: longitude differences scaled by cos(latitude of the center) truncated to
  32 bits, radius in degrees of the polar-radius sphere (km * 180 / (pi * 6356.752));
- distance(pos): haversine on the mean radius 6371.0088 km, in micro-degrees of that sphere;
- closeness(pos) = max(1 - distance / 9013305, 0); logscale: (ln(m+s) - ln(d+s)) / (ln(m+s) - ln s).

Places: Oslo (59.9139 N, 10.7522 E), Bergen (305 km west), Trondheim (391 km north), Stockholm
(416 km east); with Oslo as center, the flat circle distances are 306.6, 390.7 and 412.1 km.
distanceToPath(pos) against a road along the 60th parallel, on the plane of micro-degrees.

URIs: each component is searchable in its own index (url.host, url.port, ...), and url.hostname
holds the host between anchors: end-anchored by default, as Vespa.

Predicates (`target`): oslo `country in [no] and age in [20..30]`, bergen `country in [no, se] and
not (gender in [male])`, trondheim `age in [..17] or age in [65..]`, stockholm `country not in [no]`.
"""
from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "geo"
OSLO, BERGEN, TRONDHEIM, STOCKHOLM = (59.9139, 10.7522), (60.3913, 5.3221), (63.4305, 10.3951), (59.3293, 18.0686)
DOCS = {
    "oslo": {"name": "Oslo", "pos": "N59.9139;E10.7522",  # Vespa's string form
             "url": "https://www.visitoslo.com/en/activities?season=summer#top",
             "target": "country in [no] and age in [20..30]"},
    "bergen": {"name": "Bergen", "pos": {"lat": BERGEN[0], "lng": BERGEN[1]},
               "stops": [{"lat": OSLO[0], "lng": OSLO[1]}, {"lat": BERGEN[0], "lng": BERGEN[1]}],
               "url": "http://bergen.no:8080/fjords/", "target": "country in [no, se] and not (gender in [male])"},
    "trondheim": {"name": "Trondheim", "pos": {"lat": TRONDHEIM[0], "lng": TRONDHEIM[1]},
                  "origin": "N59.9139;E10.7522", "url": "https://trondheim.kommune.no/",
                  "target": "age in [..17] or age in [65..]"},
    "stockholm": {"name": "Stockholm", "pos": {"lat": STOCKHOLM[0], "lng": STOCKHOLM[1]},
                  "target": "country not in [no]"},
    "nowhere": {"name": "Nowhere"},
}


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat1 - lat2) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng1 - lng2) / 2) ** 2
    return 2 * math.asin(math.sqrt(h)) * 6371.0088


def zcurve(lat: float, lng: float) -> float:
    """Vespa's z-curve: longitude micro-degree bits at even positions, latitude bits at odd ones."""
    x, y = round(lng * 1e6) & 0xFFFFFFFF, round(lat * 1e6) & 0xFFFFFFFF
    z = sum(((x >> bit) & 1) << (2 * bit) | ((y >> bit) & 1) << (2 * bit + 1) for bit in range(32))
    return float(z - (1 << 64) if z >= 1 << 63 else z)


def micro_degrees(km: float) -> float:
    return km * 1e6 * 180 / (math.pi * 6371.0088)


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("geo"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS, "place")
            yield client


def search(http: httpx.Client, where: str, ranking: str = "near") -> dict[str, dict]:
    response = http.get("/search/", params={"yql": f"select * from place where {where}", "ranking": ranking,
                                           "hits": 10})
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1]: hit for hit in response.json()["root"].get("children", [])}


def test_a_circle_matches_by_the_aspect_scaled_distance(http) -> None:
    assert set(search(http, 'geoLocation(pos, 59.9139, 10.7522, "100 km")')) == {"oslo"}
    assert set(search(http, 'geoLocation(pos, 59.9139, 10.7522, "350 km")')) == {"oslo", "bergen"}
    # Trondheim at 390.7 km in the flat metric, Stockholm at 412.1 (416.3 on the sphere)
    assert set(search(http, 'geoLocation(pos, "N59.9139", "E10.7522", "400 km")')) == {
        "oslo", "bergen", "trondheim"}
    # a negative radius has no limit: every document with a position, ranked by distance
    ranked = search(http, 'geoLocation(pos, 59.9139, 10.7522, "-1 km")')
    assert list(ranked) == ["oslo", "bergen", "trondheim", "stockholm"]


def test_a_bounding_box_matches_points_inside_it(http) -> None:
    assert set(search(http, "geoBoundingBox(pos, 59, 5, 61, 11)")) == {"oslo", "bergen"}
    assert set(search(http, "geoBoundingBox(pos, 59, 11, 64, 19)")) == {"stockholm"}
    assert set(search(http, 'name contains "Oslo" and geoBoundingBox(pos, 60, 5, 61, 6)')) == set()
    # distancefeature.cpp (GeoGCDExecutor) measures only from a location with a point: a box has
    # none, so each hit gets the no-location defaults (latitude 90, longitude -180) and closeness 0;
    # the z-curve attribute is the document's own
    boxed = search(http, "geoBoundingBox(pos, 59, 5, 61, 11)")
    for user_id, place in (("oslo", OSLO), ("bergen", BERGEN)):
        features = boxed[user_id]["fields"]["matchfeatures"]
        assert (features["distance(pos)"], features["distance(pos).km"], features["distance(pos).index"],
                features["distance(pos).latitude"], features["distance(pos).longitude"],
                features["closeness(pos)"], features["closeness(pos).logscale"]) == (
            6400000000.0, 40000.0, -1.0, 90.0, -180.0, 0.0, 0.0)
        assert features["attribute(pos_zcurve)"] == zcurve(*place) and boxed[user_id]["relevance"] == 0.0


def test_distance_and_closeness_features(http) -> None:
    found = search(http, 'geoLocation(pos, 59.9139, 10.7522, "500 km")')
    assert list(found) == ["oslo", "bergen", "trondheim", "stockholm"]  # by closeness(pos)
    for user_id, place in (("oslo", OSLO), ("bergen", BERGEN), ("trondheim", TRONDHEIM), ("stockholm", STOCKHOLM)):
        features = found[user_id]["fields"]["matchfeatures"]
        km = haversine_km(OSLO, place)
        assert features["distance(pos).km"] == pytest.approx(km, abs=1e-3)
        assert features["distance(pos)"] == pytest.approx(micro_degrees(km), abs=1.0)
        assert features["distance(pos).latitude"] == pytest.approx(place[0], abs=1e-6)
        assert features["distance(pos).longitude"] == pytest.approx(place[1], abs=1e-6)
        assert features["distance(pos).index"] == 0.0
        assert features["attribute(pos_zcurve)"] == zcurve(*place)
        closeness = max(1 - micro_degrees(km) / 9013305.0, 0.0)
        assert features["closeness(pos)"] == pytest.approx(closeness, abs=1e-6)
        assert found[user_id]["relevance"] == pytest.approx(closeness, abs=1e-6)
        m, s = 9013305.0, 5 * 9013.305
        logscale = (math.log(m + s) - math.log(micro_degrees(km) + s)) / (math.log(m + s) - math.log(s))
        assert features["closeness(pos).logscale"] == pytest.approx(logscale, abs=1e-6)
    assert found["bergen"]["fields"]["matchfeatures"]["distance(pos).km"] == pytest.approx(305.07, abs=0.01)
    assert found["oslo"]["fields"]["matchfeatures"]["closeness(pos)"] == pytest.approx(1.0)


def test_half_response_shapes_the_logscale_closeness(http) -> None:
    found = search(http, 'geoLocation(pos, 59.9139, 10.7522, "500 km")', ranking="half")
    m, h = 5e6, 1e6
    s = h * h / (m - 2 * h)
    for user_id, place in (("bergen", BERGEN), ("stockholm", STOCKHOLM)):
        d = micro_degrees(haversine_km(OSLO, place))
        expected = (math.log(m + s) - math.log(d + s)) / (math.log(m + s) - math.log(s))
        assert found[user_id]["relevance"] == pytest.approx(expected, abs=1e-6)
        assert found[user_id]["fields"]["matchfeatures"]["closeness(pos)"] == pytest.approx(1 - d / m, abs=1e-6)


def test_array_positions_use_the_closest_point(http) -> None:
    found = search(http, 'geoLocation(stops, 60.3913, 5.3221, "1 km")')
    assert set(found) == {"bergen"}
    features = found["bergen"]["fields"]["matchfeatures"]
    assert features["distance(stops).index"] == 1.0  # the second stop is Bergen
    assert features["distance(stops).km"] == pytest.approx(0.0, abs=1e-6)
    # this query has no location on `pos`, so distance(pos) measures from the location on `stops`
    assert features["distance(pos).km"] == pytest.approx(0.0, abs=1e-6)


def test_to_pos_computes_a_position_from_a_string_field(http) -> None:
    found = search(http, 'geoLocation(origin_pos, 59.9139, 10.7522, "1 km")')
    assert set(found) == {"trondheim"}
    assert found["trondheim"]["fields"]["matchfeatures"]["distance(pos).km"] == pytest.approx(
        haversine_km(OSLO, TRONDHEIM), abs=1e-3)  # the location on origin_pos, measured to pos


def test_documents_without_a_position_get_vespa_defaults(http) -> None:
    found = search(http, 'name contains "Nowhere"')
    features = found["nowhere"]["fields"]["matchfeatures"]
    assert features["distance(pos)"] == 6400000000.0
    assert features["distance(pos).km"] == 40000.0
    assert features["distance(pos).index"] == -1.0
    assert features["closeness(pos)"] == 0.0
    assert features["attribute(pos_zcurve)"] == float(-(2**63))  # Vespa's undefined long


def test_positions_are_returned_and_bad_input_is_refused(http) -> None:
    got = http.get("/document/v1/test/place/docid/oslo").json()
    assert got["fields"]["pos"] == {"lat": 59.9139, "lng": 10.7522}
    bad = http.post("/document/v1/test/place/docid/x", json={"fields": {"pos": {"lat": 91, "lng": 0}}})
    assert bad.status_code == 400 and "latitude 91.0 is outside" in bad.json()["message"]
    for where, message in (('geoLocation(name, 1, 2, "1 km")', "is not a position field"),
                           ('pos contains "x"', "is a position field: it is searched with geoLocation"),
                           ("pos > 5", "is a position field"),
                           ('geoLocation(pos, 1, 2, "1 parsec")', "missing unit for distance"),
                           ("geoLocation(pos, 1, 2)", "Expected 4 arguments, got 3."),
                           ("geoBoundingBox(pos, 61, 5, 59, 11)", "cannot have s > n")):
        response = http.get("/search/", params={"yql": f"select * from place where {where}"})
        assert response.status_code == 400, where
        assert message in response.json()["root"]["errors"][0]["message"], response.text


@pytest.mark.parametrize("where, expected", [
    ('url.hostname contains uri("visitoslo.com")', {"oslo"}),  # www.visitoslo.com ends with it
    ('url.hostname contains ({startAnchor: true}uri("visitoslo.com"))', set()),
    ('url.hostname contains ({startAnchor: true}uri("www.visitoslo.com"))', {"oslo"}),
    ('url.hostname contains uri("kommune")', set()),  # not at the end of the host
    ('url.hostname contains ({endAnchor: false}uri("trondheim.kommune"))', {"trondheim"}),
    ('url.host contains "kommune"', {"trondheim"}),
    ('url.port contains "8080"', {"bergen"}),
    ('url.scheme contains "http"', {"bergen"}),
    ('url.path contains "fjords"', {"bergen"}),
    ('url.query contains "summer"', {"oslo"}),
    ('url.fragment contains "top"', {"oslo"}),
    ('url contains uri("bergen.no")', {"bergen"}),
    ('url contains "activities"', {"oslo"}),
])
def test_uri_components_are_searchable(http, where, expected) -> None:
    assert set(search(http, where)) == expected


def test_uri_host_phrases_rank_their_words_anchors_included(http) -> None:
    """oslo's url.hostname holds `starthost www visitoslo com endhost` at 0..4: uri("visitoslo.com")
    is the phrase visitoslo com endhost (3 words, the first at 2); with startAnchor all 5 from 0.
    A phrase is one query term, as Vespa's one term data per phrase: queryTermCount and
    matchCount 1, its position where it starts."""
    def features(where: str) -> dict:
        found = search(http, where, ranking="hosts")
        assert set(found) == {"oslo"}
        return {**found["oslo"]["fields"]["matchfeatures"], "relevance": found["oslo"]["relevance"]}

    assert features('url.hostname contains uri("visitoslo.com")') == {
        "matchCount(url.hostname)": 1.0, "queryTermCount": 1.0, "fieldTermMatch(url.hostname,0).firstPosition": 2.0,
        "relevance": 1.0}
    assert features('url.hostname contains ({startAnchor: true}uri("www.visitoslo.com"))') == {
        "matchCount(url.hostname)": 1.0, "queryTermCount": 1.0, "fieldTermMatch(url.hostname,0).firstPosition": 0.0,
        "relevance": 1.0}


def test_uri_summary_update_and_bad_input(http) -> None:
    assert http.get("/document/v1/test/place/docid/bergen").json()["fields"]["url"] == "http://bergen.no:8080/fjords/"
    response = http.put("/document/v1/test/place/docid/stockholm",
                        json={"fields": {"url": {"assign": "https://www.visitstockholm.com/"}}})
    assert response.status_code == 200, response.text
    assert set(search(http, 'url.hostname contains uri("visitstockholm.com")')) == {"stockholm"}
    bad = http.post("/document/v1/test/place/docid/x", json={"fields": {"url": 42}})
    assert bad.status_code == 400 and "expected a URI string" in bad.json()["message"]


@pytest.mark.parametrize("where, expected", [
    ('predicate(target, {"country": "no"}, {"age": 25L})', {"oslo", "bergen"}),
    ('predicate(target, {"country": "se", "gender": "male"}, {"age": 70})', {"trondheim", "stockholm"}),
    ('predicate(target, {"country": ["dk", "se"]}, {"age": 12})', {"bergen", "trondheim", "stockholm"}),
    ("predicate(target, 0, void)", {"stockholm"}),  # only `not in` holds without attributes
])
def test_predicates_hold_for_the_query_attributes(http, where, expected) -> None:
    assert set(search(http, where, ranking="subq")) == expected


def test_subqueries_report_for_which_subqueries_a_predicate_holds(http) -> None:
    found = search(http, 'predicate(target, {"0x1": {"country": "no"}, "0x2": {"country": "se"}}, {"age": 25L})',
                   ranking="subq")
    assert set(found) == {"oslo", "bergen", "stockholm"}
    features = {user_id: hit["fields"]["matchfeatures"] for user_id, hit in found.items()}
    # oslo: only subquery 0 (country no); bergen: 0 and 1; stockholm: every subquery but 0, whose
    # country is no (the other 62 have no country at all, so `country not in [no]` holds)
    assert features["oslo"] == {"subqueries(target).lsb": 1.0, "subqueries(target).msb": 0.0}
    assert features["bergen"] == {"subqueries(target).lsb": 3.0, "subqueries(target).msb": 0.0}
    assert features["stockholm"] == {"subqueries(target).lsb": 4294967294.0, "subqueries(target).msb": 4294967295.0}
    assert found["bergen"]["relevance"] == 3.0


def test_predicate_summary_and_bad_input(http) -> None:
    assert http.get("/document/v1/test/place/docid/stockholm").json()["fields"]["target"] == "country not in [no]"
    bad = http.post("/document/v1/test/place/docid/x", json={"fields": {"target": "country in [no"}})
    assert bad.status_code == 400 and "expected" in bad.json()["message"]
    response = http.get("/search/", params={"yql": 'select * from place where predicate(name, {"a": "b"}, 0)'})
    assert response.status_code == 400 and "is not a predicate field" in response.text
    response = http.get("/search/", params={"yql": 'select * from place where target contains "no"'})
    assert response.status_code == 400 and "is a predicate field: it is searched with predicate()" in response.text


def test_distance_to_a_road_along_the_60th_parallel(http) -> None:
    # the road: (lng 5, lat 60) -> (lng 18, lat 60) in micro-degrees (x, y); distances on that plane
    road = "(5000000,60000000,18000000,60000000)"
    response = http.get("/search/", params={"yql": "select * from place where true", "ranking": "road",
                                            "rankproperty.distanceToPath(pos).path": road,
                                            "rankproperty.distanceToPath(stops).path": road})
    assert response.status_code == 200, response.text
    hits = {hit["fields"]["name"]: hit["fields"]["matchfeatures"] for hit in response.json()["root"]["children"]}
    order = [hit["fields"]["name"] for hit in response.json()["root"]["children"]]
    assert order == ["Oslo", "Bergen", "Stockholm", "Trondheim", "Nowhere"]

    def outputs(name: str) -> list[float]:
        return [hits[name][f"distanceToPath(pos).{o}"] for o in ("distance", "traveled", "product")]

    # Oslo lies 86100 south of the road, 5752200 of its 13000000 along; south of an eastward road: +
    assert outputs("Oslo") == pytest.approx([86100, 5752200 / 13e6, 13e6 * 86100])
    assert outputs("Bergen") == pytest.approx([391300, 322100 / 13e6, -13e6 * 391300])  # north: -
    # Stockholm is past the road's end: measured from (18000000, 60000000), traveled 1
    assert outputs("Stockholm") == pytest.approx([math.hypot(68600, 670700), 1.0, 13e6 * 670700])
    assert outputs("Nowhere") == [6400000000.0, 1.0, 0.0]
    assert hits["Bergen"]["distanceToPath(stops).distance"] == pytest.approx(86100)  # its Oslo stop
