"""The record of the image inputs the smoke test last passed on."""
from __future__ import annotations

from deploy import image_inputs


def test_any_change_to_an_input_changes_the_digest(monkeypatch, tmp_path):
    for name in image_inputs.INPUTS:
        (tmp_path / name).write_text(f"content of {name}\n")
    monkeypatch.setattr(image_inputs, "DEPLOY", tmp_path)
    monkeypatch.setattr(image_inputs, "RECORD", tmp_path / "image-inputs.sha256")
    assert image_inputs.main([]) == 1  # nothing recorded yet
    assert image_inputs.main(["--record"]) == 0
    assert image_inputs.main([]) == 0
    (tmp_path / "docker-entrypoint.sh").write_text("changed\n")
    assert image_inputs.main([]) == 1


def test_the_recorded_digest_names_the_inputs_of_this_checkout():
    assert image_inputs.RECORD.exists(), "run the image smoke test, then python -m deploy.image_inputs --record"
    assert len(image_inputs.RECORD.read_text().strip()) == 64
