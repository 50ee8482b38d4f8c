"""The launcher against stand-in processes (same command lines and state endpoints as the real ones)."""
from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import httpx
import pytest

from container.dispatch.content_client import NodeAddress
from deploy.local_cluster import (
    ClusterCommands,
    ClusterError,
    LocalCluster,
    cluster_from_state,
    content_nodes_argument,
    node_specs,
)
from deploy.processes import cache_environment, free_ports, pid_is_running
from searchlib.digests import CACHE_ENV as DIGEST_CACHE_ENV

FAKE = str(Path(__file__).with_name("fake_cluster_processes.py"))
FAKE_COMMANDS = ClusterCommands(content_node=(sys.executable, FAKE, "content_node"),
                                container=(sys.executable, FAKE, "container"))


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    return app


def make_cluster(app_dir: Path, data_dir: Path, **kwargs) -> LocalCluster:
    return LocalCluster(app_dir, data_dir, commands=FAKE_COMMANDS, startup_timeout=30, stop_grace=5, **kwargs)


def test_node_specs_split_keys_into_equal_groups_and_format_the_container_argument():
    specs = node_specs(4, 2, [1000, 1001, 1002, 1003])
    assert [(spec.distribution_key, spec.group) for spec in specs] == [(0, 0), (1, 0), (2, 1), (3, 1)]
    assert content_nodes_argument(specs[:2]) == "0/0=127.0.0.1:1000,1/0=127.0.0.1:1001"


def test_node_specs_give_each_content_cluster_its_share_with_unique_keys():
    specs = node_specs(4, 1, [1000, 1001, 1002, 1003], clusters=["music", "books"])
    assert [(s.distribution_key, s.group, s.cluster) for s in specs] == [
        (0, 0, "music"), (1, 0, "music"), (2, 0, "books"), (3, 0, "books")]
    assert content_nodes_argument(specs[1:3]) == "music:1/0=127.0.0.1:1001,books:2/0=127.0.0.1:1002"
    assert [NodeAddress.parse(part) for part in content_nodes_argument(specs[1:3]).split(",")] == [
        NodeAddress(1, 0, "127.0.0.1:1001", "music"), NodeAddress(2, 0, "127.0.0.1:1002", "books")]
    assert NodeAddress.parse("0/1=10.0.0.1:19100") == NodeAddress(0, 1, "10.0.0.1:19100", "")


def test_uneven_groups_are_rejected(app_dir, tmp_path):
    with pytest.raises(ClusterError, match="equal groups"):
        LocalCluster(app_dir, tmp_path / "data", nodes=3, groups=2)


def test_start_records_state_serves_health_and_stops_everything(app_dir, tmp_path):
    data_dir = tmp_path / "data"
    with make_cluster(app_dir, data_dir, nodes=2) as cluster:
        nodes = httpx.get(cluster.url + "/state/v1/nodes").json()["nodes"]
        assert [node["up"] for node in nodes] == [True, True]
        state = json.loads((data_dir / "cluster.json").read_text())
        assert state["app"] == str(app_dir.resolve())
        assert [node["port"] for node in state["content_nodes"]] == [spec.port for spec in cluster.nodes]
        pids = [row["pid"] for row in cluster.process_table()]
        assert all(pid_is_running(pid) for pid in pids)
        assert (data_dir / "logs" / "content-node-0.log").read_text().count("listening") == 1
    assert not any(pid_is_running(pid) for pid in pids)
    assert json.loads((data_dir / "cluster.json").read_text())["container"]["pid"] is None


def test_kill_and_restart_node_keeps_port_and_data_dir(app_dir, tmp_path):
    with make_cluster(app_dir, tmp_path / "data", nodes=2) as cluster:
        port_before = cluster.node(1).port
        old_pid = cluster.node_pid(1)
        cluster.kill_node(1)
        assert not cluster.is_running("content-node-1")
        assert cluster.is_running("content-node-0")
        cluster.restart_node(1)
        assert cluster.node(1).port == port_before
        assert cluster.node_pid(1) != old_pid
        starts = (tmp_path / "data" / "content-node-1" / "starts.txt").read_text().split()
        assert starts == [str(old_pid), str(cluster.node_pid(1))]


def test_stopped_node_is_terminated_by_restart(app_dir, tmp_path):
    with make_cluster(app_dir, tmp_path / "data", nodes=1) as cluster:
        cluster.kill_node(0, signal.SIGSTOP)  # hung, not dead
        assert cluster.is_running("content-node-0")
        cluster.restart_node(0)
        assert cluster.is_running("content-node-0")


