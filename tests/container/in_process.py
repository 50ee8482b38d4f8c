"""One cluster in the test process: real ContentNodes behind LocalContentNodeClient (every call
through the wire codecs), the container's ASGI app under starlette's TestClient."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from container.dispatch.local_client import LocalContentNodeClient
from content_node.node import ContentNode
from content_node.service import ContentNodeService

APPS = Path(__file__).resolve().parents[1] / "apps"


class InProcessCluster:
    def __init__(self, http: TestClient, nodes: list[ContentNode], clients: list[LocalContentNodeClient]) -> None:
        self.http, self.nodes, self.clients = http, nodes, clients

    def feed(self, doctype: str, documents: dict[str, dict]) -> None:
        for user_id, fields in documents.items():
            response = self.http.post(f"/document/v1/test/{doctype}/docid/{user_id}", json={"fields": fields})
            assert response.status_code == 200, response.text

    def search(self, **params) -> dict:
        response = self.http.get("/search/", params=params)
        assert response.status_code == 200, response.text
        return response.json()["root"]


@contextlib.contextmanager
def in_process_cluster(app_dir: Path, data_dir: Path, nodes: int = 2) -> Iterator[InProcessCluster]:
    """`nodes` content nodes in one group (distribution keys 0..nodes-1)."""
    keys = list(range(nodes))
    content = [ContentNode(app_dir, data_dir / f"node{key}", key, group_keys=keys, groups=1) for key in keys]
    clients = [LocalContentNodeClient(NodeAddress(key, 0, f"in-process-{key}"), ContentNodeService(node))
               for key, node in zip(keys, content)]
    try:
        with TestClient(create_app(str(app_dir), clients=clients)) as http:
            yield InProcessCluster(http, content, clients)
    finally:
        for node in content:
            node.close()
