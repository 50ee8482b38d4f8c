"""Load-time check of every field's indexing script: a statement the engine cannot run refuses
the package at the field's file:line:column ("not supported: <statement>"), instead of a field
the feed silently leaves empty."""
from __future__ import annotations

from typing import Any, Mapping

from searchlib.errors import SchemaError
from searchlib.indexing import parser as P
from searchlib.indexing.parser import parse_indexing

# the component types `embed` can name (the container's registry loads each)
EMBEDDER_TYPES = ("hugging-face-tokenizer", "hugging-face-embedder", "colbert-embedder", "splade-embedder")


def check_indexing(schemas: Mapping[str, Any]) -> None:
    for schema in schemas.values():
        for field in schema.fields.values():
            if not field.indexing.strip():
                continue
            try:
                script = parse_indexing(field.indexing)
            except SchemaError as error:
                raise SchemaError(f"field '{field.name}': {error.message}", field.location) from None
            _check_targets(script, field, schema.fields)


def _check_targets(script: P.Script, field, fields: Mapping[str, Any]) -> None:
    """`hash` writes an int or a long, `pack_bits` an int8 tensor: Vespa refuses other targets."""
    for statement in script.statements:
        outputs = [step.field or field.name for step in statement.steps if isinstance(step, P.Output)]
        names = {step.name for step in P.walk(statement) if isinstance(step, P.Convert)}
        for target in outputs:
            spec = fields.get(target)
            if spec is None:  # a summary-only name: no type to check
                continue
            kind = spec.type.element.kind if spec.type.kind == "array" and spec.type.element else spec.type.kind
            if "hash" in names and kind not in ("int", "long"):
                raise SchemaError(f"field '{field.name}': hash can only write an int or long field (or an array "
                                  f"of them), not {spec.type}", field.location)
            if "pack_bits" in names and not (kind == "tensor" and spec.type.tensor_type.startswith("tensor<int8>")):
                raise SchemaError(f"field '{field.name}': pack_bits writes int8 cells, so '{target}' must be a "
                                  f"tensor<int8>, not {spec.type}", field.location)



def check_embedders(schemas: Mapping[str, Any], components: Mapping[str, Any]) -> None:
    """Every `embed [id]` names an embedder of services.xml (or leaves the id out when there is
    exactly one), so a feed never meets "Can't find embedder"."""
    ids = sorted(c.id for c in components.values() if c.type in EMBEDDER_TYPES)
    for schema in schemas.values():
        for field in schema.fields.values():
            if "embed" not in field.indexing:
                continue
            for node in P.walk(parse_indexing(field.indexing)):
                if not isinstance(node, P.Embed):
                    continue
                if node.embedder and node.embedder not in ids:
                    raise SchemaError(f"field '{field.name}': embed '{node.embedder}': services.xml has no such "
                                      f"embedder (embedders: {', '.join(ids) or 'none'})", field.location)
                if not node.embedder and len(ids) != 1:
                    raise SchemaError(f"field '{field.name}': embed without an id needs exactly one embedder in "
                                      f"services.xml, there are {len(ids)} ({', '.join(ids) or 'none'})",
                                      field.location)
