"""The container's side of the query deadline, with scripted nodes: nodes whose full answers come
after the deadline (an event loop that fell behind) give a 504 "Timed out" (code 12), not a late
200; answers in time are a 200 as before."""
from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from container.app import create_app
from tests.container.scripted_nodes import WireNode

APP = Path(__file__).resolve().parents[2] / "schemas"


class StallingNode(WireNode):
    """Answers in full, but blocks the event loop first: the answer is there when the container
    looks, after its deadline."""

    stall = 0.0

    async def search(self, call, timeout):
        time.sleep(self.stall)
        return await super().search(call, timeout)


def test_full_answers_after_the_deadline_are_a_timeout():
    nodes = [StallingNode(0), StallingNode(1)]
    with TestClient(create_app(str(APP), clients=nodes)) as client:
        params = {"yql": "select * from doc where true", "timeout": "200ms"}
        assert client.get("/search/", params=params).status_code == 200
        for node in nodes:
            node.stall = 0.3
        began = time.monotonic()
        response = client.get("/search/", params=params)
        assert response.status_code == 504, response.text
        error = response.json()["root"]["errors"][0]
        assert error["code"] == 12 and error["summary"] == "Timed out"
        assert "answers came" in error["message"] and "after the query's deadline" in error["message"]
        assert time.monotonic() - began < 2.0  # no fill, no waiting for more
