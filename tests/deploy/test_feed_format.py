"""Feed-file parsing: Vespa JSONL and JSON arrays; bad lines are reported, never fatal."""
import io
import json

import pytest

from deploy.feed_format import (
    FeedOperation,
    FeedParseError,
    count_feed_items,
    document_path,
    iter_feed_file,
    parse_feed_stream,
    parse_feed_text,
)

JSONL = """\
{"put": "id:mynamespace:music::a-head-full-of-dreams", "fields": {"artist": "Coldplay", "year": 2015}}
{"update": "id:mynamespace:music::a-head-full-of-dreams", "create": true, "fields": {"year": {"assign": 2016}}}

{"put": "id:mynamespace:music::x", "condition": "music.year==2015", "fields": {"year": 2017}}
{"remove": "id:mynamespace:music::x"}
{"put": "id:broken
{"put": "not-a-document-id", "fields": {}}
{"fields": {"year": 1}}
{"put": "id:ns:music::y", "remove": "id:ns:music::y"}
{"update": "id:ns:music::z"}
["put"]
{"id": "id:ns:music::legacy", "fields": {"a": 1}}
"""


def test_jsonl_operations_and_bad_lines_keep_their_order_and_line_numbers():
    items = parse_feed_text(JSONL)
    kinds = [item.kind if isinstance(item, FeedOperation) else "error" for item in items]
    assert kinds == ["put", "update", "put", "remove", "error", "error", "error", "error", "error", "error", "put"]
    assert [item.source_line for item in items] == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    update = items[1]
    assert update.create and update.fields == {"year": {"assign": 2016}}
    assert items[2].condition == "music.year==2015"
    errors = [item for item in items if isinstance(item, FeedParseError)]
    assert "invalid JSON" in errors[0].message
    assert "must start with 'id:'" in errors[1].message
    assert "missing 'put', 'update' or 'remove'" in errors[2].message
    assert "exactly one of" in errors[3].message
    assert "needs 'fields'" in errors[4].message
    assert "expected a JSON object" in errors[5].message
    assert str(errors[0]).startswith("line 6: invalid JSON")


def test_json_array_file_is_parsed_item_by_item():
    text = json.dumps([
        {"put": "id:ns:doc::1", "fields": {"title": "a"}},
        {"put": 7},
        {"remove": "id:ns:doc::2"},
    ], indent=2)
    items = parse_feed_text("\n" + text)
    assert isinstance(items[0], FeedOperation) and items[0].fields == {"title": "a"}
    assert isinstance(items[1], FeedParseError) and items[1].source_line == 2
    assert "operation #2" in items[1].message
    assert isinstance(items[2], FeedOperation) and items[2].kind == "remove"


def test_a_broken_json_array_is_one_error_not_a_crash():
    items = parse_feed_text('[{"put": "id:ns:doc::1", "fields": {}},')
    assert len(items) == 1 and isinstance(items[0], FeedParseError)


def test_jsonl_is_read_lazily():
    class OneLineAtATime(io.StringIO):
        lines_read = 0

        def __next__(self):
            OneLineAtATime.lines_read += 1
            return super().__next__()

    stream = OneLineAtATime('{"remove": "id:ns:doc::1"}\n' * 1000)
    first = next(parse_feed_stream(stream))
    assert first.document_id == "id:ns:doc::1"
    assert OneLineAtATime.lines_read < 10


def test_document_paths_follow_the_document_v1_mapping():
    assert document_path("id:mynamespace:music::a-head-full-of-dreams") == \
        "/document/v1/mynamespace/music/docid/a-head-full-of-dreams"
    assert document_path("id:ns:doc::a/b c:d") == "/document/v1/ns/doc/docid/a%2Fb%20c%3Ad"
    assert document_path("id:ns:doc:n=42:x") == "/document/v1/ns/doc/number/42/x"
    assert document_path("id:ns:doc:g=grp:x") == "/document/v1/ns/doc/group/grp/x"


def test_operations_map_to_document_api_requests():
    put, update, _, remove = parse_feed_text(JSONL)[:4]
    assert (put.http_method, put.request_body(), put.request_params()) == \
        ("POST", {"fields": {"artist": "Coldplay", "year": 2015}}, {})
    assert (update.http_method, update.request_params()) == ("PUT", {"create": "true"})
    assert (remove.http_method, remove.request_body()) == ("DELETE", None)


def test_feed_files_and_counts(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(JSONL)
    assert count_feed_items(path) == 11
    assert len(list(iter_feed_file(path))) == 11
    array = tmp_path / "feed.json"
    array.write_text('[{"remove": "id:ns:doc::1"}]')
    assert count_feed_items(array) is None
    assert [item.kind for item in iter_feed_file(array)] == ["remove"]
