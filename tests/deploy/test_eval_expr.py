"""`eval-expr`: one expression, --json, --jsonl over many lines, and located errors with status 2."""
import io
import json
from pathlib import Path

from deploy.eval_expr import main


def run(argv, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_scalar_expression_prints_a_number():
    assert run(["1 + 2 * 3"]) == (0, "7.0\n", "")


def test_expression_starting_with_minus_is_not_an_option():
    code, out, _ = run(["-a", "--input", "a=2"])
    assert (code, out) == (0, "-2.0\n")


def test_tensor_inputs_and_literal_output():
    code, out, _ = run(["a * 2 + b", "--input", "a=tensor(x[2]):[1,2]", "--input=b=1"])
    assert code == 0
    assert out == "tensor(x[2]):{{x:0}:3.0,{x:1}:5.0}\n"


def test_json_output_long_cells_form():
    code, out, _ = run(["reduce(a, sum, y)", "--input", "a=tensor(x{},y[2]):{p:[1,2],q:[3,4]}", "--json"])
    assert code == 0
    assert json.loads(out) == {"type": "tensor(x{})", "cells": [{"address": {"x": "p"}, "value": 3.0},
                                                                {"address": {"x": "q"}, "value": 7.0}]}


def test_query_feature_inputs():
    code, out, _ = run(["query(w) * 4", "--input", "query(w)=0.25"])
    assert (code, out) == (0, "1.0\n")


def test_bad_expression_exits_2_with_column():
    code, out, err = run(["1 + * 2"])
    assert code == 2 and out == ""
    assert "column 5" in err


def test_bad_literal_exits_2_naming_the_input():
    code, _, err = run(["a", "--input", "a=tensor(x[3]):[1,2]"])
    assert code == 2 and "--input a" in err and "Expected 3 values" in err


def test_missing_input_exits_2_naming_the_feature():
    code, _, err = run(["a + 1"])
    assert code == 2 and "Missing rank feature 'a'" in err


def test_usage_errors():
    assert run([])[0] == 2
    assert run(["1", "2"])[0] == 2
    assert run(["1", "--bogus"])[0] == 2
    code, out, _ = run(["--help"])
    assert code == 0 and "eval-expr" in out


def test_jsonl_many_lines_in_one_process():
    lines = [json.dumps({"expression": f"a + {i}", "inputs": {"a": "tensor(x[2]):[1,2]"}}) for i in range(2000)]
    lines.insert(5, json.dumps({"expression": "1 +", "inputs": {}}))
    lines.insert(7, "not json")
    lines.insert(9, json.dumps({"expression": "a", "inputs": {"a": "tensor(x[2]):[1]"}}))
    code, out, _ = run(["--jsonl"], "\n".join(lines) + "\n")
    answers = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(answers) == 2003
    assert answers[0] == {"type": "tensor(x[2])", "cells": [{"address": {"x": "0"}, "value": 1.0},
                                                           {"address": {"x": "1"}, "value": 2.0}]}
    assert "error" in answers[5] and "column" in answers[5]["error"]
    assert "error" in answers[7] and "error" in answers[9]
    assert answers[-1]["cells"][1]["value"] == 2.0 + 1999


def test_jsonl_accepts_json_tensors_numbers_and_conformance_inputs():
    spec = Path(__file__).resolve().parents[3] / "shared" / "data" / "tensor-conformance" / "test_spec.jsonl"
    first = spec.read_text().splitlines()[0] if spec.exists() else json.dumps(
        {"expression": "reduce(a,avg,x)", "inputs": {"a": {"type": "tensor(x[3])",
                                                            "literal": "tensor(x[3]):{{x:0}:1.0,{x:1}:2.0,{x:2}:3.0}"}}})
    lines = [first,
             json.dumps({"expression": "sum(a) * b", "inputs": {"a": {"type": "tensor(x[2])", "values": [1, 2]}, "b": 2}})]
    code, out, _ = run(["--jsonl"], "\n".join(lines))
    answers = [json.loads(line) for line in out.splitlines()]
    assert answers == [{"type": "double", "cells": [{"address": {}, "value": 2.0}]},
                       {"type": "double", "cells": [{"address": {}, "value": 6.0}]}]
