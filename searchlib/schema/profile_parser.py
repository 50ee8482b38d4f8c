"""Parsing of rank-profile blocks and the model declarations they share with the schema level
(`onnx-model`, `constant`, `constants`). Expressions stay text; see searchlib.expression."""
from __future__ import annotations

import re
from pathlib import Path

from searchlib.errors import ExpressionError, SchemaError, SourceLocation
from searchlib.expression import canonical_feature_name
from searchlib.schema.blocks import parse_bool, parse_float, parse_int, read_settings_block
from searchlib.schema.lexer import Scanner, split_features
from searchlib.schema.model import (
    ELEMENT_GAP,
    Expression,
    MutateOperation,
    OnnxModel,
    RankConstant,
    RankFunction,
    RankInput,
    rank_type_problem,
)
from searchlib.schema.package_paths import confined_path, reference_problem
from searchlib.schema.syntax import FeatureListDecl, NameRef, PhaseDecl, RankProfileDecl
from searchlib.schema.types import TypeSpecError, canonical_value_type

_PHASE_KEYS = {
    "first-phase": ("expression", "keep-rank-count", "total-keep-rank-count", "rank-score-drop-limit"),
    "second-phase": ("expression", "rerank-count", "total-rerank-count", "rank-score-drop-limit"),
    "global-phase": ("expression", "rerank-count", "rank-score-drop-limit"),
}
FIELD_WEIGHT_PROPERTY = "vespa.fieldweight."  # + field name: a profile's weight of that field
_SIMPLE_SETTINGS = frozenset({
    "min-hits-per-thread", "num-search-partitions", "termwise-limit", "approximate-threshold",
    "post-filter-threshold", "filter-first-threshold", "filter-first-exploration", "exploration-slack",
    "target-hits-max-adjustment-factor", "filter-threshold", "keep-rank-count", "rerank-count",
    "second-phase-rerank-count", "global-phase-rerank-count",
})
_SETTINGS_BLOCKS = {
    "match-phase": {"attribute": "value", "order": "value", "max-hits": "value", "total-max-hits": "value",
                    "max-filter-coverage": "value", "diversity": "block", "evaluation-point": "value",
                    "pre-post-filter-tipping-point": "value"},
    "diversity": {"attribute": "value", "min-groups": "value", "cutoff-factor": "value",
                  "cutoff-strategy": "value"},
    "weakand": {"stopword-limit": "value", "adjust-target": "value", "allow-drop-all": "value"},
    "significance": {"use-model": "value"},
}
_MUTATE_PHASES = ("on-match", "on-first-phase", "on-second-phase", "on-summary")
_MUTATE_OP = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\+=|-=|=)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
_ONNX_INT_KEYS = {"gpu-device": "gpu_device", "intraop-threads": "intraop_threads",
                  "interop-threads": "interop_threads", "batch-size": "batch_size"}


def read_expression(sc: Scanner, what: str, schema_dir: Path | None) -> Expression:
    """After the keyword `expression`: `: one line` or `{ block }`; `file:name` loads name.expression."""
    if sc.try_inline_char(":"):
        text, location = sc.line_value(what)
    elif sc.try_char("{"):
        text, location = sc.block_text(what)
    else:
        raise sc.error(f"expected ':' or '{{' after 'expression' in {what}")
    if text.startswith("file:"):
        return _expression_from_file(text[5:].strip(), location, schema_dir)
    return Expression(text, location)


def _expression_from_file(name: str, location: SourceLocation, schema_dir: Path | None) -> Expression:
    if schema_dir is None:
        raise SchemaError(f"expression file '{name}' cannot be read: no application directory", location)
    file = name if name.endswith(".expression") else name + ".expression"
    problem = reference_problem(file)  # named relative to the schema directory, which is in the package
    if problem is not None:
        raise SchemaError(f"expression file: {problem}", location)
    path = confined_path(schema_dir.parent, f"{schema_dir.name}/{file}", location, f"expression file '{name}'")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"cannot read expression file '{path}': {exc.strerror} (put '{file}' in the folder "
                          f"'{schema_dir.name}/' beside the schema, or write the expression inline)", location) from None
    stripped = text.strip()
    line = text[: text.find(stripped)].count("\n") + 1 if stripped else 1
    return Expression(stripped, SourceLocation(str(path), line, 1))


