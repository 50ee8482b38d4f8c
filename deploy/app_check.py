"""Checking an application package without starting anything: `phasedsearch validate` and the
check `phasedsearch up` makes before it starts processes.

The loader (searchlib.schema.application) stops at the first error; here each schema, profile file
and services.xml is parsed on its own so every file's first error is reported, then (when they all
parse) the package is compiled, every rank profile type-checked on its own, and every file the
package refers to (ONNX models, tokenizers, constant files) looked for on disk. Each ONNX file is
opened with onnxruntime (CPU, no graph optimization: a check, not a load for serving), so a file the
runtime cannot load (corrupt, an IR version too new) is refused here, not on every query.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from deploy.models import MODELS, DERIVED
from searchlib.errors import SchemaError, SourceLocation
from searchlib.indexing import check_indexing
from searchlib.model_store import resolve_components, resolve_significance
from searchlib.significance import SignificanceModelError, read_model
from searchlib.schema.application import load_application
from searchlib.schema.compiler import compile_schemas
from searchlib.schema.constants import FILE_PREFIX, constant_value
from searchlib.schema.model import ApplicationPackage, RankProfile
from searchlib.schema.package_paths import confined_path
from searchlib.schema.parser import parse_profile_file, parse_schema
from searchlib.schema.services import _MODEL_ELEMENTS, parse_services  # noqa: PLC2701 - one list of them
from searchlib.schema.syntax import SchemaDecl
from searchlib.schema.typecheck import ProfileChecker

_SCHEMA_DIRS = ("schemas", "searchdefinitions")
_FETCHABLE = {f"models/{folder}/{name}" for folder, (_, files) in MODELS.items() for name in files} | {
    f"models/{folder}/{name}" for folder, name in DERIVED}
_MODEL_KEYS = set(_MODEL_ELEMENTS)  # the config keys services.py gives file references
_ORT_SOURCE_FRAME = re.compile(r"\S+\.(?:cc|cpp|h):\d+ \S*\(.*?\) ")  # "model.cc:256 Model::Model(...) "
_REMOTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Problem:
    location: str  # file:line:column
    message: str
    missing: str = ""  # the file reference, for a file that is not there
    default_model: bool = False  # ... and it is one `phasedsearch models fetch` provides

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


def _problem(error: SchemaError, fallback: str) -> Problem:
    return Problem(str(error.location) if error.location else f"{fallback}:0:0", error.message)


def validate_package(app_dir: Path) -> list[Problem]:
    """Every error this package can be checked for without running it, in file order."""
    root = Path(app_dir)
    if not root.is_dir():
        return [Problem(f"{root}:0:0", "application package is not a directory")]
    problems: list[Problem] = []
    schema_dir = next((root / d for d in _SCHEMA_DIRS if (root / d).is_dir()), root / "schemas")
    schema_files = sorted(p for d in _SCHEMA_DIRS for p in (root / d).glob("*.sd"))
    decls: dict[str, SchemaDecl] = {}
    for path in schema_files:
        try:
            decl = parse_schema(path.read_text(encoding="utf-8"), str(path), schema_dir=schema_dir)
            if decl.name != path.stem:
                raise SchemaError(f"schema '{decl.name}' must be in a file named {decl.name}.sd", decl.location)
            decls[decl.name] = decl
        except SchemaError as error:
            problems.append(_problem(error, str(path)))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(f"{path}:0:0", f"cannot read: {error}"))
    if not schema_files:
        problems.append(Problem(f"{root / 'schemas'}:0:0", "the application package has no schemas "
                                                           "(expected schemas/<name>.sd)"))
    for path in sorted(p for d in _SCHEMA_DIRS for p in (root / d).glob("*/*.profile")):
        try:
            profiles = parse_profile_file(path.read_text(encoding="utf-8"), str(path), schema_dir=schema_dir)
            owner = decls.get(path.parent.name)
            if owner is None and path.parent.name not in {p.stem for p in schema_files}:
                raise SchemaError(f"profile directory '{path.parent.name}' does not match a schema",
                                  SourceLocation(str(path), 1, 1))
            if owner is not None:
                owner.rank_profiles.extend(profiles)
            else:
                for profile in profiles:  # its schema has an error of its own: still check the models
                    problems.extend(_missing_model_files(root, profile.onnx_models.values()))
        except SchemaError as error:
            problems.append(_problem(error, str(path)))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(f"{path}:0:0", f"cannot read: {error}"))
    services = root / "services.xml"
    if services.is_file():
        # schemas that did not parse still name their document type: no second error for them
        document_types = [decl.document_name or decl.name for decl in decls.values()]
        document_types += [path.stem for path in schema_files if path.stem not in decls]
        try:
            parsed = parse_services(services.read_text(encoding="utf-8"), str(services), document_types)
            problems.extend(Problem(str(where), message) for message, where in parsed.unsupported)
            problems.extend(_missing_component_files(root, services, parsed.components.values()))
            problems.extend(_model_store_problems(parsed))
            problems.extend(_significance_problems(root, parsed))
            problems.extend(_client_certificate_problems(root, parsed.clients))
        except SchemaError as error:
            problems.append(_problem(error, str(services)))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(f"{services}:0:0", f"cannot read: {error}"))
    for decl in decls.values():
        models = [*decl.onnx_models.values(), *(m for p in decl.rank_profiles for m in p.onnx_models.values())]
        problems.extend(_missing_model_files(root, models))
    # schemas that inherit from one that did not parse would only report that again
    complete = {name: decl for name, decl in decls.items()
                if all(ref.name in decls for ref in [*filter(None, [decl.inherits]), *decl.document_inherits])}
    problems.extend(_compile_problems(root, complete))
    if not problems:  # "valid" must mean that the processes load it: the loader has the last word
        try:
            load_application(root)
        except SchemaError as error:
            problems.append(_problem(error, str(root)))
    return sorted(_unique(problems), key=_file_order)


def _compile_problems(root: Path, decls: dict[str, SchemaDecl]) -> list[Problem]:
    """What only the whole package shows: inheritance, then each rank profile's types on its own
    (a broken base profile is reported once per profile that inherits it: deduplicated later)."""
    problems = []
    try:
        schemas = compile_schemas(decls.values())
    except SchemaError as error:  # one broken schema must not hide the errors of the others
        problems.append(_problem(error, str(root)))
        schemas = {}
        for decl in decls.values():
            if decl.inherits is None and not decl.document_inherits:
                try:
                    schemas.update(compile_schemas([decl]))
                except SchemaError as own:
                    problems.append(_problem(own, str(root)))
    for name, schema in schemas.items():
        try:
            check_indexing({name: schema})
        except SchemaError as error:
            problems.append(_problem(error, str(root)))
    for schema in schemas.values():
        for profile in schema.rank_profiles.values():
            try:
                # constant files are checked once, below, for every constant (the checker would
                # stop at the first and report it a second time)
                ProfileChecker(schema, profile, root, read_constant_files=False).check()
            except SchemaError as error:
                problems.append(_problem(error, str(root)))
            problems.extend(_constant_file_problems(root, profile))
    return problems


def missing_files(application: ApplicationPackage, app_dir: Path) -> list[Problem]:
    """Files a loaded package refers to that are not on disk (what `up` checks before starting)."""
    root = Path(app_dir)
    problems: list[Problem] = []
    models = {(m.file, m.location): m for schema in application.schemas.values()
              for profile in schema.rank_profiles.values() for m in profile.onnx_models.values()}
    problems.extend(_missing_model_files(root, models.values()))
    services = root / "services.xml"
    problems.extend(_missing_component_files(root, services, application.components.values()))
    problems.extend(_client_certificate_problems(root, application.clients))
    for schema in application.schemas.values():
        for profile in schema.rank_profiles.values():
            problems.extend(_constant_file_problems(root, profile))
    return _unique(problems)


def _constant_file_problems(root: Path, profile: RankProfile) -> Iterator[Problem]:
    for constant in profile.constants.values():
        if constant.value.strip().startswith(FILE_PREFIX):
            try:
                constant_value(constant, root)
            except SchemaError as error:
                yield _problem(error, str(root))


def fix_hint(problems: Iterable[Problem], app_dir: Path) -> str:
    """How to get the missing files: `models fetch` for the default models, else copy them."""
    missing = [problem for problem in problems if problem.missing]
    if any(problem.default_model for problem in missing):
        return f"run `phasedsearch models fetch --into {Path(app_dir) / 'models'}` to fetch the default models"
    return "copy the missing files into the application package" if missing else "fix the errors above"


def _missing_model_files(root: Path, models: Iterable) -> Iterator[Problem]:
    for model in models:
        try:
            confined_path(root, model.file, model.location, f"onnx-model '{model.name}'")
        except SchemaError as error:
            yield _problem(error, str(root))
            continue
        if not _exists(root, model.file):
            yield _missing(str(model.location), root, model.file, f"onnx-model {model.name}")
        elif error := _onnx_load_error(root / model.file):
            yield Problem(str(model.location), f"onnx-model {model.name}: {error}")


def _missing_component_files(root: Path, services: Path, components: Iterable) -> Iterator[Problem]:
    text = services.read_text(encoding="utf-8") if services.is_file() else ""
    for component in components:
        for key, reference in component.config.items():
            if not set(key.split(".")) & _MODEL_KEYS or _REMOTE.match(reference) or key in component.stored_models:
                continue
            location = _text_location(services, text, f'"{reference}"')
            try:
                confined_path(root, reference, None, f"component {component.id}")
            except SchemaError as error:
                yield Problem(location, error.message)
                continue
            if not _exists(root, reference):
                yield _missing(location, root, reference, f"component {component.id}")
            elif reference.lower().endswith(".onnx") and (error := _onnx_load_error(root / reference)):
                yield Problem(location, f"component {component.id}: {error}")


def _model_store_problems(services) -> Iterator[Problem]:
    """url= and model-id= references the local model store does not have (or has corrupted)."""
    for component_id, key, location in services.models:
        try:
            resolved = resolve_components({component_id: services.components[component_id]},
                                          [(component_id, key, location)])
        except SchemaError as error:
            yield _problem(error, str(location.file))
            continue
        stored = Path(resolved[component_id].config[key])  # a stored model is opened as a package's is
        if stored.suffix.lower() == ".onnx" and (error := _onnx_load_error(stored)):
            yield Problem(str(location), f"component '{component_id}' <{key.split('.')[-1]}>: {error}")


def _significance_problems(root: Path, services) -> Iterator[Problem]:
    """<significance> models that are not in the package or the model store, or are no model."""
    for model in services.significance:
        try:
            (resolved,) = resolve_significance([model], root)
            read_model(Path(resolved.path))
        except SchemaError as error:
            yield _problem(error, str(model.location.file))
        except (OSError, SignificanceModelError) as error:
            yield Problem(str(model.location), f"significance model: {error}")


def _client_certificate_problems(root: Path, clients: Iterable) -> Iterator[Problem]:
    for client in clients:
        for file in client.certificates:
            try:
                confined_path(root, file, client.location, f"client '{client.id}' certificate")
            except SchemaError as error:
                yield _problem(error, str(root))
                continue
            if not _exists(root, file):
                yield Problem(str(client.location), f"client '{client.id}': certificate file '{file}' not found "
                                                    f"in {root}", missing=file)


def _onnx_load_error(path: Path) -> str:
    """onnxruntime's reason it cannot open the model at `path` ("" when it can)."""
    stat = path.stat()
    return _session_error(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)  # one session per file per check, however many profiles refer to it
