"""Runs the indexing scripts of synthetic fields (outside the `document` block) before a write is
sent to the content nodes, so `embed` (tokenizer ids, embeddings) is computed once, in the
container, and every replica stores the same values:

    field tokens type tensor<float>(d0[512]) {
        indexing: (input title || "") . " " . (input text || "") | embed tokenizer | attribute
    }

Users may not feed synthetic fields themselves (searchlib.documents rejects them). Updates
recompute a synthetic field when they assign all its inputs; otherwise it keeps its value.
Mutable attributes are left to the content node (they are never fed).
"""
from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from container.embedding.registry import get_embedder
from searchlib.documents import apply_update, validate_document
from searchlib.errors import DocumentError, SchemaError
from searchlib.indexing import Script, parse_indexing, run_script, script_inputs
from searchlib.indexing import parser as P
from searchlib.schema.model import ApplicationPackage, Schema
from searchlib.tensor import TensorType, dense_hex

log = logging.getLogger("container.docproc")


@dataclass(frozen=True, slots=True)
class SyntheticField:
    name: str
    script: Script
    inputs: frozenset[str]
    embeds: bool


class DocumentProcessor:
    def __init__(self, application: ApplicationPackage,
                 embedder_lookup: Callable[[ApplicationPackage, str | None], Any] = get_embedder) -> None:
        self.application = application
        self._lookup = embedder_lookup
        self._fields: dict[str, tuple[Schema, tuple[SyntheticField, ...]]] = {}
        for schema in application.schemas.values():
            fields = tuple(filter(None, (_synthetic(f) for f in schema.fields.values()
                                         if not f.in_document and f.indexing.strip() and not f.parent
                                         and "mutable" not in f.attribute_properties)))
            for key in {schema.name, schema.document_name}:
                self._fields[key] = (schema, fields)

    async def put(self, doctype: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        schema, synthetic = self._fields[doctype]
        validate_document(schema, fields)  # user input: no synthetic fields, types checked early
        if not synthetic:
            return dict(fields)
        return await self._run(self._put, schema, synthetic, fields)

    async def update(self, doctype: str, operations: Mapping[str, Any]) -> dict[str, Any]:
        schema, synthetic = self._fields[doctype]
        apply_update(schema, None, operations)  # a dry run: operations and value types checked early
        if not synthetic:
            return dict(operations)
        return await self._run(self._update, schema, synthetic, operations)

    async def _run(self, work, schema, synthetic, values) -> dict[str, Any]:
        call = functools.partial(work, schema, synthetic, values)
        if any(f.embeds for f in synthetic):  # models: off the event loop
            return await asyncio.get_running_loop().run_in_executor(None, call)
        return call()

    def _put(self, schema: Schema, synthetic, fields: Mapping[str, Any]) -> dict[str, Any]:
        result = dict(fields)
        for field in synthetic:
            result.update(self._compute(schema, field, fields))
        return result

    def _update(self, schema: Schema, synthetic, operations: Mapping[str, Any]) -> dict[str, Any]:
        assigned = {name: op["assign"] for name, op in operations.items()
                    if isinstance(op, Mapping) and "assign" in op}
        result = dict(operations)
        for field in synthetic:
            if field.inputs and field.inputs <= assigned.keys():
                result.update({k: {"assign": v} for k, v in self._compute(schema, field, assigned).items()})
        return result

    def _compute(self, schema: Schema, field: SyntheticField, document: Mapping[str, Any]) -> dict[str, Any]:
        def embed(embedder_id: str, target: str, value: Any, args: tuple[str, ...]) -> Any:
            spec = schema.fields[target]
            if spec.type.kind != "tensor":
                raise DocumentError(f"Field '{target}': embed needs a tensor field, not {spec.type.kind}")
            embedder = self._lookup(self.application, embedder_id or None)
            tensor_type = TensorType.parse(spec.type.tensor_type)
            if isinstance(value, list):  # chunks → one block per chunk, labeled 0, 1, ... (multi-vector)
                return _embed_chunks(embedder, target, tensor_type, value)
            vector = embedder.embed_many([str(value)], tensor_type, "document")[0]
            return {"values": dense_hex(vector, tensor_type.cell_type)}  # no per-cell objects downstream

        written = run_script(field.script, document, field.name, embed)
        return {name: value for name, value in written.items() if name in schema.fields}


def _synthetic(field) -> SyntheticField | None:
    try:
        script = parse_indexing(field.indexing)
    except SchemaError as error:  # a construct we do not run: the field is left to the content node
        log.warning("synthetic field '%s' is not computed in the container: %s", field.name, error.message)
        return None
    return SyntheticField(field.name, script, frozenset(script_inputs(script)), _uses_embed(script))


def _uses_embed(script: Script) -> bool:
    found = False

    def walk(node: Any) -> None:
        nonlocal found
        found = found or isinstance(node, P.Embed)
        for child in getattr(node, "steps", ()) + getattr(node, "options", ()) + getattr(node, "statements", ()):
            walk(child)
        for part in ("left", "right"):
            if hasattr(node, part):
                walk(getattr(node, part))

    walk(script)
    return found


def _embed_chunks(embedder: Any, target: str, tensor_type: TensorType, chunks: list) -> dict[str, Any]:
    if len(tensor_type.mapped) != 1 or len(tensor_type.indexed) != 1:
        raise DocumentError(f"Field '{target}': embedding an array needs a tensor with one mapped and "
                            f"one indexed dimension, like tensor<float>(p{{}}, x[384]), not {tensor_type}")
    dense = TensorType.parse(f"tensor<{tensor_type.cell_type}>({tensor_type.indexed[0]})")
    texts = [str(chunk) for chunk in chunks]
    vectors = embedder.embed_many(texts, dense, "document") if texts else []
    return {"blocks": {str(i): _compact(vector) for i, vector in enumerate(vectors)}}


def _compact(vector: np.ndarray) -> list:
    """Token ids as ints (smaller JSON); embeddings as floats."""
    values = np.asarray(vector, dtype=np.float64)
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2 ** 31):
        return values.astype(np.int64).tolist()
    return values.astype(np.float32).astype(np.float64).tolist()
