"""The kustomize tree: the GPU overlay's patch, applied to the base (by an independent JSON 6902
implementation here), gives exactly the GPU manifests the renderer builds directly; and the tree
committed in deploy/kubernetes is the current render of the default package."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.k8s_manifests import DeployOptions
from deploy.k8s_render import app_package_files, gpu_container_patch, kustomize_tree, render
from searchlib.schema.application import load_application
from test_kubernetes_support import DEFAULT_APP, REPO, uniform_app

COMMITTED = REPO / "deploy" / "kubernetes"


def _pointer(document: Any, path: str) -> tuple[Any, str | int]:
    """The container and key the JSON pointer `path` addresses (RFC 6901)."""
    parts = [part.replace("~1", "/").replace("~0", "~") for part in path.lstrip("/").split("/")]
    for part in parts[:-1]:
        document = document[int(part)] if isinstance(document, list) else document[part]
    last = parts[-1]
    return document, (last if not isinstance(document, list) else (len(document) if last == "-" else int(last)))


def apply_json_patch(document: Any, operations: list[dict]) -> Any:
    document = copy.deepcopy(document)
    for operation in operations:
        parent, key = _pointer(document, operation["path"])
        if operation["op"] == "test":
            assert parent[key] == operation["value"], f"test failed at {operation['path']}"
        elif operation["op"] == "replace":
            parent[key]  # must exist
            parent[key] = copy.deepcopy(operation["value"])
        elif operation["op"] == "add":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(operation["value"]))
            else:
                parent[key] = copy.deepcopy(operation["value"])
        else:
            raise AssertionError(f"unexpected op {operation['op']}")
    return document


def load_tree(tree: dict[str, str], overlay: str) -> list[dict]:
    """What `kubectl kustomize overlays/<overlay>` gives for this renderer's trees."""
    base = yaml.safe_load(tree["base/kustomization.yaml"])
    objects = [obj for file in base["resources"] for obj in yaml.safe_load_all(tree[f"base/{file}"])]
    for obj in objects:
        obj["metadata"]["namespace"] = base["namespace"]
    kustomization = yaml.safe_load(tree[f"overlays/{overlay}/kustomization.yaml"])
    assert kustomization["resources"] == ["../../base"]
    for patch in kustomization.get("patches", []):
        operations = yaml.safe_load(tree[f"overlays/{overlay}/{patch['path']}"])
        target = patch["target"]
        matched = [i for i, obj in enumerate(objects)
                   if obj["kind"] == target["kind"] and obj["metadata"]["name"] == target["name"]]
        assert len(matched) == 1
        objects[matched[0]] = apply_json_patch(objects[matched[0]], operations)
    return objects


@pytest.mark.parametrize("groups,per_group", [(1, 2), (2, 2)])
def test_each_overlay_builds_the_manifests_the_renderer_prints(tmp_path: Path, groups: int, per_group: int) -> None:
    app = uniform_app(tmp_path / "app", groups, per_group)
    tree = kustomize_tree(load_application(app), app_package_files(app), DeployOptions())
    for overlay, gpu in (("cpu", False), ("gpu", True)):
        key = lambda obj: (obj["kind"], obj["metadata"]["name"])  # noqa: E731
        assert sorted(load_tree(tree, overlay), key=key) == sorted(render(app, gpu=gpu), key=key), overlay


def test_the_patch_guards_refuse_a_base_they_do_not_fit(tmp_path: Path) -> None:
    deployment = next(o for o in render(uniform_app(tmp_path / "app", 1, 1)) if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["env"].insert(0, {"name": "OTHER", "value": "x"})
    with pytest.raises(AssertionError, match="env/0/name"):
        apply_json_patch(deployment, gpu_container_patch(DeployOptions()))


def test_the_committed_tree_is_the_render_of_the_default_package() -> None:
    expected = kustomize_tree(load_application(DEFAULT_APP), app_package_files(DEFAULT_APP), DeployOptions())
    committed = {path.relative_to(COMMITTED).as_posix(): path.read_text() for path in COMMITTED.rglob("*.yaml")}
    stale = sorted(path for path in expected.keys() | committed.keys() if expected.get(path) != committed.get(path))
    assert not stale, ("deploy/kubernetes is out of date with schemas/ (" + ", ".join(stale) + "); run\n"
                       "  python -m deploy.k8s_render --app schemas --out deploy/kubernetes")
