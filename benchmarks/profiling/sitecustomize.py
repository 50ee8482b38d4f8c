"""Per-process CPU profile for benchmarks/query_cost.py: on the PYTHONPATH of a cluster's processes
with PHASEDSEARCH_YAPPI_DIR set, SIGUSR1 starts yappi (CPU clock, every thread, counts cleared) and
SIGUSR2 stops it and writes the stats to DIR/<pid>.pstats. Not part of the engine: only the profiling harness puts it on the path."""
import os

_DIR = os.environ.get("PHASEDSEARCH_YAPPI_DIR")
if _DIR:
    import signal

    import yappi

    yappi.set_clock_type("cpu")

    def _start(*_):
        yappi.clear_stats()
        yappi.start(builtins=True, profile_threads=True)

    def _dump(*_):
        yappi.stop()
        yappi.get_func_stats().save(os.path.join(_DIR, f"{os.getpid()}.pstats"), type="pstat")

    signal.signal(signal.SIGUSR1, _start)
    signal.signal(signal.SIGUSR2, _dump)
