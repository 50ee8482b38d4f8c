"""Evaluating indexing scripts over one document: the execution value flows through each
pipeline; outputs (`attribute`, `index`, `summary`) write it to a field. Null semantics follow
Vespa: `input f` of a missing field is null, `a || b` picks the first non-null, string `.` with a
null side is null, and a null value reaching an output writes nothing.

Tensors flow as numpy arrays (one dense vector) or dicts label -> vector (a mapped dimension, as
`embed` of an array gives); the caller encodes what is written for its field types.

Embedding is a Protocol seam: searchlib stays pure; the container passes its embedder registry.
"""
from __future__ import annotations

import math
import random
import re
import threading
import time
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime
from typing import Any, Mapping, Protocol

import numpy as np

from searchlib.errors import DocumentError, OperationTimeout, quote_input
from searchlib.geo import GeoError, parse_position, position_json
from searchlib.indexing import codecs
from searchlib.indexing import parser as P
from searchlib.indexing.chunking import chunk_fixed_length, chunk_sentences
from searchlib.indexing.siphash import siphash24
from searchlib.java_numbers import parse_int
from searchlib.languages import DEFAULT_LANGUAGE, detect_language, language_code
from searchlib.linguistics import drop_accents


class Embedding(Protocol):
    def __call__(self, embedder: str, target_field: str, value: Any, args: tuple[str, ...],
                 packed: bool = False) -> Any: ...


class LabeledCells(dict):
    """A tensor a script computed with one mapped dimension: label -> dense cells (an ndarray) or
    label -> number (sparse). Its own type, so it is never taken for a fed tensor's JSON form."""


@dataclass(slots=True)
class _Context:
    document: Mapping[str, Any]
    field: str  # the field the script belongs to
    embed: Embedding | None
    field_kinds: Mapping[str, str]  # field -> int, long, array<int>, ... (what `hash` hashes into)
    written: dict[str, Any] = dataclass_field(default_factory=dict)
    target: str = ""  # the field the current statement writes (embed and hash infer their type from it)
    packed: bool = False  # the current statement packs bits after embedding
    language: str = ""  # set_language's, else detected where needed (chunk: CJK splits exactly)
    variables: dict[str, Any] = dataclass_field(default_factory=dict)  # set_var's, for the whole script
    update: bool = False  # a partial update: `guard` blocks without an input do not run
    deadline: float | None = None  # time.monotonic() by which the operation must be answered


def run_script(script: P.Script, document: Mapping[str, Any], field: str, embed: Embedding | None = None,
               initial: Any = None, field_kinds: Mapping[str, str] | None = None, language: str = "",
               update: bool = False, deadline: float | None = None) -> dict[str, Any]:
    """The values the script writes, by field name (`field` is the script's own field). `initial`
    is each statement's starting value: a document field's scripts start with its own value.
    `language` is the document's (from an earlier field's set_language), "" = unknown. `update`:
    `document` holds the fields a partial update assigns. `deadline` (time.monotonic()) bounds `sleep`."""
    context = _Context(document, field, embed, field_kinds or {}, language=language, update=update,
                       deadline=deadline)
    for statement in script.statements:
        outputs = [step for step in P.walk(statement) if isinstance(step, P.Output)]
        context.target = (outputs[0].field or field) if outputs else field
        context.packed = any(isinstance(step, P.Convert) and step.name == "pack_bits" for step in statement.steps)
        try:
            _pipeline(statement, initial, context)
        except (ArithmeticError, TypeError, ValueError) as error:  # the document's values, not the engine
            raise DocumentError(f"The indexing script of field '{field}' cannot process this document: "
                                f"{type(error).__name__}: {error}") from None
    return context.written


def _run_nested(script: P.Script, value: Any, context: _Context) -> Any:
    """for_each's body: each statement starts from the element; the last statement's value is kept."""
    result = None
    for statement in script.statements:
        result = _pipeline(statement, value, context)
    return result


def _pipeline(node: P.Pipeline, value: Any, context: _Context) -> Any:
    for step in node.steps:
        value = _eval(step, value, context)
    return value


