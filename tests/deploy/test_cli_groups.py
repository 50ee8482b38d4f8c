"""`phasedsearch up --groups G --nodes-per-group N` and the node health `status` prints."""
import json

import pytest

from deploy import cli, local_cluster
from deploy.processes import free_ports


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PHASEDSEARCH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PHASEDSEARCH_URL", raising=False)


def test_up_with_groups_and_nodes_per_group(monkeypatch, fake_commands, tmp_path, capsys, minimal_app):
    monkeypatch.setattr(local_cluster, "DEFAULT_COMMANDS", fake_commands)
    data_dir, app = tmp_path / "cluster", minimal_app
    try:
        assert cli.main(["up", "--app", str(app), "--data-dir", str(data_dir), "--port", str(free_ports(1)[0]),
                         "--groups", "2", "--nodes-per-group", "2"]) == 0
        state = json.loads((data_dir / "cluster.json").read_text())
        assert state["groups"] == 2
        assert [(n["distribution_key"], n["group"]) for n in state["content_nodes"]] == \
            [(0, 0), (1, 0), (2, 1), (3, 1)]
    finally:
        cli.main(["down", "--data-dir", str(data_dir)])


def test_nodes_and_nodes_per_group_together_are_refused(tmp_path, capsys):
    app = tmp_path / "app"
    app.mkdir()
    assert cli.main(["up", "--app", str(app), "--data-dir", str(tmp_path / "d"), "--nodes", "4",
                     "--nodes-per-group", "2"]) == 1
    assert "not both" in capsys.readouterr().err


def test_status_shows_rotation_and_catch_up(stub_container, capsys):
    nodes = [{"distribution_key": 0, "group": 0, "address": "a:1", "up": True, "reachable": True,
              "state": "ready", "documents": 10},
             {"distribution_key": 1, "group": 1, "address": "a:2", "up": False, "reachable": True,
              "state": "catching-up", "catch_up_remaining": 42, "documents": 7},
             {"distribution_key": 2, "group": 1, "address": "a:3", "up": False, "reachable": False,
              "state": "ready", "documents": 9}]
    stub_container.respond = lambda request: (
        (200, {"nodes": nodes}) if request.path == "/state/v1/nodes" else (200, {"status": {"code": "up"}}))
    assert cli.main(["status", "--url", stub_container.url]) == 1  # not every node in rotation
    out = capsys.readouterr().out
    assert "up (in rotation)" in out and "catching up (42 left)" in out and "DOWN" in out


def test_status_names_the_content_cluster_of_each_node_when_there_are_several(stub_container, capsys):
    nodes = [{"distribution_key": 0, "group": 0, "address": "a:1", "up": True, "reachable": True,
              "state": "ready", "documents": 3, "cluster": "music"},
             {"distribution_key": 1, "group": 0, "address": "a:2", "up": True, "reachable": True,
              "state": "ready", "documents": 4, "cluster": "library"}]
    stub_container.respond = lambda request: (
        (200, {"nodes": nodes}) if request.path == "/state/v1/nodes" else (200, {"status": {"code": "up"}}))
    assert cli.main(["status", "--url", stub_container.url]) == 0
    out = capsys.readouterr().out
    assert "node music:0/0" in out and "node library:1/0" in out
