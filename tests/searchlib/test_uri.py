"""uri fields: components as Vespa splits a URI, the `uri()` YQL operator's trees as Vespa's
YqlParserTestCase.assertUrlQuery states them (not an assertParse, so the conformance harness
cannot read them), and the component index fields a uri field compiles into."""
from __future__ import annotations

import pytest

from searchlib.query.vespa_form import vespa_string
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_sources
from searchlib.schema.uri_fields import with_uri_component_updates, with_uri_components
from searchlib.uri import components


def test_components() -> None:
    assert components("https://www.Example.com:8080/a/b?x=1&y=2#frag") == {
        "scheme": "https", "host": "www.example.com", "port": "8080", "path": "/a/b", "query": "x=1&y=2",
        "fragment": "frag", "hostname": "starthost www.example.com endhost"}
    assert components("not a uri")["host"] == ""
    assert components("http://host:99999/")["port"] == ""  # an invalid port: the whole text only


@pytest.mark.parametrize("where, tree", [
    ('urlfield.hostname contains uri("google.com")', 'urlfield.hostname:"google com $"'),
    ('urlfield.hostname contains ({endAnchor: false }uri("google.com"))', 'urlfield.hostname:"google com"'),
    ('urlfield.hostname contains ({startAnchor: true } uri("google.com"))', 'urlfield.hostname:"^ google com $"'),
    ('urlfield contains uri("google.com")', 'urlfield:"google com"'),
])
def test_uri_operator_trees_as_vespa(where, tree) -> None:
    assert vespa_string(parse_yql(f"select * from sources * where {where}", stem=False).where) == tree


SD = """schema s {
  document s {
    field url type uri { indexing: index | summary }
    field links type array<uri> { indexing: index }
  }
}"""
SERVICES = """<services version="1.0"><container id="c" version="1.0"><search/></container>
<content id="x" version="1.0"><documents><document type="s" mode="index"/></documents>
<nodes><node hostalias="n" distribution-key="0"/></nodes></content></services>"""


def test_a_uri_field_compiles_into_component_indexes_filled_on_write() -> None:
    schema = application_from_sources({"services.xml": SERVICES, "schemas/s.sd": SD}).schemas["s"]
    assert schema.fields["url"].match == "text"
    assert {name for name in schema.fields if name.startswith("url.")} == {
        "url.scheme", "url.host", "url.port", "url.path", "url.query", "url.fragment", "url.hostname"}
    assert str(schema.fields["links.host"].type) == "array<string>"
    document = with_uri_components(schema.fields, {"url": "http://a.b/c", "links": ["https://x.y", "z"]})
    assert document["url.host"] == "a.b" and document["url.path"] == "/c" and "url.port" not in document
    assert document["links.host"] == ["x.y"] and document["links.scheme"] == ["https"]
    update = with_uri_component_updates(schema.fields, {"url": {"assign": "ftp://f.g"}})
    assert update["url.scheme"] == {"assign": "ftp"} and update["url.port"] == {"assign": None}


@pytest.mark.parametrize("case, field", [("uri_array", "my_uri"), ("uri_wset", "my_uri")])
def test_vespa_uri_cases_load_with_component_indexes(case, field) -> None:
    from searchlib.schema.application import load_application
    from tests.integration.conftest import shared_data_dir

    app = load_application(shared_data_dir() / "vespa-language-conformance" / "schemas" / case)
    fields = next(iter(app.schemas.values())).fields
    assert f"{field}.hostname" in fields and fields[f"{field}.hostname"].is_index
