import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch):
    """Specs are named relative to the repo root, as the README runs them."""
    monkeypatch.chdir(ROOT)
    yield


def pytest_configure(config):
    os.environ.setdefault("MECHC_TEST", "1")
