"""The cluster the CLI started last, so `status`, `query`, `feed`, `down` and `eval` find it
without `--data-dir`/`--url` again.

One small JSON file, `$XDG_STATE_HOME/phasedsearch/last-cluster.json` (default
~/.local/state/phasedsearch/): {"data_dir": ..., "url": ...}. It only points at a data dir; the
cluster's own `cluster.json` there stays the truth about ports and pids.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from deploy.local_cluster import ClusterError, container_marker, read_state
from deploy.processes import pid_is_running

RECORD_NAME = "last-cluster.json"


def record_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "phasedsearch" / RECORD_NAME


def remember(data_dir: Path, url: str) -> None:
    """Best effort: a read-only home must not fail the command that started the cluster."""
    path = record_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"data_dir": str(Path(data_dir).resolve()), "url": url}) + "\n")
        temporary.replace(path)
    except OSError:
        pass


def remembered_data_dir() -> Path | None:
    try:
        record = json.loads(record_path().read_text())
        return Path(record["data_dir"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def container_running(data_dir: Path) -> bool:
    """Whether the container recorded in data_dir's cluster.json still runs."""
    try:
        state = read_state(data_dir)
    except ClusterError:
        return False
    if state is None:
        return False
    return pid_is_running(state["container"].get("pid"), container_marker(state["container"]["port"]))


def choose_data_dir(default: Path) -> Path:
    """The last cluster started when it still runs, else the default one when that runs, else
    whichever of the two has a cluster recorded (the last first), else the default."""
    last = remembered_data_dir()
    candidates = [last, default] if last is not None and last != default else [default]
    for candidate in candidates:
        if container_running(candidate):
            return candidate
    for candidate in candidates:
        if (candidate / "cluster.json").is_file():
            return candidate
    return default
