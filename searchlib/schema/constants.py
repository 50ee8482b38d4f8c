"""Rank-profile constants as values: literals parsed, `file:` constants read from the application
package (JSON tensor files, in any of the forms `searchlib.tensor.tensor_from_json` reads; the path
is relative to the package root, as in Vespa)."""
from __future__ import annotations

import json
from pathlib import Path

from searchlib.errors import SchemaError
from searchlib.rank_values import parse_value
from searchlib.schema.model import RankConstant, RankProfile
from searchlib.schema.package_paths import confined_path
from searchlib.tensor import tensor_from_json

FILE_PREFIX = "file:"


def constant_value(constant: RankConstant, package_path: Path | None) -> object:
    """The value of one constant: a float or a Tensor. Raises SchemaError at the declaration."""
    text = constant.value.strip()
    try:
        if text.startswith(FILE_PREFIX):
            return _from_file(constant, text[len(FILE_PREFIX):].strip(), package_path)
        return parse_value(constant.type_spec, text, constant.name)
    except SchemaError:
        raise
    except Exception as error:  # noqa: BLE001 - any parse failure becomes a located schema error
        raise SchemaError(f"constant '{constant.name}': {error}", constant.location) from None


def _from_file(constant: RankConstant, relative: str, package_path: Path | None) -> object:
    if package_path is None:
        raise SchemaError(f"constant '{constant.name}': file '{relative}' needs an application package directory",
                          constant.location)
    path = confined_path(package_path, relative, constant.location, f"constant '{constant.name}'")
    if relative.endswith(".lz4"):
        raise SchemaError(f"constant '{constant.name}': lz4-compressed constant files are not supported "
                          f"('{relative}'); store the JSON uncompressed", constant.location)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SchemaError(f"constant '{constant.name}': cannot read '{path}': {error.strerror} (add the file "
                          f"at '{relative}' in the application package, or give the constant its value "
                          f"inline: `value: ...`)", constant.location) from None
    except json.JSONDecodeError as error:
        raise SchemaError(f"constant '{constant.name}': '{path}' is not valid JSON: {error}",
                          constant.location) from None
    if not constant.type_spec.startswith("tensor"):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return float(data)
        raise SchemaError(f"constant '{constant.name}': '{path}' must hold a number", constant.location)
    return tensor_from_json(data, constant.type_spec)


def load_constant_values(profile: RankProfile, package_path: str | Path | None) -> dict[str, object]:
    """name -> value, under both `name` and `constant(name)`."""
    root = Path(package_path) if package_path else None
    constants: dict[str, object] = {}
    for constant in profile.constants.values():
        value = constant_value(constant, root)
        bare = constant.name[len("constant("):-1] if constant.name.startswith("constant(") else constant.name
        constants[bare] = value
        constants[f"constant({bare})"] = value
    return constants
