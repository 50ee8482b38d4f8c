"""Results → Vespa's default JSON renderer shapes (root, coverage, children, errors, timing)."""
from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Iterable

import orjson

from container.search.phases import ResultHit, SearchResult
from container.search.grouping import render as render_grouping
from searchlib import exact_json
from searchlib.errors import ErrorCode
from searchlib.tensor import Tensor
from searchlib.tensor.result_forms import DEFAULT_FORM, tensor_in_form
from searchlib.wire.search_codec import NodeError


def render_value(value: object, tensor_form: str = DEFAULT_FORM) -> object:
    """`tensor_form`: presentation.format.tensors (searchlib/tensor/result_forms.py)."""
    if isinstance(value, Tensor):
        return tensor_in_form(value, tensor_form)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    return value


def render_tree(value: object) -> object:
    """render_value over the leaves of nested dicts and lists (the phase trace)."""
    if isinstance(value, dict):
        return {k: render_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [render_tree(v) for v in value]
    return render_value(value)


def render_hit(result_hit: ResultHit, source: str, phase_trace: dict | None = None,
               selected: frozenset[str] | None = None, tensor_form: str = DEFAULT_FORM,
               splice: bool = False) -> dict:
    """`selected`: the YQL select list (None for `select *`) - only those summary fields render.
    `splice`: the node's plain JSON (ResultHit.fields_json) goes in as an orjson.Fragment, unread
    (only orjson writes the result); otherwise it is read here."""
    source = result_hit.source or source
    hit = result_hit.hit
    fields: dict[str, object] = {}
    if hit.match_features:
        fields["matchfeatures"] = {k: render_value(v, tensor_form) for k, v in hit.match_features.items()}
    if phase_trace is not None:
        fields["phaseTrace"] = render_tree(phase_trace)
    if result_hit.document_id:
        fields["sddocname"] = result_hit.schema
        if result_hit.shows_documentid:
            fields["documentid"] = result_hit.document_id
    summary_features = None
    if result_hit.summary_features:
        summary_features = {k: render_value(v, tensor_form) for k, v in result_hit.summary_features.items()}
        summary_features["vespa.summaryFeatures.cached"] = 0.0
    plain = result_hit.fields_json
    if plain is not None:
        if splice and selected is None and _spliceable(plain, fields, summary_features):
            return _rendered_hit(result_hit, source, _spliced(fields, plain, summary_features))
        fields.update(exact_json.loads(plain))
    fields.update((k, render_value(v, tensor_form) if isinstance(v, Tensor) else v)
                  for k, v in result_hit.fields.items())
    if selected is not None:
        fields = {name: value for name, value in fields.items()
                  if name in selected or name in ("matchfeatures", "phaseTrace")}
    if summary_features is not None:
        fields["summaryfeatures"] = summary_features
    return _rendered_hit(result_hit, source, fields)


def _rendered_hit(result_hit: ResultHit, source: str, fields: object) -> dict:
    hit = result_hit.hit
    hit_id = result_hit.document_id or f"index:{source}/{hit.distribution_key}/{hit.global_id.hex()}"
    return {"id": hit_id, "relevance": render_value(float(hit.relevance)), "source": source, "fields": fields}


def _spliceable(plain: str, head: dict, summary_features: dict | None) -> bool:
    """A key the container renders, also in the node's fields, is one key in the dict (the later
    value in the earlier place): those are read instead."""
    names = [*head, "summaryfeatures"] if summary_features is not None else head
    return not any(f'"{name}":' in plain for name in names)


def _spliced(head: dict, plain: str, summary_features: dict | None) -> orjson.Fragment:
    """The hit's fields object as render_json would write it: `head`'s keys, the node's fields
    (`plain`, an object of strings as orjson writes it: exact_json.is_plain), summaryfeatures."""
    parts = [orjson.dumps(head)[:-1]]  # without its closing brace
    inner = plain[1:-1].encode("utf-8")
    if inner:
        parts += [b"," if head else b"", inner]
    if summary_features is None:
        parts.append(b"}")
    else:
        parts += [b"," if head or inner else b"", orjson.dumps({"summaryfeatures": summary_features})[1:]]
    return orjson.Fragment(b"".join(parts))


def render_error(error: NodeError) -> dict:
    try:
        summary = ErrorCode(error.code).summary
    except ValueError:
        summary = "Error"
    rendered = {"code": error.code, "summary": summary, "message": error.message}
    if error.source:
        rendered["source"] = error.source
    return rendered


def render_result_json(result: SearchResult, source: str, timing: bool = False,
                       select: tuple[str, ...] = ("*",), tensor_form: str = DEFAULT_FORM) -> bytes:
    """render_json(render_result(...)), with the nodes' plain summary JSON spliced unread; what
    orjson refuses is rendered again with every summary read, for json (render_json)."""
    try:
        return orjson.dumps(render_result(result, source, timing, select, tensor_form, splice=True))
    except TypeError:  # orjson.JSONEncodeError
        return render_json(render_result(result, source, timing, select, tensor_form))


def render_result(result: SearchResult, source: str, timing: bool = False,
                  select: tuple[str, ...] = ("*",), tensor_form: str = DEFAULT_FORM, splice: bool = False) -> dict:
    """`splice`: see render_hit (the dict is then for orjson only)."""
    root: dict[str, object] = {"id": "toplevel", "relevance": 1.0, "fields": {"totalCount": result.total_count}}
    if result.coverage is not None:
        coverage = result.coverage
        rendered = {"coverage": coverage.coverage, "documents": coverage.documents, "full": coverage.full,
                    "nodes": coverage.nodes, "results": coverage.results, "resultsFull": coverage.results_full}
        if coverage.degraded is not None:
            rendered["degraded"] = coverage.degraded
        root["coverage"] = rendered
    if result.errors:
        root["errors"] = [render_error(_without_server_text(e)) for e in result.errors]
    selected = None if "*" in select else frozenset(select)
    traces = result.hit_traces or [None] * len(result.hits)
    children = [render_hit(h, source, t, selected, tensor_form, splice) for h, t in zip(result.hits, traces)]
    children.extend(render_grouping(grouped, lambda hit: render_hit(hit, source, None, selected, tensor_form, splice))
                    for grouped in result.groupings)
    if children:
        root["children"] = children
    if result.phase_trace is not None:
        root["phaseTrace"] = render_tree(result.phase_trace)
    body: dict[str, object] = {"root": root}
    if result.trace:
        body["trace"] = {"children": [{"message": line} for line in result.trace]}
    if timing:
        body["timing"] = result.timing
    return body


def _without_server_text(error: NodeError) -> NodeError:
    """A node's unexpected exception (logged there with its traceback) reaches no client."""
    if error.code != ErrorCode.INTERNAL_SERVER_ERROR:
        return error
    return replace(error, message=f"Internal server error in {error.source or 'a content node'}: see its log")


def error_result(errors: Iterable[NodeError]) -> dict:
    return {"root": {"id": "toplevel", "relevance": 1.0, "fields": {"totalCount": 0},
                     "errors": [render_error(e) for e in errors]}}


def http_status(result_has_hits: bool, errors: list[NodeError]) -> int:
    """Vespa: errors with hits are still 200; otherwise the first error's code decides."""
    if result_has_hits or not errors:
        return 200
    try:
        return ErrorCode(errors[0].code).http_status
    except ValueError:
        return 500


def render_json(body: object) -> bytes:
    """A response body's bytes: orjson (~5x json.dumps; the same JSON values, floats spelled its
    way, 1e-7 for 1e-07), or json.dumps as Starlette's JSONResponse does for what orjson refuses
    (integers beyond 64 bits, non-string keys), so nothing that rendered before fails now."""
    try:
        return orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(body, ensure_ascii=False, allow_nan=False, indent=None,
                          separators=(",", ":")).encode("utf-8")
