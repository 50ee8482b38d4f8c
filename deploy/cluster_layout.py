"""The layout of a local cluster: which distribution key is in which content cluster and group, and
the check that a new layout on an existing data dir leaves every node that holds data its buckets.

A node owns the buckets its index in its group gives it (searchlib.distribution.node_in_group).
Nothing moves stored documents to new owners (Vespa's distributor would), so a layout that changes
the group of a node holding data hides acknowledged documents from gets (the new owner lacks
them) and leaves removes of them undone (the remove reaches the new owner; the old copy is still
searched)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from deploy.processes import LOOPBACK


@dataclass(frozen=True, slots=True)
class NodeSpec:
    distribution_key: int
    group: int
    port: int
    host: str = LOOPBACK
    cluster: str = ""  # the services.xml <content> id when the package has several, else ""

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def node_specs(nodes: int, groups: int, ports: Sequence[int], host: str = LOOPBACK,
               clusters: Sequence[str] = ("",)) -> list[NodeSpec]:
    """Distribution keys 0..nodes-1: the clusters take equal shares in key order (keys stay unique
    across clusters, so a node's key names its process and data dir), each share split into
    `groups` equal groups."""
    per_cluster = nodes // len(clusters)
    per_group = per_cluster // groups
    return [NodeSpec(key, (key % per_cluster) // per_group, port, host, clusters[key // per_cluster])
            for key, port in enumerate(ports)]


def _placements(specs: Sequence[NodeSpec]) -> dict[int, tuple[str, tuple[int, ...]]]:
    """Per distribution key what decides the buckets it owns: its cluster and its group's keys."""
    return {spec.distribution_key: (spec.cluster, tuple(other.distribution_key for other in specs
                                                        if (other.cluster, other.group) == (spec.cluster, spec.group)))
            for spec in specs}


def moving_stored_buckets(data_dir: Path, state: dict[str, Any], nodes: int, groups: int,
                          clusters: Sequence[str]) -> str | None:
    """Why `nodes` in `groups` must not start on `data_dir`, laid out as `state` (None: they may)."""
    recorded = len(state["content_nodes"])
    before = _placements(node_specs(recorded, state["groups"], range(recorded), clusters=state.get("clusters") or [""]))
    after = _placements(node_specs(nodes, groups, range(nodes), clusters=clusters))
    moved = [key for key, place in sorted(before.items())
             if after.get(key) != place and any((data_dir / f"content-node-{key}").iterdir()
                                                if (data_dir / f"content-node-{key}").is_dir() else ())]
    if not moved:
        return None
    return (f"{data_dir} holds the data of {recorded} content nodes in {state['groups']} group(s); {nodes} nodes "
            f"in {groups} group(s) would give content nodes {moved} other buckets, and stored documents are "
            "not moved to their new owners: start it with its recorded layout (`phasedsearch up` without "
            "--nodes/--groups), or use another --data-dir and feed again")
