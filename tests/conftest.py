"""Every test session starts with the default models in schemas/models (the default package's
`tokens` field needs the tokenizer at feed time): fetched once with `deploy.models`, a no-op when
present (CI fetches them before pytest too)."""
from pathlib import Path

from deploy.models import ensure_models


def pytest_sessionstart(session) -> None:
    ensure_models(Path(__file__).resolve().parents[1] / "schemas")
