"""`python -m benchmarks all [--quick]`: every benchmark, BENCHMARKS.md rewritten (benchmarks/suite.py)."""
from benchmarks.suite import main

main()
