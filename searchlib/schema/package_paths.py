"""The application package is a sandbox: every file it names (constant files, ONNX models,
tokenizers, xgboost/lightgbm models, expression files) must resolve inside the package directory.

The one rule, used by the loader, `phasedsearch validate` and every process that opens such a file:
- the reference is relative and has no `..` part (checked on the text, so it fails the same way on
  every machine, whether or not the file exists);
- after symlinks are resolved the file is still inside the package directory. The one exception is
  the package's own top-level `models` entry: a package may link `models/` to a shared model store
  (the development setup and `phasedsearch models fetch` do), and files under it must then stay
  inside that store.
"""
from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath

from searchlib.errors import SchemaError, SourceLocation

MODELS_DIR = "models"


def reference_problem(reference: str) -> str | None:
    """Why a file reference is refused on its text alone, or None."""
    text = reference.strip()
    if not text:
        return "an empty file name"
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() or PureWindowsPath(text).drive:
        return f"absolute path '{text}' is not allowed: files are named relative to the application package"
    if text.startswith("~"):
        return f"path '{text}' is not allowed: files are named relative to the application package"
    if ".." in PurePosixPath(text.replace("\\", "/")).parts:
        return f"path '{text}' leaves the application package ('..' is not allowed)"
    return None


def _allowed_roots(root: Path) -> list[Path]:
    real_root = Path(os.path.realpath(root))
    roots = [real_root]
    models = root / MODELS_DIR
    if models.is_symlink():
        roots.append(Path(os.path.realpath(models)))
    return roots


def confined_path(root: str | Path, reference: str, location: SourceLocation | None, what: str) -> Path:
    """`root/reference`, or a SchemaError at `location` when it is not a file inside the package."""
    root = Path(root)
    where = location or SourceLocation(str(root), 0, 0)
    problem = reference_problem(reference)
    if problem is not None:
        raise SchemaError(f"{what}: {problem}", where)
    path = root / reference.strip()
    real = Path(os.path.realpath(path))
    if not any(real == allowed or allowed in real.parents for allowed in _allowed_roots(root)):
        raise SchemaError(f"{what}: '{reference.strip()}' resolves outside the application package "
                          f"(a symlink to '{real}')", where)
    return path


def tree_model_path(root: str | Path, file: str, location: SourceLocation | None = None) -> Path:
    """`xgboost("m.json")` reads `<package>/models/m.json` (a leading `models/` is accepted too)."""
    relative = file[len("models/"):] if file.startswith("models/") else file
    problem = reference_problem(relative)
    if problem is not None:
        raise SchemaError(f"tree model: {problem}", location or SourceLocation(str(root), 0, 0))
    return confined_path(root, f"{MODELS_DIR}/{relative}", location, f"tree model '{file}'")
