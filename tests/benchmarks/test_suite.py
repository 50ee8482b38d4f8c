"""`python -m benchmarks all`'s plumbing on a tiny scale, no timing: the registry runs each entry,
sections are rewritten in place with hand-written analysis kept, the plots are PNG files linked
from their section; and the synthetic corpus of bm25_scale is what its definition says."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from benchmarks import bm25_scale, first_phase, overload, report, suite, weak_and
from benchmarks.report import ANALYSIS, Point, Section


@dataclass(frozen=True)
class Fake:
    title: str

    def run(self, quick: bool) -> Section:
        points = [Point("type=any", "documents", n, 1000 / n, n / 100, n / 50) for n in (10, 100, 1000)]
        points += [Point("type=any, 1000 documents", "clients", c, 5.0 * c, 2.0 * c, 3.0 * c) for c in (1, 2, 8)]
        return Section(self.title, f"measured {'quick' if quick else 'full'}", points)


@pytest.fixture
def benchmarks_md(tmp_path, monkeypatch):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## Hand-written only\n\nkept as is\n\n"
                    f"## Fake\n\nold numbers\n\n{ANALYSIS}\nwhy the numbers are what they are\n\n## Last\n\nend\n")
    monkeypatch.setattr(report, "BENCHMARKS", path)
    return path


def test_all_rewrites_generated_sections_and_plots(benchmarks_md, tmp_path):
    registry = {"fake": Fake("Fake"), "new": Fake("New section")}
    sections = suite.run_all(["fake", "new"], quick=True, plots_dir=tmp_path / "plots", registry=registry,
                             log=lambda _: None)
    text = benchmarks_md.read_text()
    assert [s.title for s in sections] == ["Fake", "New section"]
    assert "old numbers" not in text and text.count("measured quick") == 2
    assert "why the numbers are what they are" in text and "kept as is" in text and "## Last\n\nend" in text
    assert text.index("## Fake") < text.index("## Last")  # rewritten in place
    for axis in ("documents", "clients"):
        image = tmp_path / "plots" / f"{axis}.png"
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"![{axis}](plots/{axis}.png)" in text
    assert report.read_section("Fake").startswith("measured quick")


def test_quick_skips_scripts_without_quick_arguments(benchmarks_md, tmp_path):
    registry = {"slow": suite.Script("no_such_module", "Slow", None, ("--x",))}
    assert suite.run_all(["slow"], quick=True, plots_dir=tmp_path, registry=registry, log=lambda _: None) == []
    assert "only `python -m benchmarks all` runs them: slow." in report.read_section(suite.SKIPPED_TITLE)


def test_printed_script_output_becomes_its_section_under_the_command(benchmarks_md, tmp_path):
    """replica_merge only prints: its output, run as a real process at a tiny size, is the section."""
    registry = {"replica_merge": suite.Printed("replica_merge", "Replica merge", ("--documents", "200", "--differing", "3"))}
    suite.run_all(["replica_merge"], quick=True, plots_dir=tmp_path, registry=registry, log=lambda _: None)
    text = report.read_section("Replica merge")
    assert text.startswith("`python -m benchmarks.replica_merge --documents 200 --differing 3` on ")
    assert suite.Printed("replica_merge", "Full", ("--documents", "200"), quick_title="Quick").run(True).title == "Quick"
    assert "    200 documents,   3 differing: record" in text and "## Last\n\nend" in benchmarks_md.read_text()


def test_quick_skips_only_the_corpus_wide_entries():
    slow = {n for n, e in suite.REGISTRY.items() if isinstance(e, suite.Script) and e.quick_args is None}
    assert slow == {"relevance", "dense_exactness", "cross_encoder_forms", "dense_vectors", "dense_constructions",
                    "fusion_forms", "hybrid_ce_forms"}


def test_every_registered_module_has_a_run_function():
    for entry in suite.REGISTRY.values():
        if isinstance(entry, suite.Module):
            module = __import__(f"benchmarks.{entry.name}", fromlist=["run"])
            assert callable(module.run)


def test_synthetic_corpus_is_seeded_sixty_word_documents(tmp_path):
    sentences = [f"Sentence {i} has a few words in it, number {i}." for i in range(50)]
    with open(tmp_path / "corpus.jsonl", "w") as out:
        for i in range(0, 50, 5):
            out.write(json.dumps({"_id": str(i), "title": f"Title {i}", "text": " ".join(sentences[i:i + 5])}) + "\n")
    first = bm25_scale.synthetic_corpus(30, root=tmp_path)
    assert first == bm25_scale.synthetic_corpus(30, root=tmp_path)  # default_rng(1234): the same corpus
    assert first != bm25_scale.synthetic_corpus(30, seed=1, root=tmp_path)
    assert all(len(doc.split()) == bm25_scale.WORDS_PER_DOCUMENT for doc in first)
    starts = {doc.split()[0] for doc in first}
    assert starts <= {"Sentence", "Title"}  # each document starts at a sentence


class _Parsed(Exception):
    """Raised right after a script's parser accepted its arguments, before it runs anything."""


