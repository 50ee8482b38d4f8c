"""Write one section of BENCHMARKS.md, leaving the other sections as they are."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

BENCHMARKS = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
HEADER = "# Benchmarks\n\nEvery number here was measured by a script in `benchmarks/`, peers side by side in the same run.\n"


def write_section(title: str, body: str) -> None:
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip() + "\n\n" + section
    BENCHMARKS.write_text(text.rstrip() + "\n")


@dataclass(frozen=True, slots=True)
class Point:
    """One measurement for the plots: a series (e.g. "type=any, 8 clients"), its x (documents or
    clients) and what was measured there."""
    series: str
    x: float
    qps: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True, slots=True)
class Section:
    """What a benchmark module's `run(quick)` returns: its section of BENCHMARKS.md and the points
    to plot (x_label says what x is: "documents" or "clients")."""
    title: str
    body: str
    points: Sequence[Point] = ()
    x_label: str = ""

    def write(self) -> None:
        write_section(self.title, self.body)
