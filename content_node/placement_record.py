"""The placement a node's stored documents were written under, kept in its data directory
(`placement.json`: the distribution keys of its group), so a restart with another group refuses
to start instead of serving the wrong buckets.

A node owns the buckets its index in its group gives it (searchlib.distribution.node_in_group).
Nothing moves stored documents to new owners (Vespa's distributor would), so after a node is added
to or removed from a group (services.xml or --group-nodes changed, then the nodes restarted) a
node holding documents would keep buckets it no longer owns: gets of them miss (they go to the new
owner), and a remove reaches the new owner only, so the old copy stays searchable — acknowledged
writes lost and removes undone. Adding a whole group changes no existing node's group: allowed.
A node that holds no documents (of non-global types: those are on every node) just records the new
placement, as does one whose data directory predates the record."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from content_node.store.durable_files import write_durably

log = logging.getLogger("content_node.placement")

PLACEMENT_FILE = "placement.json"


class PlacementChanged(Exception):
    """The node holds documents placed under another group than the one it is started with."""


def check_and_record(node) -> None:
    """Raise PlacementChanged if `node` holds documents placed under another group; else record
    its group (when it changed)."""
    group = list(node.group_keys) if node.group_keys is not None else [node.distribution_key]
    path = Path(node.data_dir) / PLACEMENT_FILE
    try:
        recorded = json.loads(path.read_text())["group_keys"]
    except FileNotFoundError:
        recorded = None
    if recorded == group:
        return
    held = _placed_entries(node)
    if recorded is not None and held:
        raise PlacementChanged(
            f"content node {node.distribution_key} holds {held} documents and removes placed in the group of "
            f"nodes {recorded}, and is started in the group of nodes {group}: its buckets would change, and "
            "stored documents are not moved to their new owners; start it with its recorded group "
            f"(--group-nodes {','.join(map(str, recorded))}), or move {node.data_dir} aside and feed again")
    try:
        write_durably(path, json.dumps({"group_keys": group}).encode())
    except OSError as error:  # a read-only or full disk: the node still serves what it holds
        log.warning("could not record this node's group in %s: %s", path, error)


def _placed_entries(node) -> int:
    """Documents and tombstones of the types placed by bucket (global documents are on every node)."""
    global_types = set(node.application.content.global_types)
    return sum(len(db.timestamps) for name, db in node.databases.items()
               if node.application.schemas[name].document_name not in global_types)
