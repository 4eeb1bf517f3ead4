"""The migrations describe the models completely: nothing is left for ``makemigrations``."""

from io import StringIO

import pytest
from django.core.management import call_command


def test_no_missing_migration(db):
    out = StringIO()
    try:
        call_command(
            "makemigrations",
            "wagtail_family_portal",
            check=True,
            dry_run=True,
            stdout=out,
            stderr=out,
        )
    except SystemExit:  # ``--check`` exits with 1 when a model change has no migration
        pytest.fail(f"a model change has no migration:\n{out.getvalue()}")
    assert "No changes detected" in out.getvalue(), out.getvalue()
