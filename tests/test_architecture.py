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


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """module -> project modules it imports: at module level, inside functions and under
    TYPE_CHECKING alike (a late or type-only import is still a dependency). Importing a.b.c from
    outside package a.b also runs a.b's __init__, so that counts as importing a.b too."""
    paths = {module_name(p): p for package in PACKAGES for p in python_files(package)}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([node.module] if node.module else []))
                targets.update(f"{base}.{a.name}" if f"{base}.{a.name}" in paths else base for a in node.names)
        edges = set()
        for target in targets & paths.keys():
            edges.add(target)
            parts = target.split(".")
            edges.update(ancestor for ancestor in (".".join(parts[:i]) for i in range(1, len(parts)))
                         if ancestor in paths and not (name + ".").startswith(ancestor + "."))
        graph[name] = edges - {name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def test_no_import_circles() -> None:
    circles = import_circles(import_graph())
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e2"}, "e2": set()}
    assert import_circles(graph) == [["a", "b", "c"]]
    assert "searchlib.tensor" in import_graph()["searchlib.expression.parser"]  # package __init__ runs


def test_files_stay_small() -> None:
    generated = {"content_node_pb2.py", "content_node_pb2_grpc.py"}
    too_long = [f"{p.relative_to(ROOT)}: {n} lines" for package in PACKAGES for p in python_files(package)
                if p.name not in generated and (n := len(p.read_text().splitlines())) > MAX_LINES]
    assert not too_long, "\n".join(too_long)