def test_start_again_restarts_only_what_is_not_running(app_dir, tmp_path):
    data_dir = tmp_path / "data"
    first = make_cluster(app_dir, data_dir, nodes=2, detach=True).start()
    try:
        container_pid, node0_pid = first.container_pid, first.node_pid(0)
        first.kill_node(1)
        again = make_cluster(app_dir, data_dir, nodes=2, detach=True).start()
        assert again.url == first.url
        assert again.container_pid == container_pid and again.node_pid(0) == node0_pid
        assert again.is_running("content-node-1")
        assert again.node(1).port == first.node(1).port
    finally:
        recorded = cluster_from_state(data_dir, commands=FAKE_COMMANDS, stop_grace=5)
        recorded.stop()
    assert not any(row["running"] for row in recorded.process_table())


def test_a_different_cluster_on_the_same_data_dir_is_refused_while_running(app_dir, tmp_path):
    data_dir = tmp_path / "data"
    with make_cluster(app_dir, data_dir, nodes=2):
        with pytest.raises(ClusterError, match="phasedsearch down"):
            make_cluster(app_dir, data_dir, nodes=1).start()


def test_a_process_that_dies_at_startup_fails_fast_with_its_log_and_nothing_is_left(app_dir, tmp_path):
    crashing = ClusterCommands(
        content_node=(sys.executable, "-c", "import sys; print('boom: schema error in doc.sd'); sys.exit(3)"),
        container=FAKE_COMMANDS.container)
    cluster = LocalCluster(app_dir, tmp_path / "data", nodes=1, commands=crashing, startup_timeout=30, stop_grace=5)
    with pytest.raises(ClusterError) as failure:
        cluster.start()
    assert "content-node-0 exited with code 3" in str(failure.value)
    assert "boom: schema error in doc.sd" in str(failure.value)
    assert not cluster.is_running("container")
    # a second attempt shows only its own output, not the first run's
    crashing_again = ClusterCommands(
        content_node=(sys.executable, "-c", "import sys; print('second failure'); sys.exit(4)"),
        container=FAKE_COMMANDS.container)
    again = LocalCluster(app_dir, tmp_path / "data", nodes=1, commands=crashing_again, startup_timeout=30,
                         stop_grace=5)
    with pytest.raises(ClusterError) as second:
        again.start()
    assert "second failure" in str(second.value) and "boom" not in str(second.value)


def test_health_timeout_names_the_missing_nodes(app_dir, tmp_path):
    silent_node = ClusterCommands(
        content_node=(sys.executable, "-c", "import time; time.sleep(60)"),
        container=FAKE_COMMANDS.container)
    cluster = LocalCluster(app_dir, tmp_path / "data", nodes=1, commands=silent_node, startup_timeout=2, stop_grace=5)
    with pytest.raises(ClusterError, match=r"not healthy after 2s: content nodes \[0\] are not up") as failure:
        cluster.start()
    assert "content-node-0.log:\n=== " in str(failure.value)  # the node's own log, from this run
    assert not cluster.is_running("content-node-0")


def test_a_recorded_port_taken_by_someone_else_is_reported_before_spawning(app_dir, tmp_path):
    import socket

    data_dir = tmp_path / "data"
    with make_cluster(app_dir, data_dir, nodes=1) as cluster:
        node_port = cluster.node(0).port
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the node's old connections linger
    squatter.bind(("127.0.0.1", node_port))
    squatter.listen(1)
    try:
        again = make_cluster(app_dir, data_dir, nodes=1)
        with pytest.raises(ClusterError, match=rf"content-node-0 \(port {node_port}\) are in use"):
            again.start()
        assert not again.is_running("container")
    finally:
        squatter.close()


def test_keep_going_reports_a_node_that_cannot_start_and_stops_nothing(app_dir, tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "content-node-1").write_text("a regular file where the node's data directory belongs")
    cluster = make_cluster(app_dir, data_dir, nodes=2, keep_going=True).start()
    try:
        assert list(cluster.failed_nodes) == [1]
        reason = cluster.failed_nodes[1]
        assert reason.startswith("exited with code 1: FileExistsError") and "Traceback" not in reason
        assert cluster.is_running("container") and cluster.is_running("content-node-0")
        nodes = httpx.get(cluster.url + "/state/v1/nodes").json()["nodes"]
        assert [node["up"] for node in nodes] == [True, False]
        row = next(row for row in cluster.process_table() if row["name"] == "content-node-1")
        assert not row["running"] and row["reason"].startswith("FileExistsError")
        (data_dir / "content-node-1").unlink()
        cluster.restart_node(1)
        assert cluster.failed_nodes == {} and cluster.is_running("content-node-1")
    finally:
        cluster.stop()


