"""What the CLI's command modules share: exit codes and the package check made before starting."""
from __future__ import annotations

from pathlib import Path

from deploy.app_check import fix_hint, validate_package
from deploy.local_cluster import ClusterError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def check_package(app_dir: Path) -> None:
    """ClusterError listing every problem of the package (schema errors, missing models and files)
    with the fix, so nothing is started that would only fail later, one put or query at a time."""
    if not app_dir.is_dir():
        raise ClusterError(f"no application package at {app_dir}; pass one with --app")
    problems = validate_package(app_dir)
    if problems:
        raise ClusterError(f"the application package {app_dir} cannot be started:\n"
                           + "\n".join(f"  {problem}" for problem in problems)
                           + f"\n{fix_hint(problems, app_dir)} (`phasedsearch validate --app {app_dir}` "
                           "checks it again)")
