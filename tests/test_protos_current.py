"""The committed generated gRPC code equals what the .proto generates now."""
from __future__ import annotations

from pathlib import Path

from protos.generate import ROOT, generate


def test_generated_code_is_current(tmp_path: Path) -> None:
    generate(tmp_path)
    for name in ("content_node_pb2.py", "content_node_pb2.pyi", "content_node_pb2_grpc.py"):
        fresh = (tmp_path / "protos" / name).read_text()
        committed = (ROOT / "protos" / name).read_text()
        assert fresh == committed, f"protos/{name} is stale: run `python -m protos.generate`"
