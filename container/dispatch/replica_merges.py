"""When the container has replicas merged (Vespa's bucket merge, content_node/replica_merge.py):
once when it starts (as soon as every replica of a node is in rotation: a container killed between
its writes to two replicas leaves them different, and only a comparison repairs that), then every
`PHASEDSEARCH_MERGE_INTERVAL` seconds (default 60; 0: never). Each merge is one Merge call to the
node of the first group, naming its replicas in the other groups; the node compares per-bucket
checksums (cheap when nothing differs) and copies the newest version of each differing document
both ways. Merges wait while any replica of the set is out of rotation or catching up (that node's
catch-up, or its return to rotation, comes first), run one at a time, and are logged with what they
repaired. After one that repaired something (or failed), the next comes after RETRY_SECONDS: with
three or more groups, a second round carries what one peer had to the others."""
from __future__ import annotations

import asyncio
import logging
import math
import os
import time

log = logging.getLogger("container.dispatch.merge")

DEFAULT_INTERVAL = 60.0
RETRY_SECONDS = 5.0
MERGE_TIMEOUT = 600.0


def interval_setting() -> float:
    text = os.environ.get("PHASEDSEARCH_MERGE_INTERVAL", "")
    try:
        return max(0.0, float(text)) if text.strip() else DEFAULT_INTERVAL
    except ValueError:
        log.warning("PHASEDSEARCH_MERGE_INTERVAL=%r is not a number of seconds: using %g", text, DEFAULT_INTERVAL)
        return DEFAULT_INTERVAL


class MergeScheduler:
    def __init__(self, cluster, interval: float | None = None) -> None:
        self._cluster = cluster
        self.interval = interval_setting() if interval is None else interval
        self._due: dict[int, float] = {}  # driving node key → time.monotonic() of its next merge
        self._task: asyncio.Task | None = None
        self.clock = time.monotonic  # tests step it
        self.completed = 0  # merges that ran to the end (observable in tests)

    def sets(self) -> list[tuple[int, list[int]]]:
        """(driving node, its replicas) per node index, when every one of them is in rotation."""
        cluster = self._cluster
        result = []
        width = max((len(keys) for keys in cluster.groups.values()), default=0)
        for index in range(width):
            keys = [keys[index] for _, keys in sorted(cluster.groups.items()) if index < len(keys)]
            if len(keys) > 1 and all(cluster.health[key].up and cluster.health[key].state == "ready" for key in keys):
                result.append((keys[0], keys[1:]))
        return result

    def schedule(self) -> None:
        """From the health loop: start the merges that are due (none while one is running)."""
        if self.interval <= 0 or (self._task is not None and not self._task.done()):
            return
        now = self.clock()
        due = [(key, peers) for key, peers in self.sets() if self._due.get(key, -math.inf) <= now]
        if due:
            self._task = asyncio.get_running_loop().create_task(self._run(due))

    async def _run(self, due: list[tuple[int, list[int]]]) -> None:
        for key, peers in due:
            client = self._cluster.clients[key]
            addresses = [self._cluster.clients[peer].node.address for peer in peers]
            started = time.monotonic()
            misses = {k: self._cluster.health[k].misses for k in (key, *peers)}
            try:
                outcome = await client.merge(addresses, MERGE_TIMEOUT)
            except Exception as error:  # noqa: BLE001 - retried later
                log.warning("replica merge of content node %d with %s failed: %s", key, peers, error)
                self._due[key] = self.clock() + RETRY_SECONDS
                continue
            took = (time.monotonic() - started) * 1000
            repaired = outcome.pulled + outcome.pushed
            if outcome.error:
                log.warning("replica merge of content node %d with %s: %s", key, peers, outcome.error)
            if repaired:
                log.info("replica merge of content node %d with nodes %s repaired %d documents (%d copied to it, "
                         "%d from it; %d buckets differed, %d documents compared) in %.0f ms", key, peers, repaired,
                         outcome.pulled, outcome.pushed, outcome.buckets_differing, outcome.documents_compared, took)
            else:
                log.debug("replica merge of content node %d with %s: nothing differed (%.0f ms)", key, peers, took)
            if not outcome.error:
                self._cluster.note_merged(key, peers, misses)
            again = RETRY_SECONDS if repaired or outcome.error else self.interval
            self._due[key] = self.clock() + again
            self.completed += 1

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
