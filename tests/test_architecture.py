"""Import rules of DESIGN.md, enforced: a forbidden edge or an oversized file fails the build."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("searchlib", "protos", "content_node", "container", "deploy")
ALLOWED = {
    "searchlib": {"searchlib", "protos"},
    "protos": {"protos"},
    "content_node": {"content_node", "searchlib", "protos"},
    "container": {"container", "searchlib", "protos"},
    "deploy": {"deploy", "searchlib"},
}
MAX_LINES = 550


def python_files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_layering(package: str) -> None:
    violations = []
    for path in python_files(package):
        forbidden = imported_packages(path) - ALLOWED[package]
        if package == "searchlib" and "protos" in imported_packages(path) and "wire" not in path.parts:
            forbidden.add("protos (only searchlib/wire may import it)")
        if forbidden:
            violations.append(f"{path.relative_to(ROOT)} imports {sorted(forbidden)}")
    assert not violations, "\n".join(violations)


def test_searchlib_stays_pure() -> None:
    impure = {"grpc", "starlette", "uvicorn", "onnxruntime", "httpx", "hnswlib"}
    offenders = []
    for path in python_files("searchlib"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        if names & impure:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(names & impure)}")
    assert not offenders, "\n".join(offenders)


def test_files_stay_small() -> None:
    generated = {"content_node_pb2.py", "content_node_pb2_grpc.py"}
    too_long = [f"{p.relative_to(ROOT)}: {n} lines" for package in PACKAGES for p in python_files(package)
                if p.name not in generated and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not too_long, "\n".join(too_long)
