"""Write one section of BENCHMARKS.md, leaving the other sections as they are."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

# The report every script writes; `python -m benchmarks all --quick` points this variable (and so its
# subprocesses) at BENCHMARKS-quick.md so that quick-size numbers never replace the committed ones.
OUT_VARIABLE = "PHASEDSEARCH_BENCHMARKS_MD"
BENCHMARKS = Path(os.environ.get(OUT_VARIABLE) or Path(__file__).resolve().parents[1] / "BENCHMARKS.md")
HEADER = "# Benchmarks\n\nEvery number here was measured by a script in `benchmarks/`, peers side by side in the same run.\n"


ANALYSIS = "<!-- analysis -->"  # in a section: what follows is hand-written and survives a rewrite


def write_section(title: str, body: str) -> None:
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    pattern = _section_pattern(title)
    found = pattern.search(text)
    analysis = ""
    if found and ANALYSIS in found.group(0):
        analysis = "\n\n" + ANALYSIS + found.group(0).split(ANALYSIS, 1)[1].rstrip()
    section = f"## {title}\n\n{body.strip()}{analysis}\n"
    if found:
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    BENCHMARKS.write_text(text.rstrip() + "\n")


def read_section(title: str) -> str | None:
    """The body of a section as BENCHMARKS.md has it (None if it has none)."""
    found = _section_pattern(title).search(BENCHMARKS.read_text()) if BENCHMARKS.exists() else None
    return found.group(0).split("\n", 1)[1].strip() if found else None


def _section_pattern(title: str) -> re.Pattern:
    return re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)


@dataclass(frozen=True, slots=True)
class Point:
    """One measurement for the plots: a series (e.g. "type=any, 8 clients"), its x on `axis`
    ("documents": corpus size, or "clients") and what was measured there."""
    series: str
    axis: str
    x: float
    qps: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class Section:
    """What a benchmark's `run(quick)` returns: its section of BENCHMARKS.md and the points to plot."""
    title: str
    body: str
    points: Sequence[Point] = ()

    def write(self) -> None:
        write_section(self.title, self.body)