def _value_type(sc: Scanner, what: str) -> str:
    """A type on the current line: `double`, `tensor<float>(x[3])`, `tensor(k{})` (canonicalized)."""
    start = sc.pos
    word = sc.inline_word()
    if word is None:
        return "double"
    spec = word
    if word == "tensor":
        if sc.peek() == "<":
            spec += sc.balanced("<", what)
        sc.skip_inline_space()
        spec += sc.balanced("(", what)
    try:
        return canonical_value_type(spec)
    except TypeSpecError as exc:
        raise SchemaError(f"{exc} in {what}", sc.location(start)) from None


def _feature_name(sc: Scanner, what: str) -> str:
    """`query(q)`, `constant(w)` or a bare name."""
    name = sc.word(what)
    if sc.peek() == "(":
        name += "".join(sc.balanced("(", what).split())
    return name


def read_inputs(sc: Scanner, profile: str) -> dict[str, RankInput]:
    """After `inputs {`: `query(q) tensor<float>(x[3])`, `myDouble: 0.5`, `query(x) double: 1`, ..."""
    what = f"inputs of rank-profile '{profile}'"
    inputs: dict[str, RankInput] = {}
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        start = sc.pos
        name = _feature_name(sc, f"an input name in {what}")
        if "(" not in name:
            name = f"query({name})"
        elif not name.startswith("query("):
            raise SchemaError(f"input '{name}' must be a query feature, as query(name)", sc.location(start))
        type_spec = "double" if sc.at_line_end() or sc.peek() == ":" else _value_type(sc, what)
        default = None
        if sc.try_inline_char(":"):
            default, _ = sc.line_value(f"default of input '{name}'", stop_at_space=True)
            if not default:
                raise SchemaError(f"missing default value for input '{name}'", sc.location(start))
        if name in inputs:
            raise SchemaError(f"duplicate input '{name}' in rank-profile '{profile}'", sc.location(start))
        inputs[name] = RankInput(name, type_spec, default, sc.location(start))
    return inputs


def read_constants(sc: Scanner, owner: str) -> dict[str, RankConstant]:
    """After `constants {`: `w: 0.6`, `constant(t) tensor(x[3]):[1,2,3]`, `c tensor(x[9]): file:c.json`."""
    what = f"constants of {owner}"
    constants: dict[str, RankConstant] = {}
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        start = sc.pos
        name = _feature_name(sc, f"a constant name in {what}")
        if "(" not in name:
            name = f"constant({name})"
        elif not name.startswith("constant("):
            raise SchemaError(f"constant '{name}' must be written as name or constant(name)", sc.location(start))
        type_spec = "double" if sc.peek() == ":" else _value_type(sc, what)
        sc.expect(":", f"after constant '{name}' (a constant needs a value)")
        value, _ = sc.line_value(f"value of constant '{name}'", stop_at_space=True)
        if not value:
            raise SchemaError(f"missing value for constant '{name}'", sc.location(start))
        if name in constants:
            raise SchemaError(f"duplicate constant '{name}' in {owner}", sc.location(start))
        constants[name] = RankConstant(name, type_spec, value.replace("file: ", "file:"), sc.location(start))
    return constants


def read_constant_block(sc: Scanner, owner: str) -> RankConstant:
    """After the keyword `constant`: `name { file: x  type: t }` (or `value: literal`)."""
    start = sc.pos
    name = sc.word(f"a constant name in {owner}")
    sc.expect("{", f"after constant '{name}'")
    items = read_settings_block(sc, f"constant '{name}'", {"file": "value", "uri": "value", "type": "value",
                                                           "value": "value"})
    values = {item.key: item.value or "" for item in items}
    location = sc.location(start)
    try:
        type_spec = canonical_value_type(values.get("type", "double"))
    except TypeSpecError as exc:
        raise SchemaError(f"{exc} in constant '{name}'", location) from None
    if "file" in values:
        value = "file:" + values["file"]
    elif "uri" in values:
        value = "uri:" + values["uri"]
    elif "value" in values:
        value = values["value"]
    else:
        raise SchemaError(f"constant '{name}' needs 'file' or 'value'", location)
    return RankConstant(f"constant({name})", type_spec, value, location)