@pytest.mark.parametrize("name", [n for n, e in suite.REGISTRY.items() if isinstance(e, suite.Script)])
@pytest.mark.parametrize("quick", [True, False], ids=["quick", "full"])
def test_each_script_parses_its_registered_arguments(name, quick, monkeypatch):
    """The registry's argument lists reach each script's own argparse parser, in process: a renamed or
    misspelled option fails here in milliseconds instead of minutes into `all`."""
    import argparse
    import importlib

    entry = suite.REGISTRY[name]
    parse = argparse.ArgumentParser.parse_args

    def parse_then_stop(parser, args=None, namespace=None):
        parsed = parse(parser, args, namespace)  # SystemExit(2) on an unknown or malformed argument
        raise _Parsed(parsed)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr("sys.argv", [name, *entry.args(quick)])
    with pytest.raises(_Parsed):
        importlib.import_module(f"benchmarks.{name}").main()


def test_quick_writes_its_own_report_with_the_sizes_it_ran(tmp_path, monkeypatch):
    """--quick never touches BENCHMARKS.md: the sections go to BENCHMARKS-quick.md, titled by what ran."""
    committed = tmp_path / "BENCHMARKS.md"
    committed.write_text("# Benchmarks\n\n## Fake\n\ncommitted numbers\n")
    monkeypatch.setattr(report, "BENCHMARKS", committed)
    monkeypatch.setattr(suite, "REPO", tmp_path)
    monkeypatch.setattr(suite, "QUICK_OUT", tmp_path / "BENCHMARKS-quick.md")
    monkeypatch.setattr(suite, "REGISTRY", {"fake": Fake("Fake")})
    suite.main(["all", "--quick", "--only", "fake"])
    assert committed.read_text() == "# Benchmarks\n\n## Fake\n\ncommitted numbers\n"
    quick = (tmp_path / "BENCHMARKS-quick.md").read_text()
    assert "## Fake\n\nmeasured quick" in quick and "](BENCHMARKS-quick-plots/documents.png)" in quick
    assert (tmp_path / "BENCHMARKS-quick-plots" / "clients.png").exists()


def test_section_titles_name_the_sizes_run():
    assert bm25_scale.title([200_000, 1_000_000]) == "BM25 at 200,000 and 1,000,000 documents (issue 20)"
    assert bm25_scale.title([10_000]) == "BM25 at 10,000 documents (issue 20)"
    assert weak_and.title(20_000) == "weakAnd vs exhaustive OR over 20,000 documents (issue 5)"
    rows = {"a": {"rows": [{"clients": 4}, {"clients": 16}]}, "b": {"rows": [{"clients": 4}]}}
    assert overload.title(rows) == "Overload: 4 and 16 clients (issue 20)"
    assert first_phase.title(20_000) == suite.REGISTRY["first_phase"].quick_title
    assert suite.REGISTRY["ann"].quick_title == "nearestNeighbor at 2,000 vectors (issue 5)"
    assert overload.title({"q": {"rows": [{"clients": int(n)} for n in "4,16".split(",")]}}) \
        == suite.REGISTRY["overload"].quick_title
