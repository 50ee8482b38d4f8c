"""CPU-s and wall time of a cluster start: 1 content node + the container on the default package.

    python -m benchmarks.start_cost [runs]      (from the checkout to measure)

Wall: LocalCluster.start() until healthy. CPU: user+sys of each process when it first reports healthy
(/proc/PID/stat), i.e. imports + package load + model load; nothing is fed or queried.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from deploy.local_cluster import LocalCluster

APP = Path(__file__).resolve().parent.parent / "schemas"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def one_start() -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory(prefix="start-cost-") as data_dir:
        began = time.monotonic()
        with LocalCluster(APP, data_dir, nodes=1) as cluster:
            wall = time.monotonic() - began
            cpu = {}
            for name, pid in (("node", cluster.node_pid(0)), ("container", cluster.container_pid)):
                cpu[name] = cpu_seconds(pid)
    return wall, cpu["node"], cpu["container"]


def main() -> None:
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
        wall, node, container = one_start()
        print(f"wall {wall:.2f} s  node {node:.2f} CPU-s  container {container:.2f} CPU-s", flush=True)


if __name__ == "__main__":
    main()
