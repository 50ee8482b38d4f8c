"""Where things are by default: the application package, the data dir, the container URL, topology."""
from __future__ import annotations

import os
from pathlib import Path

from deploy.last_cluster import choose_data_dir
from deploy.local_cluster import ClusterError, read_state
from deploy.processes import REPO_ROOT

DEFAULT_PORT = 8080
DEFAULT_NODES = 2
DATA_DIR_ENV = "PHASEDSEARCH_HOME"
URL_ENV = "PHASEDSEARCH_URL"


def default_app_dir() -> Path:
    """The default application package: `schemas/` at the root of this checkout."""
    return REPO_ROOT / "schemas"


def default_data_dir() -> Path:
    """$PHASEDSEARCH_HOME, else ~/.phasedsearch, else ./phasedsearch-data when home is not writable."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    home = Path.home()
    if home.is_dir() and os.access(home, os.W_OK):
        return home / ".phasedsearch"
    return Path.cwd() / "phasedsearch-data"


def cluster_data_dir(explicit: str | Path | None = None) -> Path:
    """The data dir a command works on: `--data-dir`, else $PHASEDSEARCH_HOME, else the cluster the
    CLI started last (see last_cluster.py), else the default."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(DATA_DIR_ENV):
        return default_data_dir()
    return choose_data_dir(default_data_dir())


def default_url(data_dir: Path | None = None) -> str:
    """$PHASEDSEARCH_URL, else the container of the cluster recorded in data_dir (default: the
    cluster_data_dir()), else localhost:8080."""
    configured = os.environ.get(URL_ENV)
    if configured:
        return configured.rstrip("/")
    try:
        state = read_state(data_dir or cluster_data_dir())
    except ClusterError:
        state = None
    if state is not None:
        return f"http://127.0.0.1:{state['container']['port']}"
    return f"http://127.0.0.1:{DEFAULT_PORT}"


def schema_files(app_dir: Path) -> list[Path]:
    """The `.sd` files of an application package (Vespa keeps them in `schemas/`)."""
    return sorted({*app_dir.glob("schemas/*.sd"), *app_dir.glob("*.sd")})


def app_topology(app_dir: Path) -> tuple[int, int] | None:
    """(nodes, groups) of the package's content cluster, or None if the package cannot be loaded.

    A broken package is not reported here: the processes report it, with its location, at startup.
    """
    try:
        from searchlib.schema.application import load_application  # the heavy compiler, only when needed

        content = load_application(app_dir).content
    except Exception:  # noqa: BLE001 - any failure here is reported by the processes themselves
        return None
    groups = len(content.groups) or 1
    if not content.nodes or len(content.nodes) % groups:
        return None  # the launcher only builds equal groups
    return len(content.nodes), groups
