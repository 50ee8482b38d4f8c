"""Runs the indexing scripts of synthetic fields (outside the `document` block), and of document
fields whose scripts transform their value, before a write is sent to the content nodes, so
`embed` (tokenizer ids, embeddings), `chunk` and the converters run once, in the container, and
every replica stores the same values:

    field tokens type tensor<float>(d0[512]) {
        indexing: (input title || "") . " " . (input text || "") | embed tokenizer | attribute
    }
    field chunks type tensor<float>(chunk{}, x[384]) {
        indexing: input text | chunk fixed-length 500 | embed e5 chunk | attribute
    }

A document field's statements start from its own fed value (`lowercase | summary` on `title`
stores the lowercased title). Users may not feed synthetic fields themselves (searchlib.documents
rejects them). Updates recompute a field when they assign one of its inputs (the others read as
empty, as in Vespa; and one of those its select_input picks from), and one whose script reads no
input (`now`) unless guarded; otherwise it keeps its value. Mutable attributes are left to the content node (they are never fed). Every script parsed
at load (searchlib.indexing.check), so a statement the engine cannot run has already refused the
package: nothing is skipped here. The component indexes of
`uri` fields (f.host, f.hostname, ...) are filled here too (searchlib.schema.uri_fields), and the
literal indexes of `rank: literal` fields (searchlib.schema.literal_fields).
"""
from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from container.embedding.registry import get_embedder
from searchlib.documents import apply_update, validate_document
from searchlib.errors import DocumentError
from searchlib.indexing import Script, parse_indexing, run_script, script_inputs, selectable_inputs
from searchlib.indexing import parser as P
from searchlib.indexing.evaluator import LabeledCells
from searchlib.languages import field_language, language_sources
from searchlib.schema.literal_fields import with_literal_updates, with_literal_values
from searchlib.schema.model import ApplicationPackage, Schema
from searchlib.schema.uri_fields import with_uri_component_updates, with_uri_components
from searchlib.tensor import Tensor, TensorType, dense_hex, packed_dense, tensor_to_json



@dataclass(frozen=True, slots=True)
class SyntheticField:
    name: str
    script: Script
    inputs: frozenset[str]  # an update recomputes the field when it assigns one of them
    choices: frozenset[str]  # select_input's fields: and at least one of these (where any)
    blocks: bool  # embeds (a model) or sleeps: run off the event loop
    in_document: bool = False  # statements start from the field's own fed value


