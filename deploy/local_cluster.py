"""A local multi-process cluster: N `python -m content_node` + 1 `python -m container` on loopback.

Used by `phasedsearch up`/`down`/`status`/`demo` and by the integration-test harness:

    with LocalCluster(app_dir, tmp_path, nodes=2) as cluster:
        httpx.get(cluster.url + "/search/", params={...})
        cluster.kill_node(1)           # SIGKILL by default
        cluster.restart_node(1)        # same port, same data, waits until the container sees it up

The cluster's layout is kept in `data_dir/cluster.json` (ports, pids, app), logs in
`data_dir/logs/`, node data in `data_dir/content-node-<key>/`. Starting again on the same data dir
reuses the recorded ports and restarts only what is not running. The launcher talks to the
processes only through their command lines, signals and HTTP.

With `keep_going=True` (`phasedsearch up`) one node's trouble stays that node's: a content node that
exits while starting is recorded in `failed_nodes` with the line of its log that says why, the
others and the container are still waited for and nothing is ever stopped. Without it (the test
harness default) any failure stops what this start started and raises.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import httpx

from deploy import processes
from deploy.certificates import ensure_cluster_certificates
from deploy.cluster_layout import NodeSpec, node_specs
from deploy.processes import LOOPBACK
from searchlib.errors import SchemaError
from searchlib.schema.application import load_application

STATE_FILE = "cluster.json"
STATE_VERSION = 1
TERMINATING_SIGNALS = {signal.SIGTERM, signal.SIGKILL, signal.SIGINT, signal.SIGQUIT}
STOP_LIMIT = 600.0  # seconds a stopping node that keeps reporting progress is waited for at most


class ClusterError(RuntimeError):
    """The cluster could not be started, found or stopped; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ClusterCommands:
    """How to start each process; tests substitute stand-ins, the real ones use `python -m`."""

    content_node: tuple[str, ...] = (sys.executable, "-m", "content_node")
    container: tuple[str, ...] = (sys.executable, "-m", "container")


DEFAULT_COMMANDS = ClusterCommands()


