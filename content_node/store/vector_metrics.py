"""Vespa's distance metrics (reference §1.5) computed with numpy, and their hnswlib spaces.

Every distance the engine reports -- nearestNeighbor results, `distance(...)` and `closeness(...)`
-- comes from here, so the approximate (HNSW) and exact paths agree on values and only differ in
which documents they find. Like Vespa for float cells, the arithmetic runs in float32 (the stored
cells' type; ~10x faster than converting every block to float64 first, which let exact scans hold
a field's lock long enough to starve health checks), row by row so results are reproducible.
"""
from __future__ import annotations

import numpy as np

from searchlib.errors import InvalidParameterError

METRICS = ("euclidean", "angular", "dotproduct", "prenormalized-angular", "hamming")
# hnswlib has no hamming space: hamming fields are always searched exactly
# dotproduct is searched as euclidean after the usual MIPS transform (see hnsw_index.py): an
# inner-product graph over vectors of different norms has poor recall
HNSW_SPACES = {"euclidean": "l2", "angular": "cosine", "dotproduct": "l2", "prenormalized-angular": "ip"}
_CHUNK = 8192  # rows per block: bounds the temporaries of an exact scan (8192 x 384 x 4 B = 12.5 MB)

_BITS_SET = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise InvalidParameterError(
            f"distance-metric '{metric}' is not supported (supported: {', '.join(METRICS)})")
    return metric


def distances(metric: str, vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """float64 distance of each row of `vectors` (float32, shape (n, dim)) to `query`."""
    out = np.empty(len(vectors), dtype=np.float64)
    q = np.asarray(query, dtype=np.float32)
    for start in range(0, len(vectors), _CHUNK):
        block = np.asarray(vectors[start:start + _CHUNK], dtype=np.float32)
        out[start:start + len(block)] = _block_distances(metric, block, q)
    return out


def _dots(block: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Row-by-row float32 dot products (einsum: each row reduced alone, so a vector's value never
    depends on which other rows are in the block -- BLAS blocking would change the last bits)."""
    return np.einsum("ij,j->i", block, q).astype(np.float64)


def _block_distances(metric: str, block: np.ndarray, q: np.ndarray) -> np.ndarray:
    if metric == "euclidean":
        diff = block - q
        return np.sqrt(np.einsum("ij,ij->i", diff, diff).astype(np.float64))
    if metric == "dotproduct":
        return -_dots(block, q)
    if metric == "prenormalized-angular":
        norm_sq = float(_dots(q[None, :], q)[0]) or 1.0
        return 1.0 - _dots(block, q) / norm_sq
    if metric == "angular":
        norms = np.sqrt(np.einsum("ij,ij->i", block, block).astype(np.float64)) * (
            float(np.sqrt(_dots(q[None, :], q)[0])) or 1.0)
        cosine = np.divide(_dots(block, q), norms, out=np.zeros(len(block)), where=norms > 0)
        return np.arccos(np.clip(cosine, -1.0, 1.0))
    if metric == "hamming":
        as_bytes = block.astype(np.int8).view(np.uint8)
        return _BITS_SET[as_bytes ^ q.astype(np.int8).view(np.uint8)].sum(axis=1).astype(np.float64)
    raise InvalidParameterError(f"distance-metric '{metric}' is not supported")


def closeness(metric: str, distance: np.ndarray) -> np.ndarray:
    """Vespa's closeness: 1/(1+d), except dotproduct where it is the dot product itself; 0 where
    a document has no vector (distance +inf)."""
    distance = np.asarray(distance, dtype=np.float64)
    missing = ~np.isfinite(distance)
    if metric == "dotproduct":
        result = -distance
    else:
        result = 1.0 / (1.0 + np.where(missing, 0.0, distance))
    return np.where(missing, 0.0, result)