def test_fixed_node_ports_are_refused_for_several_content_clusters(tmp_path):
    two_clusters = Path(__file__).resolve().parents[1] / "apps" / "two_clusters"
    with pytest.raises(ClusterError, match="2 content clusters"):
        LocalCluster(two_clusters, tmp_path / "data", nodes=1, node_ports=[free_ports(1)[0]]).start()


def scripted_stop(data_dir: Path, key: int, seconds: float, progress: bool) -> Path:
    """Make content node `key` (a stand-in) work `seconds` when stopped, reporting progress or not."""
    (data_dir / f"content-node-{key}" / "stop-work.json").write_text(json.dumps({"seconds": seconds, "progress": progress}))
    return data_dir / f"content-node-{key}" / "stopped.txt"


def test_stop_waits_for_a_node_reporting_progress_and_kills_one_that_is_not(app_dir, tmp_path):
    """`phasedsearch down` on a node writing its index image: the image is finished, not cut off
    after the grace period; a hung node (no progress) is still killed after it."""
    data_dir = tmp_path / "data"
    cluster = LocalCluster(app_dir, data_dir, nodes=2, commands=FAKE_COMMANDS, startup_timeout=30, stop_grace=1.0).start()
    working, hung = scripted_stop(data_dir, 0, 3.0, progress=True), scripted_stop(data_dir, 1, 60.0, progress=False)
    started = time.monotonic()
    cluster.stop()
    assert working.exists(), "the node reporting progress was waited for past the grace period"
    assert not hung.exists(), "the node reporting no progress was killed"
    assert 3.0 <= time.monotonic() - started < 15.0
    assert not any(cluster.is_running(f"content-node-{key}") for key in (0, 1))
    assert not (data_dir / "content-node-0" / "stopping.json").exists(), "the report goes with the stop"


def test_a_node_progressing_past_the_stop_limit_is_killed(app_dir, tmp_path):
    data_dir = tmp_path / "data"
    cluster = LocalCluster(app_dir, data_dir, nodes=1, commands=FAKE_COMMANDS, startup_timeout=30,
                           stop_grace=1.0, stop_limit=2.5).start()
    working = scripted_stop(data_dir, 0, 60.0, progress=True)
    started = time.monotonic()
    cluster.stop()
    assert not working.exists() and 2.5 <= time.monotonic() - started < 15.0
    assert not cluster.is_running("content-node-0")


def test_a_new_layout_on_a_data_dir_is_left_to_the_nodes(app_dir, tmp_path):
    """A file in a node's directory is not data: nodes that hold placed data refuse a new group
    themselves (exit 5; tests/content_node/test_placement_record.py), so the launcher starts any layout."""
    data_dir = tmp_path / "data"  # (the stand-in nodes leave a file in their data dirs)
    with make_cluster(app_dir, data_dir, nodes=2):
        pass
    for nodes, groups in ((3, 1), (4, 2), (2, 1)):
        with make_cluster(app_dir, data_dir, nodes=nodes, groups=groups) as cluster:
            assert all(cluster.is_running(f"content-node-{key}") for key in range(nodes))


def test_children_share_bytecode_and_digest_caches_outside_the_checkout(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    env = cache_environment({"PYTHONDONTWRITEBYTECODE": "1"})
    assert env["PYTHONDONTWRITEBYTECODE"] == ""  # empty: unset for Python
    root = Path(env["PYTHONPYCACHEPREFIX"]).parent
    assert root.parent == tmp_path and root.stat().st_mode & 0o777 == 0o700
    assert Path(env[DIGEST_CACHE_ENV]).parent == root
    assert set(cache_environment({})) == {DIGEST_CACHE_ENV}  # writing allowed: the usual __pycache__
    chosen = {"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/elsewhere", DIGEST_CACHE_ENV: "/d"}
    assert cache_environment(chosen) == {}
    root.chmod(0o777)  # a directory others may write to is never trusted with bytecode or digests
    assert cache_environment({"PYTHONDONTWRITEBYTECODE": "1"}) == {}
