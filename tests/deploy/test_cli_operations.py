"""Daily operations (issue 17, item 5): help everywhere, quiet pipes, the remembered cluster, fixed
node ports, the package check before `up`, eval's own cluster, one demo per directory."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from deploy import cli, last_cluster, local_cluster, run_lock
from deploy.local_cluster import ClusterError
from deploy.processes import REPO_ROOT, child_environment, free_ports, pid_is_running


@pytest.fixture(autouse=True)
def isolated_home(monkeypatch, tmp_path):
    """No PHASEDSEARCH_HOME (it would win over the remembered cluster); a home of the test's own."""
    monkeypatch.delenv("PHASEDSEARCH_HOME", raising=False)
    monkeypatch.delenv("PHASEDSEARCH_URL", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()


@pytest.fixture
def fake_cluster(monkeypatch, fake_commands):
    monkeypatch.setattr(local_cluster, "DEFAULT_COMMANDS", fake_commands)


def test_every_subcommand_answers_help(capsys):
    names = list(cli.build_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001 - every one
    assert {"up", "down", "status", "validate", "feed", "query", "eval", "demo", "deploy", "models"} <= set(names)
    for command in [[name] for name in names] + [["deploy", "kubernetes"], ["models", "fetch"]]:
        assert cli.main([*command, "--help"]) == 0, command
        assert "usage:" in capsys.readouterr().out, command
    assert cli.main(["deploy"]) == 2 and "kubernetes" in capsys.readouterr().err


def test_output_piped_into_a_reader_that_stops_ends_quietly(stub_container):
    big = {"root": {"fields": {"totalCount": 5000}, "children": [
        {"id": f"id:ns:doc::{i}", "relevance": 1.0, "fields": {"text": "x" * 200}} for i in range(5000)]}}
    stub_container.respond = lambda request: (200, big)
    process = subprocess.Popen([sys.executable, "-m", "deploy", "query", "anything", "--json", "--url",
                                stub_container.url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=REPO_ROOT, env=child_environment())
    assert process.stdout.read(100).startswith(b"{")  # what `head -c 100` reads, then it goes away
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err


def test_the_cluster_started_last_is_found_without_data_dir_or_url(fake_cluster, minimal_app, tmp_path, capsys):
    data_dir = tmp_path / "elsewhere"
    feed_file = tmp_path / "feed.jsonl"
    feed_file.write_text('{"put": "id:ns:doc::1", "fields": {"title": "a"}}\n')
    port = free_ports(1)[0]
    try:
        assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(data_dir), "--port", str(port),
                         "--nodes", "2"]) == 0
        record = json.loads(last_cluster.record_path().read_text())
        assert record == {"data_dir": str(data_dir.resolve()), "url": f"http://127.0.0.1:{port}"}
        capsys.readouterr()
        assert cli.main(["status"]) == 0
        assert f"cluster in {data_dir}" in capsys.readouterr().out
        assert cli.main(["feed", str(feed_file), "--quiet"]) == 0
        capsys.readouterr()
        assert cli.main(["query", "a", "--json"]) == 0  # the stand-in answers with what was fed
        assert json.loads(capsys.readouterr().out)["root"]["children"][0]["id"] == "id:ns:doc::1"
    finally:
        assert cli.main(["down"]) == 0
    state = json.loads((data_dir / "cluster.json").read_text())
    assert state["container"]["pid"] is None and not any(pid_is_running(n["pid"]) for n in state["content_nodes"])
    assert f"stopped the cluster in {data_dir}" in capsys.readouterr().out


def test_the_remembered_cluster_yields_to_a_running_default_one(tmp_path, monkeypatch):
    stopped, default = tmp_path / "stopped", tmp_path / "default"
    assert last_cluster.choose_data_dir(default) == default  # nothing recorded anywhere
    last_cluster.remember(stopped, "http://127.0.0.1:1")
    stopped.mkdir()
    (stopped / "cluster.json").write_text(json.dumps({"version": local_cluster.STATE_VERSION, "app": "/a",
                                                       "groups": 1, "container": {"port": 1, "pid": None},
                                                       "content_nodes": []}))
    assert last_cluster.choose_data_dir(default) == stopped  # only it has a cluster: `status` shows it
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "--port", "2",
                                "--content-nodes", "x"])
    try:
        default.mkdir()
        (default / "cluster.json").write_text(json.dumps({"version": local_cluster.STATE_VERSION, "app": "/a",
                                                           "groups": 1, "container": {"port": 2, "pid": sleeper.pid},
                                                           "content_nodes": []}))
        assert last_cluster.choose_data_dir(default) == default  # the running one
    finally:
        sleeper.kill()
        sleeper.wait()


