"""`phasedsearch validate` and `up`'s package check, run as the real CLI process."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploy.cli_common import check_package
from deploy.local_cluster import ClusterError
from deploy.processes import REPO_ROOT, child_environment, free_ports
from deploy.settings import default_app_dir

LOCATED = re.compile(r"^(?P<file>/[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.+)$")


def run_cli(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deploy", *arguments], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env or child_environment(), timeout=120)


def located(stdout: str) -> list[tuple[str, int, int, str]]:
    lines = stdout.splitlines()
    matches = [LOCATED.match(line) for line in lines]
    assert all(matches), f"a line without file:line:column: {lines}"
    return [(Path(m["file"]).name, int(m["line"]), int(m["column"]), m["message"]) for m in matches]


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


SERVICES_WITH_EMBEDDER = """<services version="1.0">
  <container id="default" version="1.0">
    <component id="bge" type="hugging-face-embedder">
      <transformer-model path="models/bge-small-en/model.onnx"/>
      <tokenizer-model path="models/bge-small-en/tokenizer.json"/>
    </component>
  </container>
  <content id="content" version="1.0">
    <documents><document type="a" mode="index"/><document type="b" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
  </content>
</services>
"""

SCHEMA_A = """schema a {
    document a {
        field title type string {
            indexing: index | summary
        }
    }
    rank-profile r {
        onnx-model m {
            file: models/missing.onnx
        }
        first-phase {
            expression: bm25(title) +
        }
    }
}
"""

SCHEMA_B = """schema b {
    document b {
        field body type strin {
            indexing: index
        }
    }
}
"""


def test_validate_reports_every_located_error_of_a_broken_package(tmp_path):
    app = write(tmp_path / "app", {"schemas/a.sd": SCHEMA_A, "schemas/b.sd": SCHEMA_B,
                                   "services.xml": SERVICES_WITH_EMBEDDER})
    done = run_cli("validate", "--app", str(app))
    assert done.returncode == 1
    errors = located(done.stdout)
    assert [(file, line, column) for file, line, column, _ in errors] == [
        ("a.sd", 8, 19), ("a.sd", 12, 38), ("b.sd", 3, 15), ("services.xml", 4, 32), ("services.xml", 5, 30)]
    messages = [message for *_, message in errors]
    assert "onnx-model m: file 'models/missing.onnx' not found" in messages[0]
    assert "first-phase" in messages[1] and "unknown field type 'strin'" in messages[2]
    assert "models/bge-small-en/model.onnx' not found" in messages[3] and "(a default model)" in messages[3]
    assert "5 error(s)" in done.stderr and f"phasedsearch models fetch --into {app / 'models'}" in done.stderr


def test_validate_reports_services_xml_profile_file_and_name_errors_together(tmp_path):
    app = write(tmp_path / "app", {
        "schemas/doc.sd": "schema doc {\n    document doc {\n        field t type string { indexing: index }\n"
                          "    }\n}\n",
        "schemas/other.sd": "schema wrong {\n    document wrong {\n    }\n}\n",
        "schemas/doc/p.profile": "rank-profile p {\n    first-phase {\n        expression: (\n    }\n}\n",
        "schemas/nosuch/q.profile": "rank-profile q {\n}\n",
        "services.xml": "<services version=\"1.0\">\n  <content id=\"c\">\n</services>\n",
    })
    done = run_cli("validate", "--app", str(app))
    assert done.returncode == 1
    errors = located(done.stdout)
    files = [file for file, *_ in errors]
    assert files == ["p.profile", "q.profile", "other.sd", "services.xml"], errors
    assert "does not match a schema" in errors[1][3]
    assert "must be in a file named wrong.sd" in errors[2][3]
    assert "not well-formed" in errors[3][3] and errors[3][1] == 3


def test_validate_accepts_the_bundled_package_and_the_test_packages():
    for app in (default_app_dir(), REPO_ROOT / "tests" / "apps" / "retrieval"):
        done = run_cli("validate", "--app", str(app))
        assert (done.returncode, done.stdout) == (0, ""), done.stderr
        assert "is valid" in done.stderr
    assert run_cli("validate", "--app", "/nonexistent/app").returncode == 1
    assert run_cli("validate").returncode == 2  # --app is required


def test_up_of_a_package_copied_without_its_models_fails_fast_and_names_them(tmp_path):
    app = tmp_path / "copied"
    shutil.copytree(default_app_dir(), app, ignore=shutil.ignore_patterns("models"))
    env = {**child_environment(), "PHASEDSEARCH_HOME": str(tmp_path / "home"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    started = time.monotonic()
    done = run_cli("up", "--app", str(app), "--port", str(free_ports(1)[0]), env=env)
    assert done.returncode == 1 and time.monotonic() - started < 30
    assert f"the application package {app} cannot be started" in done.stderr
    for model in ("models/cross-encoder/model.onnx", "models/cross-encoder/tokenizer.json",
                  "models/bge-small-en/model.onnx", "models/bge-small-en/tokenizer.json"):
        assert f"'{model}' not found" in done.stderr
    assert re.search(rf"{re.escape(str(app))}/schemas/doc\.sd:\d+:\d+: onnx-model", done.stderr)
    assert f"run `phasedsearch models fetch --into {app / 'models'}`" in done.stderr
    assert "Traceback" not in done.stderr and "cluster is up" not in done.stdout
    assert not (tmp_path / "home" / "cluster.json").exists()  # nothing was started


ONNX_SD = """schema doc {
    document doc {
        field x type tensor<float>(d0[1], d1[2]) { indexing: attribute }
    }
    rank-profile good {
        onnx-model m { file: models/good.onnx }
        first-phase { expression: sum(onnx(m)) }
    }
    rank-profile corrupt {
        onnx-model m { file: models/corrupt.onnx }
        first-phase { expression: sum(onnx(m)) }
    }
    rank-profile too_new {
        onnx-model m { file: models/too_new.onnx }
        first-phase { expression: sum(onnx(m)) }
    }
}
"""


def test_validate_refuses_onnx_files_the_runtime_cannot_load_and_names_them(tmp_path):
    """Issue #18: a corrupt model or one with an IR version too new passed validate, then every query
    failed; now onnxruntime opens each model and its message is reported at the onnx-model block."""
    import onnx
    from onnx import TensorProto, helper

    app = write(tmp_path / "app", {"schemas/doc.sd": ONNX_SD})
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])])
    (app / "models").mkdir()
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8),
              str(app / "models" / "good.onnx"))
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=99),
              str(app / "models" / "too_new.onnx"))
    (app / "models" / "corrupt.onnx").write_bytes(b"\x08\x07this is not a model" * 8)
    done = run_cli("validate", "--app", str(app))
    assert done.returncode == 1, done.stderr
    errors = located(done.stdout)
    assert [(file, line) for file, line, *_ in errors] == [("doc.sd", 10), ("doc.sd", 14)], errors
    assert "onnx-model m: onnxruntime cannot load" in errors[0][3] and "corrupt.onnx" in errors[0][3]
    assert "Protobuf parsing failed" in errors[0][3]  # onnxruntime's own reasons, without its C++ frames
    assert "too_new.onnx" in errors[1][3] and "Unsupported model IR version: 99" in errors[1][3]
    with pytest.raises(ClusterError, match="cannot be started(.|\n)*corrupt.onnx"):  # `up` checks the same
        check_package(app)
    (app / "models" / "too_new.onnx").unlink()
    (app / "models" / "corrupt.onnx").write_bytes((app / "models" / "good.onnx").read_bytes())
    (app / "models" / "too_new.onnx").write_bytes((app / "models" / "good.onnx").read_bytes())
    done = run_cli("validate", "--app", str(app))
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
