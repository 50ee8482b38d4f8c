"""Vespa's schema test corpus (117 application packages from config-model/src/test/derived/, in
../shared/data/vespa-language-conformance/schemas/) through the engine's application loader.

Valid packages must load and compile (parse, resolve, type-check); invalid ones must be refused
with a SchemaError that names file:line:column. They load in derive mode (`derive_only`), as
Vespa's derived-config tests compile them: `file:` rank constants take their declared types and
their files are not read (several of the corpus's constant files are not in it, nor in Vespa's
test folders).

Two cases the corpus marks valid only because Vespa's tests merely parse them (VESPA_REFUSES) are
checked for the refusal Vespa's config model gives them, and counted apart.

Every case must pass: every valid package loads (112), flickr and nuwa are refused as Vespa's
model refuses them, and every invalid one (3) is refused, located. A case that does not pass is
printed (`pytest -s`) with its first error under the counts "N of M valid packages load; K of L
invalid refused", and fails the test.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from searchlib.errors import SchemaError, SearchlibError
from searchlib.schema.application import load_application
from tests.integration.conftest import shared_data_dir

# Valid in the corpus because Vespa's tests only *parse* them (its schema-parser and language-server
# tests; no derived-config test builds them): Vespa's config model refuses both, and so must this
# engine, with the error given here, located. They are counted apart, never as loading.
VESPA_REFUSES = {
    # SummaryFieldsMustHaveValidSource: a summary field with no source and no field of its name
    # (Vespa's language-server test expects exactly one error in this file)
    "flickr": "summary 'distance' in document-summary 'mapcluster' refers to unknown field 'distance'",
    # `expression: file:nuwa_v2_sourceid.expression`: the file is not in Vespa's repository either,
    # and Vespa reads expression files when it builds the rank profile
    "nuwa": "cannot read expression file",
}


@dataclass(frozen=True)
class SchemaCase:
    name: str
    valid: bool
    path: Path


def corpus_dir() -> Path:
    return shared_data_dir() / "vespa-language-conformance"


@cache
def schema_cases() -> tuple[SchemaCase, ...]:
    rows = [json.loads(line) for line in (corpus_dir() / "schemas.jsonl").read_text().splitlines() if line.strip()]
    return tuple(SchemaCase(row["case"], row["expect"] == "valid", corpus_dir() / "schemas" / row["case"])
                 for row in rows)


def check(case: SchemaCase) -> str | None:
    """None when the loader does what Vespa's tests expect, else the first error."""
    try:  # derive mode, as Vespa's derived-config tests: constant files are not read and the
        # deploy rule that reference targets are global does not apply (services.xml is generated)
        load_application(case.path, derive_only=True)
    except SchemaError as error:
        if case.name in VESPA_REFUSES:
            located = error.location is not None and error.location.line > 0
            return None if located and VESPA_REFUSES[case.name] in str(error) else f"refused otherwise: {error}"
        if not case.valid:
            located = error.location is not None and error.location.line > 0
            return None if located else f"refused without a line: {error}"
        return f"refused: {error}"
    except SearchlibError as error:
        return f"{type(error).__name__}: {error}"
    return "accepted although Vespa's model refuses it" if case.name in VESPA_REFUSES else \
        None if case.valid else "accepted although invalid"


def test_corpus_is_complete() -> None:
    cases = schema_cases()
    assert (len(cases), sum(case.valid for case in cases)) == (117, 114)
    assert all(case.path.is_dir() for case in cases)


def test_schema_conformance_report() -> None:
    outcomes = {case.name: (case, check(case)) for case in schema_cases()}
    valid = [(case, problem) for case, problem in outcomes.values() if case.valid]
    invalid = [(case, problem) for case, problem in outcomes.values() if not case.valid]

    print("\nSchema conformance, cases that do not pass yet:")
    reasons: Counter[str] = Counter()
    corpus = str(corpus_dir() / "schemas") + "/"
    for case, problem in outcomes.values():
        if problem is not None:
            print(f"  {case.name} ({'valid' if case.valid else 'invalid'}): {problem.replace(corpus, '')[:240]}")
            reasons[problem.split(": ", 2)[-1][:60]] += 1
    print("Most common reasons:")
    for reason, count in reasons.most_common(15):
        print(f"  {count:4d}  {reason}")
    loadable = [(case, problem) for case, problem in valid if case.name not in VESPA_REFUSES]
    refused_alike = [case.name for case, problem in valid if case.name in VESPA_REFUSES and problem is None]
    print(f"{sum(p is None for _, p in loadable)} of {len(loadable)} valid packages load; "
          f"{len(refused_alike)} of {len(VESPA_REFUSES)} that Vespa's tests only parse are refused with the "
          f"error Vespa's model gives ({', '.join(sorted(refused_alike))}); "
          f"{sum(p is None for _, p in invalid)} of {len(invalid)} invalid refused")

    failing = [f"{case.name}: {problem}" for case, problem in outcomes.values() if problem is not None]
    assert not failing, "cases that do not pass:\n" + "\n".join(failing)
    assert (len(loadable), len(refused_alike), len(invalid)) == (112, 2, 3)


def test_checker_tells_valid_from_invalid(tmp_path) -> None:
    loads = next(case for case in schema_cases() if case.valid and check(case) is None)
    assert check(SchemaCase(loads.name, False, loads.path)) == "accepted although invalid"
    broken = tmp_path / "broken"
    (broken / "schemas").mkdir(parents=True)
    (broken / "schemas" / "b.sd").write_text("schema b {\n  document b {\n    field f type nosuchtype {}\n  }\n}\n")
    assert check(SchemaCase("b", False, broken)) is None
    assert "unknown field type 'nosuchtype'" in check(SchemaCase("b", True, broken))
