"""The embedded-feed cache is named by what the vectors depend on (the feed, the settings,
services.xml, the embedder's files), not by where the package lies: two copies of one package
share the vectors instead of each embedding anew and removing the other's file."""
from __future__ import annotations

import shutil
from pathlib import Path

from deploy.feed_embedding import FULL_EMBEDDING, embedded_feed_path

SERVICES = """<services version="1.0">
  <container id="default" version="1.0">
    <search/>
    <component id="bge" type="hugging-face-embedder">
      <transformer-model path="models/model.onnx"/>
      <tokenizer-model path="models/tokenizer.json"/>
      <prepend><query>{instruction}</query></prepend>
    </component>
  </container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node hostalias="node0" distribution-key="0"/></nodes>
  </content>
</services>
"""
SCHEMA = "schema doc {\n    document doc {\n        field text type string {\n            indexing: index | summary\n        }\n    }\n}\n"


def package(root: Path, model: bytes = b"model", instruction: str = "query:") -> Path:
    (root / "schemas").mkdir(parents=True)
    (root / "models").mkdir()
    (root / "services.xml").write_text(SERVICES.format(instruction=instruction))
    (root / "schemas" / "doc.sd").write_text(SCHEMA)
    (root / "models" / "model.onnx").write_bytes(model)
    (root / "models" / "tokenizer.json").write_text("{}")
    return root


def test_copies_of_a_package_share_the_cache_and_a_changed_file_or_setting_does_not(tmp_path):
    feed = tmp_path / "corpus.jsonl"
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "hello"}}\n')
    first = package(tmp_path / "a")
    key = embedded_feed_path(first, feed, FULL_EMBEDDING)
    second = tmp_path / "elsewhere" / "b"
    shutil.copytree(first, second)
    assert embedded_feed_path(second, feed, FULL_EMBEDDING) == key
    assert embedded_feed_path(package(tmp_path / "c", model=b"other weights"), feed, FULL_EMBEDDING) != key
    assert embedded_feed_path(package(tmp_path / "d", instruction="passage:"), feed, FULL_EMBEDDING) != key
    assert embedded_feed_path(first, feed, {**FULL_EMBEDDING, "max-tokens": "128"}) != key
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "changed"}}\n')
    assert embedded_feed_path(first, feed, FULL_EMBEDDING) != key