def _eval(node: P.Node, value: Any, context: _Context) -> Any:
    if isinstance(node, P.Input):
        return context.document.get(node.field)
    if isinstance(node, P.Literal):
        return node.value
    if isinstance(node, P.Current):
        return value
    if isinstance(node, P.Pipeline):
        return _pipeline(node, value, context)
    if isinstance(node, P.Choice):
        for option in node.options:
            result = _eval(option, value, context)
            if result is not None:
                return result
        return None
    if isinstance(node, P.Binary):
        return _binary(node.op, _eval(node.left, value, context), _eval(node.right, value, context))
    if isinstance(node, P.SetVar):  # the value passes through
        context.variables[node.name] = value
        return value
    if isinstance(node, P.GetVar):  # null when never set
        return context.variables.get(node.name)
    if isinstance(node, P.Switch):
        return _switch(node, value, context)
    if isinstance(node, P.If):
        return _if(node, value, context)
    if isinstance(node, P.Guard):
        if context.update and not guard_runs_on_update(node):
            return None
        return _run_nested(node.script, value, context)
    if isinstance(node, P.SelectInput):  # SelectInputExpression: the chosen case runs, then the value is restored
        for name, body in node.cases:
            if context.document.get(name) is not None:
                _pipeline(body, context.document[name], context)
                break
        return value
    if isinstance(node, P.Random):
        return random.randrange(_random_bound(node.maximum, value))
    if isinstance(node, P.Convert) and node.name in _SOURCES:
        return _source(node.name, context, value)
    if isinstance(node, P.Output):
        target = node.field or context.field
        value = _plain(value)  # the field stores the text; the index runs its own linguistics
        if value is not None:
            previous = context.written.get(target)
            if target in context.written and not _same(previous, value):
                raise DocumentError(f"Field '{target}' receives different values in one indexing script")
            context.written[target] = value
        return value
    if value is None:  # every other expression maps null to null
        return None
    if isinstance(node, P.ForEach):
        if isinstance(value, dict):  # a weighted set or map: each key
            return [_run_nested(node.script, key, context) for key in value]
        if isinstance(value, list):
            return [_run_nested(node.script, element, context) for element in value]
        return _run_nested(node.script, value, context)
    if isinstance(node, P.Embed):
        if context.embed is None:
            raise DocumentError("This indexing script uses 'embed', but no embedders are available")
        return context.embed(node.embedder, context.target, value, node.args, context.packed)
    if isinstance(node, P.Chunk):
        text = _text(value, "chunk")
        if node.chunker == "sentence":
            return chunk_sentences(text)
        language = context.language or detect_language(text)
        return chunk_fixed_length(text, node.length, cjk=language.split("-")[0] in ("zh", "ja", "ko"))
    if isinstance(node, P.Split):
        text = str(value)
        return [] if text == "" else re.split(node.pattern, text)
    if isinstance(node, P.Join):
        if not isinstance(value, (list, dict)):
            raise DocumentError(f"join expects an array, got {type(value).__name__}")
        return node.delimiter.join(_string(element) for element in value)
    if isinstance(node, P.Substring):
        return _each_string(value, lambda s: s[_clamp(node.start, s):max(_clamp(node.start, s), _clamp(node.end, s))])
    if isinstance(node, P.GetField):
        if not isinstance(value, dict):
            raise DocumentError(f"get_field {node.name}: expected a struct, got {type(value).__name__}")
        return value.get(node.name)
    if isinstance(node, P.Tokenize):
        language = context.language or DEFAULT_LANGUAGE
        return _each_string(value, lambda s: codecs.tokenized(s, node.normalize, node.stem, language))
    if isinstance(node, P.NGram):
        return codecs.ngram(_text(value, "ngram"), node.size)
    if isinstance(node, P.Binarize):
        return _each_tensor(value, lambda cells: (cells > node.threshold).astype(np.float64))
    if isinstance(node, P.Convert):
        return _convert(node.name, value, context)
    raise DocumentError(f"Unsupported indexing expression {node!r}")


# expressions that run whatever the execution value (a null one included)
_SOURCES = frozenset({"now", "hostname", "clear_state", "echo", "sleep"})


def _source(name: str, context: _Context, value: Any) -> Any:
    if name == "echo":  # EchoExpression prints the value (Java's "null" for none) to standard out
        print("null" if value is None else _string(value), flush=True)
        return value
    if name == "sleep":  # SleepExpression: a number is seconds to sleep; anything else is ignored
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            _sleep(value, context)
        return value
    if name == "now":
        return int(time.time())
    if name == "hostname":
        return codecs.hostname()
    context.variables.clear()  # clear_state: ExecutionContext.clear(), variables and value
    return None