def test_content_node_ports_can_be_fixed(fake_cluster, minimal_app, tmp_path, capsys):
    ports = free_ports(3)
    data_dir = tmp_path / "fixed"
    try:
        assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(data_dir),
                         "--node-ports", f"{ports[1]},{ports[2]}", "--port", str(ports[0])]) == 0
        state = json.loads((data_dir / "cluster.json").read_text())
        assert [node["port"] for node in state["content_nodes"]] == [ports[1], ports[2]]
    finally:
        cli.main(["down", "--data-dir", str(data_dir)])
    base = free_ports(1)[0]
    data_dir = tmp_path / "based"
    try:
        assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(data_dir), "--nodes", "2",
                         "--base-port", str(base), "--port", str(free_ports(1)[0])]) == 0
        state = json.loads((data_dir / "cluster.json").read_text())
        assert [node["port"] for node in state["content_nodes"]] == [base, base + 1]
    finally:
        cli.main(["down", "--data-dir", str(data_dir)])
    capsys.readouterr()
    assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(tmp_path / "x"), "--nodes", "3",
                     "--node-ports", f"{ports[1]},{ports[2]}"]) == 1
    assert "3 content nodes need 3 distinct ports" in capsys.readouterr().err
    assert cli.main(["up", "--node-ports", "19100,nope"]) == 2
    assert cli.main(["up", "--node-ports", "19100", "--base-port", "19100"]) == 2


def test_up_fails_fast_naming_missing_models_and_starts_nothing(fake_cluster, minimal_app, tmp_path, capsys):
    (minimal_app / "services.xml").write_text(
        '<services version="1.0"><container id="default" version="1.0">'
        '<component id="bge" type="hugging-face-embedder">'
        '<transformer-model path="models/bge-small-en/model.onnx"/>'
        '<tokenizer-model path="models/bge-small-en/tokenizer.json"/></component></container>'
        '<content id="content" version="1.0"><documents><document type="doc" mode="index"/></documents>'
        '<nodes><node distribution-key="0"/></nodes></content></services>')
    data_dir = tmp_path / "cluster"
    assert cli.main(["up", "--app", str(minimal_app), "--data-dir", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert f"{minimal_app}/services.xml:1:" in err and "models/bge-small-en/model.onnx' not found" in err
    assert "models/bge-small-en/tokenizer.json' not found" in err
    assert f"phasedsearch models fetch --into {minimal_app / 'models'}" in err
    assert not (data_dir / "cluster.json").exists()  # nothing was started


def test_eval_runs_on_a_fresh_cluster_of_its_own(fake_cluster, minimal_app, stub_container, tmp_path,
                                                 monkeypatch, capsys):
    monkeypatch.setenv("PHASEDSEARCH_URL", stub_container.url)  # what used to be fed into silently
    dataset = tmp_path / "beir"
    (dataset / "qrels").mkdir(parents=True)
    (dataset / "corpus.jsonl").write_text('{"_id": "d1", "title": "t", "text": "x"}\n')
    (dataset / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n')
    (dataset / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    assert cli.main(["eval", str(dataset), "--ranking", "bm25", "--app", str(minimal_app), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["ndcg@10"] == 1.0 and report["queries"] == 1 and report["failed"] == 0
    assert "starting a fresh cluster of 1 content node(s)" in captured.err  # no services.xml: one
    assert stub_container.requests == []  # the cluster at the default address saw nothing
    assert list((tmp_path / "home" / ".phasedsearch" / "eval").iterdir()) == []  # stopped and removed
    assert cli.main(["eval", str(dataset), "--ranking", "bm25", "--no-feed"]) == 2
    assert "--no-feed needs --url" in capsys.readouterr().err


def test_a_second_demo_on_the_same_directory_is_refused_and_leaves_the_first_alone(
        fake_commands, minimal_app, tmp_path, capsys, monkeypatch):
    from deploy.demo import run_demo

    monkeypatch.setattr(local_cluster, "DEFAULT_COMMANDS", fake_commands)
    data_dir = tmp_path / "demo"
    seen = {}

    def serve(cluster, out):
        seen["pids"] = [row["pid"] for row in cluster.process_table()]
        assert run_lock.holder(data_dir) is not None
        with pytest.raises(ClusterError, match=r"already running from .*demo \(pid \d+\)"):
            run_demo(minimal_app, data_dir, free_ports(1)[0], max_documents=5, commands=fake_commands)
        assert cli.main(["demo", "--data-dir", str(data_dir), "--max-documents", "5"]) == 1
        assert cli.main(["up", "--data-dir", str(data_dir)]) == 1  # nor does `up` adopt it
        seen["err"] = capsys.readouterr().err
        seen["running"] = [row["running"] for row in cluster.process_table()]
        raise KeyboardInterrupt

    assert run_demo(minimal_app, data_dir, free_ports(1)[0], max_documents=5, commands=fake_commands,
                    serve=serve) == 0
    assert seen["running"] == [True, True, True]  # the refused ones stopped nothing
    assert seen["err"].count("is already running from") == 1 and "`phasedsearch demo` (pid" in seen["err"]
    assert run_lock.holder(data_dir) is None  # released when the demo ended
    assert not any(pid_is_running(pid) for pid in seen["pids"])


def test_demo_and_up_have_different_default_directories():
    from deploy.cli_cluster import demo_data_dir
    from deploy.settings import default_data_dir

    assert demo_data_dir() != default_data_dir() and demo_data_dir().parent == default_data_dir()
