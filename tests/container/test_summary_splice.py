"""The nodes' plain summary JSON (an object of strings, exact_json.is_plain) goes into /search/
responses unread, as an orjson.Fragment: the bytes must be those of reading it and rendering the
fields again, whatever the strings hold and whatever the container adds around them."""
from __future__ import annotations

import orjson
from hypothesis import given, settings, strategies as st

from container.http.rendering import render_hit, render_json, render_result, render_result_json
from container.search.phases import ResultHit, SearchResult
from searchlib import exact_json
from searchlib.coverage import CoverageReport
from searchlib.hits import LeanHit

NAMES = st.sampled_from(["title", "text", "body", "documentid", "sddocname", "summaryfeatures", "é", ""]) | st.text()


def hits(fields: dict, document_id: str, shows_id: bool, match_features: dict, summary_features: dict):
    """The same hit as read (fields) and as spliced (fields_json)."""
    text = exact_json.dumps(fields)
    lean = LeanHit(b"\x01" * 12, 1.5, 0, match_features)
    read = ResultHit(lean, "doc", document_id, dict(fields), summary_features, shows_id)
    unread = ResultHit(lean, "doc", document_id, {}, summary_features, shows_id, fields_json=text)
    return text, read, unread


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(NAMES, st.text(), max_size=4), st.sampled_from(["", "id:test:doc::1", 'id:t:doc::"é"']),
       st.booleans(), st.sampled_from([{}, {"firstPhase": 2.0}]), st.sampled_from([{}, {"f": 0.5}]))
def test_a_spliced_hit_renders_the_same_bytes(fields, document_id, shows_id, match_features, summary_features):
    text, read, unread = hits(fields, document_id, shows_id, match_features, summary_features)
    if not exact_json.is_plain(fields, text):
        return  # the node marks only plain text (a string holding "null" is written by json)
    expected = render_json(render_hit(read, "content"))
    assert orjson.dumps(render_hit(unread, "content", splice=True)) == expected
    assert render_json(render_hit(unread, "content")) == expected  # read when not spliced


def test_the_splice_happens_and_keys_the_container_renders_are_read_instead():
    _, _, unread = hits({"title": "a"}, "id:test:doc::1", True, {}, {})
    assert isinstance(render_hit(unread, "content", splice=True)["fields"], orjson.Fragment)
    _, _, clash = hits({"documentid": "x", "title": "a"}, "id:test:doc::1", True, {}, {})
    assert render_hit(clash, "content", splice=True)["fields"] == {"sddocname": "doc", "documentid": "x", "title": "a"}


def test_a_select_list_reads_the_fields():
    _, read, unread = hits({"title": "a", "text": "b"}, "id:test:doc::1", True, {}, {})
    selected = frozenset({"title"})
    assert render_hit(unread, "content", selected=selected, splice=True)["fields"] == {"title": "a"} == \
        render_hit(read, "content", selected=selected)["fields"]


def test_what_orjson_refuses_is_rendered_again_with_the_fields_read():
    """A summary feature past 64 bits: json writes the response, as before the splice."""
    _, read, unread = hits({"title": "a"}, "id:test:doc::1", True, {}, {"big": 2 ** 70})
    coverage = CoverageReport(coverage=100, documents=1, full=True, nodes=1, results=1, results_full=1, degraded=None)
    expected = render_json(render_result(SearchResult([read], 1, coverage, []), "content"))
    assert b"1180591620717411303424" in expected
    assert render_result_json(SearchResult([unread], 1, coverage, []), "content") == expected
    _, read, unread = hits({"title": "a"}, "id:test:doc::1", True, {}, {"small": 2})
    assert render_result_json(SearchResult([unread, read], 2, coverage, []), "content") == \
        render_json(render_result(SearchResult([read, read], 2, coverage, []), "content"))
