"""`phasedsearch up / feed / query / status / down` against the real processes."""
import io
import json

from deploy import cli
from deploy.feed_embedding import embedded_feed
from deploy.demo_corpus import iter_stdlib_documents
from deploy.processes import free_ports, pid_is_running
from deploy.settings import default_app_dir


def test_round_trip_with_real_processes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PHASEDSEARCH_HOME", str(tmp_path))  # `--url` defaults to the cluster `up` recorded
    monkeypatch.delenv("PHASEDSEARCH_URL", raising=False)
    feed_file = tmp_path / "docs.jsonl"
    documents = list(iter_stdlib_documents(max_documents=60))
    feed_file.write_text("".join(json.dumps(document) + "\n" for document in documents)
                         + '{"put": "id:demo:doc::broken", "fields": {"no_such_field": 1}}\n')
    port = free_ports(1)[0]
    try:
        assert cli.main(["up", "--app", str(default_app_dir()), "--port", str(port)]) == 0
        assert f"cluster is up: http://127.0.0.1:{port}" in capsys.readouterr().out

        assert cli.main(["feed", str(feed_file), "--quiet"]) == 1  # one document is invalid
        captured = capsys.readouterr()
        summary = json.loads(captured.out)
        assert summary["feeder.ok.count"] == 60 and summary["feeder.error.count"] == 1
        assert "put id:demo:doc::broken: HTTP 400" in captured.err

        assert cli.main(["query", "abstract base classes", "--ranking", "bm25", "--hits", "3"]) == 0
        out = capsys.readouterr().out
        assert "  1. " in out and "id:demo:doc::abc" in out

        # the demo's batch embedding step, then dense retrieval over the vectors it wrote
        embedded = embedded_feed(default_app_dir(), feed_file, io.StringIO())
        assert embedded is not None and cli.main(["feed", str(embedded), "--quiet"]) == 1
        capsys.readouterr()
        assert cli.main(["query", "abstract base classes", "--ranking", "semantic", "--hits", "3", "--json",
                         "-p", "yql=select * from doc where {targetHits:10}nearestNeighbor(embedding, q)",
                         "-p", "input.query(q)=embed(bge, @query)"]) == 0
        hits = json.loads(capsys.readouterr().out)["root"]["children"]
        assert len(hits) == 3 and "id:demo:doc::abc" in [hit["id"] for hit in hits]
        assert all(0 < hit["relevance"] <= 1 for hit in hits)  # closeness

        assert cli.main(["status"]) == 0
        status = capsys.readouterr().out
        assert status.count(" up ") == 2
        assert sum(int(line.split()[-2]) for line in status.splitlines() if line.endswith(" documents")) == 60
    finally:
        assert cli.main(["down"]) == 0
    state = json.loads((tmp_path / "cluster.json").read_text())
    assert state["container"]["pid"] is None
    assert not any(pid_is_running(node["pid"]) for node in state["content_nodes"])
