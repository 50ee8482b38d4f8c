"""Which files decide how the container image is built, and whether the smoke test has run on them.

CI runs the image smoke test (tests/deploy/test_image_smoke.py, minutes) only when these files
differ from the ones it last passed on, recorded in deploy/image-inputs.sha256:

    python -m deploy.image_inputs            # "current" or "changed" (exit 0 / 1)
    python -m deploy.image_inputs --record   # after PHASEDSEARCH_IMAGE_TEST=1 pytest tests/deploy/test_image_smoke.py passed
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
INPUTS = ("Dockerfile", "Dockerfile.dockerignore", "docker-entrypoint.sh", "build-image.sh")
RECORD = DEPLOY / "image-inputs.sha256"


def digest() -> str:
    hasher = hashlib.sha256()
    for name in INPUTS:
        hasher.update(name.encode() + b"\0" + (DEPLOY / name).read_bytes() + b"\0")
    return hasher.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.image_inputs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="record the current inputs as smoke-tested")
    args = parser.parse_args(argv)
    if args.record:
        RECORD.write_text(digest() + "\n")
        return 0
    recorded = RECORD.read_text().strip() if RECORD.exists() else ""
    current = recorded == digest()
    print("current" if current else "changed")
    return 0 if current else 1


if __name__ == "__main__":
    sys.exit(main())
