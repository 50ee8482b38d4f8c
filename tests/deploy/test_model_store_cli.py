"""`phasedsearch models add/list` and `validate` of a package whose models are given by url= and
model-id=, run as the real CLI process."""
from __future__ import annotations

import hashlib
import json

from deploy.processes import child_environment
from tests.deploy.test_validate import located, run_cli, write
from tests.integration.sample_models import cross_encoder_model

URL = "https://huggingface.co/BAAI/bge-small-en-v1.5/resolve/main/onnx/model.onnx"
SERVICES = f"""<services version="1.0">
  <container id="default" version="1.0">
    <component id="bge" type="hugging-face-embedder">
      <transformer-model url="{URL}"/>
      <tokenizer-model model-id="bge-small-en-tokenizer"/>
    </component>
  </container>
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
  </content>
</services>
"""


def test_add_list_and_a_sha256_mismatch(tmp_path):
    env = {**child_environment(), "PHASEDSEARCH_MODEL_STORE": str(tmp_path / "store")}
    model = tmp_path / "model.onnx"
    model.write_bytes(b"not really onnx")
    digest = hashlib.sha256(b"not really onnx").hexdigest()
    refused = run_cli("models", "add", URL, str(model), "--sha256", "ab" * 32, env=env)
    assert refused.returncode == 1 and "sha256 mismatch" in refused.stderr
    assert run_cli("models", "list", "--json", env=env).stdout.strip() == "{}"
    done = run_cli("models", "add", URL, str(model), "--sha256", digest, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{URL}\tmodel.onnx\t15\t{digest}"]
    listed = run_cli("models", "list", env=env)
    assert listed.returncode == 0 and listed.stdout.splitlines() == [f"{URL}\tmodel.onnx\t15\t{digest}"]
    as_json = json.loads(run_cli("models", "list", "--json", env=env).stdout)
    assert as_json == {URL: [{"name": "model.onnx", "size": 15, "sha256": digest}]}
    assert run_cli("models", "list", "--store", str(tmp_path / "other"), env=env).stdout == ""


def test_validate_names_the_missing_reference_and_the_command_then_passes(tmp_path):
    env = {**child_environment(), "PHASEDSEARCH_MODEL_STORE": str(tmp_path / "store")}
    app = write(tmp_path / "app", {"schemas/doc.sd": "schema doc {\n    document doc {\n    }\n}\n",
                                   "services.xml": SERVICES})
    done = run_cli("validate", "--app", str(app), env=env)
    assert done.returncode == 1
    errors = located(done.stdout)
    assert [(file, line, column) for file, line, column, _ in errors] == [("services.xml", 4, 7), ("services.xml", 5, 7)]
    assert f"run `phasedsearch models add {URL} <file>`" in errors[0][3]
    assert "run `phasedsearch models add bge-small-en-tokenizer <file>`" in errors[1][3]
    assert "not found" not in done.stdout  # a url is never looked for as a package file
    (tmp_path / "model.onnx").write_bytes(b"m")
    (tmp_path / "tokenizer.json").write_text("{}")
    assert run_cli("models", "add", URL, str(tmp_path / "model.onnx"), env=env).returncode == 0
    assert run_cli("models", "add", "bge-small-en-tokenizer", str(tmp_path / "tokenizer.json"), env=env).returncode == 0
    done = run_cli("validate", "--app", str(app), env=env)  # a stored model onnxruntime cannot open
    assert done.returncode == 1
    [(file, line, column, message)] = located(done.stdout)
    assert (file, line, column) == ("services.xml", 4, 7) and "onnxruntime cannot load" in message
    cross_encoder_model(tmp_path / "model.onnx")
    assert run_cli("models", "add", URL, str(tmp_path / "model.onnx"), env=env).returncode == 0
    done = run_cli("validate", "--app", str(app), env=env)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr


def test_kubernetes_manifests_refuse_models_only_this_machine_has(tmp_path):
    env = {**child_environment(), "PHASEDSEARCH_MODEL_STORE": str(tmp_path / "store")}
    app = write(tmp_path / "app", {"schemas/doc.sd": "schema doc {\n    document doc {\n    }\n}\n",
                                   "services.xml": SERVICES})
    (tmp_path / "m.onnx").write_bytes(b"m")
    for reference in (URL, "bge-small-en-tokenizer"):
        assert run_cli("models", "add", reference, str(tmp_path / "m.onnx"), env=env).returncode == 0
    done = run_cli("deploy", "kubernetes", "--app", str(app), env=env)
    assert done.returncode == 1
    assert "model store, which the Kubernetes pods do not have" in done.stderr and "path=" in done.stderr
