"""The content nodes the container knows: grouped, pinged for health and document counts."""
from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass
from typing import Sequence

from container.dispatch.content_client import ContentNodeClient

log = logging.getLogger("container.dispatch")

PING_INTERVAL = 1.0
PING_TIMEOUT = 2.0


@dataclass
class NodeHealth:
    up: bool = True  # optimistic until the first ping says otherwise
    active_docs: int = 0
    last_sequence: int = 0
    app_generation: str = ""
    last_seen: float = 0.0
    error: str = ""


class SearchCluster:
    def __init__(self, clients: Sequence[ContentNodeClient]) -> None:
        self.clients = {client.node.distribution_key: client for client in clients}
        self.health = {key: NodeHealth() for key in self.clients}
        self.groups: dict[int, list[int]] = {}
        for client in clients:
            self.groups.setdefault(client.node.group, []).append(client.node.distribution_key)
        for keys in self.groups.values():
            keys.sort()
        self._round_robin = itertools.cycle(sorted(self.groups))
        self._ping_task: asyncio.Task | None = None

    def group_nodes(self, group: int) -> list[ContentNodeClient]:
        return [self.clients[key] for key in self.groups[group]]

    def pick_group(self) -> int:
        """Round robin over groups whose nodes are all up; any group if none is complete."""
        for _ in range(len(self.groups)):
            group = next(self._round_robin)
            if all(self.health[key].up for key in self.groups[group]):
                return group
        return next(self._round_robin)

    async def ping_all(self) -> None:
        async def ping(key: int, client: ContentNodeClient) -> None:
            health = self.health[key]
            try:
                status = await client.ping(PING_TIMEOUT)
            except Exception as error:  # noqa: BLE001 - any failure means down
                if health.up:
                    log.warning("content node %d is down: %s", key, error)
                health.up, health.error = False, str(error)
                return
            if not health.up:
                log.info("content node %d is up again", key)
            health.up, health.error = status.ready, ""
            health.active_docs, health.last_sequence = status.active_docs, status.last_sequence
            health.app_generation, health.last_seen = status.app_generation, time.time()

        await asyncio.gather(*(ping(key, client) for key, client in self.clients.items()))

    def start(self) -> None:
        async def loop() -> None:
            while True:
                await self.ping_all()
                await asyncio.sleep(PING_INTERVAL)

        self._ping_task = asyncio.get_running_loop().create_task(loop())

    async def close(self) -> None:
        if self._ping_task:
            self._ping_task.cancel()
        await asyncio.gather(*(client.close() for client in self.clients.values()), return_exceptions=True)
