"""Vespa's tensor conformance suite (1,987 cases) through the engine's one evaluator.

The data is /work/shared/data/tensor-conformance/test_spec.jsonl (found relative to this repo, or under
$PHASEDSEARCH_SHARED). Comparison follows the suite's README: exact type string, equal address sets,
values within rel 1e-6 (double) / 1e-4 (float), NaN equal to NaN.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from searchlib.expression import compile_expression
from searchlib.tensor import Tensor, parse_tensor_literal


def _spec_path() -> Path:
    relative = Path("data") / "tensor-conformance" / "test_spec.jsonl"
    shared = os.environ.get("PHASEDSEARCH_SHARED")
    if shared:
        return Path(shared) / relative
    return Path(__file__).resolve().parents[2] / "shared" / relative


def _cases() -> list[dict]:
    with _spec_path().open() as f:
        return [case for case in map(json.loads, f) if "expression" in case]


def check_case(case: dict) -> str | None:
    """None when the engine reproduces the case, else a description of the mismatch."""
    try:
        inputs = {name: parse_tensor_literal(spec["literal"], spec["type"]) for name, spec in case["inputs"].items()}
        result = compile_expression(case["expression"]).evaluate_value(inputs)
    except Exception as e:  # report, do not abort the whole suite
        return f"raised {type(e).__name__}: {e}"
    if not isinstance(result, Tensor):
        result = Tensor.scalar(result)
    expect = case["expect"]
    if str(result.type) != expect["type"]:
        return f"type {result.type}, expected {expect['type']}"
    got = {tuple(sorted(a.items())): v for a, v in result.cells()}
    want = {tuple(sorted(c["address"].items())): c["value"] for c in expect["cells"]}
    if got.keys() != want.keys():
        return f"addresses {sorted(got)[:5]}..., expected {sorted(want)[:5]}..."
    rel, absolute = (1e-6, 1e-12) if result.type.cell_type == "double" else (1e-4, 1e-6)
    for address, value in want.items():
        actual = got[address]
        if not ((math.isnan(actual) and math.isnan(value))
                or math.isclose(actual, value, rel_tol=rel, abs_tol=absolute)):
            return f"cell {dict(address)} = {actual!r}, expected {value!r}"
    return None


def test_suite_is_complete():
    assert len(_cases()) == 1987


def test_every_conformance_case_passes():
    failures = []
    for number, case in enumerate(_cases(), start=1):
        problem = check_case(case)
        if problem:
            types = {name: spec["type"] for name, spec in case["inputs"].items()}
            failures.append(f"case {number}: {case['expression']} with {types}: {problem}")
    assert not failures, f"{len(failures)} of 1987 cases fail; first ones:\n" + "\n".join(failures[:10])


def test_checker_detects_a_wrong_result():
    case = _cases()[0]  # reduce(a,avg,x) over [1,2,3] = 2.0
    wrong = dict(case, expect={"type": "double", "literal": "3.0", "cells": [{"address": {}, "value": 3.0}]})
    assert check_case(case) is None
    assert "expected 3.0" in check_case(wrong)
