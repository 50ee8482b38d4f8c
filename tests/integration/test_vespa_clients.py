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


# -- visiting ---------------------------------------------------------------------------------------

def test_vespa_visit_returns_every_document_once(vespa_cli):
    result = vespa_cli("visit", "--field-set", "[id]", "--chunk-count", "37")
    assert result.returncode == 0, result.stderr
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    cli_ids = [i for i in ids if i.startswith("id:cli:doc::")]
    assert len(cli_ids) == FEED_COUNT == len(set(cli_ids))
    assert len(ids) == len(set(ids))


def test_vespa_visit_make_feed_with_a_selection(vespa_cli):
    title = _scifact(0, 1)[0]["fields"]["title"]
    result = vespa_cli("visit", "--make-feed", "--selection", f"doc.title == {json.dumps(title)}")
    assert result.returncode == 0, result.stderr
    feed = [operation for operation in json.loads(result.stdout) if operation]  # older CLIs end with {}
    assert [(d["id"], d["fields"]["title"]) for d in feed] == [(f"id:cli:doc::{_scifact(0, 1)[0]['id']}", title)]


def test_pyvespa_visit_in_slices(pyvespa_app):
    seen: list[str] = []
    for slice_ in pyvespa_app.visit(content_cluster_name="content", schema="doc", namespace="cli", slices=3,
                                    wanted_document_count=40):
        for response in slice_:
            assert response.status_code == 200, response.json
            seen.extend(document["id"] for document in response.documents)
    assert len(seen) == len(set(seen)) == FEED_COUNT


def test_visit_pages_survive_node_restarts_between_them(cluster, http):
    seen: list[str] = []
    continuation, pages = None, 0
    while True:
        params = {"wantedDocumentCount": 45, "fieldSet": "[id]"}
        if continuation:
            params["continuation"] = continuation
        body = http.get("/document/v1/cli/doc/docid", params=params).json()
        assert body["documentCount"] == len(body["documents"])
        seen.extend(document["id"] for document in body["documents"])
        pages += 1
        if pages in (2, 4):
            cluster.restart_node(pages // 2 - 1)  # local ids are compacted on recovery; global ids are not
        continuation = body.get("continuation")
        if continuation is None:
            break
    assert pages >= FEED_COUNT // 45
    assert len(seen) == len(set(seen)) == FEED_COUNT


def test_update_and_delete_by_selection(http):
    for index in range(6):
        assert http.post(f"/document/v1/where/doc/docid/{index}",
                         json={"fields": {"title": f"where {index}", "text": "odd" if index % 2 else "even"}}
                         ).status_code == 200
    updated = http.put("/document/v1/where/doc/docid", params={"selection": 'doc.text == "odd"', "cluster": "content"},
                       json={"fields": {"title": {"assign": "changed"}}})
    assert updated.status_code == 200 and updated.json()["documentCount"] == 3
    titles = {d["id"]: d["fields"]["title"] for d in http.get("/document/v1/where/doc/docid").json()["documents"]}
    assert sorted(t for t in titles.values()) == ["changed"] * 3 + ["where 0", "where 2", "where 4"]
    missing_cluster = http.delete("/document/v1/where/doc/docid", params={"selection": "true"})
    assert missing_cluster.status_code == 400
    deleted = http.delete("/document/v1/where/doc/docid", params={"selection": 'doc.title == "changed"',
                                                                  "cluster": "content"})
    assert deleted.status_code == 200 and deleted.json()["documentCount"] == 3
    left = http.get("/document/v1/where/doc/docid").json()["documents"]
    assert sorted(d["fields"]["title"] for d in left) == ["where 0", "where 2", "where 4"]


def test_streamed_visits_json_and_jsonl(http):
    body = http.get("/document/v1/cli/doc/docid", params={"stream": "true", "wantedDocumentCount": 50}).json()
    assert body["documentCount"] == len(body["documents"]) == FEED_COUNT and "continuation" not in body
    lines = http.get("/document/v1/cli/doc/docid", headers={"Accept": "application/jsonl"},
                     params={"fieldSet": "[id]"}).text.splitlines()
    puts = [json.loads(line)["put"] for line in lines if line.startswith('{"put"')]
    assert len(puts) == len(set(puts)) == FEED_COUNT
    assert json.loads(lines[-1]) == {"continuation": {"percentFinished": 100.0}}


@pytest.mark.parametrize("params, fragment", [
    ({"selection": "doc.title =="}, "selection"),
    ({"continuation": "not-a-token"}, "continuation"),
    ({"wantedDocumentCount": "-3"}, "wantedDocumentCount"),
    ({"cluster": "elsewhere"}, "no content cluster 'elsewhere', only 'content'"),
])
def test_bad_visit_parameters_are_400s(http, params, fragment):
    response = http.get("/document/v1/cli/doc/docid", params=params)
    assert response.status_code == 400
    assert fragment in response.json()["message"]


def test_get_returns_document_fields_only(http):
    body = http.get("/document/v1/cli/doc/docid/" + _scifact(0, 1)[0]["id"]).json()
    assert "title" in body["fields"] and "tokens" not in body["fields"]  # tokens: synthetic, attribute-only
