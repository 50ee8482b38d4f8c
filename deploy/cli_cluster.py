"""`phasedsearch up / down / status / demo / validate`: the cluster's lifecycle."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx

from deploy import run_lock
from deploy.app_check import fix_hint, validate_package
from deploy.cli_common import EXIT_FAILED, EXIT_OK, check_package
from deploy.last_cluster import remember
from deploy.local_cluster import ClusterError, LocalCluster, cluster_from_state, read_state
from deploy.settings import (
    DEFAULT_NODES,
    DEFAULT_PORT,
    app_topology,
    cluster_data_dir,
    default_app_dir,
    default_data_dir,
    default_url,
)
from searchlib.schema.application import load_application


def cmd_up(args: argparse.Namespace) -> int:
    if args.nodes_per_group and args.nodes:
        raise ClusterError("pass either --nodes (total) or --nodes-per-group, not both")
    data_dir = cluster_data_dir(args.data_dir)
    owner = run_lock.holder(data_dir)
    if owner is not None:
        raise ClusterError(f"`phasedsearch demo` (pid {owner}) runs the cluster in {data_dir}; "
                           "stop it first, or pass another --data-dir")
    state = read_state(data_dir)
    app_dir = Path(args.app).expanduser() if args.app else (Path(state["app"]) if state else default_app_dir())
    check_package(app_dir)
    topology = app_topology(app_dir) or (DEFAULT_NODES, 1)
    groups = args.groups or (state["groups"] if state else
                             (topology[1] if not (args.nodes or args.nodes_per_group) else 1))
    nodes = (args.nodes_per_group * groups if args.nodes_per_group else
             args.nodes or (len(args.node_ports) if args.node_ports else None)
             or (len(state["content_nodes"]) if state else topology[0]))
    node_ports = args.node_ports or (tuple(range(args.base_port, args.base_port + nodes)) if args.base_port else ())
    port = args.port or (state["container"]["port"] if state else DEFAULT_PORT)
    tls = args.tls or bool(state and state.get("tls"))  # a recorded cluster keeps its settings
    token_file = args.token_file or (state.get("token_file") if state else None)
    if token_file and not Path(token_file).is_file():
        raise ClusterError(f"token file {token_file} does not exist")
    if not token_file and any(client.tokens for client in load_application(app_dir).clients):
        raise ClusterError(f"{app_dir}/services.xml has token clients: pass --token-file FILE "
                           "(lines token-id:secret)")
    cluster = LocalCluster(app_dir, data_dir, nodes=nodes, port=port, groups=groups, detach=True,
                           startup_timeout=args.timeout, keep_going=True, node_ports=node_ports,
                           tls=tls, token_file=token_file)
    print(f"starting {nodes} content node(s) in {groups} group(s) with {app_dir} "
          f"(logs in {cluster.logs_dir}) ...", file=sys.stderr)
    try:
        cluster.start()
    finally:
        if cluster.nodes:  # processes were planned (and maybe started): later commands find them
            remember(data_dir, cluster.url)
    if cluster.failed_nodes:  # the others serve on: one node's trouble is that node's
        for key, reason in sorted(cluster.failed_nodes.items()):
            print(f"error: content-node-{key} could not start: {reason} "
                  f"(log: {cluster.log_path(f'content-node-{key}')})", file=sys.stderr)
        print(f"cluster is up without content nodes {sorted(cluster.failed_nodes)}: {cluster.url} "
              "(fix them and run `phasedsearch up` again to start them)")
        return EXIT_FAILED
    print(f"cluster is up: {cluster.url}")
    return EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    data_dir = cluster_data_dir(args.data_dir)
    cluster = cluster_from_state(data_dir, stop_grace=args.grace, stop_limit=args.max_wait)
    if cluster is None:
        print(f"no cluster recorded in {data_dir}", file=sys.stderr)
        return EXIT_OK
    cluster.stop()
    print(f"stopped the cluster in {data_dir}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    data_dir = cluster_data_dir(args.data_dir)
    cluster = cluster_from_state(data_dir)
    healthy = True
    if cluster is not None:
        print(f"cluster in {data_dir} (app {cluster.app_dir})")
        for row in cluster.process_table():
            state = "running" if row["running"] else f"NOT RUNNING: {row['reason']}"
            healthy &= row["running"]
            print(f"  {row['name']:<16} port {row['port']:<6} pid {row['pid'] or '-':<8} {state}")
    url = args.url.rstrip("/") if args.url else (cluster.url if cluster else default_url(data_dir))
    try:
        health = httpx.get(f"{url}/state/v1/health", timeout=5.0).json()
        nodes = httpx.get(f"{url}/state/v1/nodes", timeout=5.0).json().get("nodes", [])
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        print(f"container {url}: not answering ({type(error).__name__})")
        return EXIT_FAILED
    code = health.get("status", {}).get("code", "?") if isinstance(health, dict) else "?"
    print(f"container {url}: {code}")
    for node in nodes:
        problem = f" ({node['error']})" if not node.get("up") and node.get("error") else ""
        several = len({n.get("cluster") for n in nodes}) > 1  # several <content> clusters: name each node's
        cluster_name = f"{node.get('cluster')}:" if several else ""
        print(f"  node {cluster_name}{node.get('distribution_key')}/{node.get('group')} {node.get('address', ''):<22}"
              f" {_node_health(node):<26} {node.get('documents', '?')} documents{problem}")
    healthy &= code == "up" and all(node.get("up") for node in nodes)
    return EXIT_OK if healthy else EXIT_FAILED


def _node_health(node: dict) -> str:
    """in rotation / catching up (n left) / awaiting sync / DOWN (unreachable)."""
    if node.get("up"):
        return "up (in rotation)"
    if node.get("reachable") is False or "state" not in node:
        return "DOWN"
    if node.get("state") == "catching-up":
        return f"catching up ({node.get('catch_up_remaining', '?')} left)"
    return str(node.get("state", "not ready")).replace("-", " ")


# The demo's few thousand documents on a laptop whose disk is often past Vespa's 75 %: its cluster
# blocks feed only near a full disk or memory (the user's own setting wins; `up` keeps Vespa's)
DEMO_RESOURCE_LIMITS = "0.95,0.9"


def cmd_demo(args: argparse.Namespace) -> int:
    from deploy.demo import run_demo

    os.environ.setdefault("PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS", DEMO_RESOURCE_LIMITS)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else demo_data_dir()
    return run_demo(default_app_dir(), data_dir, args.port, max_documents=args.max_documents)


def demo_data_dir() -> Path:
    """The demo's own directory, never the one `up` uses by default."""
    return default_data_dir() / "demo"


def cmd_validate(args: argparse.Namespace) -> int:
    """Every error of the package with file:line:column, without starting anything."""
    app_dir = Path(args.app).expanduser()
    problems = validate_package(app_dir)
    for problem in problems:
        print(f"{problem}")
    if problems:
        print(f"{len(problems)} error(s) in {app_dir}; {fix_hint(problems, app_dir)}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{app_dir}: the application package is valid", file=sys.stderr)
    return EXIT_OK
