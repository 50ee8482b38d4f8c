"""A summary class of stored fields under their own names takes a document's stored JSON text as
the summary's JSON when it is exactly that (content_node/docsums.py): the reply's fields_json and
fields are the same as the field-by-field path writes, for documents that take the shortcut and for
those that must not (another field order, an empty field, `null` in a text, numbers, other fields)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from content_node import docsums
from content_node.node import ContentNode
from searchlib import exact_json
from searchlib.docid import global_id
from searchlib.wire import search_codec as codec

SERVICES = """<services version="1.0"><container id="c" version="1.0"><search/></container>
<content id="x" version="1.0"><documents><document type="d" mode="index"/></documents>
<nodes><node hostalias="n" distribution-key="0"/></nodes></content></services>"""
SCHEMA = """schema d {
  document d {
    field title type string { indexing: index | summary }
    field text type string { indexing: index | summary }
    field n type double { indexing: summary }
  }
  document-summary plain {
    summary title {}
    summary text {}
  }
  document-summary renamed {
    summary heading { source: title }
    summary text {}
  }
}
"""
DOCUMENTS = {  # id: (fields, whether the "plain" class takes the stored text)
    "a": ({"title": "Daily news", "text": "line\nbreak \"quoted\" tab\t \\ é 😀 \x01"}, True),
    "b": ({"text": "text first", "title": "then the title"}, False),
    "c": ({"title": "an empty text", "text": ""}, False),
    "d": ({"title": "a nullable word", "text": "null"}, False),
    "e": ({"title": "only a title"}, False),
    "f": ({"title": "with a number", "text": "x", "n": 1e-7}, False),
}


class FieldByField:
    """The index without `stored_json`: docsums.fill then reads every summary field by itself."""
    def __init__(self, index) -> None:
        self._index = index

    def __getattr__(self, name):
        if name == "stored_json":
            raise AttributeError(name)
        return getattr(self._index, name)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    root = tmp_path_factory.mktemp("as_stored")
    (root / "app" / "schemas").mkdir(parents=True)
    (root / "app" / "services.xml").write_text(SERVICES)
    (root / "app" / "schemas" / "d.sd").write_text(SCHEMA)
    node = ContentNode(root / "app", root / "data", 0)
    for key, (fields, _) in DOCUMENTS.items():
        node.put(f"id:t:d::{key}", json.dumps(fields))
    yield node
    node.close()


def fill(node: ContentNode, summary_class: str, field_by_field: bool) -> list[docsums.Docsum]:
    gids = [global_id(f"id:t:d::{key}") for key in DOCUMENTS]
    with node.databases["d"].read_view() as view:
        index = FieldByField(view) if field_by_field else view
        return docsums.fill(index, None, node.schema("d"), summary_class, gids, None, {}, 1.0)


def encoded(values: list[docsums.Docsum]) -> list[bytes]:
    reply = codec.encode_docsums([codec.DocsumValue(d.global_id, d.document_id, d.fields, d.summary_features,
                                                    d.fields_json) for d in values])
    return [d.SerializeToString() for d in reply.docsums]


@pytest.mark.parametrize("summary_class", ["plain", "default", "renamed"])
def test_the_same_summaries_and_bytes_as_field_by_field(node, summary_class) -> None:
    fast, slow = fill(node, summary_class, False), fill(node, summary_class, True)
    assert [(d.document_id, d.fields) for d in fast] == [(d.document_id, d.fields) for d in slow]
    assert [list(d.fields) for d in fast] == [list(d.fields) for d in slow]  # the order renders
    assert all(d.fields_json is None for d in slow)
    assert encoded(fast) == encoded(slow)
    for docsum in fast:
        if docsum.fields_json is not None:
            assert docsum.fields_json == exact_json.dumps(docsum.fields)


def test_only_documents_that_are_their_own_summary_take_the_stored_text(node) -> None:
    taken = {d.document_id.rsplit(":", 1)[1]: d.fields_json is not None for d in fill(node, "plain", False)}
    assert taken == {key: passes for key, (_, passes) in DOCUMENTS.items()}
    # the default class also shows `n` (a number: json and orjson spell 1e-7 apart), and a renamed
    # field is not stored under its summary name
    assert not any(d.fields_json for d in fill(node, "default", False))
    assert not any(d.fields_json for d in fill(node, "renamed", False))


def test_summaries_read_again_from_the_parse_cache_are_the_same_and_unshared(node, monkeypatch) -> None:
    docsums._parsed.clear()
    first = fill(node, "plain", False)
    assert len(docsums._parsed) == 4  # the stored texts that are objects of strings (not d's `null`, f's number)
    first[0].fields["title"] = "changed by a caller"
    again = fill(node, "plain", False)
    assert again[0].fields["title"] == "Daily news"  # each summary has its own dict
    assert encoded(again) == encoded(fill(node, "plain", True))
    monkeypatch.setattr(docsums, "_PARSED_LIMIT", 2)
    docsums._parsed.clear()
    assert encoded(fill(node, "plain", False)) == encoded(again)
    assert len(docsums._parsed) <= 2


def test_the_parse_cache_is_bounded_by_bytes_and_skips_long_texts(node, monkeypatch) -> None:
    """2,048 entries of 100 KB documents would keep ~600 MB a node: a text over
    _PARSED_TEXT_LIMIT is not kept, and the kept texts' bytes stay under _PARSED_BYTES."""
    docsums._parsed.clear()
    expected = encoded(fill(node, "plain", True))
    assert encoded(fill(node, "plain", False)) == expected
    assert len(docsums._parsed) == 4 and docsums._parsed.bytes > 0
    sizes = docsums._parsed.bytes
    monkeypatch.setattr(docsums, "_PARSED_TEXT_LIMIT", 0)  # every text is too long now
    docsums._parsed.clear()
    assert encoded(fill(node, "plain", False)) == expected  # the same summaries, parsed each time
    assert len(docsums._parsed) == 0 and docsums._parsed.bytes == 0
    monkeypatch.setattr(docsums, "_PARSED_TEXT_LIMIT", 16 << 10)
    monkeypatch.setattr(docsums, "_PARSED_BYTES", sizes // 2)  # room for about half of them
    for _ in range(3):
        assert encoded(fill(node, "plain", False)) == expected
        assert 0 < docsums._parsed.bytes <= sizes // 2 and 0 < len(docsums._parsed) < 4


def test_a_rewritten_document_is_summarised_from_its_new_text(tmp_path) -> None:
    (tmp_path / "app" / "schemas").mkdir(parents=True)
    (tmp_path / "app" / "services.xml").write_text(SERVICES)
    (tmp_path / "app" / "schemas" / "d.sd").write_text(SCHEMA)
    node = ContentNode(tmp_path / "app", tmp_path / "data", 0)
    try:
        gid = global_id("id:t:d::a")
        for title in ("first", "second", "first"):
            node.put("id:t:d::a", json.dumps({"title": title, "text": "body"}))
            with node.databases["d"].read_view() as view:
                [summary] = docsums.fill(view, None, node.schema("d"), "plain", [gid], None, {}, 1.0)
            assert summary.fields == {"title": title, "text": "body"}
            assert summary.fields_json == json.dumps({"title": title, "text": "body"}, separators=(",", ":"))
    finally:
        node.close()
