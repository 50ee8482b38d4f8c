"""Vespa's distance metrics (reference §1.5) computed exactly with numpy, and their hnswlib spaces.

Every distance the engine reports -- nearestNeighbor results, `distance(...)` and `closeness(...)`
-- comes from here, so the approximate (HNSW) and exact paths agree on values and only differ in
which documents they find.
"""
from __future__ import annotations

import numpy as np

from searchlib.errors import InvalidParameterError

METRICS = ("euclidean", "angular", "dotproduct", "prenormalized-angular", "hamming")
# hnswlib has no hamming space: hamming fields are always searched exactly
# dotproduct is searched as euclidean after the usual MIPS transform (see hnsw_index.py): an
# inner-product graph over vectors of different norms has poor recall
HNSW_SPACES = {"euclidean": "l2", "angular": "cosine", "dotproduct": "l2", "prenormalized-angular": "ip"}
_CHUNK = 8192  # rows per block: bounds the float64 temporaries of an exact scan (8192 x 384 x 8 B = 25 MB)

_BITS_SET = np.array([bin(i).count("1") for i in range(256)], dtype=np.int32)


def check_metric(metric: str) -> str:
    if metric not in METRICS:
        raise InvalidParameterError(
            f"distance-metric '{metric}' is not supported (supported: {', '.join(METRICS)})")
    return metric


def distances(metric: str, vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """float64 distance of each row of `vectors` (float32, shape (n, dim)) to `query`."""
    out = np.empty(len(vectors), dtype=np.float64)
    q = np.asarray(query, dtype=np.float64)
    for start in range(0, len(vectors), _CHUNK):
        block = vectors[start:start + _CHUNK].astype(np.float64)
        out[start:start + len(block)] = _block_distances(metric, block, q)
    return out


def _block_distances(metric: str, block: np.ndarray, q: np.ndarray) -> np.ndarray:
    if metric == "euclidean":
        return np.sqrt(np.square(block - q).sum(axis=1))
    if metric == "dotproduct":
        return -(block @ q)
    if metric == "prenormalized-angular":
        norm_sq = float(q @ q) or 1.0
        return 1.0 - (block @ q) / norm_sq
    if metric == "angular":
        norms = np.linalg.norm(block, axis=1) * (np.linalg.norm(q) or 1.0)
        cosine = np.divide(block @ q, norms, out=np.zeros(len(block)), where=norms > 0)
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