def read_onnx_model(sc: Scanner, owner: str) -> OnnxModel:
    """After the keyword `onnx-model`: `name { file: ...  input a: src  output "b": alias ... }`."""
    start = sc.pos
    name = sc.word(f"an onnx-model name in {owner}")
    what = f"onnx-model '{name}'"
    sc.expect("{", f"after {what}")
    values: dict[str, object] = {}
    inputs: list[tuple[str, str]] = []
    outputs: list[tuple[str, str]] = []
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        key_pos = sc.pos
        key = sc.word(f"an element in {what}")
        if key in ("input", "output"):
            onnx_name = sc.name_or_string(f"an ONNX {key} name in {what}")
            sc.expect(":", f"after {key} '{onnx_name}' in {what}")
            source, _ = sc.line_value(f"{key} '{onnx_name}' in {what}")
            if not source:
                raise SchemaError(f"missing source for {key} '{onnx_name}' in {what}", sc.location(key_pos))
            (inputs if key == "input" else outputs).append((onnx_name, source))
            continue
        if key not in ("file", "uri", "execution-mode", *_ONNX_INT_KEYS):
            raise SchemaError(f"unknown element '{key}' in {what}", sc.location(key_pos))
        sc.expect(":", f"after '{key}' in {what}")
        value, _ = sc.line_value(f"'{key}' in {what}")
        if key in _ONNX_INT_KEYS:
            values[_ONNX_INT_KEYS[key]] = parse_int(value, f"{key} of {what}", sc.location(key_pos))
        elif key == "execution-mode":
            if value not in ("sequential", "parallel"):
                raise SchemaError(f"execution-mode must be sequential or parallel, not '{value}'",
                                  sc.location(key_pos))
            values["execution_mode"] = value
        else:
            problem = reference_problem(value)
            if problem is not None:
                raise SchemaError(f"{what}: {problem}", sc.location(key_pos))
            values["file"] = value
    if "file" not in values:
        raise SchemaError(f"{what} has no 'file'", sc.location(start))
    return OnnxModel(name=name, inputs=tuple(inputs), outputs=tuple(outputs), location=sc.location(start),
                     **values)  # type: ignore[arg-type]


def _read_features(sc: Scanner, keyword: str, owner: str) -> FeatureListDecl:
    """`x-features: a b`, `x-features { a \\n b }` or `x-features inherits p { c }`."""
    location = sc.location()
    inherits: list[NameRef] = []
    if sc.try_word("inherits"):
        while True:
            sc.skip_space()
            ref_pos = sc.pos
            inherits.append(NameRef(sc.word(f"a rank-profile name after '{keyword} inherits'"), sc.location(ref_pos)))
            if not sc.try_char(","):
                break
        sc.expect("{", f"after '{keyword} inherits {', '.join(ref.name for ref in inherits)}'")
        text, _ = sc.block_text(f"{keyword} of {owner}")
    elif sc.try_inline_char(":"):
        text, _ = sc.line_value(f"{keyword} of {owner}")
    elif sc.try_char("{"):
        text, _ = sc.block_text(f"{keyword} of {owner}")
    else:
        raise sc.error(f"expected ':' or '{{' after '{keyword}' in {owner}")
    return FeatureListDecl([_listed_name(name) for name in split_features(text)], location, inherits)


def _listed_name(text: str) -> str:
    """A listed feature's name: with named arguments, the one canonical form (`bm25(field: f, label: l)`
    and `bm25(f, label: "l")` are both `bm25(f,label:l)`), as expressions name it. A name that does
    not parse stays as written, for the type checker to report where it is."""
    if ":" not in text:
        return text
    try:
        return canonical_feature_name(text)
    except ExpressionError:
        return text


