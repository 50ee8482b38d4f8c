"""Every test session starts with the default models in schemas/models (the default package's
`tokens` field needs the tokenizer at feed time): fetched once with `deploy.models`, a no-op when
present (CI fetches them before pytest too)."""
import os
import tempfile
from pathlib import Path

from deploy.models import ensure_models


def pytest_sessionstart(session) -> None:
    # `phasedsearch up` remembers the last cluster under $XDG_STATE_HOME: never the real one in tests
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="phasedsearch-test-state-")
    # packages without <resource-limits> must not block feed because the build machine's disk is
    # ~75 % full; tests of the feed block give their limits in services.xml
    os.environ["PHASEDSEARCH_DEFAULT_RESOURCE_LIMITS"] = "0.99,0.99"
    ensure_models(Path(__file__).resolve().parents[1] / "schemas")
