"""Values written in rank profiles and queries: input defaults, constants, query feature values."""
from __future__ import annotations

from typing import Mapping

from searchlib.errors import InvalidParameterError, quote_input
from searchlib.java_numbers import parse_double
from searchlib.schema.model import RankInput, RankProfile


def _feature_key(name: str) -> str:
    """`myDouble` and `query(myDouble)` name the same input."""
    return name if "(" in name else f"query({name})"


def parse_value(type_spec: str, text: str, what: str) -> object:
    """A number, a hashed string (type `string`), or a tensor literal of the declared type."""
    if type_spec == "string":
        return _string_value(text)
    if not type_spec.startswith("tensor"):
        try:
            value = parse_double(text)
        except ValueError:
            raise InvalidParameterError(
                f"Could not parse '{quote_input(text)}' as a number for {what}") from None
        return value  # int/long/float are doubles, as Vespa treats them (see parse_query_features)
    from searchlib.tensor import parse_tensor_literal

    try:
        return parse_tensor_literal(text, type_spec)
    except Exception as error:  # noqa: BLE001 - re-raised with the feature named
        raise InvalidParameterError(
            f"Could not parse '{quote_input(text)}' as a tensor of type {type_spec} for {what}: "
            f"{quote_input(error, 300)}") from None


def _string_value(text: object) -> float:
    from searchlib.expression import string_hash

    value = str(text)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]  # a quoted default in the schema
    return string_hash(value)


def empty_value(declared: RankInput) -> object:
    if not declared.type_spec.startswith("tensor"):
        return 0.0
    from searchlib.tensor import parse_tensor_literal

    return parse_tensor_literal("{}", declared.type_spec)


def parse_input_defaults(profile: RankProfile) -> dict[str, object]:
    defaults: dict[str, object] = {}
    for declared in profile.inputs.values():
        key = _feature_key(declared.name)
        if declared.default is None:
            defaults[key] = empty_value(declared)
        else:
            defaults[key] = parse_value(declared.type_spec, declared.default, key)
    return defaults


def parse_constant_values(profile: RankProfile) -> dict[str, object]:
    constants: dict[str, object] = {}
    for constant in profile.constants.values():
        value = parse_value(constant.type_spec, constant.value, constant.name)
        bare = constant.name[len("constant("):-1] if constant.name.startswith("constant(") else constant.name
        constants[bare] = value
        constants[f"constant({bare})"] = value
    return constants


def parse_query_features(profile: RankProfile, given: Mapping[str, str]) -> dict[str, object]:
    """HTTP `input.query(x)=...` values → typed feature values, checked against declared inputs."""
    parsed: dict[str, object] = {}
    declared = {_feature_key(i.name): i for i in profile.inputs.values()}
    for name, text in given.items():
        key = _feature_key(name)
        spec = declared.get(key)
        # Vespa has no integral inputs: SchemaParser.valueType turns `long` (and `float`) into a double
        # with a deploy warning, so `1e3` is 1000 and `4.5` stays 4.5; `int` is our alias of the same
        if spec is not None and (spec.type_spec.startswith("tensor") or spec.type_spec == "string"):
            parsed[key] = parse_value(spec.type_spec, str(text), key)
        elif isinstance(text, (int, float)) and not isinstance(text, bool):
            parsed[key] = float(text)
        else:
            try:  # Java's Double.parseDouble grammar: NaN and Infinity as written there, no 1_0
                parsed[key] = parse_double(str(text))
            except ValueError:
                if str(text).lstrip().startswith(("[", "{", "tensor")):
                    raise InvalidParameterError(
                        f"Expected '{key}' to be a tensor, but it is the string '{quote_input(text)}'") from None
                raise InvalidParameterError(
                    f"Could not parse '{quote_input(text)}' as a number for {key}") from None
    return parsed
