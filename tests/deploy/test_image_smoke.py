"""The built image, run for real: `deploy/build-image.sh` builds it (buildah; a Debian base made with
debootstrap where no registry answers), then two content nodes and a container run from it through
`buildah run --isolation chroot` on loopback ports with the baked-in default package; documents are
fed and a BM25 and a `bert-ranker` query answered.

Opt-in (root, buildah, podman, debootstrap; the first build takes minutes, later ones reuse the
cached base and layers):

    PHASEDSEARCH_IMAGE_TEST=1 python -m pytest -q -s tests/deploy/test_image_smoke.py
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("PHASEDSEARCH_IMAGE", "localhost/phasedsearch:smoke")
APP = "/opt/phasedsearch/app"

pytestmark = pytest.mark.skipif(
    os.environ.get("PHASEDSEARCH_IMAGE_TEST") != "1",
    reason="builds and runs the container image (minutes; root with buildah, podman, debootstrap): "
           "PHASEDSEARCH_IMAGE_TEST=1 python -m pytest -q -s tests/deploy/test_image_smoke.py")

# the cross-encoder knows which document answers the question, whatever BM25 makes of the stuffed one
QUERY = "what is the capital of france"
DOCUMENTS = {
    "stuffed": {"title": "what is the capital of france", "text": "the capital of france: what is the capital of france"},
    "answer": {"title": "Paris", "text": "Paris is the capital and most populous city of France, "
                                         "on the Seine river in the north of the country."},
    "other": {"title": "Berlin", "text": "Berlin is the capital of Germany and its largest city."},
    "unrelated": {"title": "Bread", "text": "Sourdough bread rises slowly with wild yeast."},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def buildah(*args: str, timeout: float = 120) -> str:
    completed = subprocess.run(["buildah", *args], capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


@pytest.fixture(scope="module")
def image() -> str:
    started = time.monotonic()
    completed = subprocess.run([str(REPO / "deploy" / "build-image.sh"), "--tag", IMAGE],
                               capture_output=True, text=True, timeout=3600, cwd=REPO)
    assert completed.returncode == 0, completed.stderr[-4000:]
    size = buildah("images", "--format", "{{.Size}}", IMAGE).splitlines()[0]
    print(f"\nimage {IMAGE}: built in {time.monotonic() - started:.0f} s, size {size}")
    return IMAGE


class Running:
    """Processes started from the image, each in a working container of its own."""

    def __init__(self, image: str, logs: Path) -> None:
        self.image = image
        self.logs = logs
        self.containers: list[str] = []
        self.processes: list[subprocess.Popen] = []

    def working_container(self) -> str:
        name = buildah("from", "--pull-never", self.image)
        self.containers.append(name)
        return name

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")
        process = subprocess.Popen(
            ["buildah", "run", "--isolation", "chroot", "--network", "host", self.working_container(),
             "--", "phasedsearch-entrypoint", *args],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for name in self.containers:
            subprocess.run(["buildah", "rm", name], capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def cluster(image, tmp_path_factory):
    running = Running(image, tmp_path_factory.mktemp("image-logs"))
    try:
        nodes = []
        for key in (0, 1):
            port = free_port()
            running.start(f"content-node-{key}", "content-node", "--app", APP, "--host", "127.0.0.1",
                          "--port", str(port), "--distribution-key", str(key), "--group-nodes", "0,1",
                          "--data-dir", f"/var/lib/phasedsearch/content-node-{key}")
            nodes.append(f"{key}/0=127.0.0.1:{port}")
        port = free_port()
        container = running.start("container", "container", "--app", APP, "--host", "127.0.0.1",
                                  "--port", str(port), "--content-nodes", ",".join(nodes))
        url = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        while True:  # ready once every content node is in rotation (Kubernetes' readiness probe)
            assert all(p.poll() is None for p in running.processes), \
                "\n".join(path.read_text()[-2000:] for path in running.logs.iterdir())
            try:
                if httpx.get(f"{url}/state/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() - started < 180, (running.logs / "container.log").read_text()[-3000:]
            time.sleep(1)
        print(f"\ncluster from the image ready in {time.monotonic() - started:.0f} s")
        yield url, running, container
    finally:
        running.stop()


@pytest.fixture(scope="module")
def http(cluster):
    url, _, _ = cluster
    with httpx.Client(base_url=url, timeout=120) as client:
        for user_id, fields in DOCUMENTS.items():
            response = client.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": fields})
            assert response.status_code == 200, response.text
        yield client


def search(http: httpx.Client, ranking: str, **extra: str) -> list[dict]:
    response = http.get("/search/", params={"yql": "select * from doc where userQuery()", "query": QUERY,
                                            "type": "any", "ranking": ranking, "timeout": "60s", **extra})
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    assert "errors" not in root, root
    return root["children"]


def test_the_processes_run_unprivileged_from_the_image(image, cluster) -> None:
    _, running, _ = cluster
    name = running.containers[0]
    assert buildah("run", "--isolation", "chroot", name, "--", "id", "-u") == "10001"
    # the models were fetched and checked at build time
    listing = buildah("run", "--isolation", "chroot", name, "--", "ls", f"{APP}/models/cross-encoder")
    assert {"model.onnx", "model-fp32act.onnx", "tokenizer.json"} <= set(listing.split())


def test_documents_are_spread_over_both_content_nodes(http) -> None:
    response = http.get("/search/", params={"yql": "select * from doc where true", "hits": "10"})
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    assert root["fields"]["totalCount"] == len(DOCUMENTS)
    assert root["coverage"]["nodes"] == 2 and root["coverage"]["full"] is True


def test_bm25_query(http) -> None:
    hits = search(http, "bm25")
    ids = [hit["fields"]["documentid"].rsplit(":", 1)[1] for hit in hits]
    assert set(ids) == {"stuffed", "answer", "other"}  # "unrelated" shares no query word
    relevances = [hit["relevance"] for hit in hits]
    assert relevances == sorted(relevances, reverse=True) and relevances[-1] > 0


def test_bert_ranker_query(http) -> None:
    hits = search(http, "bert-ranker", **{"input.query(q_tokens)": "embed(tokenizer, @query)"})
    ids = [hit["fields"]["documentid"].rsplit(":", 1)[1] for hit in hits]
    assert ids[0] == "answer", hits
    scores = {i: hit["relevance"] for i, hit in zip(ids, hits)}
    # cross-encoder logits, not BM25 sums: the keyword-stuffed page is no answer, Berlin scores below zero
    assert scores["answer"] > scores["stuffed"] and scores["answer"] > 0 > scores["other"], scores