@dataclass
class _Process:
    name: str
    port: int
    argv: list[str]
    log_path: Path
    marker: str  # a substring of its command line that identifies this exact process
    pid: int | None = None
    popen: subprocess.Popen | None = field(default=None, repr=False)
    log_offset: int = 0  # where the current run's output starts in the log
    data_dir: Path | None = None  # a content node's: where it reports progress while it stops

    def log_tail(self, lines: int = 30) -> str:
        return processes.tail(self.log_path, lines, since=self.log_offset)

    def is_running(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return processes.pid_is_running(self.pid, self.marker)

    def exit_description(self) -> str:
        if self.popen is not None and self.popen.returncode is not None:
            return f"exited with code {self.popen.returncode}"
        return "is not running"


def container_marker(port: int) -> str:
    """What the container's command line holds, to tell it from another process with its old pid."""
    return f"--port {port} --content-nodes"


def read_state(data_dir: str | Path) -> dict[str, Any] | None:
    path = Path(data_dir) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ClusterError(f"cannot read {path}: {error}") from None
    if state.get("version") != STATE_VERSION:
        raise ClusterError(f"{path} was written by another version of phasedsearch; remove it to start over")
    return state


def content_nodes_argument(specs: Sequence[NodeSpec]) -> str:
    """The container's `--content-nodes` value: `[cluster:]key/group=host:port,...`."""
    return ",".join(f"{spec.cluster + ':' if spec.cluster else ''}{spec.distribution_key}/{spec.group}={spec.address}"
                    for spec in specs)


class LocalCluster:
    def __init__(self, app_dir: str | Path, data_dir: str | Path, nodes: int = 2, port: int = 0,
                 groups: int = 1, *, detach: bool = False, commands: ClusterCommands | None = None,
                 startup_timeout: float = 120.0, stop_grace: float = 10.0, stop_limit: float = STOP_LIMIT,
                 keep_going: bool = False,
                 node_ports: Sequence[int] = (), tls: bool = False, token_file: str | Path | None = None) -> None:
        if nodes < 1 or groups < 1 or nodes % groups:
            raise ClusterError(f"{nodes} nodes cannot be split into {groups} equal groups")
        if node_ports and (len(node_ports) != nodes or len(set(node_ports)) != nodes):
            raise ClusterError(f"{nodes} content nodes need {nodes} distinct ports, got {list(node_ports)}")
        self.app_dir = Path(app_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.node_count = nodes
        self.groups = groups
        self.requested_port = port
        self.requested_node_ports = tuple(node_ports)  # in distribution-key order; () = free ones
        self.tls = tls  # cluster mutual TLS, certificates under data_dir/tls (deploy/certificates.py)
        self.token_file = str(Path(token_file).resolve()) if token_file else None
        self.https = False  # the container serves HTTPS (tls and certificate clients in <clients>)
        self.detach = detach  # True for `phasedsearch up`: the processes outlive this Python process
        self.commands = commands or DEFAULT_COMMANDS
        self.startup_timeout = startup_timeout
        self.stop_grace, self.stop_limit = stop_grace, stop_limit  # see processes.stop_processes
        self.keep_going = keep_going
        self.failed_nodes: dict[int, str] = {}  # key → why it exited (keep_going only)
        self.nodes: list[NodeSpec] = []
        self._container: _Process | None = None
        self._content_nodes: dict[int, _Process] = {}
        self._atexit_registered = False

    # ---- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._container is None:
            raise ClusterError("the cluster has not been started")
        return self._container.port

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://{LOOPBACK}:{self.port}"

    @property
    def tls_root(self) -> Path:
        return self.data_dir / "tls"

    @property
    def http_verify(self) -> ssl.SSLContext | bool:
        """What an HTTP client of this cluster verifies the container's certificate with."""
        return ssl.create_default_context(cafile=str(self.tls_root / "ca.crt")) if self.https else True

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def state_path(self) -> Path:
        return self.data_dir / STATE_FILE

    def node(self, key: int) -> NodeSpec:
        for spec in self.nodes:
            if spec.distribution_key == key:
                return spec
        raise ClusterError(f"no content node with distribution key {key}")

    def node_pid(self, key: int) -> int | None:
        return self._node_process(key).pid

    @property
    def container_pid(self) -> int | None:
        return self._container.pid if self._container else None

    def log_path(self, name: str) -> Path:
        """Log of "container" or "content-node-<key>"."""
        return self.logs_dir / f"{name}.log"

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> "LocalCluster":
        """Start whatever is not running and wait until the container reports every node up (with
        `keep_going`: every node that did not exit; those that did are in `failed_nodes`)."""
        self._plan()
        if self.tls:  # created once, reused on every start
            ensure_cluster_certificates(self.tls_root, [p.name for p in self._all_processes()])
        started: list[_Process] = []
        try:
            stopped = [process for process in self._all_processes() if not process.is_running()]
            self._check_ports_free(stopped)
            for process in stopped:
                self._spawn(process)
                started.append(process)
            self._write_state()
            self.wait_until_healthy()
        except BaseException:
            if not self.keep_going:
                # never leave a half-started cluster behind; processes that were already running stay
                self._terminate(started)
            self._write_state()
            raise
        return self

    def stop(self) -> None:
        """Stop every process: the container first, then the nodes (SIGTERM, SIGKILL after a grace)."""
        if self._container is None:
            state = read_state(self.data_dir)
            if state is None:
                return
            self._adopt(state)
        self._terminate([self._container] if self._container else [])
        self._terminate(list(self._content_nodes.values()))
        self._write_state()
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False

    def __enter__(self) -> "LocalCluster":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def kill_node(self, key: int, sig: int = signal.SIGKILL, *, wait: bool | None = None) -> None:
        """Send `sig` to a content node; waits for it to exit when the signal terminates it."""
        process = self._node_process(key)
        if not process.is_running() or process.pid is None:
            raise ClusterError(f"content node {key} is not running")
        processes.send_signal(process.pid, sig)
        if wait if wait is not None else sig in TERMINATING_SIGNALS:
            if not processes.wait_for_exit(process.pid, process.popen, self.stop_grace):
                raise ClusterError(f"content node {key} did not exit after signal {sig}")

    def restart_node(self, key: int, *, wait_healthy: bool = True) -> None:
        """Stop the node if it runs, start it again on the same port and data, wait until it is up."""
        process = self._node_process(key)
        self._terminate([process])
        self._check_ports_free([process])
        self._spawn(process)
        self._write_state()
        if wait_healthy:
            self.wait_until_healthy()

    def restart_container(self, *, wait_healthy: bool = True) -> None:
        """Stop the container if it runs (a kill -9 test leaves it dead), start it again on its port."""
        if self._container is None:
            raise ClusterError("the cluster has not been started")
        self._terminate([self._container])
        self._spawn(self._container)
        self._write_state()
        if wait_healthy:
            self.wait_until_healthy()

    def is_running(self, name: str) -> bool:
        """Whether "container" or "content-node-<key>" runs."""
        return any(process.name == name and process.is_running() for process in self._all_processes())

    def process_table(self) -> list[dict[str, Any]]:
        """One row per process (name, pid, port, running, log, and why it stopped) for status displays."""
        return [{"name": process.name, "pid": process.pid, "port": process.port,
                 "running": process.is_running(), "log": str(process.log_path),
                 "reason": "" if process.is_running() else processes.last_run_reason(process.log_path)}
                for process in self._all_processes()]

    # ---- health ----------------------------------------------------------------------------------

    def health_problem(self, client: httpx.Client) -> str | None:
        """None when the container is up and reports every node up; otherwise what is missing.
        Nodes in `failed_nodes` are not waited for, and while there are any the container may
        stay "initializing" (a group of theirs has never been complete)."""
        health = client.get("/state/v1/health")
        code = _json_or_none(health)
        status = (code or {}).get("status", {}).get("code") if isinstance(code, dict) else None
        tolerated = ("up", "initializing") if self.failed_nodes else ("up",)
        if health.status_code not in (200, 503) or status not in tolerated:
            return f"container health is {status or health.status_code}"
        reported = _json_or_none(client.get("/state/v1/nodes"))
        entries = reported.get("nodes", []) if isinstance(reported, dict) else []
        up = {entry.get("distribution_key") for entry in entries if isinstance(entry, dict) and entry.get("up")}
        down = [spec.distribution_key for spec in self.nodes
                if spec.distribution_key not in up and spec.distribution_key not in self.failed_nodes]
        if down:
            return f"content nodes {down} are not up yet"
        return None

    def wait_until_healthy(self, timeout: float | None = None) -> None:
        timeout = self.startup_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        problem = "the container does not answer yet"
        with httpx.Client(base_url=self.url, timeout=5.0, verify=self.http_verify) as client:
            while True:
                self.failed_nodes = {}
                for key, process in self._content_nodes.items():
                    if not process.is_running():
                        if not self.keep_going:
                            raise ClusterError(
                                f"{process.name} {process.exit_description()} (see {process.log_path}); "
                                f"last lines:\n{process.log_tail()}")
                        self.failed_nodes[key] = (f"{process.exit_description()}: "
                                                  f"{processes.reason_line(process.log_tail(200))}")
                if self._container is not None and not self._container.is_running():
                    reason = processes.reason_line(self._container.log_tail(200))
                    raise ClusterError(
                        f"container {self._container.exit_description()}: {reason} (see {self._container.log_path})"
                        + (f"; the content nodes keep running: `phasedsearch down --data-dir {self.data_dir}` "
                           "stops them" if self.keep_going else f"; last lines:\n{self._container.log_tail()}"))
                try:
                    problem = self.health_problem(client) or ""
                except httpx.HTTPError as error:
                    problem = f"the container does not answer: {type(error).__name__}"
                if not problem:
                    return
                if time.monotonic() >= deadline:
                    raise ClusterError(f"cluster not healthy after {timeout:.0f}s: {problem}\n"
                                       + self._unhealthy_logs(client))
                time.sleep(0.2)

    def _unhealthy_logs(self, client: httpx.Client) -> str:
        """The container's recent log, and the recent log of every node it does not see up."""
        sections = [(self._container, 30)]
        try:
            reported = _json_or_none(client.get("/state/v1/nodes")) or {}
            up = {entry.get("distribution_key") for entry in reported.get("nodes", []) if entry.get("up")}
        except (httpx.HTTPError, AttributeError):
            up = set()
        sections += [(self._content_nodes[spec.distribution_key], 10) for spec in self.nodes
                     if spec.distribution_key not in up]
        return "\n".join(f"last lines of {process.log_path}:\n{process.log_tail(lines)}"
                         for process, lines in sections)

    # ---- internals -------------------------------------------------------------------------------

    def _all_processes(self) -> list[_Process]:
        return [*self._content_nodes.values(), *([self._container] if self._container else [])]

    def _node_process(self, key: int) -> _Process:
        if key not in self._content_nodes:
            raise ClusterError(f"no content node with distribution key {key}")
        return self._content_nodes[key]

    def _plan(self) -> None:
        """Decide ports: the recorded ones when this data dir already has this cluster, else fresh."""
        if self._container is not None:
            return
        state = read_state(self.data_dir)
        if state is not None and not self._state_differs(state):
            self._adopt(state)
            return
        if state is not None:
            _, recorded_nodes, recorded_container = self._build_processes(state)
            if any(process.is_running() for process in [*recorded_nodes.values(), recorded_container]):
                raise ClusterError(
                    f"a different cluster is running from {self.data_dir} (app {state['app']}, "
                    f"{len(state['content_nodes'])} nodes, {state['groups']} group(s), port "
                    f"{state['container']['port']}); run `phasedsearch down --data-dir {self.data_dir}` "
                    "first")
            # a node whose buckets the new layout changes while it holds data refuses to start itself
        container_port = self.requested_port or processes.free_ports(1)[0]
        if self.requested_port and not processes.port_is_free(container_port):
            raise ClusterError(f"port {container_port} is in use; choose another port")
        taken = [port for port in self.requested_node_ports if not processes.port_is_free(port)]
        if taken or container_port in self.requested_node_ports:
            raise ClusterError(f"content-node ports {taken or [container_port]} are in use; choose others")
        clusters = _content_clusters(self.app_dir)  # each <content> of several gets the launch's nodes
        if self.requested_node_ports and len(clusters) > 1:
            raise ClusterError(f"{len(clusters)} content clusters: node ports are chosen free (no --base-port)")
        node_ports = self.requested_node_ports or processes.free_ports(self.node_count * len(clusters))
        planned = {"app": str(self.app_dir), "groups": self.groups, "tls": self.tls, "token_file": self.token_file,
                   **({"clusters": clusters} if clusters != [""] else {}),
                   "https": self.tls and _has_certificate_clients(self.app_dir),
                   "container": {"port": container_port},
                   "content_nodes": [{"distribution_key": key, "port": port}
                                     for key, port in enumerate(node_ports)]}
        self._adopt(planned)

    def _state_differs(self, state: dict[str, Any]) -> bool:
        clusters = state.get("clusters") or [""]
        return (Path(state["app"]) != self.app_dir or len(state["content_nodes"]) != self.node_count * len(clusters)
                or clusters != _content_clusters(self.app_dir)
                or state["groups"] != self.groups or bool(state.get("tls")) != self.tls
                or state.get("token_file") != self.token_file
                or bool(self.requested_port) and state["container"]["port"] != self.requested_port
                or bool(self.requested_node_ports) and tuple(
                    node["port"] for node in sorted(state["content_nodes"], key=lambda n: n["distribution_key"])
                ) != self.requested_node_ports)

    def _adopt(self, state: dict[str, Any]) -> None:
        """Take the layout (and pids, if any) of a recorded or planned cluster as this one's."""
        self.app_dir = Path(state["app"])
        self.groups = state["groups"]
        self.tls, self.token_file = bool(state.get("tls")), state.get("token_file")
        self.https = bool(state.get("https"))
        self.node_count = len(state["content_nodes"]) // len(state.get("clusters") or [""])  # per cluster
        self.nodes, self._content_nodes, self._container = self._build_processes(state)

    def _build_processes(self, state: dict[str, Any]) -> tuple[list[NodeSpec], dict[int, _Process], _Process]:
        app_dir = str(state["app"])
        recorded = sorted(state["content_nodes"], key=lambda node: node["distribution_key"])
        specs = node_specs(len(recorded), state["groups"], [node["port"] for node in recorded],
                           clusters=state.get("clusters") or [""])
        content_nodes: dict[int, _Process] = {}
        for spec, node in zip(specs, recorded):
            name = f"content-node-{spec.distribution_key}"
            argv = [*self.commands.content_node, "--app", app_dir,
                    "--data-dir", str(self.data_dir / name),
                    "--distribution-key", str(spec.distribution_key),
                    "--port", str(spec.port), "--host", spec.host, "--groups", str(state["groups"]),
                    # the topology of this launch (may differ from services.xml): the node refuses
                    # writes for buckets another node of its group owns
                    "--group-nodes", ",".join(str(s.distribution_key) for s in specs
                                              if (s.cluster, s.group) == (spec.cluster, spec.group)),
                    *(["--cluster", spec.cluster] if spec.cluster else []),
                    *(["--tls-dir", str(self.tls_root / name)] if state.get("tls") else [])]
            content_nodes[spec.distribution_key] = _Process(
                name, spec.port, argv, self.log_path(name),
                marker=f"--distribution-key {spec.distribution_key} --port {spec.port}", pid=node.get("pid"),
                data_dir=self.data_dir / name)
        container_port = state["container"]["port"]
        argv = [*self.commands.container, "--app", app_dir, "--port", str(container_port),
                "--content-nodes", content_nodes_argument(specs),
                *(["--tls-dir", str(self.tls_root / "container")] if state.get("tls") else []),
                *(["--token-file", state["token_file"]] if state.get("token_file") else [])]
        container = _Process("container", container_port, argv, self.log_path("container"),
                             marker=container_marker(container_port),
                             pid=state["container"].get("pid"))
        return specs, content_nodes, container

    def _check_ports_free(self, targets: Sequence[_Process]) -> None:
        taken = [f"{process.name} (port {process.port})" for process in targets
                 if not processes.port_is_free(process.port)]
        if taken:
            raise ClusterError(f"ports of {', '.join(taken)} are in use by other processes; stop them, or run "
                               f"`phasedsearch down --data-dir {self.data_dir}` and remove "
                               f"{self.state_path} to start on fresh ports")

    def _spawn(self, process: _Process) -> None:
        if process.name.startswith("content-node-"):
            with contextlib.suppress(OSError):  # an unusable data dir is the node's to report
                (self.data_dir / process.name).mkdir(parents=True, exist_ok=True)
        process.log_offset = processes.log_size(process.log_path)
        process.popen = processes.spawn(process.argv, process.log_path)
        process.pid = process.popen.pid
        if not self.detach and not self._atexit_registered:
            atexit.register(self.stop)  # a crashing test run must not leave servers behind
            self._atexit_registered = True

    def _terminate(self, targets: Sequence[_Process]) -> None:
        """SIGTERM all targets at once; SIGKILL one that stops progressing (processes.stop_processes)."""
        running = [processes.Stopping(process.pid, process.popen, process.data_dir)
                   for process in targets if process.pid and process.is_running()]
        processes.stop_processes(running, self.stop_grace, self.stop_limit)
        for process in targets:
            if not process.is_running():
                process.pid = None
                process.popen = None

    def _write_state(self) -> None:
        if self._container is None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "version": STATE_VERSION,
            "app": str(self.app_dir),
            "groups": self.groups, "tls": self.tls, "token_file": self.token_file, "https": self.https,
            **({"clusters": list(dict.fromkeys(s.cluster for s in self.nodes))}
               if any(s.cluster for s in self.nodes) else {}),
            "container": {"port": self._container.port, "pid": self._container.pid,
                          "url": self.url},
            "content_nodes": [
                {"distribution_key": spec.distribution_key, "group": spec.group, "port": spec.port,
                 "pid": self._content_nodes[spec.distribution_key].pid}
                for spec in self.nodes
            ],
        }
        temporary = self.state_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(state, indent=2) + "\n")
        temporary.replace(self.state_path)


def _content_clusters(app_dir: Path) -> list[str]:
    """The <content> ids when services.xml has several (nodes then name theirs), else [""]."""
    try:
        clusters = load_application(app_dir).clusters
    except Exception:  # noqa: BLE001 - an invalid package fails later, where its error is reported
        return [""]
    return [c.id for c in clusters] if len(clusters) > 1 else [""]


def _has_certificate_clients(app_dir: Path) -> bool:
    try:
        return any(client.certificates for client in load_application(app_dir).clients)
    except SchemaError:
        return False  # the container reports the broken package


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def cluster_from_state(data_dir: str | Path, *, commands: ClusterCommands | None = None,
                       stop_grace: float = 10.0, stop_limit: float = STOP_LIMIT) -> LocalCluster | None:
    """The cluster recorded in data_dir (as `up` left it), or None if there is none."""
    state = read_state(data_dir)
    if state is None:
        return None
    cluster = LocalCluster(state["app"], data_dir, nodes=len(state["content_nodes"]),
                           port=state["container"]["port"], groups=state["groups"], detach=True,
                           commands=commands, stop_grace=stop_grace, stop_limit=stop_limit, tls=bool(state.get("tls")),
                           token_file=state.get("token_file"))
    cluster._adopt(state)
    return cluster
