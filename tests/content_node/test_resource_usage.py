"""The usage a node reports for the feed block: its data directory's filesystem and its memory."""
from __future__ import annotations

import os
from pathlib import Path

from content_node import resource_usage
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from protos import content_node_pb2 as pb

APP = Path(__file__).resolve().parents[2] / "schemas"


def test_disk_usage_is_dfs_use_fraction_of_the_data_directorys_filesystem(tmp_path):
    stats = os.statvfs(tmp_path)
    used = stats.f_blocks - stats.f_bfree  # as df's Use%
    assert abs(resource_usage.disk_usage(tmp_path) - used / (used + stats.f_bavail)) < 0.01
    assert resource_usage.disk_usage(tmp_path / "missing") == 0.0  # unmeasurable: never blocks feed


def test_memory_usage_is_anonymous_resident_memory_over_physical_memory(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tx\nVmRSS:\t 999999 kB\nRssAnon:\t  1024 kB\n")
    assert resource_usage.memory_usage(str(status)) == 1024 * 1024 / resource_usage.physical_memory()
    assert 0.0 < resource_usage.memory_usage() < 1.0  # this process
    assert resource_usage.memory_usage(str(tmp_path / "missing")) == 0.0


def test_ping_reports_both(tmp_path):
    node = ContentNode(APP, tmp_path, 0)
    reply = ContentNodeService(node).Ping(pb.PingRequest(), None)
    assert abs(reply.disk_usage - resource_usage.disk_usage(tmp_path)) < 0.01 and 0.0 < reply.memory_usage < 1.0
