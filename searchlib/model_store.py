"""The local model store: models that services.xml names by `url=` or `model-id=` (Vespa downloads
the first at deploy time, the second is Vespa Cloud's catalogue) resolve to files recorded here,
never to a download. `phasedsearch models add REF FILE...` copies the files in and records their
sha256; every resolution checks the file against it.

    <store>/index.json                    {"models": {REF: [{"name", "sha256", "size"}, ...]}}
    <store>/files/<sha256(REF)[:32]>/NAME  the files of one reference, side by side (an ONNX
                                           model's external data file sits next to the model)

The store is $PHASEDSEARCH_MODEL_STORE, else $XDG_DATA_HOME/phasedsearch/models, else
~/.local/share/phasedsearch/models. A reference resolves to its first file.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

from searchlib.digests import file_sha256
from searchlib.errors import SchemaError, SourceLocation

STORE_ENV = "PHASEDSEARCH_MODEL_STORE"
_INDEX = "index.json"


class ModelStoreError(Exception):
    """A reference that is not in the store, a stored file that changed, or a bad `add`."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    name: str
    sha256: str
    size: int


def store_dir() -> Path:
    configured = os.environ.get(STORE_ENV)
    if configured:
        return Path(configured).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "phasedsearch" / "models"


def add_command(reference: str) -> str:
    """The command that puts `reference` into the store (named by every 'not in the store' error)."""
    return f"phasedsearch models add {reference} <file>"


def _folder(store: Path, reference: str) -> Path:
    return store / "files" / hashlib.sha256(reference.encode("utf-8")).hexdigest()[:32]


def read_index(store: Path | None = None) -> dict[str, tuple[StoredFile, ...]]:
    path = (store or store_dir()) / _INDEX
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {ref: tuple(StoredFile(f["name"], f["sha256"], int(f["size"])) for f in files)
                for ref, files in data["models"].items()}
    except (ValueError, KeyError, TypeError) as error:
        raise ModelStoreError(f"the model store index {path} is unreadable ({error}): remove it and add the "
                              "models again") from None


def _write_index(store: Path, index: dict[str, tuple[StoredFile, ...]]) -> None:
    data = {"models": {ref: [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files]
                       for ref, files in sorted(index.items())}}
    partial = store / (_INDEX + ".part")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    partial.replace(store / _INDEX)  # atomic: a loading process never reads half an index


def add(reference: str, files: Iterable[Path], expected_sha256: Iterable[str] = (),
        store: Path | None = None) -> tuple[StoredFile, ...]:
    """Copy `files` into the store as the files of `reference` (replacing what it had). Each
    given `expected_sha256` (in the order of the files) must match, or nothing is recorded."""
    store = store or store_dir()
    sources = [Path(f) for f in files]
    expected = list(expected_sha256)
    if not reference.strip():
        raise ModelStoreError("a model reference (url or model id) must not be empty")
    if not sources:
        raise ModelStoreError(f"no files given for '{reference}'")
    if len(expected) > len(sources):
        raise ModelStoreError(f"{len(expected)} sha256 digests given for {len(sources)} files")
    names = [source.name for source in sources]
    if len(set(names)) != len(names):
        raise ModelStoreError(f"two files named the same for '{reference}': {', '.join(names)}")
    stored = []
    for position, source in enumerate(sources):
        if not source.is_file():
            raise ModelStoreError(f"'{source}' is not a file")
        digest = file_sha256(source)
        if position < len(expected) and expected[position].lower() != digest:
            raise ModelStoreError(f"sha256 mismatch for '{source}': expected {expected[position].lower()}, "
                                  f"the file has {digest}")
        stored.append(StoredFile(source.name, digest, source.stat().st_size))
    folder = _folder(store, reference)
    staging = folder.with_name(folder.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for source, entry in zip(sources, stored):
        shutil.copyfile(source, staging / entry.name)
        if file_sha256(staging / entry.name) != entry.sha256:  # the source changed while we copied it
            shutil.rmtree(staging, ignore_errors=True)
            raise ModelStoreError(f"'{source}' changed while it was copied: add it again")
    index = read_index(store)
    shutil.rmtree(folder, ignore_errors=True)
    staging.replace(folder)
    index[reference] = tuple(stored)
    _write_index(store, index)
    return tuple(stored)


def resolve(reference: str, store: Path | None = None) -> Path:
    """The stored file of `reference`, checked against its recorded sha256."""
    store = store or store_dir()
    files = read_index(store).get(reference)
    if not files:
        raise ModelStoreError(f"'{reference}' is not in the local model store ({store}); models are never "
                              f"downloaded: run `{add_command(reference)}`")
    folder = _folder(store, reference)
    for entry in files:
        path = folder / entry.name
        if not path.is_file():
            raise ModelStoreError(f"the stored file '{path}' of '{reference}' is missing: run "
                                  f"`{add_command(reference)}` again")
        actual = file_sha256(path)
        if actual != entry.sha256:
            raise ModelStoreError(f"sha256 mismatch for the stored file '{path}' of '{reference}': recorded "
                                  f"{entry.sha256}, found {actual}; run `{add_command(reference)}` again")
    return folder / files[0].name


def resolve_components(components: Mapping[str, Any], where: Iterable[tuple[str, str, SourceLocation]],
                       store: Path | None = None) -> dict[str, Any]:
    """The components with each url=/model-id= config value replaced by its stored file's path;
    a reference the store does not have is a SchemaError at its services.xml element."""
    resolved = dict(components)
    for component_id, key, location in where:
        component = resolved[component_id]
        try:
            path = resolve(component.stored_models[key], store)
        except ModelStoreError as error:
            raise SchemaError(f"component '{component_id}' <{key.split('.')[-1]}>: {error}", location) from None
        resolved[component_id] = replace(component, config=MappingProxyType({**component.config, key: str(path)}))
    return resolved


def resolve_significance(models: Iterable[Any], root: Path, store: Path | None = None) -> tuple[Any, ...]:
    """services.xml's significance models (schema.model.SignificanceModelFile) with their files: a
    path= inside the package, a url= or model-id= from the store; else a SchemaError at the element."""
    from searchlib.schema.package_paths import confined_path

    resolved = []
    for model in models:
        if model.kind == "path":
            path = confined_path(root, model.reference, model.location, "significance model")
            if not path.is_file():
                raise SchemaError(f"significance model '{model.reference}' is not a file in the application "
                                  "package", model.location)
        else:
            try:
                path = resolve(model.reference, store)
            except ModelStoreError as error:
                raise SchemaError(f"significance <model {model.kind}=\"{model.reference}\">: {error}",
                                  model.location) from None
        resolved.append(replace(model, path=str(path)))
    return tuple(resolved)
