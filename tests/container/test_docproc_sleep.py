"""`sleep` in an indexing script: run off the event loop (other requests go on meanwhile) and
bounded by the operation's timeout (a fed value of days answers at once with a 504-kind error)."""
from __future__ import annotations

import asyncio
import time

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.docproc.processor import DocumentProcessor
from tests.container.scripted_nodes import WireNode
from searchlib.errors import OperationTimeout
from searchlib.schema.application import application_from_text

SCHEMA = """schema test {
    document test {
        field n type double { indexing: attribute }
    }
    field b type double { indexing: input n | sleep | attribute }
}
"""


@pytest.fixture(scope="module")
def processor() -> DocumentProcessor:
    return DocumentProcessor(application_from_text(SCHEMA))


async def _ticking_while(work) -> tuple[object, float]:
    """What `work` returns, and the largest gap between ticks of a 20 ms ticker meanwhile."""
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0.05)
    try:
        result = await work
    finally:
        task.cancel()
    return result, max(b - a for a, b in zip(ticks, ticks[1:]))


def test_a_sleeping_put_leaves_the_event_loop_running(processor):
    start = time.monotonic()
    fields, gap = asyncio.run(_ticking_while(processor.put("test", {"n": 0.6}, timeout=5.0)))
    assert fields["b"] == 0.6 and time.monotonic() - start >= 0.6
    assert gap < 0.4  # inline, the loop stood still for the whole 0.6 s


def test_a_sleeping_update_leaves_the_event_loop_running(processor):
    operations, gap = asyncio.run(_ticking_while(processor.update("test", {"n": {"assign": 0.6}}, timeout=5.0)))
    assert operations["b"] == {"assign": 0.6}
    assert gap < 0.4


@pytest.mark.parametrize("seconds", [1e6, 1e11, 1e300, float("inf"), 10 ** 30])
def test_a_sleep_past_the_timeout_fails_at_once(processor, seconds):
    start = time.monotonic()
    with pytest.raises(OperationTimeout, match="field 'b' sleeps .* more than the .* s left of the operation's timeout"):
        asyncio.run(processor.put("test", {"n": seconds}, timeout=2.0))
    assert time.monotonic() - start < 1.0


def test_nan_and_negative_sleeps_do_not_sleep(processor):
    start = time.monotonic()
    for value in (float("nan"), -5.0, 0.0001):
        assert "b" in asyncio.run(processor.put("test", {"n": value}, timeout=0.5))
    assert time.monotonic() - start < 0.4


def test_over_http_a_sleep_past_the_timeout_is_a_504_at_once(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "test.sd").write_text(SCHEMA)
    with TestClient(create_app(str(tmp_path), clients=[WireNode(0)]), raise_server_exceptions=False) as client:
        start = time.monotonic()
        response = client.post("/document/v1/ns/test/docid/1?timeout=2s", json={"fields": {"n": 1e6}})
        assert response.status_code == 504 and "s left of the operation's timeout" in response.json()["message"]
        assert time.monotonic() - start < 1.0
        assert client.post("/document/v1/ns/test/docid/2?timeout=2s", json={"fields": {"n": 0.1}}).status_code == 200
