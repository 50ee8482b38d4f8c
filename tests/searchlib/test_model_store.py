"""The local model store: add, list, resolve, sha256 mismatches, and a reference that is not there
as a located load error naming the command that fixes it."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from searchlib import model_store
from searchlib.errors import SchemaError
from searchlib.model_store import ModelStoreError, add, read_index, resolve
from searchlib.schema.application import load_application

URL = "https://huggingface.co/org/model/resolve/main/model.onnx"


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_add_copies_records_sha256_and_resolves(tmp_path):
    store = tmp_path / "store"
    model = write(tmp_path / "in" / "model.onnx", b"onnx bytes")
    extra = write(tmp_path / "in" / "model.onnx_data", b"external weights")
    stored = add(URL, [model, extra], store=store)
    assert [(f.name, f.size, f.sha256) for f in stored] == [
        ("model.onnx", 10, hashlib.sha256(b"onnx bytes").hexdigest()),
        ("model.onnx_data", 16, hashlib.sha256(b"external weights").hexdigest())]
    assert read_index(store) == {URL: stored}
    path = resolve(URL, store)
    assert path.name == "model.onnx" and path.read_bytes() == b"onnx bytes"
    assert (path.parent / "model.onnx_data").read_bytes() == b"external weights"  # side by side
    model.write_bytes(b"changed later")  # the store holds a copy
    assert resolve(URL, store).read_bytes() == b"onnx bytes"


def test_adding_again_replaces_a_references_files(tmp_path):
    store = tmp_path / "store"
    add("e5-small-v2", [write(tmp_path / "a" / "m.onnx", b"1")], store=store)
    add("other", [write(tmp_path / "b" / "x.json", b"2")], store=store)
    add("e5-small-v2", [write(tmp_path / "c" / "n.onnx", b"3")], store=store)
    assert [f.name for f in read_index(store)["e5-small-v2"]] == ["n.onnx"]
    assert resolve("e5-small-v2", store).read_bytes() == b"3" and resolve("other", store).read_bytes() == b"2"


def test_an_expected_sha256_that_does_not_match_records_nothing(tmp_path):
    store = tmp_path / "store"
    model = write(tmp_path / "model.onnx", b"onnx bytes")
    with pytest.raises(ModelStoreError, match="sha256 mismatch for .*model.onnx"):
        add(URL, [model], ["0" * 64], store=store)
    assert read_index(store) == {}
    add(URL, [model], [hashlib.sha256(b"onnx bytes").hexdigest().upper()], store=store)  # hex in any case
    assert resolve(URL, store).is_file()


def test_a_stored_file_that_changed_is_refused(tmp_path):
    store = tmp_path / "store"
    add(URL, [write(tmp_path / "model.onnx", b"onnx bytes")], store=store)
    stored = resolve(URL, store)
    stored.write_bytes(b"tampered!!")
    with pytest.raises(ModelStoreError, match="sha256 mismatch for the stored file") as caught:
        resolve(URL, store)
    assert f"phasedsearch models add {URL} <file>" in str(caught.value)
    stored.unlink()
    with pytest.raises(ModelStoreError, match="is missing"):
        resolve(URL, store)


def test_a_missing_reference_names_the_command_and_bad_adds_are_refused(tmp_path):
    with pytest.raises(ModelStoreError, match=r"not in the local model store .* never downloaded: run "
                                              r"`phasedsearch models add e5 <file>`"):
        resolve("e5", tmp_path / "store")
    with pytest.raises(ModelStoreError, match="is not a file"):
        add("e5", [tmp_path / "nope.onnx"], store=tmp_path / "store")
    with pytest.raises(ModelStoreError, match="no files"):
        add("e5", [], store=tmp_path / "store")


def test_the_store_lives_under_the_users_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv(model_store.STORE_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert model_store.store_dir() == tmp_path / "data" / "phasedsearch" / "models"
    monkeypatch.setenv(model_store.STORE_ENV, str(tmp_path / "elsewhere"))
    assert model_store.store_dir() == tmp_path / "elsewhere"


SERVICES = """<services version="1.0">
  <container id="default" version="1.0">
    <component id="e5" type="hugging-face-embedder">
      <transformer-model url="{url}"/>
      <tokenizer-model model-id="e5-tokenizer"/>
    </component>
  </container>
  <content id="c" version="1.0">
    <documents><document type="doc" mode="index"/></documents>
    <nodes><node distribution-key="0"/></nodes>
  </content>
</services>
"""


def test_load_resolves_url_and_model_id_through_the_store(tmp_path, monkeypatch):
    app = tmp_path / "app"
    write(app / "schemas" / "doc.sd", b"schema doc {\n    document doc {\n    }\n}\n")
    write(app / "services.xml", SERVICES.format(url=URL).encode())
    monkeypatch.setenv(model_store.STORE_ENV, str(tmp_path / "store"))
    with pytest.raises(SchemaError, match=rf"<transformer-model>: '{URL}' is not in the local model store") as caught:
        load_application(app)
    assert str(caught.value).startswith(f"{app / 'services.xml'}:4:7:")
    add(URL, [write(tmp_path / "model.onnx", b"m")])
    with pytest.raises(SchemaError, match="phasedsearch models add e5-tokenizer <file>") as caught:
        load_application(app)
    assert str(caught.value).startswith(f"{app / 'services.xml'}:5:7:")
    add("e5-tokenizer", [write(tmp_path / "tokenizer.json", b"{}")])
    component = load_application(app).components["e5"]
    assert Path(component.config["transformer-model"]).read_bytes() == b"m"
    assert Path(component.config["tokenizer-model"]).name == "tokenizer.json"
    assert dict(component.stored_models) == {"transformer-model": URL, "tokenizer-model": "e5-tokenizer"}
