"""Group dispatch with failover: a query goes to one complete group; if a node of that group is
unreachable (a transport failure; not a timeout: timeouts are never retried, and not an error the
node answered with: that says nothing about its health), the node leaves rotation and the query is
run once more on another complete group within the same deadline. Only when no complete group
exists is the query run on the best partial group, and its result is degraded with coverage and
errors saying so."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Generic, Protocol, Sequence, TypeVar

from container.dispatch.search_cluster import SearchCluster

R = TypeVar("R")


class Gathered(Protocol):
    failed_keys: tuple[int, ...]  # the unreachable nodes of one scatter/gather

MIN_RETRY_SECONDS = 0.05  # below this a retry cannot finish: return the degraded first answer


@dataclass(frozen=True, slots=True)
class Dispatched(Generic[R]):
    group: int
    results: Sequence[R]
    trace: list[str] = field(default_factory=list)


async def dispatch_with_failover(cluster: SearchCluster, run_on_group: Callable[[int], Awaitable[Sequence[R]]],
                                 gathered: Callable[[R], Gathered], deadline: float) -> Dispatched[R]:
    """`run_on_group(group)` runs the query on one group (one result per schema); `gathered` gets
    what a result gathered (its failed_keys). `deadline` is a time.monotonic() value."""
    group = cluster.pick_group()
    if group is None:
        partial = cluster.best_partial_group()
        return Dispatched(partial, await run_on_group(partial),
                          [f"no complete group in service: dispatched to partial group {partial}"])
    results = await run_on_group(group)
    failed = sorted({key for result in results for key in gathered(result).failed_keys})
    if not failed:
        return Dispatched(group, results)
    for key in failed:
        cluster.take_out_of_rotation(key, "unreachable during a query")
    trace = [f"group {group}: content nodes {failed} failed"]
    other = cluster.pick_group(exclude={group})
    if other is None or deadline - time.monotonic() < MIN_RETRY_SECONDS:
        return Dispatched(group, results, trace + ["no other complete group in time: result is degraded"])
    retried = await run_on_group(other)
    return Dispatched(other, retried, trace + [f"retried on group {other}"])