def _read_mutate(sc: Scanner, profile: RankProfileDecl) -> None:
    what = f"mutate of rank-profile '{profile.name}'"
    sc.expect("{", f"after 'mutate' in rank-profile '{profile.name}'")
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        start = sc.pos
        phase = sc.word(f"a mutate phase in {what}")
        if phase not in _MUTATE_PHASES:
            raise SchemaError(f"unknown element '{phase}' in {what} (expected one of {', '.join(_MUTATE_PHASES)})",
                              sc.location(start))
        sc.expect("{", f"after '{phase}'")
        body, body_location = sc.block_text(f"{phase} in {what}")
        operations = []
        located_body = Expression(body, body_location)
        for statement in re.finditer(r"[^\n;]+", body):
            if not statement.group(0).strip():
                continue
            match = _MUTATE_OP.match(statement.group(0))
            if not match:
                location = located_body.location_at(statement.start())
                raise SchemaError(f"invalid mutate operation '{statement.group(0).strip()}' in {phase} "
                                  "(expected: attribute =|+=|-= number)", location)
            operations.append(MutateOperation(match.group(1), match.group(2), float(match.group(3))))
        profile.mutate[phase] = tuple(operations)
        profile.mutate_locations[phase] = sc.location(start)


_RANK_PROPERTY_KEY = re.compile(r'((?:"[^"\n]*"|\([^)\n]*\)|[^\s:(){}"]|[ \t]+)+?)\s*:')


def _read_rank_properties(sc: Scanner, profile: RankProfileDecl) -> None:
    """After `rank-properties {`: `feature.property: value` lines; keys may hold parentheses."""
    what = f"rank-properties of rank-profile '{profile.name}'"
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        start = sc.pos
        match = _RANK_PROPERTY_KEY.match(sc.text, sc.pos)
        if not match:
            raise sc.error(f"expected 'name: value' in {what}")
        sc.pos = match.end()
        key = re.sub(r"\s+", "", match.group(1))  # `foo ( bar ) . baz` is foo(bar).baz, as in Vespa
        key = key[1:-1] if len(key) > 1 and key[0] == key[-1] == '"' else key
        value, _ = sc.line_value(f"rank-property '{key}'")
        profile.rank_properties[key] = value.strip('"')
        if not value:
            raise SchemaError(f"missing value for rank-property '{key}'", sc.location(start))


def _read_phase(sc: Scanner, keyword: str, profile: RankProfileDecl, schema_dir: Path | None) -> PhaseDecl:
    what = f"{keyword} of rank-profile '{profile.name}'"
    phase = PhaseDecl(sc.location(sc.pos - len(keyword)))
    sc.expect("{", f"after '{keyword}' in rank-profile '{profile.name}'")
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        start = sc.pos
        key = sc.word(f"an element in {what}")
        location = sc.location(start)
        if key not in _PHASE_KEYS[keyword]:
            raise SchemaError(f"unknown element '{key}' in {what}", location)
        if key == "expression":
            phase.expression = read_expression(sc, what, schema_dir)
            continue
        sc.expect(":", f"after '{key}' in {what}")
        value, _ = sc.line_value(f"'{key}' in {what}")
        if key == "rerank-count":
            phase.rerank_count = parse_int(value, f"{key} in {what}", location)
        elif key == "keep-rank-count":
            phase.keep_rank_count = parse_int(value, f"{key} in {what}", location)
        elif key == "rank-score-drop-limit":
            phase.rank_score_drop_limit = parse_float(value, f"{key} in {what}", location)
        elif key == "total-rerank-count":
            phase.total_rerank_count = parse_int(value, f"{key} in {what}", location)
        else:  # total-keep-rank-count
            phase.total_keep_rank_count = parse_int(value, f"{key} in {what}", location)
    return phase


def read_rank_profile(sc: Scanner, schema_dir: Path | None, out: list[RankProfileDecl],
                      outer: str | None = None) -> None:
    """After the keyword `rank-profile`: name, `inherits a, b`, body. Nested profiles are added to
    `out` as `outer.inner`, inheriting the outer profile unless they name their own parents."""
    sc.skip_space()
    start = sc.pos
    local_name = sc.word("a rank-profile name")
    name = f"{outer}.{local_name}" if outer else local_name
    profile = RankProfileDecl(name, sc.location(start))
    if sc.try_word("inherits"):
        while True:
            sc.skip_space()
            ref_pos = sc.pos
            profile.inherits.append(NameRef(sc.word("a rank-profile name after 'inherits'"), sc.location(ref_pos)))
            if not sc.try_char(","):
                break
    elif outer:
        profile.inherits.append(NameRef(outer, profile.location))
    sc.expect("{", f"after rank-profile '{name}'")
    out.append(profile)
    _read_profile_body(sc, profile, schema_dir, out)


