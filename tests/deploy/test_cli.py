"""The phasedsearch CLI: argument handling, and each command against a stub container."""
import json
import sys
import types

import pytest

from deploy import cli, local_cluster
from deploy.processes import free_ports, pid_is_running


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PHASEDSEARCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PHASEDSEARCH_URL", raising=False)


def test_no_command_and_unknown_command_are_usage_errors(capsys):
    assert cli.main([]) == 2
    assert cli.main(["launch"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_argument_validation(capsys):
    assert cli.main(["eval", "somewhere"]) == 2  # --ranking (or --query-profile) is required
    assert "--ranking" in capsys.readouterr().err
    assert cli.main(["up", "--nodes", "0"]) == 2
    assert cli.main(["up", "--port", "70000"]) == 2
    assert cli.main(["query"]) == 2
    assert cli.main(["--help"]) == 0


def test_parser_defaults():
    args = cli.build_parser().parse_args(["query", "hello world"])
    assert (args.text, args.hits, args.ranking, args.param, args.url) == ("hello world", 10, None, [], None)
    args = cli.build_parser().parse_args(["eval", "data/scifact", "--ranking", "bm25", "--queries", "50", "--no-feed"])
    assert (args.dataset, args.ranking, args.queries, args.no_feed, args.connections) == \
        ("data/scifact", "bm25", 50, True, 16)
    assert cli.build_parser().parse_args(["feed", "docs.jsonl"]).connections == 128  # writes: bigger node batches
    args = cli.build_parser().parse_args(["up"])
    assert (args.nodes, args.groups, args.port, args.app, args.data_dir) == (None, None, None, None, None)


def test_eval_expr_is_handed_its_own_arguments(monkeypatch):
    received = []
    fake_module = types.ModuleType("deploy.eval_expr")
    fake_module.main = lambda argv: received.append(argv) or 7
    monkeypatch.setitem(sys.modules, "deploy.eval_expr", fake_module)
    assert cli.main(["eval-expr", "--help", "1 + 2"]) == 7
    assert received == [["--help", "1 + 2"]]


def test_feed_command_reports_failures_and_exits_non_zero(stub_container, tmp_path, capsys):
    stub_container.respond = lambda request: (
        (400, {"message": "bad field"}) if request.path.endswith("/2") else (200, {"id": "ok"}))
    feed_file = tmp_path / "feed.jsonl"
    feed_file.write_text('{"put": "id:ns:doc::1", "fields": {"title": "a"}}\n'
                         '{"put": "id:ns:doc::2", "fields": {"x": 1}}\n'
                         'garbage\n'
                         '{"remove": "id:ns:doc::3"}\n')
    assert cli.main(["feed", str(feed_file), "--url", stub_container.url, "--quiet"]) == 1
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["feeder.operation.count"] == 4
    assert summary["feeder.ok.count"] == 2 and summary["feeder.error.count"] == 2
    assert "line 2: put id:ns:doc::2: HTTP 400: bad field" in captured.err
    assert "line 3: invalid JSON" in captured.err
    assert {(r.method, r.path) for r in stub_container.requests} == {
        ("POST", "/document/v1/ns/doc/docid/1"), ("POST", "/document/v1/ns/doc/docid/2"),
        ("DELETE", "/document/v1/ns/doc/docid/3")}
    assert cli.main(["feed", str(tmp_path / "missing.jsonl"), "--url", stub_container.url]) == 2


def test_query_command_sends_user_query_and_prints_hits(stub_container, capsys):
    stub_container.respond = lambda request: (200, {"root": {"fields": {"totalCount": 1}, "children": [
        {"id": "id:demo:doc::json.dumps", "relevance": 3.25, "fields": {"title": "json.dumps", "text": "Serialize obj"}}]}})
    assert cli.main(["query", "json dumps", "--ranking", "bm25", "--hits", "3", "-p", "type=any",
                     "--url", stub_container.url]) == 0
    out = capsys.readouterr().out
    assert "  1. 3.2500  id:demo:doc::json.dumps" in out and "Serialize obj" in out
    params = stub_container.requests[0].params
    assert params == {"yql": "select * from sources * where userQuery()", "query": "json dumps",
                      "ranking": "bm25", "hits": "3", "type": "any"}


def test_query_command_exits_non_zero_on_error_results(stub_container, capsys):
    stub_container.respond = lambda request: (400, {"root": {"fields": {"totalCount": 0}, "errors": [
        {"code": 4, "summary": "Invalid query parameter", "message": "unknown rank profile 'nope'"}]}})
    assert cli.main(["query", "select * from doc where true", "--ranking", "nope", "--url", stub_container.url]) == 1
    assert "error 4 (Invalid query parameter): unknown rank profile 'nope'" in capsys.readouterr().out
    assert stub_container.requests[0].params["yql"] == "select * from doc where true"


def test_eval_command_skips_feeding_when_the_corpus_is_there(stub_container, tmp_path, capsys):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "title": "t", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n')
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")

    def respond(request):
        if request.path.startswith("/document/v1/"):
            return 200, {"id": "id:beir:doc::d1", "fields": {}}
        if request.params.get("hits") == "0":
            return 200, {"root": {"fields": {"totalCount": 1}}}
        return 200, {"root": {"fields": {"totalCount": 1}, "children": [{"id": "id:beir:doc::d1", "relevance": 1}]}}

    stub_container.respond = respond
    assert cli.main(["eval", str(tmp_path), "--ranking", "bm25", "--url", stub_container.url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ndcg@10"] == 1.0 and report["queries"] == 1 and report["failed"] == 0
    # only a get of the sampled document, no puts
    assert [(r.method, r.path) for r in stub_container.requests_to("/document/v1/")] == \
        [("GET", "/document/v1/beir/doc/docid/d1")]


def test_eval_command_feeds_when_sampled_documents_are_missing(stub_container, tmp_path, capsys):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "title": "t", "text": "x"}\n{"_id": "d2", "text": "y"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n')
    (tmp_path / "qrels" / "test.tsv").write_text("q1\td2\t1\n")

    def respond(request):
        if request.method == "GET" and request.path.startswith("/document/v1/"):
            return 404, {"id": "id:beir:doc::d1"}
        if request.path.startswith("/document/v1/"):
            return 200, {"id": "ok"}
        if request.params.get("hits") == "0":
            return 200, {"root": {"fields": {"totalCount": 5000}}}  # other data in the same doctype
        return 200, {"root": {"fields": {"totalCount": 1}, "children": [{"id": "id:beir:doc::d1", "relevance": 1}]}}

    stub_container.respond = respond
    assert cli.main(["eval", str(tmp_path), "--ranking", "bm25", "--url", stub_container.url, "--json"]) == 0
    puts = sorted((r.path, r.body["fields"]["title"]) for r in stub_container.requests if r.method == "POST")
    assert puts == [("/document/v1/beir/doc/docid/d1", "t"), ("/document/v1/beir/doc/docid/d2", "")]
    assert json.loads(capsys.readouterr().out)["recall@100"] == 0.0


def test_eval_embed_feeds_vectors_when_the_fed_corpus_has_none(stub_container, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PHASEDSEARCH_HOME", str(tmp_path / "home"))  # where the embedded corpus is cached
    dataset = tmp_path / "beir"
    (dataset / "qrels").mkdir(parents=True)
    (dataset / "corpus.jsonl").write_text('{"_id": "d1", "title": "t", "text": "x"}\nnot json\n')
    (dataset / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n')
    (dataset / "qrels" / "test.tsv").write_text("q1\td1\t1\n")

    def respond(request):
        if request.method == "GET" and request.path.startswith("/document/v1/"):
            return 200, {"id": "id:beir:doc::d1", "fields": {"title": "t"}}  # fed before, without vectors
        if request.path.startswith("/document/v1/"):
            return 200, {"id": "ok"}
        if request.params.get("hits") == "0":
            return 200, {"root": {"fields": {"totalCount": 1}}}
        return 200, {"root": {"fields": {"totalCount": 1}, "children": [{"id": "id:beir:doc::d1", "relevance": 1}]}}

    stub_container.respond = respond
    args = ["eval", str(dataset), "--ranking", "semantic", "--embed", "--url", stub_container.url, "--json"]
    assert cli.main(args) == 0
    puts = [r.body["fields"] for r in stub_container.requests if r.method == "POST"]
    assert len(puts) == 1 and len(puts[0]["embedding"]["values"]) == 384 * 8  # float32 hex
    err = capsys.readouterr().err
    assert "1 bad corpus lines left out" in err and "embedded them in" in err
    assert cli.main(args) == 0  # the second run embeds nothing: the cached feed is used
    assert "earlier run" in capsys.readouterr().err


def test_up_status_down_round_trip(monkeypatch, fake_commands, tmp_path, capsys, minimal_app):
    monkeypatch.setattr(local_cluster, "DEFAULT_COMMANDS", fake_commands)
    data_dir = tmp_path / "cluster"
    app = minimal_app
    port = free_ports(1)[0]
    try:
        assert cli.main(["up", "--app", str(app), "--data-dir", str(data_dir), "--port", str(port),
                         "--nodes", "3"]) == 0
        assert f"cluster is up: http://127.0.0.1:{port}" in capsys.readouterr().out
        state = json.loads((data_dir / "cluster.json").read_text())
        assert len(state["content_nodes"]) == 3
        assert cli.main(["status", "--data-dir", str(data_dir)]) == 0
        out = capsys.readouterr().out
        assert "content-node-2" in out and out.count(" up ") == 3
        # up again with no options: the recorded cluster, nothing restarted
        assert cli.main(["up", "--data-dir", str(data_dir)]) == 0
        assert json.loads((data_dir / "cluster.json").read_text())["container"]["pid"] == state["container"]["pid"]
    finally:
        assert cli.main(["down", "--data-dir", str(data_dir)]) == 0
    assert not any(pid_is_running(node["pid"]) for node in state["content_nodes"])
    assert cli.main(["status", "--data-dir", str(data_dir)]) == 1
    assert "NOT RUNNING" in capsys.readouterr().out


def test_up_reports_a_node_that_cannot_start_and_keeps_the_rest_serving(monkeypatch, fake_commands, tmp_path,
                                                                        capsys, minimal_app):
    monkeypatch.setattr(local_cluster, "DEFAULT_COMMANDS", fake_commands)
    data_dir = tmp_path / "cluster"
    data_dir.mkdir()
    (data_dir / "content-node-0").write_text("not a directory")
    app = minimal_app
    try:
        assert cli.main(["up", "--app", str(app), "--data-dir", str(data_dir), "--port", str(free_ports(1)[0]),
                         "--nodes", "2"]) == 1
        captured = capsys.readouterr()
        assert "error: content-node-0 could not start: exited with code 1: FileExistsError" in captured.err
        assert "Traceback" not in captured.err and "cluster is up without content nodes [0]" in captured.out
        state = json.loads((data_dir / "cluster.json").read_text())
        assert pid_is_running(state["container"]["pid"]) and pid_is_running(state["content_nodes"][1]["pid"])
        assert cli.main(["status", "--data-dir", str(data_dir)]) == 1
        out = capsys.readouterr().out
        assert "content-node-0   " in out and "NOT RUNNING: FileExistsError" in out and out.count(" up ") == 1
    finally:
        assert cli.main(["down", "--data-dir", str(data_dir)]) == 0


def test_up_reports_a_missing_application_package(tmp_path, capsys):
    assert cli.main(["up", "--app", str(tmp_path / "nope"), "--data-dir", str(tmp_path / "d")]) == 1
    assert "no application package" in capsys.readouterr().err


def test_up_refuses_token_clients_without_a_token_file(tmp_path, capsys, minimal_app):
    (minimal_app / "services.xml").write_text(
        '<services version="1.0"><container id="default" version="1.0"><clients>'
        '<client id="r" permissions="read"><token id="t"/></client></clients></container>'
        '<content id="c" version="1.0"><documents><document type="doc" mode="index"/></documents>'
        '<nodes count="1"/></content></services>')
    data_dir = tmp_path / "d"
    assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(data_dir)]) == 1
    assert "has token clients: pass --token-file FILE" in capsys.readouterr().err
    assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(data_dir),
                     "--token-file", str(tmp_path / "missing.txt")]) == 1
    assert "token file" in capsys.readouterr().err and not (data_dir / "cluster.json").exists()


def test_the_demo_raises_the_default_resource_limits_unless_the_user_set_them(monkeypatch, tmp_path) -> None:
    """The demo's cluster must not block its own feed on a laptop disk past Vespa's 75 %."""
    import argparse

    import deploy.demo
    from deploy import cli_cluster
    seen = []
    monkeypatch.setattr(deploy.demo, "run_demo", lambda *a, **k: seen.append(
        __import__("os").environ.get("PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS")) or 0)
    args = argparse.Namespace(data_dir=str(tmp_path), port=0, max_documents=1)
    monkeypatch.delenv("PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS", raising=False)
    assert cli_cluster.cmd_demo(args) == 0
    monkeypatch.setenv("PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS", "0.8,0.8")
    assert cli_cluster.cmd_demo(args) == 0
    assert seen == [cli_cluster.DEMO_RESOURCE_LIMITS, "0.8,0.8"]
