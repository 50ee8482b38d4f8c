"""A corpus every machine has: the docstrings of the Python standard library.

One document per public module, class, function and method (title = qualified name, path = module,
text = docstring). Importing arbitrary modules can have side effects, so `build_demo_corpus` runs
the walk in a child process (`python -m deploy.demo_corpus OUT.jsonl`) with a time limit, and every
import in it runs in a daemon thread with its own time limit.
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import threading
import warnings
from pathlib import Path
from types import ModuleType
from typing import Iterator

from deploy.processes import child_environment, REPO_ROOT

DEMO_NAMESPACE = "demo"
DEFAULT_DOCTYPE = "doc"
DEFAULT_MAX_DOCUMENTS = 4000
MAX_DOCUMENTS_PER_MODULE = 60  # variety: no single module dominates the corpus
MAX_TEXT_CHARS = 6000
IMPORT_TIMEOUT_SECONDS = 5.0

# modules that act on import (open windows or browsers, print, start GUIs) or are not meant for users
UNSAFE_MODULES = frozenset({
    "antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "__hello__", "__phello__",
    "pydoc_data", "test", "lib2to3", "ensurepip", "venv", "xxsubtype", "xxlimited", "xxlimited_35",
    "webbrowser", "__main__", "msilib", "winreg", "winsound", "msvcrt", "nt", "_winapi",
})


def _import_with_timeout(name: str, timeout: float) -> ModuleType | None:
    outcome: dict[str, ModuleType] = {}

    def load() -> None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                outcome["module"] = importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - any failure just means "skip this module"
            pass

    worker = threading.Thread(target=load, name=f"import {name}", daemon=True)
    worker.start()
    worker.join(timeout)
    return outcome.get("module")


def _clean_docstring(obj: object) -> str:
    doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
    if not doc:
        return ""
    text = inspect.cleandoc(doc).strip()
    return text[:MAX_TEXT_CHARS]


def _document(qualified_name: str, module_name: str, text: str, doctype: str) -> dict:
    return {"put": f"id:{DEMO_NAMESPACE}:{doctype}::{qualified_name}",
            "fields": {"title": qualified_name, "path": module_name, "text": text}}


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def documents_of_module(module: ModuleType, doctype: str = DEFAULT_DOCTYPE,
                        limit: int = MAX_DOCUMENTS_PER_MODULE) -> Iterator[dict]:
    """The module itself, then its own classes (and their methods) and functions, with docstrings."""
    name = module.__name__
    produced = 0
    text = _clean_docstring(module)
    if text:
        produced += 1
        yield _document(name, name, text, doctype)
    for member_name, member in list(vars(module).items()):
        if produced >= limit:
            return
        if not _is_public(member_name) or getattr(member, "__module__", None) != name:
            continue  # skip private names and re-exports (they are documented where defined)
        if not (inspect.isclass(member) or inspect.isfunction(member) or inspect.isbuiltin(member)):
            continue
        text = _clean_docstring(member)
        if text:
            produced += 1
            yield _document(f"{name}.{member_name}", name, text, doctype)
        if not inspect.isclass(member):
            continue
        for method_name, method in list(vars(member).items()):
            if produced >= limit:
                return
            if not _is_public(method_name) or not callable(method):
                continue
            text = _clean_docstring(method)
            if text:
                produced += 1
                yield _document(f"{name}.{member_name}.{method_name}", name, text, doctype)


def stdlib_module_names() -> list[str]:
    return sorted(name for name in sys.stdlib_module_names
                  if _is_public(name) and name not in UNSAFE_MODULES)


def iter_stdlib_documents(max_documents: int = DEFAULT_MAX_DOCUMENTS, doctype: str = DEFAULT_DOCTYPE,
                          import_timeout: float = IMPORT_TIMEOUT_SECONDS) -> Iterator[dict]:
    """Feed operations (put) for the standard library, at most max_documents, ids unique."""
    seen: set[str] = set()
    for module_name in stdlib_module_names():
        module = _import_with_timeout(module_name, import_timeout)
        if module is None:
            continue
        try:
            with warnings.catch_warnings():  # deprecated aliases warn when their docstring is read
                warnings.simplefilter("ignore")
                documents = list(documents_of_module(module, doctype))
        except Exception:  # noqa: BLE001 - a module with odd attributes is skipped, not fatal
            continue
        for document in documents:
            if document["put"] in seen:
                continue
            seen.add(document["put"])
            yield document
            if len(seen) >= max_documents:
                return


def build_demo_corpus(output: str | Path, max_documents: int = DEFAULT_MAX_DOCUMENTS,
                      doctype: str = DEFAULT_DOCTYPE, timeout: float = 300.0) -> int:
    """Write the corpus as JSONL to `output` from an isolated child process; returns the doc count."""
    output = Path(output)
    command = [sys.executable, "-m", "deploy.demo_corpus", str(output),
               "--max-documents", str(max_documents), "--doctype", doctype]
    completed = subprocess.run(command, cwd=str(REPO_ROOT), env=child_environment(),
                               stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"building the demo corpus failed:\n{completed.stderr[-2000:]}")
    with open(output, encoding="utf-8") as corpus:
        return sum(1 for _ in corpus)


def _main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="write the stdlib docstring corpus as Vespa JSONL")
    parser.add_argument("output")
    parser.add_argument("--max-documents", type=int, default=DEFAULT_MAX_DOCUMENTS)
    parser.add_argument("--doctype", default=DEFAULT_DOCTYPE)
    args = parser.parse_args(argv)
    # modules may print on import: keep the JSONL file the only output that matters
    sys.stdout = sys.stderr
    with open(args.output, "w", encoding="utf-8") as out:
        for document in iter_stdlib_documents(args.max_documents, args.doctype):
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
    sys.stderr.flush()
    os._exit(0)  # daemon import threads that hang must not block the exit


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
