"""The embedded-feed cache is named by what the vectors depend on (the corpus, the settings, the
embedder's construction and files), not by where the package lies: two copies of one package
share the vectors instead of each embedding anew. Concurrent runs embed a key once and never
remove each other's entries (the embedder is replaced by a fake here: the seam is the process
that `embedded_feed` starts; tests/deploy/test_demo_corpus.py runs the real one)."""
from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import time
from pathlib import Path

from deploy import feed_embedding
from deploy.feed_embedding import FULL_EMBEDDING, embedded_feed, embedded_feed_path, prune_cache

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
    services = second / "services.xml"  # another node or a comment: not the embedder's construction
    services.write_text(services.read_text().replace("<search/>", "<search/><!-- a checkout's own -->"))
    assert embedded_feed_path(second, feed, FULL_EMBEDDING) == key
    assert embedded_feed_path(second, feed, FULL_EMBEDDING, cache_name="scifact-corpus").name == \
        f"scifact-corpus.{key.name.split('.')[1]}.embedded.jsonl"
    assert embedded_feed_path(package(tmp_path / "c", model=b"other weights"), feed, FULL_EMBEDDING) != key
    assert embedded_feed_path(package(tmp_path / "d", instruction="passage:"), feed, FULL_EMBEDDING) != key
    assert embedded_feed_path(first, feed, {**FULL_EMBEDDING, "max-tokens": "128"}) != key
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "changed"}}\n')
    assert embedded_feed_path(first, feed, FULL_EMBEDDING) != key


def fake_embedder(command: list[str], total: int, out) -> tuple[int, str]:
    """Stands in for `python -m container.embedding ... IN OUT`: slow, counts its runs, and writes
    OUT whole at the end (as the real one does with os.replace)."""
    source, target = Path(command[-2]), Path(command[-1])
    with (target.parent / "runs.log").open("a") as runs:
        runs.write(f"{os.getpid()} {target.name}\n")
    time.sleep(0.5)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    partial.write_text(source.read_text().replace("hello", "embedded hello"))
    os.replace(partial, target)
    return 0, "done"


def embed_in_process(app: Path, feed: Path, results) -> None:
    results.put(str(embedded_feed(app, feed, io.StringIO(), FULL_EMBEDDING)))


def test_concurrent_runs_embed_a_key_once_and_read_only_complete_files(tmp_path, monkeypatch):
    monkeypatch.setattr(feed_embedding, "_run_with_progress", fake_embedder)
    app, feed = package(tmp_path / "a"), tmp_path / "eval" / "corpus.jsonl"
    feed.parent.mkdir()
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "hello"}}\n')
    context = multiprocessing.get_context("fork")  # the children keep the fake
    results = context.Queue()
    runs = [context.Process(target=embed_in_process, args=(app, feed, results)) for _ in range(3)]
    for run in runs:
        run.start()
    found = {results.get(timeout=30) for _ in runs}
    for run in runs:
        run.join(10)
        assert run.exitcode == 0
    assert found == {str(embedded_feed_path(app, feed, FULL_EMBEDDING))}
    assert len((feed.parent / "runs.log").read_text().splitlines()) == 1  # one embedded, two waited and read
    assert Path(found.pop()).read_text() == '{"put": "id:beir:doc::1", "fields": {"text": "embedded hello"}}\n'


def test_other_packages_and_corpora_keep_their_entries_and_only_long_unused_ones_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(feed_embedding, "_run_with_progress", fake_embedder)
    cache = tmp_path / "eval"
    cache.mkdir()
    feed = cache / "corpus.jsonl"
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "hello"}}\n')
    ours, theirs = package(tmp_path / "ours"), package(tmp_path / "theirs", instruction="passage:")
    first = embedded_feed(ours, feed, io.StringIO(), FULL_EMBEDDING)
    second = embedded_feed(theirs, feed, io.StringIO(), FULL_EMBEDDING)  # another checkout's construction
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "hello again"}}\n')
    third = embedded_feed(ours, feed, io.StringIO(), FULL_EMBEDDING)  # another corpus under the same name
    assert len({first, second, third}) == 3 and all(path.is_file() for path in (first, second, third))

    month_ago = time.time() - 31 * 86400
    for path in (first, second):
        os.utime(path, (month_ago, month_ago))
    out = io.StringIO()
    assert embedded_feed(ours, feed, out, FULL_EMBEDDING) == third and "earlier run" in out.getvalue()
    with feed_embedding._locked(second):  # a run is reading it right now
        assert prune_cache(cache) == [first]
    assert not first.exists() and second.exists() and third.exists()
    assert prune_cache(cache) == [second]
    assert prune_cache(cache) == [] and third.exists()


def test_a_failed_embedding_caches_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(feed_embedding, "_run_with_progress", lambda command, total, out: (2, "error: no model"))
    feed = tmp_path / "corpus.jsonl"
    feed.write_text('{"put": "id:beir:doc::1", "fields": {"text": "hello"}}\n')
    out = io.StringIO()
    assert embedded_feed(package(tmp_path / "a"), feed, out, FULL_EMBEDDING) is None
    assert "embedding failed (error: no model)" in out.getvalue()
    assert not list(tmp_path.glob("*.embedded.jsonl"))
