"""Vespa's `match` rank feature (MatchBlueprint): which fields it combines and through which feature.
Each matchable field of the schema contributes its match score - fieldMatch(f) for a single-value
index field, elementCompleteness(f) for a multi-value one, attributeMatch(f) for an attribute - with
its field weight; `match` is the weighted average over the fields that matched (score > 0),
`match.totalWeight` their weight sum, `match.weight.f` each field's weight. One rule for the type
checker (load) and the content node (content_node/matching/misc_features.py)."""
from __future__ import annotations

from searchlib.schema.geo_fields import is_position
from searchlib.schema.model import Schema

_NOT_MATCHABLE = ("tensor", "raw", "predicate")  # Vespa: tensors, raw and boolean trees have no match score


def match_inputs(schema: Schema) -> list[tuple[str, str]]:
    """(field, the feature giving its match score), in declaration order."""
    inputs = []
    for name, field in schema.fields.items():
        if field.parent or field.type.kind in _NOT_MATCHABLE or is_position(field):
            continue
        if field.is_index:
            multi = field.type.kind in ("array", "weightedset")
            inputs.append((name, f"elementCompleteness({name})" if multi else f"fieldMatch({name})"))
        elif field.is_attribute:
            inputs.append((name, f"attributeMatch({name})"))
    return inputs


def match_problem(schema: Schema, output: str) -> str | None:
    """Why `match[.output]` cannot be computed for this schema, or None."""
    inputs = match_inputs(schema)
    if output not in ("", "score", "totalWeight") and \
            not (output.startswith("weight.") and output[7:] in {name for name, _ in inputs}):
        return f"match has no output '{output}'"
    return None
