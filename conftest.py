"""Suite-wide switches: tests marked ``postgres`` run only against PostgreSQL."""

import os

import pytest

# Browser fixtures (Playwright driving the system Chromium), shared by every browser test.
pytest_plugins = ["tests.browser"]

POSTGRES_URL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    if POSTGRES_URL:
        return
    skip = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://… to run it (CI does)"
    )
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)