def _random_bound(maximum: int | None, value: Any) -> int:
    """RandomExpression: its bound, else Integer.parseInt(String.valueOf(value)); Random.nextInt
    takes a positive one."""
    if maximum is None:
        text = _string(value)
        try:
            maximum = parse_int(text)
        except ValueError as error:
            raise DocumentError(f"random: the bound '{quote_input(text, 40)}' is {error}") from None
    if maximum <= 0:
        raise DocumentError(f"random: the bound must be positive, not {maximum}")
    return maximum


_LONG_MAX = (1 << 63) - 1


def _sleep(seconds: float, context: _Context) -> None:
    """Thread.sleep((long) (seconds * 1000)): the cast saturates (1e300 s is Long.MAX_VALUE ms, NaN
    is 0). A sleep past the operation's deadline fails at once (504) rather than holding a worker."""
    millis = seconds * 1000
    if millis != millis or millis < 1:
        return
    millis = int(min(millis, _LONG_MAX))
    left = math.inf if context.deadline is None else context.deadline - time.monotonic()
    if millis / 1000 > left:
        raise OperationTimeout(f"The indexing script of field '{context.field}' sleeps {millis / 1000:g} s, "
                               f"more than the {max(left, 0.0):.3g} s left of the operation's timeout")
    time.sleep(min(millis / 1000, threading.TIMEOUT_MAX))


def guard_runs_on_update(node: P.Guard) -> bool:
    """GuardExpression.shouldExecute: the block reads an input or sets the language."""
    return any(isinstance(inner, P.Input) or (isinstance(inner, P.Convert) and inner.name == "set_language")
               for inner in P.walk(node.script))


def _plain(value: Any) -> Any:
    if isinstance(value, codecs.Annotated):
        return str(value)
    if isinstance(value, list):
        return [_plain(element) for element in value]
    return value


def _switch(node: P.Switch, value: Any, context: _Context) -> Any:
    """Vespa's SwitchExpression: the case equal to the (string) value runs, else the default (a null
    value runs the default); each starts from the value, and the switch passes the value on."""
    if value is not None and not isinstance(value, str):
        raise DocumentError(f"switch expects a string, got {type(value).__name__}")
    body = dict(node.cases).get(value) if value is not None else None
    if body is None:
        body = node.default
    if body is not None:
        _pipeline(body, value, context)
    return value


def _if(node: P.If, value: Any, context: _Context) -> Any:
    left = _eval(node.left, value, context)
    if left is None:
        return None
    right = _eval(node.right, value, context)
    if right is None:
        return None
    block = node.then if _compare(left, node.comparator, right) else node.otherwise
    return value if block is None else _run_nested(block, value, context)


def _compare(left: Any, comparator: str, right: Any) -> bool:
    """Numbers by value (an int equals the same float), else values of one type by their order."""
    numeric = all(isinstance(side, (int, float)) and not isinstance(side, bool) for side in (left, right))
    if not numeric and type(left) is not type(right):
        raise DocumentError(f"if: cannot compare {type(left).__name__} with {type(right).__name__}")
    try:
        order = (left > right) - (left < right)
    except TypeError:
        raise DocumentError(f"if: cannot order values of type {type(left).__name__}") from None
    return {"==": order == 0, "!=": order != 0, "<": order < 0, "<=": order <= 0,
            ">": order > 0, ">=": order >= 0}[comparator]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _clamp(index: int, text: str) -> int:
    return min(max(index, 0), len(text))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise DocumentError(f"{what} expects a string, got {type(value).__name__}")
    return value


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _each_string(value: Any, function) -> Any:
    """Vespa's string converters apply to every string in the value (arrays element-wise)."""
    if isinstance(value, list):
        return [_each_string(element, function) for element in value]
    if isinstance(value, dict):
        return {_each_string(key, function): weight for key, weight in value.items()}
    return function(value) if isinstance(value, str) else value


