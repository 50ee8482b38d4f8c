"""Load-time check of every field's indexing script: a statement the engine cannot run refuses
the package at the field's file:line:column ("not supported: <statement>"), instead of a field
the feed silently leaves empty."""
from __future__ import annotations

from typing import Any, Mapping

from searchlib.errors import SchemaError
from searchlib.indexing import parser as P
from searchlib.indexing.parser import parse_indexing
from searchlib.tensor import TensorType

# the component types `embed` can name (the container's registry loads each)
EMBEDDER_TYPES = ("hugging-face-tokenizer", "hugging-face-embedder", "bert-embedder", "colbert-embedder",
                  "splade-embedder")


def script_match(script_text: str, field_name: str) -> tuple[str, int] | None:
    """("exact", 0) or ("gram", N) when a statement writing the field's own index runs `exact` or
    `ngram N` (Vespa's config model adds just these for `match: exact` / `match: gram`), else None.
    A script that does not parse is left to check_indexing, which refuses it where it is written."""
    try:
        script = parse_indexing(script_text)
    except SchemaError:
        return None
    found = None
    for statement in script.statements:
        nodes = list(P.walk(statement))
        if not any(isinstance(n, P.Output) and n.kind == "index" and n.field in ("", field_name) for n in nodes):
            continue
        for node in nodes:
            if isinstance(node, P.NGram):
                found = ("gram", node.size)
            elif isinstance(node, P.Convert) and node.name == "exact":
                found = ("exact", 0)
    return found


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
            _check_types(script, field, schema.fields)


def _check_targets(script: P.Script, field, fields: Mapping[str, Any]) -> None:
    """`hash` writes an int or a long, `pack_bits` an int8 tensor: Vespa refuses other targets."""
    for statement in script.statements:
        outputs = [step.field or field.name for step in P.walk(statement) if isinstance(step, P.Output)]
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



# what an expression makes (target field kinds it may write) and reads (kinds of an `input` before it),
# as Vespa's verification of ZCurveExpression, HexEncodeExpression, ToUriExpression, ...
_MAKES = {"zcurve": ("long",), "hexdecode": ("long",), "base64decode": ("long",), "hexencode": ("string",),
          "base64encode": ("string",), "to_uri": ("uri",), "hostname": ("string",), "flatten": ("string",),
          "random": ("int", "long")}
_READS = {"zcurve": ("position",), "hexencode": ("long",), "base64encode": ("long",), "hexdecode": ("string",),
          "base64decode": ("string",), "exact": ("string",), "ngram": ("string",), "flatten": ("string",)}


def _step_name(node) -> str:
    if isinstance(node, P.Convert):
        return node.name
    return {P.Random: "random", P.NGram: "ngram"}.get(type(node), "")


def _annotates(node) -> bool:
    return isinstance(node, (P.Tokenize, P.NGram)) or (isinstance(node, P.Convert) and node.name == "exact")


def _kind(spec) -> str:
    kind = spec.type.kind
    return spec.type.element.kind if kind == "array" and spec.type.element else kind


def _check_types(script: P.Script, field, fields: Mapping[str, Any]) -> None:
    """Within each pipeline: an `input f` feeding a codec must be of the kind it reads, and a codec
    writing straight to an output must write a field of the kind it makes."""
    for node in P.walk(script):
        for name, _ in node.cases if isinstance(node, P.SelectInput) else ():
            if name not in fields or not fields[name].in_document:  # SelectInputExpression's verify
                raise SchemaError(f"field '{field.name}': select_input reads '{name}', which is not a document "
                                  f"field", field.location)
        steps = getattr(node, "steps", ())
        for at, step in enumerate(steps):
            if _step_name(step) == "flatten" and not any(_annotates(inner) for earlier in steps[:at]
                                                         for inner in P.walk(earlier)):
                raise SchemaError(f"field '{field.name}': flatten writes out the terms of tokenize, exact or "
                                  f"ngram, so one of them must come before it", field.location)
        for before, after in zip(steps, steps[1:]):
            name = _step_name(after)
            if isinstance(before, P.Input) and name in _READS and before.field in fields:
                kind = _kind(fields[before.field])
                if kind not in _READS[name]:
                    raise SchemaError(f"field '{field.name}': {name} expects {' or '.join(_READS[name])} input, "
                                      f"but field '{before.field}' is {fields[before.field].type}", field.location)
            name = _step_name(before)
            if isinstance(after, P.Output) and name in _MAKES and (after.field or field.name) in fields:
                target = fields[after.field or field.name]
                if _kind(target) not in _MAKES[name]:
                    raise SchemaError(f"field '{field.name}': {name} makes a {' or '.join(_MAKES[name])}, which "
                                      f"'{target.name}' of type {target.type} cannot hold", field.location)


# what each embedder fills: (mapped, indexed) dimension counts of a target, for one text or an array
_SHAPES = {"hugging-face-tokenizer": {(0, 1), (1, 1)}, "hugging-face-embedder": {(0, 1), (1, 1)},
           "bert-embedder": {(0, 1), (1, 1)},
           "colbert-embedder": {(1, 1), (2, 1)}, "splade-embedder": {(1, 0), (2, 0)}}
_EXAMPLES = {"hugging-face-tokenizer": "tensor<float>(d0[512])", "hugging-face-embedder": "tensor<float>(x[384])",
             "bert-embedder": "tensor<float>(x[384])",
             "colbert-embedder": "tensor<float>(dt{}, x[128])", "splade-embedder": "tensor<float>(t{})"}


def check_embedders(schemas: Mapping[str, Any], components: Mapping[str, Any]) -> None:
    """Every `embed [id]` names an embedder of services.xml (or leaves the id out when there is
    exactly one) and writes a tensor that embedder can fill, so a feed never meets "Can't find
    embedder" or "Don't know how to embed into"."""
    types = {c.id: c.type for c in components.values() if c.type in EMBEDDER_TYPES}
    ids = sorted(types)
    for schema in schemas.values():
        for field in schema.fields.values():
            if "embed" not in field.indexing:
                continue
            for statement in parse_indexing(field.indexing).statements:
                outputs = [step.field or field.name for step in P.walk(statement) if isinstance(step, P.Output)]
                target = schema.fields.get(outputs[0] if outputs else field.name)
                for node in P.walk(statement):
                    if isinstance(node, P.Embed):
                        embedder = _embedder_id(node, ids, field)
                        _check_target(types[embedder], embedder, target, field)


def _embedder_id(node: P.Embed, ids: list[str], field) -> str:
    if node.embedder and node.embedder not in ids:
        raise SchemaError(f"field '{field.name}': embed '{node.embedder}': services.xml has no such "
                          f"embedder (embedders: {', '.join(ids) or 'none'})", field.location)
    if not node.embedder and len(ids) != 1:
        raise SchemaError(f"field '{field.name}': embed without an id needs exactly one embedder in "
                          f"services.xml, there are {len(ids)} ({', '.join(ids) or 'none'})", field.location)
    return node.embedder or ids[0]


def _check_target(kind: str, embedder: str, target, field) -> None:
    if target is None:
        return  # a summary-only name: the feed says what it is
    shape = None
    if target.type.kind == "tensor":
        tensor_type = TensorType.parse(target.type.tensor_type)
        shape = (len(tensor_type.mapped), len(tensor_type.indexed))
    if shape not in _SHAPES[kind]:
        raise SchemaError(f"field '{field.name}': embed '{embedder}' ({kind}) cannot fill '{target.name}' of type "
                          f"{target.type}: it fills a tensor like {_EXAMPLES[kind]}", field.location)
