"""deploy/build-image.sh and deploy/Dockerfile agree: every build argument the script passes is one
the Dockerfile declares and uses, every target it builds is a stage, and every `${ARG}` a stage
reads is declared where it is read (checked on the script's --dry-run, which needs no buildah)."""
from __future__ import annotations

import re
import shlex
import subprocess

import pytest

from test_kubernetes_image import instructions, stages
from test_kubernetes_support import REPO

SCRIPT = REPO / "deploy" / "build-image.sh"


def dry_run(*args: str) -> list[str]:
    completed = subprocess.run([str(SCRIPT), "--dry-run", *args], capture_output=True, text=True, timeout=30)
    assert completed.returncode == 0, completed.stderr
    return shlex.split(completed.stdout)


def options(command: list[str], name: str) -> list[str]:
    return [command[i + 1] for i, word in enumerate(command) if word == name]


def global_args() -> dict[str, str]:
    """ARGs before the first FROM: the ones FROM lines and build arguments may set."""
    declared = {}
    for instruction, arguments in instructions():
        if instruction == "FROM":
            break
        if instruction == "ARG":
            name, _, default = arguments.partition("=")
            declared[name] = default
    return declared


@pytest.mark.parametrize("args", [(), ("--base", "debootstrap"), ("--target", "gpu"),
                                  ("--base", "debootstrap", "--app", "schemas")])
def test_the_scripts_build_arguments_and_targets_are_the_dockerfiles(args) -> None:
    command = dry_run(*args)
    assert command[:4] == ["buildah", "bud", "--isolation", "chroot"]
    assert (REPO / options(command, "--file")[0]).is_file()
    assert (REPO / options(command, "--ignorefile")[0]).is_file()
    [target] = options(command, "--target")
    assert target in stages() and target == (args[1] if args[:1] == ("--target",) else "cpu")
    for build_arg in options(command, "--build-arg"):
        name, _, value = build_arg.partition("=")
        assert name in global_args(), name
        assert value, build_arg
        readers = [stage for stage, steps in stages().items() if ("ARG", name) in steps]
        based = [a for i, a in instructions() if i == "FROM" and f"${{{name}}}" in a]
        assert readers or based, f"{name} is declared but no stage reads it"


def test_without_a_registry_both_bases_are_the_local_debian_with_debians_python() -> None:
    build_args = dict(a.partition("=")[::2] for a in options(dry_run("--base", "debootstrap"), "--build-arg"))
    assert build_args == {"BUILD_BASE": "localhost/debian:bookworm-slim",
                          "CPU_BASE": "localhost/debian:bookworm-slim", "PYTHON_SOURCE": "debian"}
    # the defaults build on a Docker host from the registry's images
    assert global_args()["BUILD_BASE"] == "python:3.11-slim-bookworm"
    assert global_args()["PYTHON_SOURCE"] == "uv"
    assert dict(a.partition("=")[::2] for a in options(dry_run("--base", "pull"), "--build-arg")) == {}


def test_every_variable_a_stage_reads_is_declared_there() -> None:
    declared_globally = set(global_args())
    for instruction, arguments in instructions():
        if instruction == "FROM":
            assert set(re.findall(r"\$\{(\w+)\}", arguments)) <= declared_globally, arguments
    for stage, steps in stages().items():
        declared = {arguments.partition("=")[0] for instruction, arguments in steps if instruction == "ARG"}
        for instruction, arguments in steps:
            if instruction in ("RUN", "COPY"):
                used = set(re.findall(r"\$\{(\w+)", arguments)) - {"python_packages"}
                assert used <= declared, f"stage {stage}: {instruction} {arguments} reads {used - declared}"


def test_debians_python_is_installed_wherever_the_venv_runs() -> None:
    python = " ".join(a for i, a in stages()["python"] if i == "RUN")
    assert 'python_packages="python${PYTHON_VERSION} python${PYTHON_VERSION}-venv' in python
    assert '"python${PYTHON_VERSION}" -m venv /opt/venv' in python
    cpu = " ".join(a for i, a in stages()["cpu"] if i == "RUN")
    assert 'apt-get install -y --no-install-recommends "python${PYTHON_VERSION}"' in cpu
    # Ubuntu's CUDA base has no Python 3.11: the GPU target refuses Debian's
    gpu = " ".join(a for i, a in stages()["gpu"] if i == "RUN")
    assert '[ "${PYTHON_SOURCE}" = uv ] ||' in gpu


@pytest.mark.parametrize("args", [("--target", "gpu", "--base", "debootstrap"), ("--target", "arm"),
                                  ("--base", "docker"), ("--bogus",)])
def test_the_script_refuses_what_cannot_build(args) -> None:
    completed = subprocess.run([str(SCRIPT), "--dry-run", *args], capture_output=True, text=True, timeout=30)
    assert completed.returncode == 64 and "build-image.sh:" in completed.stderr
