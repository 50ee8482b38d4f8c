"""A summary field held by an attribute (a dense tensor: its cells live in the column, not in the
stored document) shows on every hit of a fill, not only the first: the fill's set of stored sources
was shadowed by the loop over the class's fields, so later hits asked for the last field only."""
from __future__ import annotations

import json
from pathlib import Path

from content_node.node import ContentNode
from searchlib.docid import global_id

SERVICES = """<services version="1.0"><container id="c" version="1.0"><search/></container>
<content id="x" version="1.0"><documents><document type="d" mode="index"/></documents>
<nodes><node hostalias="n" distribution-key="0"/></nodes></content></services>"""
SCHEMA = """schema d {
  document d {
    field emb type tensor<float>(x[2]) { indexing: attribute | summary }
    field title type string { indexing: index | summary }
  }
}
"""


def test_every_hit_shows_its_attribute_held_tensor(tmp_path: Path) -> None:
    (tmp_path / "app" / "schemas").mkdir(parents=True)
    (tmp_path / "app" / "services.xml").write_text(SERVICES)
    (tmp_path / "app" / "schemas" / "d.sd").write_text(SCHEMA)
    node = ContentNode(tmp_path / "app", tmp_path / "data", 0)
    try:
        for i, key in enumerate("abc"):
            node.put(f"id:t:d::{key}", json.dumps({"emb": {"values": [float(i), 2.0]}, "title": key}))
        docsums = node.fill("d", "", "default", [global_id(f"id:t:d::{k}") for k in "abc"], None, {}, 1.0)
        assert [sorted(d.fields) for d in docsums] == [["emb", "title"]] * 3
        assert [d.fields["title"] for d in docsums] == ["a", "b", "c"]
    finally:
        node.close()