def _read_profile_body(sc: Scanner, profile: RankProfileDecl, schema_dir: Path | None,
                       out: list[RankProfileDecl]) -> None:
    owner = f"rank-profile '{profile.name}'"
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {owner}")
        sc.skip_space()
        start = sc.pos
        key = sc.word(f"an element in {owner}")
        location = sc.location(start)
        if key in ("function", "macro"):
            _read_function(sc, profile, schema_dir)
        elif key in _PHASE_KEYS:
            if key in profile.phases:
                raise SchemaError(f"duplicate '{key}' in {owner}", location)
            profile.phases[key] = _read_phase(sc, key, profile, schema_dir)
        elif key == "inputs":
            sc.expect("{", f"after 'inputs' in {owner}")
            _merge_unique(profile.inputs, read_inputs(sc, profile.name), "input", owner)
        elif key == "constants":
            sc.expect("{", f"after 'constants' in {owner}")
            _merge_unique(profile.constants, read_constants(sc, owner), "constant", owner)
        elif key == "constant":
            constant = read_constant_block(sc, owner)
            _merge_unique(profile.constants, {constant.name: constant}, "constant", owner)
        elif key == "onnx-model":
            model = read_onnx_model(sc, owner)
            _merge_unique(profile.onnx_models, {model.name: model}, "onnx-model", owner)
        elif key in ("match-features", "summary-features"):
            features = _read_features(sc, key, owner)
            attr = key.replace("-", "_")
            previous: FeatureListDecl | None = getattr(profile, attr)
            if previous is not None and not features.inherits:
                previous.features.extend(features.features)
            else:
                setattr(profile, attr, features)
        elif key == "rank-features":
            profile.rank_features.extend(_read_features(sc, key, owner).features)
        elif key == "rank-properties":
            sc.expect("{", f"after 'rank-properties' in {owner}")
            _read_rank_properties(sc, profile)
        elif key == "mutate":
            _read_mutate(sc, profile)
        elif key == "rank-profile":
            read_rank_profile(sc, schema_dir, out, outer=profile.name)
        elif key == "ignore-default-rank-features":
            profile.ignore_default_rank_features = True
        elif key in ("strict", "num-threads-per-search"):
            sc.expect(":", f"after '{key}' in {owner}")
            value, _ = sc.line_value(f"'{key}' in {owner}")
            if key == "strict":
                profile.strict = parse_bool(value, f"strict in {owner}", location)
            else:
                profile.num_threads_per_search = parse_int(value, f"{key} in {owner}", location)
        elif key == "weight":  # `weight f: 33`: the field's weight in this profile (Vespa's vespa.fieldweight.f)
            field_name = sc.word(f"a field name after 'weight' in {owner}")
            sc.expect(":", f"after 'weight {field_name}' in {owner}")
            value, _ = sc.line_value(f"'weight {field_name}' in {owner}")
            weight = parse_int(value, f"weight {field_name} in {owner}", location)
            if weight < 0:
                raise SchemaError(f"weight {field_name} in {owner} must not be negative", location)
            profile.rank_properties[f"{FIELD_WEIGHT_PROPERTY}{field_name}"] = str(weight)
            profile.setting_locations[f"{FIELD_WEIGHT_PROPERTY}{field_name}"] = location
        elif key in ("rank", "rank-type"):
            field_name = sc.word(f"a field name after '{key}' in {owner}")
            if key == "rank" and sc.peek_word() is None and sc.peek() == "{":  # `rank f { element-gap: 3 }`
                sc.expect("{", f"after 'rank {field_name}' in {owner}")
                for item in read_settings_block(sc, f"rank {field_name} of {owner}", {"element-gap": "value"}):
                    gap = (item.value or "").strip()
                    if gap != "infinity":  # Vespa's default: no match across elements
                        if parse_int(gap, f"element-gap of {field_name} in {owner}", item.location) < 0:
                            raise SchemaError(f"element-gap of {field_name} in {owner} must not be negative",
                                              item.location)
                    profile.settings[f"{ELEMENT_GAP}{field_name}"] = gap
                    profile.setting_locations[f"{ELEMENT_GAP}{field_name}"] = item.location
                continue
            sc.expect(":", f"after '{key} {field_name}' in {owner}")
            value, _ = sc.line_value(f"'{key} {field_name}' in {owner}")
            if key == "rank":
                if value not in ("filter", "normal"):
                    raise SchemaError(f"rank {field_name} must be filter or normal, not '{value}'", location)
                profile.field_rank[field_name] = value
            else:
                problem = rank_type_problem(value, owner)
                if problem is not None:
                    raise SchemaError(problem, location)
                profile.settings[f"rank-type.{field_name}"] = value
                profile.setting_locations[f"rank-type.{field_name}"] = location
        elif key in _SETTINGS_BLOCKS:
            sc.expect("{", f"after '{key}' in {owner}")
            items = read_settings_block(sc, f"{key} of {owner}", _SETTINGS_BLOCKS[key], _SETTINGS_BLOCKS)
            _flatten_settings(key, items, profile.settings, profile.setting_locations)
        elif key in _SIMPLE_SETTINGS:
            sc.expect(":", f"after '{key}' in {owner}")
            value, _ = sc.line_value(f"'{key}' in {owner}")
            if key in ("rerank-count", "keep-rank-count"):  # Vespa's older place for the phases' counts
                parse_int(value, f"{key} in {owner}", location)
            else:
                parse_float(value, f"{key} in {owner}", location)
            profile.settings[key] = value
            profile.setting_locations[key] = location
        else:
            raise SchemaError(f"unknown element '{key}' in {owner}", location)


