"""Embed a feed file in batch: every put gets `field` = embed(text of the source fields).

The default package keeps `embedding` a document field that feeders fill, because embedding one
document per feed operation in the container is several times slower than batching a corpus
(embedder.py: texts sorted by length, one ONNX call per batch). This is that batch step, run as
`python -m container.embedding` by whoever prepares a feed (the demo does).

Input and output are JSON Lines of Vespa feed operations. Puts get the vector as the hex short
form (`{"values": "3d4c..."}`: one string, not 384 numbers); every other line is passed through
unchanged, in order.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence, TextIO

from container.embedding.registry import get_embedder
from searchlib.errors import InvalidParameterError
from searchlib.schema.application import load_application
from searchlib.tensor import TensorType, dense_hex

CHUNK = 512  # operations embedded together: sorting by length pays off, memory stays small


@dataclass(frozen=True)
class FeedEmbedding:
    app: Path
    embedder: str
    field: str
    sources: tuple[str, ...]
    max_tokens: int | None = None
    batch_size: int = 32


def embed_feed(spec: FeedEmbedding, lines: Iterator[str], out: TextIO,
               progress: Callable[[int], None] = lambda done: None) -> int:
    """Write `lines` to `out` with every put embedded; returns the number of puts embedded."""
    application = load_application(spec.app)
    tensor_type = _field_type(application, spec.field)
    embedder = get_embedder(application, spec.embedder)
    done = 0
    for chunk in _chunks(_operations(lines), CHUNK):
        puts = [op for op in chunk if isinstance(op, dict) and "put" in op]
        texts = [" ".join(str(op.get("fields", {}).get(name) or "") for name in spec.sources).strip()
                 for op in puts]
        vectors = embedder.embed_many(texts, tensor_type, "document", batch_size=spec.batch_size,
                                      max_tokens=spec.max_tokens)
        for op, vector in zip(puts, vectors):
            op.setdefault("fields", {})[spec.field] = {"values": dense_hex(vector, tensor_type.cell_type)}
        for op in chunk:
            out.write(json.dumps(op, ensure_ascii=False) + "\n")
        done += len(puts)
        progress(done)
    return done


def _field_type(application, field: str) -> TensorType:
    for schema in application.schemas.values():
        found = schema.fields.get(field)
        if found is not None and found.type.kind == "tensor" and found.in_document:
            tensor_type = TensorType.parse(found.type.tensor_type)
            if len(tensor_type.indexed) == 1 and not tensor_type.mapped:
                return tensor_type
    raise InvalidParameterError(f"No schema in {application.path} has a document field '{field}' of a "
                                "one-dimensional dense tensor type to embed into")


def _operations(lines: Iterator[str]) -> Iterator[dict]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidParameterError(f"line {number}: not a JSON feed operation: {error}") from None


def _chunks(operations: Iterator[dict], size: int) -> Iterator[Sequence[dict]]:
    chunk: list[dict] = []
    for operation in operations:
        chunk.append(operation)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