class DocumentProcessor:
    def __init__(self, application: ApplicationPackage,
                 embedder_lookup: Callable[[ApplicationPackage, str | None], Any] = get_embedder) -> None:
        self.application = application
        self._lookup = embedder_lookup
        self._fields: dict[str, tuple[Schema, tuple[SyntheticField, ...]]] = {}
        self._packed: dict[str, dict[str, TensorType]] = {}  # per doctype: `_packed_tensors`' fields
        self._language_sources = {name: language_sources(schema) for name, schema in application.schemas.items()}
        for schema in application.schemas.values():
            fields = tuple(filter(None, (_processed(f) for f in schema.fields.values()
                                         if f.indexing.strip() and not f.parent and "mutable" not in f.attribute_properties)))
            packed = {f.name: TensorType.parse(f.type.tensor_type) for f in schema.fields.values()
                      if f.type.kind == "tensor" and f.type.tensor_type and f.is_attribute and not f.is_mutable}
            for key in {schema.name, schema.document_name}:
                self._fields[key] = (schema, fields)
                self._packed[key] = packed

    async def put(self, doctype: str, fields: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """The fields to store; `timeout` (seconds) bounds the scripts' `sleep`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        schema, synthetic = self._fields[doctype]
        validate_document(schema, fields)  # user input: no synthetic fields, types checked early
        fields = with_literal_values(schema.fields, with_uri_components(schema.fields, dict(fields)))
        if synthetic:
            fields = await self._run(self._put, schema, synthetic, fields, deadline)
        return self._packed_tensors(doctype, fields)

    def _packed_tensors(self, doctype: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Dense float/double attribute tensors fed as lists of numbers go to the nodes as hex
        (`packed_dense`): the same cells, as the attribute holds them (and it alone: the nodes do
        not store such a field's JSON), without a number object a cell on the nodes."""
        for name, tensor_type in self._packed[doctype].items():
            if isinstance(fields.get(name), (list, dict)):
                fields[name] = packed_dense(fields[name], tensor_type)
        return fields

    async def update(self, doctype: str, operations: Mapping[str, Any], timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        schema, synthetic = self._fields[doctype]
        apply_update(schema, None, operations)  # a dry run: operations and value types checked early
        operations = with_literal_updates(schema.fields, with_uri_component_updates(schema.fields, dict(operations)))
        if synthetic:
            operations = await self._run(self._update, schema, synthetic, operations, deadline)
        assigned = {name: op["assign"] for name, op in operations.items()
                    if name in self._packed[doctype] and isinstance(op, Mapping) and op.keys() == {"assign"}}
        return {**operations, **{name: {"assign": value} for name, value in
                                 self._packed_tensors(doctype, assigned).items()}}

    async def _run(self, work, schema, synthetic, values, deadline: float | None) -> dict[str, Any]:
        call = functools.partial(work, schema, synthetic, values, deadline)
        if any(f.blocks for f in synthetic):  # models, sleeps: off the event loop
            return await asyncio.get_running_loop().run_in_executor(None, call)
        return call()

    def _put(self, schema: Schema, synthetic, fields: Mapping[str, Any], deadline: float | None) -> dict[str, Any]:
        result = dict(fields)
        for field in synthetic:  # a computed uri field (`to_uri`) gets its component indexes too
            result.update(with_uri_components(schema.fields, self._compute(schema, field, fields, deadline)))
        return result

    def _update(self, schema: Schema, synthetic, operations: Mapping[str, Any],
                deadline: float | None) -> dict[str, Any]:
        assigned = {name: op["assign"] for name, op in operations.items()
                    if isinstance(op, Mapping) and "assign" in op}
        result = dict(operations)
        for field in synthetic:
            if _recomputed(field, assigned.keys()):
                computed = with_uri_components(schema.fields, self._compute(schema, field, assigned, deadline, update=True))
                result.update({k: {"assign": v} for k, v in computed.items()})
        return result

    def _compute(self, schema: Schema, field: SyntheticField, document: Mapping[str, Any],
                 deadline: float | None, update: bool = False) -> dict[str, Any]:
        def embed(embedder_id: str, target: str, value: Any, args: tuple[str, ...], packed: bool = False) -> Any:
            spec = schema.fields.get(target)
            if spec is None or spec.type.kind != "tensor":
                raise DocumentError(f"Field '{target}': embed needs a tensor field, not "
                                    f"{spec.type.kind if spec else 'a summary-only name'}")
            embedder = self._lookup(self.application, embedder_id or None)
            tensor_type = _embedded_type(TensorType.parse(spec.type.tensor_type), packed)
            if isinstance(value, list) and len(tensor_type.mapped) > 1:  # `embed colbert chunk`: per chunk
                return _embed_chunks_mapped(embedder, tensor_type, value, args)
            if isinstance(value, list):  # chunks → one block per chunk, labeled 0, 1, ... (multi-vector)
                return _embed_chunks(embedder, target, tensor_type, value)
            if tensor_type.mapped:  # token-level (colbert: dt{}, x[..]) or sparse (splade: t{})
                tensor = embedder.embed(str(value), tensor_type, "document")
                return LabeledCells({key[0]: (block if block.ndim else float(block))
                                     for key, block in tensor.blocks.items()})
            return embedder.embed_many([str(value)], tensor_type, "document")[0]

        kinds = {name: str(spec.type) for name, spec in schema.fields.items()}
        initial = document.get(field.name) if field.in_document else None
        source = self._language_sources[schema.name].get(field.name, "")
        written = run_script(field.script, document, field.name, embed, initial, kinds,
                             field_language(document, source), update, deadline)
        return {name: _feed_value(schema.fields[name], value) for name, value in written.items()
                if name in schema.fields}


def _processed(field) -> SyntheticField | None:
    """A synthetic field, or a document field whose script does more than store its value."""
    script = parse_indexing(field.indexing)
    if field.in_document and all(isinstance(node, (P.Script, P.Pipeline, P.Output))
                                 or (isinstance(node, P.Input) and node.field == field.name)
                                 for node in P.walk(script)):
        return None
    # a document field's statement reads the field's own value only where it needs an input (Vespa's
    # IndexingInputs adds `input <field>` then): `now | attribute` has none, so it runs on every update
    inputs = set(script_inputs(script)) | ({field.name} if field.in_document and not all(
        _creates_value(statement) for statement in script.statements) else set())
    blocks = any(isinstance(node, P.Embed) or (isinstance(node, P.Convert) and node.name == "sleep")
                 for node in P.walk(script))
    return SyntheticField(field.name, script, frozenset(inputs), frozenset(selectable_inputs(script)), blocks,
                          field.in_document)


def _creates_value(node) -> bool:
    """A statement (or its first expression) that makes its own value rather than reading the
    execution value: Vespa's IndexingInputs gives such a statement of a document field no `input`."""
    if isinstance(node, P.Pipeline):
        return bool(node.steps) and _creates_value(node.steps[0])
    if isinstance(node, (P.Input, P.Literal, P.GetVar, P.SelectInput)):
        return True
    if isinstance(node, P.Convert):
        return node.name in ("now", "hostname")
    if isinstance(node, P.Random):
        return node.maximum is not None
    if isinstance(node, P.Binary):
        return _creates_value(node.left) and _creates_value(node.right)
    if isinstance(node, P.Choice):
        return all(_creates_value(option) for option in node.options)
    return False


def _recomputed(field: SyntheticField, assigned) -> bool:
    """Whether an update assigning `assigned` recomputes the field: at least one of its inputs (as
    Vespa's ScriptExpression runs a statement on a partial update when the update has one of its
    input fields; the others read as null), and one of the fields select_input picks from (Vespa runs
    select_input on an update with the cases it has). A script that reads no input (`now | attribute
    modified`) runs on every update, as Vespa runs a statement without input fields; inside
    `guard { }` it writes nothing there (the evaluator's GuardExpression rule)."""
    if not field.inputs and not field.choices:
        return True
    return ((not field.inputs or not field.inputs.isdisjoint(assigned))
            and (not field.choices or not field.choices.isdisjoint(assigned)))


def _embedded_type(tensor_type: TensorType, packed: bool) -> TensorType:
    """What the embedder fills: the field's type, or with `pack_bits` after embed, float cells
    8 times as many as the int8 field holds (tensor<int8>(x[48]) ← an embedding of 384)."""
    if not packed or len(tensor_type.indexed) != 1:
        return tensor_type
    dimension = tensor_type.indexed[0]
    mapped = "".join(f"{mapped.name}{{}}, " for mapped in tensor_type.mapped)
    return TensorType.parse(f"tensor<float>({mapped}{dimension.name}[{dimension.size * 8}])")


def _feed_value(spec, value: Any) -> Any:
    """A written value in the feed's JSON form: tensors as dense hex or mapped blocks."""
    if spec.type.kind != "tensor":
        return value
    tensor_type = TensorType.parse(spec.type.tensor_type)
    if isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
        value = LabeledCells({str(i): v for i, v in enumerate(value)})  # for_each { embed }: by position
    if isinstance(value, LabeledCells):
        if len(tensor_type.mapped) == 1 and not tensor_type.indexed:
            return {"cells": {label: float(weight) for label, weight in value.items()}}
        if len(tensor_type.mapped) != 1 or len(tensor_type.indexed) != 1:
            raise DocumentError(f"Field '{spec.name}': an array of embeddings needs a tensor with one mapped "
                                f"and one indexed dimension, like tensor<float>(p{{}}, x[384]), not {tensor_type}")
        return {"blocks": {label: _compact(cells) for label, cells in value.items()}}
    if isinstance(value, np.ndarray):
        if not tensor_type.is_dense or value.size != int(np.prod(tensor_type.dense_shape)):
            raise DocumentError(f"Field '{spec.name}': {value.size} values do not fit {tensor_type}")
        return {"values": dense_hex(value, tensor_type.cell_type)}  # no per-cell objects downstream
    return value


def _embed_chunks(embedder: Any, target: str, tensor_type: TensorType, chunks: list) -> LabeledCells:
    if len(tensor_type.mapped) != 1 or len(tensor_type.indexed) != 1:
        raise DocumentError(f"Field '{target}': embedding an array needs a tensor with one mapped and "
                            f"one indexed dimension, like tensor<float>(p{{}}, x[384]), not {tensor_type}")
    dense = TensorType.parse(f"tensor<{tensor_type.cell_type}>({tensor_type.indexed[0]})")
    texts = [str(chunk) for chunk in chunks]
    vectors = embedder.embed_many(texts, dense, "document") if texts else []
    return LabeledCells({str(i): np.asarray(vector) for i, vector in enumerate(vectors)})


def _compact(vector: np.ndarray) -> list:
    """Token ids as ints (smaller JSON); embeddings as floats."""
    values = np.asarray(vector, dtype=np.float64)
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2 ** 31):
        return values.astype(np.int64).tolist()
    return values.astype(np.float32).astype(np.float64).tolist()


def _embed_chunks_mapped(embedder: Any, tensor_type: TensorType, chunks: list, args: tuple[str, ...]) -> dict:
    """Chunks into a token-level or sparse embedder: each chunk's tensor (dt{}, x[..] or t{})
    under its label 0, 1, ... in the chunk dimension, named by embed's argument (`embed colbert
    chunk`) or else the first mapped dimension. Fed in the JSON short form."""
    names = [d.name for d in tensor_type.mapped]
    chunk_dimension = args[0] if args and args[0] in names else names[0]
    position = names.index(chunk_dimension)
    rest = [d for d in tensor_type.dimensions if d.name != chunk_dimension]
    spec = ", ".join(f"{d.name}{{}}" if d.size is None else f"{d.name}[{d.size}]" for d in rest)
    sub_type = TensorType.parse(f"tensor<{tensor_type.cell_type}>({spec})")
    blocks = {}
    for label, chunk in enumerate(chunks):
        for key, block in embedder.embed(str(chunk), sub_type, "document").blocks.items():
            blocks[key[:position] + (str(label),) + key[position:]] = block
    form = tensor_to_json(Tensor(tensor_type, blocks), short=True)
    return {k: v for k, v in form.items() if k != "type"}
