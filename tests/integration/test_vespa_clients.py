"""Vespa's own clients, unchanged, against a real 2-node cluster: the vespa CLI (a Go binary that
feeds over cleartext HTTP/2 with gzip bodies) and pyvespa (sync and async feed, query, documents)."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import shared_data_dir

SCIFACT = shared_data_dir() / "scifact" / "corpus.jsonl"
VESPA = shutil.which("vespa")
FEED_COUNT = 300


def _scifact(start: int, count: int) -> list[dict]:
    documents = []
    with open(SCIFACT, encoding="utf-8") as corpus:
        for line_number, line in enumerate(corpus):
            if line_number >= start + count:
                break
            if line_number >= start:
                raw = json.loads(line)
                documents.append({"id": raw["_id"], "fields": {"title": raw["title"], "text": raw["text"]}})
    return documents


@pytest.fixture(scope="module")
def vespa_cli(cluster, tmp_path_factory):
    assert VESPA is not None, "the vespa CLI is a dev dependency (pip install vespacli)"
    home = tmp_path_factory.mktemp("vespa-cli-home")

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([VESPA, *args, "-t", cluster.url], input=stdin, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "VESPA_CLI_HOME": str(home)})
    return run


def test_vespa_status(vespa_cli):
    result = vespa_cli("status")
    assert result.returncode == 0, result.stderr
    assert "is ready" in result.stdout


def test_vespa_feed_over_http2_round_trips_every_document(vespa_cli, http, tmp_path):
    documents = _scifact(0, FEED_COUNT)
    feed_file = tmp_path / "feed.jsonl"
    feed_file.write_text("".join(
        json.dumps({"put": f"id:cli:doc::{d['id']}", "fields": d["fields"]}) + "\n" for d in documents))
    result = vespa_cli("feed", str(feed_file))
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["feeder.ok.count"] == FEED_COUNT and stats["feeder.error.count"] == 0
    assert stats["http.response.code.counts"] == {"200": FEED_COUNT}
    for document in documents[::25]:
        stored = http.get(f"/document/v1/cli/doc/docid/{document['id']}").json()["fields"]
        assert stored["title"] == document["fields"]["title"]
        assert stored["text"] == document["fields"]["text"]


def test_vespa_document_put_get_update_remove_and_query(vespa_cli, tmp_path):
    document_id = "id:cli:doc::single"
    put = vespa_cli("document", "put", document_id, "-d",
                    json.dumps({"fields": {"title": "Zyzzyva beetles", "text": "rare words"}}))
    assert put.returncode == 0, put.stderr
    update = vespa_cli("document", "update", document_id, "-d",
                       json.dumps({"fields": {"title": {"assign": "Zyzzyva weevils"}}}))
    assert update.returncode == 0, update.stderr
    got = vespa_cli("document", "get", document_id)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["fields"]["title"] == "Zyzzyva weevils"
    query = vespa_cli("query", "yql=select * from doc where title contains \"zyzzyva\"", "hits=5")
    assert query.returncode == 0, query.stderr
    assert [h["id"] for h in json.loads(query.stdout)["root"]["children"]] == [document_id]
    removed = vespa_cli("document", "remove", document_id)
    assert removed.returncode == 0, removed.stderr
    gone = vespa_cli("document", "get", document_id)
    assert "Status 404" in gone.stdout + gone.stderr


@pytest.fixture(scope="module")
def pyvespa_app(cluster):
    from vespa.application import Vespa

    return Vespa(url=cluster.url)


def test_pyvespa_status_and_sync_feed(pyvespa_app):
    assert pyvespa_app.get_application_status().status_code == 200
    documents = _scifact(FEED_COUNT, 40)
    statuses: list[int] = []
    pyvespa_app.feed_iterable(documents, schema="doc", namespace="pysync",
                              callback=lambda response, _id: statuses.append(response.status_code))
    assert statuses == [200] * len(documents)
    got = pyvespa_app.get_data(schema="doc", data_id=documents[3]["id"], namespace="pysync")
    assert got.status_code == 200 and got.json["fields"]["title"] == documents[3]["fields"]["title"]


def test_pyvespa_async_feed_over_http2_then_update_query_delete(pyvespa_app):
    documents = _scifact(FEED_COUNT + 40, 40)

    async def feed_all():
        async with pyvespa_app.asyncio(connections=2) as session:
            return await asyncio.gather(*[
                session.feed_data_point(schema="doc", data_id=d["id"], fields=d["fields"], namespace="pyasync")
                for d in documents])
    responses = asyncio.run(feed_all())
    assert [r.status_code for r in responses] == [200] * len(documents)
    target = documents[0]["id"]
    updated = pyvespa_app.update_data(schema="doc", data_id=target, namespace="pyasync",
                                      fields={"title": "Quokka habitats"})
    assert updated.status_code == 200
    result = pyvespa_app.query(yql='select * from doc where title contains "quokka"', hits=3)
    assert [hit["id"] for hit in result.hits] == [f"id:pyasync:doc::{target}"]
    assert pyvespa_app.delete_data(schema="doc", data_id=target, namespace="pyasync").status_code == 200
    assert pyvespa_app.get_data(schema="doc", data_id=target, namespace="pyasync").status_code == 404


def test_gzip_body_and_a_corrupt_one(http):
    import gzip

    body = gzip.compress(json.dumps({"fields": {"title": "Gzipped title"}}).encode())
    response = http.post("/document/v1/gz/doc/docid/1", content=body,
                         headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert http.get("/document/v1/gz/doc/docid/1").json()["fields"]["title"] == "Gzipped title"
    broken = http.post("/document/v1/gz/doc/docid/2", content=body[:-9],
                       headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert broken.status_code == 400 and "gzip" in broken.json()["message"]
