"""kill -9 a writer mid-stream: every write it reported as acknowledged must survive."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from content_node.document_db import DocumentDB
from searchlib.schema.model import Field, FieldType, Schema

REPO = Path(__file__).resolve().parents[2]

WRITER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from content_node.document_db import DocumentDB
    from searchlib.schema.model import Field, FieldType, Schema

    schema = Schema("doc", "doc", {
        "body": Field("body", FieldType("string"), is_index=True),
        "n": Field("n", FieldType("int"), is_attribute=True),
    })
    db = DocumentDB(schema, Path(sys.argv[1]), snapshot_interval=int(sys.argv[2]))
    print_lock = threading.Lock()

    def writer(worker):
        n = 0
        while True:
            document_id = f"id:ns:doc::{sys.argv[4]}{worker}-{n}"
            db.put(document_id, {"body": "text " * (n % 50), "n": n})
            if n % 3 == 0:
                db.update(document_id, {"n": {"increment": 1000}})
                acked = n + 1000
            else:
                acked = n
            with print_lock:
                print(f"acked {document_id} {acked}", flush=True)
            n += 1

    for worker in range(int(sys.argv[3])):
        threading.Thread(target=writer, args=(worker,), daemon=True).start()
    threading.Event().wait()
""")

SCHEMA = Schema("doc", "doc", {
    "body": Field("body", FieldType("string"), is_index=True),
    "n": Field("n", FieldType("int"), is_attribute=True),
})


def run_and_kill(data_dir: Path, acks_before_kill: int, snapshot_interval: int,
                 workers: int, prefix: str = "run1-") -> dict[str, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), str(snapshot_interval), str(workers),
         prefix],
        stdout=subprocess.PIPE, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        text=True)
    acknowledged: dict[str, int] = {}
    try:
        for line in process.stdout:
            _, document_id, value = line.split()
            acknowledged[document_id] = int(value)
            if len(acknowledged) >= acks_before_kill:
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.kill()
        remaining, _ = process.communicate()
    for line in remaining.splitlines():  # printed before the kill landed: acknowledged too
        if line.startswith("acked "):
            _, document_id, value = line.split()
            acknowledged[document_id] = int(value)
    assert process.returncode == -signal.SIGKILL
    return acknowledged


def assert_all_acknowledged_present(data_dir: Path, acknowledged: dict[str, int]) -> None:
    db = DocumentDB(SCHEMA, data_dir)
    missing = [d for d in acknowledged if db.get(d) is None]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:3]}"
    for document_id, value in acknowledged.items():
        # an unacknowledged later update may also have landed; never an older value
        assert db.get(document_id)["n"] in (value, value + 1000)
    assert db.document_frequency("body", "text") <= db.doc_count
    db.close()


def test_sigkill_single_writer_loses_no_acknowledged_write(tmp_path):
    acknowledged = run_and_kill(tmp_path, acks_before_kill=150, snapshot_interval=10**9,
                                workers=1)
    assert len(acknowledged) >= 150
    assert_all_acknowledged_present(tmp_path, acknowledged)


def test_sigkill_concurrent_writers_with_snapshots(tmp_path):
    acknowledged = run_and_kill(tmp_path, acks_before_kill=300, snapshot_interval=97,
                                workers=4)
    assert_all_acknowledged_present(tmp_path, acknowledged)
    # and a second crash on top of the recovered state
    more = run_and_kill(tmp_path, acks_before_kill=100, snapshot_interval=50, workers=2,
                        prefix="run2-")
    acknowledged.update(more)
    assert_all_acknowledged_present(tmp_path, acknowledged)
