"""The integration harness: real clusters as processes on free loopback ports, shared per module."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster

REPO = Path(__file__).resolve().parents[2]
DEFAULT_APP = REPO / "schemas"


def shared_data_dir() -> Path:
    configured = os.environ.get("PHASEDSEARCH_SHARED")
    return Path(configured) / "data" if configured else REPO.parent / "shared" / "data"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A 2-node cluster on the default application package; torn down even when tests fail."""
    with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("cluster"), nodes=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


def put(http: httpx.Client, user_id: str, fields: dict, doctype: str = "doc") -> httpx.Response:
    return http.post(f"/document/v1/test/{doctype}/docid/{user_id}", json={"fields": fields})


def feed_all(http: httpx.Client, documents: dict[str, dict], doctype: str = "doc") -> None:
    """Put every document (user id -> fields); each must be acknowledged."""
    for user_id, fields in documents.items():
        response = put(http, user_id, fields, doctype)
        assert response.status_code == 200, response.text


def search(http: httpx.Client, **params) -> httpx.Response:
    return http.get("/search/", params=params)


def established_to(port: int) -> int:
    """Established TCP connections whose local end is `port` on this machine (/proc/net/tcp*): how
    a test sees that the container talks to a node's port."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                count += 1
    return count
