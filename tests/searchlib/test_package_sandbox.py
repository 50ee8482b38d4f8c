"""The application package is a sandbox (issue 16): constants, ONNX models, tokenizers, tree models
and expression files must name files inside the package; `..`, absolute paths and symlinks out are
refused at load time (and by `phasedsearch validate`) with the file and line named."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from deploy.app_check import validate_package
from searchlib.errors import SchemaError
from searchlib.schema.application import load_application
from searchlib.schema.package_paths import confined_path, reference_problem, tree_model_path

FIELDS = "document doc { field title type string { indexing: index | summary } }"
SERVICES = """<services version="1.0">
  <container id="default" version="1.0">
    <component id="tokenizer" type="hugging-face-tokenizer">
      <model path="{tokenizer}"/>
    </component>
  </container>
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes count="1"/>
  </content>
</services>"""


def _package(root: Path, *, constant: str = "constants/w.json", onnx: str = "models/m.onnx",
             tokenizer: str = "models/tokenizer.json", tree: str = "") -> Path:
    (root / "schemas").mkdir(parents=True)
    (root / "constants").mkdir()
    (root / "models").mkdir()
    (root / "constants" / "w.json").write_text(json.dumps({"cells": [{"address": {"x": "0"}, "value": 1.0}]}))
    (root / "models" / "m.onnx").write_bytes(b"onnx")
    (root / "models" / "tokenizer.json").write_text("{}")
    first_phase = f'xgboost("{tree}")' if tree else "bm25(title)"
    (root / "schemas" / "doc.sd").write_text(
        f"schema doc {{\n  {FIELDS}\n"
        f"  rank-profile p {{\n"
        f"    constants {{\n      w tensor(x{{}}): file:{constant}\n    }}\n"
        f"    onnx-model m {{\n      file: {onnx}\n    }}\n"
        f"    first-phase {{ expression: {first_phase} }}\n  }}\n}}\n")
    (root / "services.xml").write_text(SERVICES.replace("{tokenizer}", tokenizer))
    return root


def _refused(root: Path, pattern: str) -> SchemaError:
    with pytest.raises(SchemaError, match=pattern) as raised:
        load_application(root)
    return raised.value


def test_reference_rules_on_the_text() -> None:
    assert reference_problem("models/m.onnx") is None
    assert reference_problem("a/./b.json") is None
    assert "'..'" in reference_problem("../outside/secret.json")
    assert "'..'" in reference_problem("models/../../x")
    assert "absolute" in reference_problem("/etc/passwd")
    assert "absolute" in reference_problem("C:\\windows\\x")
    assert reference_problem("~/secret") is not None
    assert reference_problem("  ") == "an empty file name"


def test_a_well_formed_package_loads(tmp_path: Path) -> None:
    app = load_application(_package(tmp_path / "app"))
    assert app.schemas["doc"].rank_profiles["p"].onnx_models["m"].file == "models/m.onnx"


def test_constant_outside_the_package_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.json").write_text('{"cells": []}')
    app = _package(tmp_path / "app", constant="../outside/secret.json")
    error = _refused(app, r"leaves the application package")
    assert error.location.file.endswith("doc.sd") and error.location.line == 5
    error = _refused(_package(tmp_path / "app2", constant="/etc/passwd"), "absolute path '/etc/passwd'")
    assert error.location.line == 5


def test_constant_symlinked_out_of_the_package_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text('{"cells": []}')
    app = _package(tmp_path / "app", constant="constants/link.json")
    (app / "constants" / "link.json").symlink_to(tmp_path / "secret.json")
    error = _refused(app, r"constants/link.json' resolves outside the application package")
    assert error.location.line == 5


def test_onnx_model_paths_are_confined(tmp_path: Path) -> None:
    error = _refused(_package(tmp_path / "a", onnx="/tmp/m.onnx"), "onnx-model 'm': absolute path")
    assert error.location.file.endswith("doc.sd") and error.location.line == 8
    _refused(_package(tmp_path / "b", onnx="models/../../m.onnx"), r"onnx-model 'm': .*'\.\.' is not allowed")
    (tmp_path / "elsewhere.onnx").write_bytes(b"onnx")
    app = _package(tmp_path / "c", onnx="models/link.onnx")
    (app / "models" / "link.onnx").symlink_to(tmp_path / "elsewhere.onnx")
    error = _refused(app, "onnx-model 'm': 'models/link.onnx' resolves outside")
    assert error.location.line == 7


def test_tokenizer_paths_are_confined(tmp_path: Path) -> None:
    error = _refused(_package(tmp_path / "a", tokenizer="/etc/passwd"), r"<model>: absolute path")
    assert error.location.file.endswith("services.xml") and error.location.line == 4
    _refused(_package(tmp_path / "b", tokenizer="../tokenizer.json"), r"<model>: .*'\.\.'")
    (tmp_path / "tok.json").write_text("{}")
    app = _package(tmp_path / "c", tokenizer="models/t.json")
    (app / "models" / "t.json").symlink_to(tmp_path / "tok.json")
    error = _refused(app, "services.xml file: 'models/t.json' resolves outside")
    assert error.location.line == 4


def test_tree_model_paths_are_confined(tmp_path: Path) -> None:
    _refused(_package(tmp_path / "a", tree="../../etc/passwd"), r"tree model: .*'\.\.' is not allowed")
    _refused(_package(tmp_path / "b", tree="/etc/passwd"), r"tree model: absolute path")
    with pytest.raises(SchemaError, match="resolves outside"):
        root = _package(tmp_path / "c")
        (root / "models" / "t.json").symlink_to("/etc/hostname")
        tree_model_path(root, "t.json")


def test_expression_files_are_confined(tmp_path: Path) -> None:
    app = _package(tmp_path / "app")
    text = (app / "schemas" / "doc.sd").read_text().replace("expression: bm25(title)", "expression: file:../../x")
    (app / "schemas" / "doc.sd").write_text(text)
    _refused(app, r"expression file: .*'\.\.' is not allowed")


def test_a_linked_models_folder_stays_allowed_but_nothing_escapes_it(tmp_path: Path) -> None:
    """The development setup links models/ to a shared store: files in it load, links out of it do not."""
    app = _package(tmp_path / "app")
    store = tmp_path / "store"
    (app / "models").rename(store)
    (app / "models").symlink_to(store)
    assert load_application(app).schemas["doc"]
    assert confined_path(app, "models/m.onnx", None, "x") == app / "models" / "m.onnx"
    (store / "out.onnx").symlink_to(tmp_path / "app" / "constants" / "w.json")  # back into the package: fine
    confined_path(app, "models/out.onnx", None, "x")
    (tmp_path / "secret").write_text("s")
    (store / "leak.onnx").symlink_to(tmp_path / "secret")
    with pytest.raises(SchemaError, match="resolves outside"):
        confined_path(app, "models/leak.onnx", None, "x")


def test_validate_reports_every_escape_with_its_location(tmp_path: Path) -> None:
    app = _package(tmp_path / "app", onnx="../m.onnx", tokenizer="/etc/passwd")
    problems = [str(p) for p in validate_package(app)]
    assert any("doc.sd:8:" in p and "'..' is not allowed" in p for p in problems), problems
    assert any("services.xml:4:" in p and "absolute path" in p for p in problems), problems


def test_validate_reports_client_certificates_outside_or_missing(tmp_path: Path) -> None:
    app = _package(tmp_path / "app")
    clients = ('<clients><client id="a" permissions="read"><certificate file="security/a.pem"/></client>'
               '<client id="b" permissions="read"><certificate file="security/link.pem"/></client></clients>')
    text = (app / "services.xml").read_text().replace("</component>\n", "</component>\n" + clients + "\n", 1)
    (app / "services.xml").write_text(text)
    (app / "security").mkdir()
    (tmp_path / "outside.pem").write_text("x")
    (app / "security" / "link.pem").symlink_to(tmp_path / "outside.pem")
    problems = [str(p) for p in validate_package(app)]
    assert any("client 'a': certificate file 'security/a.pem' not found" in p for p in problems), problems
    assert any("services.xml:" in p and "'security/link.pem' resolves outside" in p for p in problems), problems


def test_validate_reports_each_missing_constant_file_once(tmp_path: Path) -> None:
    """Two missing files in a profile another inherits, and a schema-level one: each once, at its line."""
    app = _package(tmp_path / "app")
    text = (app / "schemas" / "doc.sd").read_text()
    text = text.replace("      w tensor(x{}): file:constants/w.json\n",
                        "      w tensor(x{}): file:constants/gone1.json\n      v tensor(x{}): file:constants/gone2.json\n")
    text = text.replace("  rank-profile p {", "  constant s {\n    file: constants/gone3.json\n    type: tensor(x{})\n  }\n"
                        "  rank-profile child inherits p {\n  }\n  rank-profile p {")
    (app / "schemas" / "doc.sd").write_text(text)
    (app / "models" / "m.onnx").unlink()  # not what this test is about: no onnx-model
    text = text.replace("    onnx-model m {\n      file: models/m.onnx\n    }\n", "")
    (app / "schemas" / "doc.sd").write_text(text)
    problems = [str(p) for p in validate_package(app)]
    for gone in ("gone1", "gone2", "gone3"):
        assert sum(f"constants/{gone}.json'" in p and "cannot read" in p for p in problems) == 1, problems
    assert len(problems) == 3, problems