def _session_error(path: str, _mtime_ns: int, _size: int) -> str:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.log_severity_level = 4  # the reason is reported here, not in onnxruntime's own log
    try:
        onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as error:  # noqa: BLE001 - onnxruntime raises its own exception types
        message = " ".join(str(error).split())
        message = _ORT_SOURCE_FRAME.sub("", message.split("failed:", 1)[-1])  # the reason, not its C++ origin
        return f"onnxruntime cannot load '{path}': {message}"
    return ""


def _exists(root: Path, reference: str) -> bool:
    return (root / reference).is_file()


def _missing(location: str, root: Path, reference: str, what: str) -> Problem:
    default = PurePosixPath(reference).as_posix() in _FETCHABLE
    message = f"{what}: file '{reference}' not found in {root}" + (" (a default model)" if default else "")
    return Problem(location, message, missing=reference, default_model=default)


def _text_location(path: Path, text: str, needle: str) -> str:
    """file:line:column of the first `needle` in text (services.xml components keep no locations)."""
    offset = text.find(needle)
    if offset < 0:
        return f"{path}:0:0"
    line = text.count("\n", 0, offset) + 1
    return f"{path}:{line}:{offset - (text.rfind(chr(10), 0, offset) + 1) + 2}"


def _file_order(problem: Problem) -> tuple[str, int, int]:
    file, line, column = (problem.location.rsplit(":", 2) + ["0", "0"])[:3]
    return file, int(line) if line.isdigit() else 0, int(column) if column.isdigit() else 0


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
