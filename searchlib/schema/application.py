"""Application packages (Vespa layout) -> ApplicationPackage, compiled once.

    <app>/services.xml
    <app>/schemas/<schema>.sd
    <app>/schemas/<schema>/<profile>.profile     (optional: one rank profile per file)
    <app>/search/query-profiles/<id>.xml         (optional: query profiles)
    <app>/models/...                             (ONNX models, tokenizers: referenced by path)

The generation is a sha256 over the engine version and every file of the package (package_files:
models/ included, as nodes load tree models and the container ONNX models from there), sorted by
relative path, so a request carries it and a process that loaded other files, or runs another
engine version, is detected.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
from dataclasses import replace
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Mapping

from searchlib.digests import shared_file_sha256
from searchlib.errors import SchemaError, SourceLocation
from searchlib.indexing import check_embedders, check_indexing
from searchlib.match_modes import streaming_schemas
from searchlib.model_store import resolve_components, resolve_significance
from searchlib.schema.clients import DataPlaneClient
from searchlib.schema.linguistics_profiles import apply_profiles
from searchlib.schema.compiler import compile_schemas
from searchlib.schema.model import ApplicationPackage, ContainerLimits, OnnxModel, Schema
from searchlib.schema.package_paths import confined_path
from searchlib.schema.parser import parse_profile_file, parse_schema
from searchlib.schema.references import check_global_references, referenced_types
from searchlib.schema.query_profile_types import (
    is_query_profile_type_source,
    query_feature_types,
    with_query_feature_types,
)
from searchlib.schema.query_profiles import is_query_profile_source, parse_query_profiles
from searchlib.schema.container_parts import refuse_unsupported
from searchlib.schema.services import default_content_cluster, parse_services
from searchlib.schema.typecheck import check_schemas
from searchlib.schema.syntax import SchemaDecl

_SCHEMA_DIRS = ("schemas", "searchdefinitions")  # the second is Vespa's legacy name
_SKIPPED_PARTS = {"__pycache__", ".git"}


def engine_version() -> str:
    try:
        return importlib.metadata.version("phasedsearch")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def package_files(root: str | Path) -> list[str]:
    """Every file of the package directory as relative POSIX paths, sorted: symlinked folders (a
    linked models/) followed; __pycache__, .git and hidden files skipped. The one listing the
    generation and the Kubernetes ConfigMap (deploy/k8s_render.py) share."""
    root = Path(root)
    found: list[str] = []
    seen: set[str] = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:  # a symlink loop
            dirs.clear()
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if d not in _SKIPPED_PARTS and not d.startswith(".")]
        relative = Path(folder).relative_to(root)
        found.extend((relative / name).as_posix() for name in files if not name.startswith("."))
    return sorted(found)


def package_generation(root: str | Path, files: list[str]) -> str:
    digest = hashlib.sha256(b"engine\0" + engine_version().encode() + b"\0")
    for relative in files:
        digest.update(relative.encode() + b"\0" + bytes.fromhex(shared_file_sha256(Path(root) / relative)))
    return digest.hexdigest()


def load_application(path: str | Path, *, derive_only: bool = False) -> ApplicationPackage:
    """Load and compile the application package in directory `path`. derive_only: compile as
    Vespa's config derivation does (its derived-config tests): `file:` rank constants take their
    declared types without their contents being read, a name in an expression that is no function,
    constant or known rank feature is taken as a rank feature (Vespa's config model does not know
    the content nodes' features), and the services.xml rule that reference targets are global
    document types is not applied. A package to run (validate, up) is loaded without it, so a
    missing constant file, an unknown rank feature or a non-global parent is a located error there,
    as Vespa's deploy refuses them."""
    root = Path(path)
    if not root.is_dir():
        raise SchemaError(f"application package '{root}' is not a directory", SourceLocation(str(root), 0, 0))
    files = package_files(root)
    schema_dir = next((root / d for d in _SCHEMA_DIRS if (root / d).is_dir()), root / "schemas")
    sources = {relative: (root / relative).read_text(encoding="utf-8") for relative in files
               if _is_schema_source(relative) or relative == "services.xml" or is_query_profile_source(relative)
               or is_query_profile_type_source(relative, derive_only)}
    return _build(sources, str(root), package_generation(root, files), schema_dir, display_root=root,
                  derive_only=derive_only)


def application_from_text(sd_text: str, *, services_xml: str | None = None, name: str = "test.sd",
                          check_expressions: bool = True) -> ApplicationPackage:
    """An application package with one schema given as text (tests, tools). `check_expressions=False`
    skips type-checking rank expressions (for documentation snippets that elide their fields)."""
    sources = {f"schemas/{name}": sd_text}
    if services_xml is not None:
        sources["services.xml"] = services_xml
    return application_from_sources(sources, check_expressions=check_expressions)


def application_from_sources(sources: Mapping[str, str], *, path: str = "<memory>",
                             check_expressions: bool = True) -> ApplicationPackage:
    """An application package from {relative path: text}: `services.xml`, `schemas/x.sd`,
    `schemas/x/p.profile`. The generation hashes the texts the same way load_application does."""
    digest = hashlib.sha256(b"engine\0" + engine_version().encode() + b"\0")
    for relative in sorted(sources):
        digest.update(relative.encode() + b"\0" + hashlib.sha256(sources[relative].encode("utf-8")).digest())
    return _build(dict(sources), path, digest.hexdigest(), None, display_root=None,
                  check_expressions=check_expressions)


def _onnx_models(schema: Schema) -> list[OnnxModel]:
    return [m for profile in schema.rank_profiles.values() for m in profile.onnx_models.values()]


def _is_schema_source(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    if len(parts) == 2 and parts[0] in _SCHEMA_DIRS and parts[1].endswith(".sd"):
        return True
    return len(parts) >= 3 and parts[0] in _SCHEMA_DIRS and parts[-1].endswith(".profile")  # sub-folders too


def _read_package_file(sources: Mapping[str, str], root: Path | None, relative: str, where: SourceLocation) -> str:
    """A file services.xml names: from the package directory (confined to it), or from the texts
    of an in-memory package."""
    if root is None:
        if relative not in sources:
            raise SchemaError(f"file '{relative}' not found in the application package", where)
        return sources[relative]
    path = confined_path(root, relative, where, "services.xml file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(f"cannot read '{relative}' in the application package: {exc}", where) from None


def _build(sources: Mapping[str, str], path: str, generation: str, schema_dir: Path | None,
           display_root: Path | None, check_expressions: bool = True,
           derive_only: bool = False) -> ApplicationPackage:
    def file_name(relative: str) -> str:
        return str(display_root / relative) if display_root is not None else relative

    decls: dict[str, SchemaDecl] = {}
    for relative in sorted(sources):
        parts = PurePosixPath(relative).parts
        if len(parts) == 2 and parts[1].endswith(".sd") and parts[0] in _SCHEMA_DIRS:
            decl = parse_schema(sources[relative], file_name(relative), schema_dir=schema_dir)
            if decl.name != PurePosixPath(relative).stem:
                raise SchemaError(f"schema '{decl.name}' must be in a file named {decl.name}.sd", decl.location)
            decls[decl.name] = decl
    if not decls:
        raise SchemaError("the application package has no schemas (expected schemas/<name>.sd)",
                          SourceLocation(file_name("schemas"), 0, 0))
    for relative in sorted(sources):
        parts = PurePosixPath(relative).parts
        if len(parts) >= 3 and parts[0] in _SCHEMA_DIRS and parts[-1].endswith(".profile"):
            owner = decls.get(parts[1])
            if owner is None:
                raise SchemaError(f"profile directory '{parts[1]}' does not match a schema",
                                  SourceLocation(file_name(relative), 1, 1))
            owner.rank_profiles.extend(parse_profile_file(sources[relative], file_name(relative),
                                                          schema_dir=schema_dir))
    schemas = with_query_feature_types(compile_schemas(decls.values()),
                                       query_feature_types(sources, file_name, derive_only))
    check_indexing(schemas)  # a statement the container cannot run refuses the package here
    if check_expressions:  # every rank-profile expression type-checks, or the load fails
        check_schemas(schemas, display_root, read_constant_files=not derive_only, verify_features=not derive_only)
    document_types = [schema.document_name for schema in schemas.values()]
    services_text = sources.get("services.xml")
    limits = ContainerLimits()
    clients: tuple[DataPlaneClient, ...] = ()
    significance: tuple = ()
    if services_text is None:  # the generated cluster holds every referenced (parent) type globally
        clusters = (replace(default_content_cluster(document_types), global_types=referenced_types(schemas)),)
        components = {}
        schemas = apply_profiles(schemas, None, file_name("services.xml"))
    else:
        services = parse_services(services_text, file_name("services.xml"), document_types,
                                  functools.partial(_read_package_file, sources, display_root))
        refuse_unsupported(services.unsupported)  # a Java component, searcher, handler, ...: never ignored
        clusters, components, limits, clients = services.clusters, services.components, services.limits, services.clients
        schemas = apply_profiles(schemas, services.profiles, file_name("services.xml"))
        check_embedders(schemas, components)
        if display_root is not None:
            for reference, location in services.files:
                confined_path(display_root, reference, location, "services.xml file")
            components = resolve_components(components, services.models)  # url=/model-id=: never downloaded
            significance = resolve_significance(services.significance, display_root)
    if not derive_only:
        check_global_references(schemas, clusters)
    schemas = streaming_schemas(schemas, clusters)  # unstemmed, matched by their algorithms
    if display_root is not None:
        for schema in schemas.values():
            for model in _onnx_models(schema):
                confined_path(display_root, model.file, model.location, f"onnx-model '{model.name}'")
    return ApplicationPackage(
        path=path,
        schemas=MappingProxyType(schemas),
        content=clusters[0],
        content_clusters=clusters if len(clusters) > 1 else (),
        components=MappingProxyType(components),
        limits=limits,
        generation=generation,
        clients=clients,
        query_profiles=MappingProxyType(parse_query_profiles(sources, file_name)),
        significance_models=significance,
    )
