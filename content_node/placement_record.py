"""The placement a node's stored documents were written under, kept in its data directory
(`placement.json`: the distribution keys of its group and its content cluster), so a restart with
another group, or in another cluster (a multi-cluster `phasedsearch up` with another --nodes moves
keys between clusters), refuses to start instead of serving the wrong buckets or none.

A node owns the buckets its index in its group gives it (searchlib.distribution.node_in_group).
Nothing moves stored documents to new owners (Vespa's distributor would), so after a node is added
to or removed from a group (services.xml or --group-nodes changed, then the nodes restarted) a
node holding documents would keep buckets it no longer owns: gets of them miss (they go to the new
owner), and a remove reaches the new owner only, so the old copy stays searchable — acknowledged
writes lost and removes undone. Adding a whole group changes no existing node's group: allowed.
A node that holds no placed data (`holds_placed_data`) just records the new placement, as does one
whose data directory predates the record.

A node alone on its volume (a Kubernetes pod: `content-node-<key>` on its PVC) also refuses to start
when another `content-node-*` directory there holds placed data: services.xml renumbered the node, and
starting the new key in an empty directory would silently serve none of the volume's documents."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from content_node.store.durable_files import write_durably
from content_node.store.recovery import StoreCorruption, recovered_entries
from searchlib.schema.application import load_application

log = logging.getLogger("content_node.placement")

PLACEMENT_FILE = "placement.json"


class PlacementChanged(Exception):
    """The node holds documents placed under another group (or content cluster) than the one it is
    started with, or its record of them is unreadable."""


def check_and_record(node, alone_on_volume: bool = False) -> None:
    """Raise PlacementChanged if `node` holds documents placed under another group (or, when
    `alone_on_volume`, another node directory on its volume holds placed data); else record its
    group (when it changed)."""
    if alone_on_volume:
        _check_volume(node)
    group = list(node.group_keys) if node.group_keys is not None else [node.distribution_key]
    cluster = node.application.content.id
    path = Path(node.data_dir) / PLACEMENT_FILE
    try:
        record = json.loads(path.read_text())
        recorded, recorded_cluster = record["group_keys"], record.get("cluster", cluster)  # (older: no cluster)
        if not (isinstance(recorded, list) and all(isinstance(key, int) for key in recorded)):
            raise ValueError(f"group_keys is {recorded!r}, not a list of distribution keys")
    except FileNotFoundError:
        recorded, recorded_cluster = None, cluster
    except (ValueError, KeyError, TypeError) as error:  # (json's decode error is a ValueError)
        raise PlacementChanged(
            f"the placement record {path} is unreadable ({type(error).__name__}: {error}): restore it, or "
            "delete it if this node's group is unchanged (the group it starts with is then recorded)") from None
    if recorded == group and recorded_cluster == cluster:
        return
    if recorded_cluster != cluster:  # its documents are another cluster's types, not opened by this node
        held = placed_entries_in(_cluster_view(node.application, recorded_cluster), Path(node.data_dir))
        if held:
            raise PlacementChanged(
                f"content node {node.distribution_key} holds {held} documents and removes of content cluster "
                f"'{recorded_cluster}', and is started in cluster '{cluster}': they would not be served; start "
                f"it in its recorded cluster, or move {node.data_dir} aside and feed again")
    held = placed_entries(node.application, node.databases)
    if recorded is not None and held:
        raise PlacementChanged(
            f"content node {node.distribution_key} holds {held} documents and removes placed in the group of "
            f"nodes {recorded}, and is started in the group of nodes {group}: its buckets would change, and "
            "stored documents are not moved to their new owners; start it with its recorded group "
            f"(--group-nodes {','.join(map(str, recorded))}), or move {node.data_dir} aside and feed again")
    try:
        write_durably(path, json.dumps({"group_keys": group, "cluster": cluster}).encode())
    except OSError as error:  # a read-only or full disk: the node still serves what it holds
        log.warning("could not record this node's group in %s: %s", path, error)


def _cluster_view(application, cluster_id: str):
    """The package as the nodes of `cluster_id` see it (None: services.xml no longer has it, and
    its documents are dropped with it)."""
    full = load_application(application.path)
    return full.cluster_view(cluster_id) if any(c.id == cluster_id for c in full.clusters) else None


def placed_entries(application, databases) -> int:
    """What "holds placed data" means: documents and tombstones of the types placed by bucket
    (global documents are on every node, so they are never lost by a placement change)."""
    return _placed(application, {name: len(db.timestamps) for name, db in databases.items()})


def _placed(application, entries: dict[str, int]) -> int:
    global_types = set(application.content.global_types)
    return sum(count for name, count in entries.items() if application.schemas[name].document_name not in global_types)


def placed_entries_in(application, data_dir: Path) -> int:
    """`placed_entries` of a data directory this node did not open (`application`: as the node
    that wrote it saw the package; None: nothing to count), read only: it may be another node's
    (store/recovery.py `recovered_entries`)."""
    if application is None:
        return 0
    try:
        return _placed(application, {name: len(recovered_entries(data_dir / name))
                                     for name in application.schemas if (data_dir / name).is_dir()})
    except (StoreCorruption, OSError) as error:  # unreadable: it may hold data all the same
        raise PlacementChanged(f"{data_dir} on this node's volume cannot be read ({error}), so it may hold "
                               "another distribution key's documents; move it aside to start") from None


def _check_volume(node) -> None:
    here = Path(node.data_dir).resolve()
    for other in sorted(here.parent.glob("content-node-*")):
        if other.resolve() == here or not other.is_dir():
            continue
        held = placed_entries_in(node.application, other)
        if held:
            raise PlacementChanged(
                f"{other} on this node's volume holds {held} documents and removes, and this node starts as "
                f"distribution key {node.distribution_key} in {here}: the node was renumbered in services.xml, "
                f"and its data would not be served; give it its old distribution key again, or move {other} "
                "aside and feed again")