def _each_tensor(value: Any, function) -> Any:
    if isinstance(value, LabeledCells):
        return LabeledCells({label: function(np.asarray(cells, dtype=np.float64)) for label, cells in value.items()})
    if isinstance(value, (np.ndarray, list)):
        return function(np.asarray(value, dtype=np.float64))
    raise DocumentError(f"expected a tensor, got {type(value).__name__}")


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == ".":
        if isinstance(left, list) or isinstance(right, list):
            return list(left or []) + list(right or [])
        if left is None or right is None:
            return None
        return f"{left}{right}"
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right if isinstance(left, float) or isinstance(right, float) else int(left / right)
    return left % right


def _convert(name: str, value: Any, context: _Context) -> Any:
    if name == "lowercase":
        return _each_string(value, str.lower)
    if name == "trim":
        return _each_string(value, str.strip)
    if name == "normalize":  # Vespa's normalization of indexed text: accents dropped, case kept
        return _each_string(value, drop_accents)
    if name == "to_string":
        return _string(value)
    if name in ("to_int", "to_long", "to_byte"):
        return int(_number(value))
    if name in ("to_float", "to_double"):
        return _number(value)
    if name == "to_bool":
        return value != "" if isinstance(value, str) else bool(value)
    if name == "to_array":
        return [value]
    if name == "to_wset":
        return {value: 1}
    if name == "to_epoch_second":
        return _epoch_second(_text(value, "to_epoch_second"))
    if name == "hash":
        return _each_string(value, lambda s: _hash(s, context.field_kinds.get(context.target, "long")))
    if name == "pack_bits":
        return _each_tensor(value, _pack_bits)
    if name == "set_language":  # the content node reads it for the fields after this one
        try:
            context.language = language_code(str(value))
        except ValueError:
            pass  # Vespa ignores a language it cannot parse
    if name == "to_pos":
        return _to_position(value)
    if name in _CODECS:
        return _CODECS[name](value)
    if name == "to_uri":
        return _string(value)
    if name == "exact":
        return codecs.exact(_text(value, "exact"))
    if name == "flatten":
        return codecs.flatten(value)
    return value  # tokenize: the index does its own linguistics


_CODECS = {"base64encode": codecs.base64_encode, "base64decode": codecs.base64_decode,
           "hexencode": codecs.hex_encode, "hexdecode": codecs.hex_decode, "zcurve": codecs.zcurve}


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DocumentError(f"'{value}' is not a number") from None


def _epoch_second(text: str) -> int:
    """java.time.Instant.parse: an ISO-8601 instant with a zone (`Z` or an offset); fractions dropped."""
    try:
        instant = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise DocumentError(f"to_epoch_second: '{text}' is not an ISO-8601 instant") from None
    if instant.tzinfo is None:
        raise DocumentError(f"to_epoch_second: '{text}' has no time zone (as 2023-12-24T17:00:43Z)")
    return int(instant.timestamp() // 1)


def _hash(text: str, kind: str) -> int:
    """SipHash-2-4 of the UTF-8 bytes (Guava's default key), as a signed long, or its low 32 bits
    as a signed int when the target field holds ints."""
    value = siphash24(text.encode("utf-8"))
    if "int" in kind:
        value &= 0xFFFFFFFF
        return value - (1 << 32) if value >= 1 << 31 else value
    return value - (1 << 64) if value >= 1 << 63 else value


def _pack_bits(cells: np.ndarray) -> np.ndarray:
    """One bit per cell (> 0 is 1), the first cell the highest bit of its byte; int8 cells."""
    bits = (cells.reshape(-1) > 0).astype(np.uint8)
    return np.packbits(bits).view(np.int8).astype(np.float64)


def _to_position(value: Any) -> dict[str, float]:
    """`to_pos`: "N37.4;W122.0" (or {"lat", "lng"}) to a position (searchlib.geo)."""
    try:
        return position_json(*parse_position(value))
    except GeoError as error:
        raise DocumentError(f"to_pos: {error}") from None


def script_inputs(script: P.Script) -> set[str]:
    """The fields a script reads with `input f` (Vespa's InputFieldNameExtractor: not select_input's)."""
    return {node.field for node in P.walk(script) if isinstance(node, P.Input)}


def selectable_inputs(script: P.Script) -> set[str]:
    """The fields `select_input` may pick: on an update, one of them assigned is enough to run it."""
    return {name for node in P.walk(script) if isinstance(node, P.SelectInput) for name, _ in node.cases}
