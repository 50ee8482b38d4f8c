"""Every rank feature that reads rank properties, run through matcher.search with hostile property
values: each search gives a result or an InvalidParameterError naming the property (a 400), never
another exception (a 500). The numbers follow Java's grammar (searchlib.java_numbers), so `1_0`,
full-width digits and `inf` are refused where Python's float() would take them."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ranking_support import RankingBed
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.query import tree as q
from searchlib.rank_properties import NUMERIC_PROPERTIES
from searchlib.rank_values import parse_query_features
from searchlib.schema.application import application_from_text

FEATURES = ["bm25(title)", "elementwise(bm25(chunks),e,double)", "nativeRank(title,cat)", "nativeFieldMatch(title)",
            "nativeProximity(title)", "nativeAttributeMatch(cat)", "freshness(ts)",
            "elementCompleteness(chunks).completeness", "elementSimilarity(chunks)", "attributeMatch(cat)",
            "closeness(pos)", "closeness(pos).logscale", 'foreach(terms,N,term(N).weight,">0",sum)',
            "fieldMatch(title)", "dotProduct(ws,v)", "dotProduct(arr,w)", "tensorFromWeightedSet(query(p),d)",
            "tensorFromLabels(query(lb),d)", "distanceToPath(pos).distance"]
SD = f"""schema doc {{
    document doc {{
        field title type string {{
            indexing: index | summary
            index: enable-bm25
        }}
        field chunks type array<string> {{
            indexing: index | summary
            index: enable-bm25
        }}
        field cat type weightedset<string> {{ indexing: attribute }}
        field ws type weightedset<string> {{ indexing: attribute }}
        field arr type array<int> {{ indexing: attribute }}
        field ts type long {{ indexing: attribute }}
        field pos type position {{ indexing: attribute }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile fuzz {{
        inputs {{ query(x) double: 1 }}
        first-phase {{ expression: attribute(n) + query(x) }}
        match-features {{
            {chr(10).join(FEATURES)}
        }}
    }}
}}
"""
DOCS = [{"title": "red fox red dog", "chunks": ["red fox", "blue dog"], "cat": {"red": 5}, "ws": {"a": 2, "b": 3},
         "arr": [1, 2, 3], "ts": 1_700_000_000, "pos": {"lat": 1.0, "lng": 2.0}, "n": 2},
        {"title": "dog", "chunks": ["red"], "n": 1}]
QUERY = q.And((q.Term("title", "red"), q.Term("title", "fox"), q.Rank((q.TrueItem(), q.Term("chunks", "red"), q.Term("cat", "red")))))
HOSTILE = ["abc", "", "nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e400", "1e30", "-1", str(2**64),
           "1_0", "１２", " ", " 3 ", "\u20033", "0x10", "0x1p3", "1.5f", "4", "0.5", "(1,2,3,4)", "{a:1_0}",
           "{a:1,b:１}", "[1 2 nan]", "{99999999999:1}", "max(p+1_0)", "max(²)", "²", "sum(", "expdecay(1_0,2)"]
# every numeric property the engine reads (one concrete key per pattern of searchlib.rank_properties), and the
# ones holding lists or expressions
KEYS = ["bm25(title).k1", "bm25(title).b", "bm25(title).averageFieldLength",
        "elementwise(bm25(chunks),e,double).k1", "elementwise(bm25(chunks),e,double).averageElementLength",
        "nativeRank.fieldMatchWeight", "nativeRank.proximityWeight", "nativeRank.attributeMatchWeight",
        "nativeFieldMatch.minFieldLength", "nativeFieldMatch.averageFieldLength.title",
        "nativeFieldMatch(title).averageFieldLength", "nativeFieldMatch.firstOccurrenceImportance",
        "nativeProximity.slidingWindowSize", "nativeProximity.proximityImportance", "freshness(ts).maxAge",
        "elementCompleteness(chunks).fieldCompletenessImportance", "attributeMatch(cat).maxWeight",
        "attributeMatch(cat).fieldCompletenessImportance", "closeness(pos).maxDistance",
        "closeness(pos).halfResponse", "foreach.maxTerms", "vespa.fieldweight.title", "nativeProximity.elementGap.title",
        "nativeFieldMatch.firstOccurrenceTable", "elementSimilarity(chunks).output.default", "dotProduct.v",
        "dotProduct.w", "p", "lb", "distanceToPath(pos).path"]
NUMERIC_KEYS = [key for key in KEYS if any(pattern.fullmatch(key) for pattern, _ in NUMERIC_PROPERTIES)]
REFUSED = ["abc", "nan", "inf", "Infinity", "1e400", "1_0", "１２", "²", "\u20033"]  # by every numeric property


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("fuzz"))
    yield bed
    bed.close()


def outcome(bed: RankingBed, properties: dict[str, str]) -> InvalidParameterError | list:
    """The hits' match-features, or the InvalidParameterError; any other exception fails the test."""
    try:
        return [dict(hit.match_features) for hit in bed.search("fuzz", query=QUERY, rank_properties=properties,
                                                               now=1_700_000_100.0).hits]
    except InvalidParameterError as error:
        return error


def test_every_numeric_key_is_in_the_shared_table() -> None:
    assert len(NUMERIC_KEYS) == 23, NUMERIC_KEYS


def test_the_features_run_with_no_properties(bed) -> None:
    found = outcome(bed, {})
    assert isinstance(found, list) and len(found) == 1 and set(FEATURES) <= set(found[0])


@pytest.mark.parametrize("key", KEYS)
def test_hostile_values_give_a_result_or_a_bad_request(bed, key: str) -> None:
    for value in HOSTILE:
        found = outcome(bed, {key: value})
        if isinstance(found, InvalidParameterError):
            assert key.split("(")[0].split(".")[0] in str(found) or value[:10] in str(found), (key, value, found)


@pytest.mark.parametrize("key", NUMERIC_KEYS)
def test_a_numeric_property_refuses_what_java_refuses_and_names_itself(bed, key: str) -> None:
    for value in REFUSED:
        found = outcome(bed, {key: value})
        assert isinstance(found, InvalidParameterError), (key, value)
        assert str(found).startswith(key), (key, value, found)
    good = "0.5" if "Importance" in key or key.endswith(".b") else "4"
    assert isinstance(outcome(bed, {key: good}), list), key
    assert isinstance(outcome(bed, {key: f" {good}\t"}), list), key  # String.trim() spaces are fine


@pytest.mark.parametrize("properties", [
    # halfResponse held at maxDistance/2 - 1, which a double cannot tell from maxDistance/2 at 1e30
    {"closeness(pos).maxDistance": "1e30", "closeness(pos).halfResponse": "1e30"},
    {"closeness(pos).maxDistance": "1e17", "closeness(pos).halfResponse": "1e17"},
    {"closeness(pos).maxDistance": "2", "closeness(pos).halfResponse": "5"},
])
def test_mixes_found_by_the_fuzz(bed, properties) -> None:
    assert isinstance(outcome(bed, properties), list)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(properties=st.dictionaries(st.sampled_from(KEYS), st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)),
                                  max_size=4))
def test_any_mix_of_properties_gives_a_result_or_a_bad_request(bed, properties) -> None:
    outcome(bed, properties)


@pytest.mark.parametrize("key", NUMERIC_KEYS)
def test_a_profile_with_a_bad_number_is_a_located_schema_error(key: str) -> None:
    written = f'"{key}"' if "," in key else key  # a name with commas is quoted in a profile
    text = SD.replace("first-phase {", f"rank-properties {{\n            {written}: 1_0\n        }}\n        first-phase {{")
    with pytest.raises(SchemaError, match="rank-properties of rank-profile 'fuzz'") as raised:
        application_from_text(text, name="doc.sd")
    assert key in str(raised.value) and "doc.sd" in str(raised.value)


JAVA_DOUBLES = {"NaN", "Infinity", "-Infinity", "1e400", "1e30", "-1", str(2**64), " 3 ", "0x1p3", "1.5f", "4", "0.5"}


@pytest.mark.parametrize("value", HOSTILE)
def test_query_feature_values_follow_java_doubles(value: str) -> None:
    """A double input's value is what Double.parseDouble takes, and nothing else."""
    profile = application_from_text(SD, name="doc.sd").schemas["doc"].rank_profiles["fuzz"]
    try:
        parse_query_features(profile, {"query(x)": value})
    except InvalidParameterError as error:
        assert "query(x)" in str(error) and value not in JAVA_DOUBLES, value
        return
    assert value in JAVA_DOUBLES, value


@pytest.mark.parametrize("key, value, said", [
    ('"distanceToPath(pos).path"', '"(0,0,1_0,5)"', "distanceToPath(pos).path holds a value that is not a number"),
    ('"distanceToPath(pos).path"', '"0,0,1,1"', "must be written (x1,y1,x2,y2,...)"),
    ("dotProduct.v", '"{a:１}"', "'a:１' in dotProduct: the vector v is not key:number"),
    ("dotProduct.v", '"[1 NaN 2]"', "is not a list of numbers"),
])
def test_a_profile_with_a_bad_path_or_vector_is_a_located_schema_error(key: str, value: str, said: str) -> None:
    """Checked at deploy by the functions the content node reads them with at query time."""
    text = SD.replace("first-phase {", f"rank-properties {{\n            {key}: {value}\n        }}\n        first-phase {{")
    with pytest.raises(SchemaError, match="rank-properties of rank-profile 'fuzz'") as raised:
        application_from_text(text, name="doc.sd")
    assert said in str(raised.value) and "doc.sd" in str(raised.value)
    good = '"(0,0,1e1,5)"' if "Path" in key else '"{a:1.5, b:-2}"'
    profile = application_from_text(SD.replace("first-phase {", f"rank-properties {{\n            {key}: {good}\n"
                                               "        }\n        first-phase {"), name="doc.sd")
    assert profile.schemas["doc"].rank_profiles["fuzz"].rank_properties[key.strip('"')] == good.strip('"')