def _flatten_settings(prefix: str, items, settings: dict[str, str],
                      locations: dict[str, SourceLocation]) -> None:
    for item in items:
        if item.children:
            _flatten_settings(f"{prefix}.{item.key}", item.children, settings, locations)
        else:
            settings[f"{prefix}.{item.key}"] = item.value if item.value is not None else "true"
            locations[f"{prefix}.{item.key}"] = item.location


def _merge_unique(target: dict, new: dict, kind: str, owner: str) -> None:
    for name, value in new.items():
        if name in target:
            raise SchemaError(f"duplicate {kind} '{name}' in {owner}", getattr(value, "location", None))
        target[name] = value


def _read_function(sc: Scanner, profile: RankProfileDecl, schema_dir: Path | None) -> None:
    inline = sc.try_word("inline")
    sc.skip_space()
    start = sc.pos
    name = sc.word(f"a function name in rank-profile '{profile.name}'")
    while sc.peek() == "$":  # Vespa's grammar allows `$` in function names
        sc.pos += 1
        name += "$"
    location = sc.location(start)
    what = f"function '{name}' in rank-profile '{profile.name}'"
    sc.expect("(", f"after function name '{name}' (write {name}() for no parameters)")
    parameters: list[str] = []
    if not sc.try_char(")"):
        while True:
            parameters.append(sc.word(f"a parameter name in {what}"))
            if sc.try_char(")"):
                break
            sc.expect(",", f"between parameters of {what}")
    sc.expect("{", f"after the parameters of {what}")
    expression = None
    while not sc.try_char("}"):
        if sc.at_end():
            raise sc.error(f"unclosed '{{' in {what}")
        key_pos = sc.pos
        key = sc.word(f"'expression' in {what}")
        if key != "expression":
            raise SchemaError(f"unknown element '{key}' in {what}", sc.location(key_pos))
        expression = read_expression(sc, what, schema_dir)
    if expression is None:
        raise SchemaError(f"{what} has no expression", location)
    if name in profile.functions:
        raise SchemaError(f"duplicate function '{name}' in rank-profile '{profile.name}'", location)
    profile.functions[name] = RankFunction(name, tuple(parameters), expression, inline)
    profile.function_locations[name] = location
