"""The cluster-wide feed block, as Vespa's cluster controller sets it: while any reachable content
node of a cluster reports disk or memory usage above the cluster's resource limits
(services.xml `<tuning><resource-limits>`), external puts and updates to the whole cluster are
refused with 507 before anything is sent to any node; removes pass (they free space). A cluster
that refused writes on the full replica alone would let the other replicas take them, and diverge.

Hysteresis, as Vespa: a node and resource that blocked feed unblock only once usage falls 1 %
(NOISE_LEVEL) under the configured limit, so usage hovering at the limit does not flip the block
on every health check. A node that stops answering pings is not counted: its last report is stale.
As Vespa, an update that only assigns numbers to numeric single-value fields passes the block: it
changes values in place and does not grow the document (`passes_block`).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Mapping

from searchlib.schema.model import ResourceLimits, Schema

log = logging.getLogger("container.dispatch")

NOISE_LEVEL = 0.01  # Vespa's: a block lifts only under the limit minus this
RESOURCES = ("disk", "memory")
_LISTED = 3  # nodes named in the message; more are counted
DEFAULTS_SETTING = "PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS"


def limits_in_effect(limits: ResourceLimits) -> ResourceLimits:
    """The package's limits when services.xml gives them; else Vespa's defaults, or the operator's
    "disk,memory" fractions in PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS (the test suite raises them: a
    build machine's disk fill is no part of what a test checks)."""
    text = os.environ.get(DEFAULTS_SETTING, "").strip()
    if limits.configured or not text:
        return limits
    try:
        disk, memory = (float(part) for part in text.split(","))
        if 0.0 <= disk <= 1.0 and 0.0 <= memory <= 1.0:
            return ResourceLimits(disk, memory)
    except ValueError:
        pass
    log.warning("%s=%r is not two fractions 'disk,memory' in [0, 1]: using %g,%g", DEFAULTS_SETTING, text,
                limits.disk, limits.memory)
    return limits


def passes_block(schema: Schema, operations: Mapping[str, Any]) -> bool:
    """An update (as it is written: after the indexing scripts' derived fields are added) whose every
    operation assigns a number to a numeric single-value document field: Vespa's one kind of update
    let through a feed block. Anything else (a string, a collection, a tensor, arithmetic, a clear,
    a field path) is refused with the puts."""
    def numeric_assign(name: str, operation: Any) -> bool:
        field = schema.fields.get(name)
        return (field is not None and field.type.is_numeric and not field.parent
                and isinstance(operation, Mapping) and operation.keys() == {"assign"}
                and isinstance(operation["assign"], (int, float)))  # bool too: a bool field's value
    return bool(operations) and all(numeric_assign(name, op) for name, op in operations.items())


@dataclass(frozen=True, slots=True)
class Exhaustion:
    key: int  # distribution key
    resource: str  # "disk" | "memory"
    usage: float
    limit: float  # the configured limit
    lowered: bool  # it already blocked feed: it must fall under limit - NOISE_LEVEL to unblock


def exhaustions(usages: Mapping[int, tuple[float, float]], limits: ResourceLimits,
                before: tuple[Exhaustion, ...] = ()) -> tuple[Exhaustion, ...]:
    """Every (node, resource) above its limit, by distribution key; `usages`: key -> (disk, memory)
    of the nodes that answer pings; `before`: the previous answer (hysteresis)."""
    held = {(e.key, e.resource) for e in before}
    found = []
    for key in sorted(usages):
        for resource, usage in zip(RESOURCES, usages[key]):
            limit = getattr(limits, resource)
            lowered = (key, resource) in held
            if usage > (max(0.0, limit - NOISE_LEVEL) if lowered else limit):
                found.append(Exhaustion(key, resource, usage, limit, lowered))
    return tuple(found)


def describe(cluster: str, exhausted: tuple[Exhaustion, ...], hosts: Mapping[int, str]) -> str:
    """Vespa's NO_SPACE message, naming the node(s) and the resource."""
    parts = []
    for e in exhausted[:_LISTED]:
        lowered = (f", effective limit lowered to {max(0.0, e.limit - NOISE_LEVEL):.1%} until feed unblocked"
                   if e.lowered else "")
        parts.append(f"{e.resource} on node {e.key} [{hosts.get(e.key, '')}] is {e.usage:.1%} full "
                     f"(the configured limit is {e.limit:.1%}{lowered})")
    more = f" (... and {len(exhausted) - _LISTED} more)" if len(exhausted) > _LISTED else ""
    return (f"External feed is blocked due to resource exhaustion: in content cluster '{cluster}': "
            + ", ".join(parts) + more)


class FeedBlock:
    """One cluster's block, recomputed after each round of health checks (SearchCluster.ping_all)."""

    def __init__(self, cluster: str, limits: ResourceLimits = ResourceLimits()) -> None:
        self.cluster, self.limits = cluster, limits
        self.exhausted: tuple[Exhaustion, ...] = ()

    def update(self, usages: Mapping[int, tuple[float, float]]) -> None:
        was = bool(self.exhausted)
        self.exhausted = exhaustions(usages, self.limits, self.exhausted)
        if self.exhausted and not was:
            log.warning("feed blocked in content cluster '%s': %s", self.cluster,
                        ", ".join(f"{e.resource} on node {e.key} at {e.usage:.1%}" for e in self.exhausted))
        elif was and not self.exhausted:
            log.info("feed unblocked in content cluster '%s': usage is back under the limits", self.cluster)

    def refusal(self, hosts: Mapping[int, str]) -> str | None:
        """The message puts and updates are refused with (507); None while feed is open."""
        return describe(self.cluster, self.exhausted, hosts) if self.exhausted else None
