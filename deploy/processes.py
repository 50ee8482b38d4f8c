"""Operating-system plumbing for the launcher: free ports, spawning, liveness and stopping by pid.

Kept apart from `local_cluster` so the cluster logic reads as cluster logic. Only pids recorded by
the launcher itself are ever signalled, and a pid is only trusted while its command line still
names the module we started (pids are reused by the OS).
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from searchlib.digests import CACHE_ENV as DIGEST_CACHE_ENV
from searchlib.stop_progress import INTERVAL as REPORT_INTERVAL, read_progress

REPO_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = "127.0.0.1"


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """Distinct ports that were free a moment ago (all sockets held open until all are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def child_environment() -> dict[str, str]:
    """The children import the project from this checkout even when it is not pip-installed."""
    env = dict(os.environ)
    paths = [str(REPO_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONUNBUFFERED"] = "1"  # logs are read while the process runs
    env.update(cache_environment(env))
    return env


def cache_environment(env: dict[str, str]) -> dict[str, str]:
    """What lets every child reuse the work of the ones before it, in one private cache directory.

    Bytecode: with PYTHONDONTWRITEBYTECODE set, each node and container would recompile ~270 project
    modules on every start (~0.5 CPU-s of the ~1.2 a node spends starting; BENCHMARKS.md). The
    setting usually exists to keep __pycache__ out of the source tree, so the bytecode goes to the
    cache directory instead (PYTHONPYCACHEPREFIX; validated by source mtime as usual). A prefix the
    user chose is kept. Digests: the package generation's digest of each model file
    (searchlib.digests.shared_file_sha256), instead of each process hashing ~100 MB of ONNX.
    """
    root = _private_cache_dir()
    if root is None:
        return {}
    found: dict[str, str] = {}
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        found.update(PYTHONDONTWRITEBYTECODE="", PYTHONPYCACHEPREFIX=str(root / "pycache"))  # "": unset
    if not env.get(DIGEST_CACHE_ENV):
        with contextlib.suppress(OSError):
            (root / "digests").mkdir(mode=0o700, exist_ok=True)
            found[DIGEST_CACHE_ENV] = str(root / "digests")
    return found


def _private_cache_dir() -> Path | None:
    """A directory in the shared temp dir that is ours and closed to others (only such a directory
    may hold bytecode or digests a process trusts), or None."""
    root = Path(tempfile.gettempdir()) / f"phasedsearch-cache-{os.getuid()}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = root.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return root


def spawn(argv: Sequence[str], log_path: Path) -> subprocess.Popen:
    """Start a process in its own session with stdout+stderr appended to log_path.

    No preexec_fn: it forces a plain fork() of this process, and in a process that has gRPC
    running (the test process, after any in-process gRPC test) gRPC's fork handlers abort the
    child before it can exec ("epoll_wait error: Bad file descriptor", exit -6). Without it
    subprocess uses vfork/posix_spawn, which runs no fork handlers. Non-detached clusters are
    stopped by LocalCluster's atexit hook instead of a parent-death signal.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(argv)}\n".encode())
        log.flush()
        return subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env=child_environment(), cwd=str(REPO_ROOT), start_new_session=True,
        )


def _proc_state(pid: int) -> str | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()[0]


def pid_is_running(pid: int | None, expected_in_cmdline: str = "") -> bool:
    """True when pid is alive (not a zombie) and, where /proc exists, still runs our command."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process now holds this pid
    if not Path("/proc").is_dir():
        return True
    if _proc_state(pid) in (None, "Z", "X"):
        return False
    if expected_in_cmdline:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        return expected_in_cmdline in cmdline
    return True


def wait_for_exit(pid: int, popen: subprocess.Popen | None, timeout: float) -> bool:
    """Wait until the process is gone (or a zombie); True if that happened within timeout.

    Identity is checked before signalling, not here: while a process exits, /proc shows an empty
    command line before it becomes a zombie, which a command-line check would read as "gone".
    """
    if popen is not None:
        try:
            popen.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_is_running(pid):
            return True
        time.sleep(0.05)
    return not pid_is_running(pid)


@dataclass(frozen=True, slots=True)
class Stopping:
    """A process to stop, and the work count it reports while it stops (None: no report)."""

    pid: int
    popen: subprocess.Popen | None
    progress_dir: Path | None = None  # where it reports (a content node's data directory)

    def progress(self) -> int | None:
        return None if self.progress_dir is None else read_progress(self.progress_dir, self.pid)

    def exited(self) -> bool:
        return self.popen.poll() is not None if self.popen is not None else not pid_is_running(self.pid)


def stop_processes(targets: Sequence[Stopping], grace: float, limit: float) -> list[int]:
    """SIGTERM every target at once; SIGKILL one still running `grace` seconds after the last
    change of its reported work count (searchlib/stop_progress.py: a node writing its index image
    keeps moving it, a hung one does not), or `limit` seconds after the SIGTERM in any case.
    Returns the pids that had to be killed."""
    for target in targets:
        send_signal(target.pid, signal.SIGTERM)
        send_signal(target.pid, signal.SIGCONT)  # a stopped process must run to exit
    started = time.monotonic()
    final = started + max(grace, limit)
    waiting = [(target, [target.progress(), started + grace]) for target in targets]
    killed = []
    while waiting:
        still = []
        for target, seen in waiting:
            if target.exited():
                continue
            now = time.monotonic()
            if (count := target.progress()) is not None and count != seen[0]:  # not less than 2 reports apart
                seen[:] = [count, now + max(grace, 2 * REPORT_INTERVAL)]
            if now < min(seen[1], final):
                still.append((target, seen))
                continue
            send_signal(target.pid, signal.SIGKILL)
            wait_for_exit(target.pid, target.popen, 10.0)
            killed.append(target.pid)
        waiting = still
        if waiting:
            time.sleep(0.1)
    return killed


def send_signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def log_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def tail(path: Path, lines: int = 30, since: int = 0) -> str:
    """The last lines of a log, only from byte offset `since` (the start of the current run)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            stream.seek(max(since, size - 16384, 0))
            text = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]).strip("\n") or "(empty log)"


RUN_MARKER = "=== "  # spawn() starts every run's section of a log with this


def last_run_reason(path: Path) -> str:
    """Why the last run of a process ended, in one line, from its log (see `reason_line`)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(stream.tell() - 16384, 0))
            text = stream.read().decode("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    start = text.rfind("\n" + RUN_MARKER)
    return reason_line(text[start + 1:] if start >= 0 else text)


def reason_line(text: str) -> str:
    """The line of a log that says why the process stopped: its last `FATAL` line, else the last
    line that is not a traceback frame (for an uncaught exception: `Type: message`)."""
    lines = [line.strip() for line in text.splitlines()
             if line.strip() and not line.startswith((" ", "\t", RUN_MARKER))
             and not line.startswith(("Traceback (most recent call last)", "During handling of the above",
                                      "The above exception was"))]
    fatal = [line for line in lines if "FATAL" in line]
    chosen = (fatal or lines or ["(empty log)"])[-1]
    return chosen if len(chosen) <= 300 else chosen[:297] + "..."
