"""The stdlib docstring corpus: many well-formed documents, built quickly and without side effects."""
import io
import json
import types

from deploy.demo import demo_doctype
from deploy.demo_corpus import (
    UNSAFE_MODULES,
    build_demo_corpus,
    documents_of_module,
    iter_stdlib_documents,
    stdlib_module_names,
)
from deploy.feed_format import FeedOperation, parse_feed_text, parse_operation


def test_at_least_a_thousand_well_formed_unique_documents():
    documents = list(iter_stdlib_documents(max_documents=1500))
    assert len(documents) == 1500
    ids = [document["put"] for document in documents]
    assert len(set(ids)) == len(ids)
    for document in documents:
        operation = parse_operation(document)
        fields = operation.fields
        assert set(fields) == {"title", "path", "text"}
        assert operation.document_id == f"id:demo:doc::{fields['title']}"
        assert fields["title"] == fields["path"] or fields["title"].startswith(fields["path"] + ".")
        assert fields["text"].strip() and len(fields["text"]) <= 6000
    titles = {document["fields"]["title"] for document in documents}
    assert "abc.abstractmethod" in titles  # a function
    assert "collections.OrderedDict" in titles or "collections.Counter" in titles  # a class


def test_modules_with_side_effects_are_never_walked():
    names = stdlib_module_names()
    assert not UNSAFE_MODULES & set(names)
    assert "antigravity" not in names and "this" not in names and "json" in names
    assert all(not name.startswith("_") for name in names)


def test_module_walk_keeps_documented_public_own_members_and_their_methods():
    module = types.ModuleType("toy", "A toy module.")

    class Widget:
        """A widget."""

        def spin(self):
            """Spin it."""

        def _private(self):
            """Hidden."""

        def undocumented(self):
            pass

    def helper():
        """Help."""

    def _internal():
        """Internal."""

    Widget.__module__ = helper.__module__ = _internal.__module__ = "toy"
    module.Widget, module.helper, module._internal = Widget, helper, _internal
    module.dumps = json.dumps  # a re-export: documented where it is defined
    titles = [document["fields"]["title"] for document in documents_of_module(module, "doc")]
    assert titles == ["toy", "toy.Widget", "toy.Widget.spin", "toy.helper"]
    assert [d["fields"]["title"] for d in documents_of_module(module, "doc", limit=2)] == ["toy", "toy.Widget"]


def test_corpus_is_built_in_a_child_process_as_feedable_jsonl(tmp_path):
    path = tmp_path / "corpus.jsonl"
    count = build_demo_corpus(path, max_documents=1200, doctype="doc")
    assert count == 1200
    items = parse_feed_text(path.read_text())
    assert len(items) == 1200 and all(isinstance(item, FeedOperation) for item in items)


def test_demo_feeds_the_doc_schema_of_the_default_package(tmp_path):
    (tmp_path / "schemas").mkdir()
    assert demo_doctype(tmp_path) == "doc"  # no schemas: the default
    (tmp_path / "schemas" / "article.sd").write_text("schema article {}")
    assert demo_doctype(tmp_path) == "article"
    (tmp_path / "schemas" / "doc.sd").write_text("schema doc {}")
    assert demo_doctype(tmp_path) == "doc"


def test_demo_starts_feeds_serves_and_always_stops_the_cluster(tmp_path, fake_commands):
    import httpx

    from deploy.demo import run_demo
    from deploy.local_cluster import read_state
    from deploy.processes import free_ports

    app = tmp_path / "app"
    app.mkdir()
    out = io.StringIO()
    seen = {}

    def serve(cluster, _out):
        seen["nodes"] = httpx.get(cluster.url + "/state/v1/nodes").json()["nodes"]
        raise KeyboardInterrupt  # what Ctrl-C does

    port = free_ports(1)[0]
    assert run_demo(app, tmp_path / "demo", port, max_documents=1100, out=out, commands=fake_commands,
                    serve=serve) == 0
    assert sum(node["documents"] for node in seen["nodes"]) == 1100
    text = out.getvalue()
    assert "built 1100 documents" in text and "fed 1100 documents" in text
    assert f"phasedsearch query 'json dumps indent' --url http://127.0.0.1:{port}" in text
    assert "stopping the cluster" in text
    state = read_state(tmp_path / "demo")
    assert state["container"]["pid"] is None and all(node["pid"] is None for node in state["content_nodes"])


def test_the_demo_embeds_its_corpus_once_and_falls_back_to_bm25_when_it_cannot(tmp_path):
    from deploy.feed_embedding import embedded_feed, embeds_documents
    from deploy.settings import default_app_dir

    corpus = tmp_path / "stdlib-corpus.jsonl"
    build_demo_corpus(corpus, max_documents=5, doctype="doc")
    out = io.StringIO()
    first = embedded_feed(default_app_dir(), corpus, out)
    assert first is not None and "embedded them in" in out.getvalue()
    lines = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 5 and all(isinstance(op["fields"]["embedding"]["values"], str) for op in lines)
    out = io.StringIO()
    assert embedded_feed(default_app_dir(), corpus, out) == first and "earlier run" in out.getvalue()
    build_demo_corpus(corpus, max_documents=6, doctype="doc")  # another corpus: embedded anew, the old one kept
    second = embedded_feed(default_app_dir(), corpus, io.StringIO())
    assert second != first and first.exists() and len(second.read_text().splitlines()) == 6

    bare = tmp_path / "bare-app"
    (bare / "schemas").mkdir(parents=True)
    (bare / "schemas" / "doc.sd").write_text("schema doc { document doc { field title type string {} } }")
    assert embeds_documents(default_app_dir()) and not embeds_documents(bare)
    out = io.StringIO()
    assert embedded_feed(bare, corpus, out) is None and "warning: embedding failed" in out.getvalue()
