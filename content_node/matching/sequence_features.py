"""randomNormal, randomNormalStable and globalSequence, computed as Vespa's searchlib computes them
(features/random_normal_feature.cpp, random_normal_stable_feature.cpp, global_sequence_feature.h).

The Gaussian draws are Vespa's: its Rand48 (the lrand48 generator: 48-bit state, a = 0x5DEECE66D,
c = 0xB, seeded as (seed & 0xffffffff) << 16 | 0x330E), uniforms 2·lrand48/2³¹ − 1, and the Marsaglia
polar method, so a seed gives the numbers Vespa gives. Every step is a numpy operation over all
candidates; the one sequential stream (randomNormal) is unrolled by LCG jump-ahead.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.feature_api import Calculator, FeatureName
from searchlib.errors import InvalidParameterError

_A = 0x5DEECE66D
_C = 0xB
_MASK = (1 << 48) - 1
_DEFAULT_STABLE_SEED = 1024  # RandomNormalStableBlueprint's default


def seeded_state(seeds: np.ndarray) -> np.ndarray:
    """Rand48.srand48 over an array of seeds."""
    low = np.asarray(seeds, dtype=np.uint64) & np.uint64(0xFFFFFFFF)
    return (low << np.uint64(16)) + np.uint64(0x330E)


def _step(states: np.ndarray, a: int = _A, c: int = _C) -> np.ndarray:
    """state·a + c mod 2⁴⁸ (uint64 products wrap mod 2⁶⁴, which the 48-bit mask then reduces)."""
    with np.errstate(over="ignore"):
        return (states * np.uint64(a) + np.uint64(c)) & np.uint64(_MASK)


def _uniform(states: np.ndarray) -> np.ndarray:
    """Rand48.lrand48 (state >> 17, 31 bits) mapped to [-1, 1) as Vespa's nextUniform."""
    return (states >> np.uint64(17)).astype(np.float64) / float(0x80000000) * 2.0 - 1.0


def stream(state: int, count: int) -> np.ndarray:
    """The states after 1..count iterations from one state, by doubling: the first n states stepped
    n times at once (the affine map composed with itself) give the next n."""
    out = _step(np.array([state], dtype=np.uint64))
    a, c = _A, _C  # the map of len(out) steps
    while len(out) < count:
        out = np.concatenate([out, _step(out, a, c)])
        a, c = (a * a) & _MASK, (a * c + c) & _MASK
    return out[:count]


def _polar(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marsaglia's polar method on pairs: (accepted, factor); the normals are u·factor and v·factor."""
    s = u * u + v * v
    accepted = (s < 1.0) & (s != 0.0)
    safe = np.where(accepted, s, 0.5)
    return accepted, np.sqrt(-2.0 * np.log(safe) / safe)


def stable_normals(seed: int, local_ids: np.ndarray) -> np.ndarray:
    """RandomNormalStableExecutor: srand48(seed + lid) per document, one polar draw, no spare."""
    with np.errstate(over="ignore"):
        states = seeded_state(np.uint64(seed) + np.asarray(local_ids, dtype=np.uint64))
    out = np.empty(len(states), dtype=np.float64)
    pending = np.arange(len(states))
    while len(pending):  # about 1.27 rounds: π/4 of the pairs are accepted
        first = _step(states[pending])
        second = _step(first)
        states[pending] = second
        u, v = _uniform(first), _uniform(second)
        accepted, factor = _polar(u, v)
        out[pending[accepted]] = (u * factor)[accepted]
        pending = pending[~accepted]
    return out


def sequential_normals(seed: int, count: int) -> np.ndarray:
    """RandomNormalExecutor: one generator per query, drawn document after document; each accepted
    pair gives two normals (u·s, then the spare v·s)."""
    out = np.empty(0, dtype=np.float64)
    state, pairs = int(seeded_state(np.array([seed]))[0]), (count + 1) // 2
    while len(out) < count:
        wanted = 2 * int(pairs * 1.3 + 8)  # π/4 accepted: a margin, and another batch if short
        states = stream(state, wanted)
        state = int(states[-1])
        uniforms = _uniform(states)
        accepted, factor = _polar(uniforms[0::2], uniforms[1::2])
        normals = np.stack([uniforms[0::2] * factor, uniforms[1::2] * factor], axis=1)[accepted]
        out = np.concatenate([out, normals.reshape(-1)])
        pairs = (count - len(out) + 1) // 2
    return out[:count]


def _mean_stddev(feature: FeatureName) -> tuple[float, float]:
    """(mean, stddev) from the arguments (defaults 0 and 1); a third argument only names the feature."""
    if len(feature.args) not in (0, 2, 3):
        raise InvalidParameterError(f"{feature.base} takes no arguments, or (mean, stddev[, name])")
    if not feature.args:
        return 0.0, 1.0
    try:
        return float(feature.args[0]), float(feature.args[1])
    except ValueError:
        raise InvalidParameterError(f"{feature.base}: mean and stddev must be numbers, not "
                                    f"'{feature.args[0]}', '{feature.args[1]}'") from None


def _seed_property(calc: Calculator, name: str) -> int | None:
    """`<feature>.seed` from rank-properties (the profile's, a query's rankproperty over them);
    None when unset or empty."""
    text = calc.rank_properties.get(f"{name}.seed")
    if text is None or not text.strip():  # Vespa: an empty seed is no seed
        return None
    try:
        return int(text.strip()) & 0xFFFFFFFFFFFFFFFF
    except ValueError:
        raise InvalidParameterError(f"{name}.seed must be an integer, not '{text}'") from None


def random_normal(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """randomNormal(mean, stddev): randomNormal.seed, else the query's time in microseconds mixed
    with the node's distribution key (Vespa: the clock XOR a stack address, so nodes and threads
    differ); drawn in local-id order, as Vespa's executor runs over the matched documents."""
    mean, stddev = _mean_stddev(feature)
    seed = _seed_property(calc, "randomNormal")
    if not seed:  # Vespa's 0 means unset too; srand48 reads the low 32 bits, so the key goes there
        seed = int(calc.now * 1_000_000) ^ ((calc.distribution_key * 0x9E3779B9) & 0xFFFFFFFF)
    order = np.argsort(candidates, kind="stable")
    values = np.empty(len(candidates), dtype=np.float64)
    values[order] = sequential_normals(seed, len(candidates))
    return mean + stddev * values


def random_normal_stable(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """randomNormalStable(mean, stddev): the same value for a document (its local id) and seed."""
    mean, stddev = _mean_stddev(feature)
    seed = _seed_property(calc, "randomNormalStable") or _DEFAULT_STABLE_SEED
    return mean + stddev * stable_normals(seed, candidates)


def global_sequence(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """(1 << 48) − ((lid << 16) | distribution key): unique over the cluster, descending in lid. The
    lid is the document's row in this node's document database; the key is the node's distribution key."""
    if feature.args:
        raise InvalidParameterError("globalSequence takes no arguments")
    key = calc.distribution_key
    ids = np.asarray(candidates, dtype=np.int64)
    return ((1 << 48) - ((ids << 16) | key)).astype(np.float64)


SEQUENCE_FEATURES: dict[str, Callable[..., object]] = {
    "randomNormal": random_normal,
    "randomNormalStable": random_normal_stable,
    "globalSequence": global_sequence,
}
