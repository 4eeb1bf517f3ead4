"""The test run uses the database that DATABASE_URL names, so CI really covers PostgreSQL."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_database_matches_database_url():
    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_run_enforces_the_database_constraints():
    from django.db import IntegrityError, transaction

    from tests.factories import FamilyFactory

    first = FamilyFactory(subscriber_code="ABCD-EFGH-JKMN")
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyFactory(municipality=first.municipality, subscriber_code="abcd efgh jkmn")
