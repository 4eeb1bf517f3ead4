"""Importing public and school holidays as closures (services/closures.py and its command)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from wagtail_family_portal.models import Closure
from wagtail_family_portal.services.closures import (
    ClosureImportError,
    current_school_year,
    import_closures,
    parse_school_year,
)

from . import factories

pytestmark = pytest.mark.usefixtures("english")


def closures_of(municipality):
    return Closure.objects.filter(municipality=municipality)


def test_import_is_idempotent(municipality):
    first = import_closures(municipality, 2026, "B")
    rows = list(closures_of(municipality).values_list("source", "label", "start_date", "end_date"))

    second = import_closures(municipality, 2026, "B")

    assert first.created == len(rows) > 10
    assert (second.created, second.updated, second.unchanged) == (0, 0, len(rows))
    assert sorted(
        closures_of(municipality).values_list("source", "label", "start_date", "end_date")
    ) == sorted(rows)


def test_import_updates_changed_rows_and_keeps_chosen_activities(municipality):
    import_closures(municipality, 2026, "B")
    christmas = closures_of(municipality).get(source="public_holiday:2026-12-25")
    christmas.label = "Renamed"
    christmas.end_date = dt.date(2026, 12, 27)
    christmas.save()
    activity = factories.ActivityFactory(establishment__municipality=municipality)
    christmas.activities.add(activity)

    result = import_closures(municipality, 2026, "B")

    christmas.refresh_from_db()
    assert result.created == 0 and result.updated == 1
    assert (christmas.label, christmas.end_date) == ("Noël", dt.date(2026, 12, 25))
    assert list(christmas.activities.all()) == [activity]


def test_christmas_day_is_a_public_holiday_closing_everything(municipality):
    import_closures(municipality, 2026, "B")

    christmas = closures_of(municipality).get(source="public_holiday:2026-12-25")

    assert christmas.kind == Closure.Kind.PUBLIC_HOLIDAY
    assert (christmas.start_date, christmas.end_date) == (dt.date(2026, 12, 25),) * 2
    assert not christmas.activities.exists()


def test_zone_b_christmas_holidays_cover_the_days_without_school(municipality):
    import_closures(municipality, 2026, "b")

    holidays = closures_of(municipality).get(source="school_holiday:B:2026-2027:Vacances de Noël")

    # Official calendar: classes end Saturday 19 December 2026, resume Monday 4 January 2027.
    assert holidays.kind == Closure.Kind.SCHOOL_HOLIDAY
    assert "Noël" in holidays.label
    assert holidays.start_date == dt.date(2026, 12, 19)
    assert holidays.end_date == dt.date(2027, 1, 3)


def test_school_year_holds_its_own_summer_holidays_only(municipality):
    import_closures(municipality, 2026, "B")

    summers = closures_of(municipality).filter(label__startswith="Vacances d'été")

    assert [(c.start_date, c.end_date) for c in summers] == [
        (dt.date(2027, 7, 3), dt.date(2027, 8, 31))
    ]
    assert not closures_of(municipality).filter(start_date__lt=dt.date(2026, 9, 1)).exists()


def test_zones_differ_and_do_not_share_keys(municipality):
    import_closures(municipality, 2026, "A", include_public_holidays=False)
    import_closures(municipality, 2026, "C", include_public_holidays=False)

    spring = closures_of(municipality).filter(label__startswith="Vacances de printemps")

    assert {c.source.split(":")[1] for c in spring} == {"A", "C"}
    assert len({(c.start_date, c.end_date) for c in spring}) == 2


def test_municipalities_are_kept_apart(municipality, other_municipality):
    import_closures(municipality, 2026, "B")
    import_closures(other_municipality, 2026, "B")

    assert closures_of(municipality).count() == closures_of(other_municipality).count()


def test_unknown_zone_is_a_clear_error(municipality):
    with pytest.raises(ClosureImportError, match="zone “D”.*A, B, C"):
        import_closures(municipality, 2026, "D")
    assert not closures_of(municipality).exists()


def test_year_without_data_is_a_clear_error_and_imports_nothing(municipality):
    with pytest.raises(ClosureImportError, match="no complete school holiday calendar"):
        import_closures(municipality, 2035, "B")
    assert not closures_of(municipality).exists()


@pytest.mark.parametrize(
    ("value", "expected"), [("2026-2027", 2026), ("2026/2027", 2026), (" 2026 ", 2026)]
)
def test_parse_school_year(value, expected):
    assert parse_school_year(value) == expected


@pytest.mark.parametrize("value", ["2026-2028", "26-27", "next year", ""])
def test_parse_school_year_rejects_nonsense(value):
    with pytest.raises(ClosureImportError):
        parse_school_year(value)


@pytest.mark.parametrize(
    ("today", "expected"),
    [(dt.date(2026, 11, 28), 2026), (dt.date(2027, 6, 30), 2026), (dt.date(2027, 7, 1), 2027)],
)
def test_current_school_year(today, expected):
    assert current_school_year(today) == expected


def test_command_imports_by_municipality_name_and_reports(municipality):
    out = StringIO()

    call_command(
        "import_family_portal_closures",
        municipality="belleville-sur-loire",
        zone="B",
        school_year="2026-2027",
        stdout=out,
    )
    call_command(
        "import_family_portal_closures",
        municipality=str(municipality.pk),
        zone="B",
        school_year="2026-2027",
        stdout=out,
    )

    count = closures_of(municipality).count()
    assert count > 10
    assert f"{count} unchanged" in out.getvalue().splitlines()[-1]


def test_command_reports_unknown_zone(municipality):
    with pytest.raises(CommandError, match="zone “Z”"):
        call_command("import_family_portal_closures", municipality=municipality.name, zone="Z")


def test_command_reports_unknown_municipality(db):
    with pytest.raises(CommandError, match="No municipality"):
        call_command("import_family_portal_closures", municipality="Nowhere", zone="B")


def test_command_reports_missing_data(municipality):
    with pytest.raises(CommandError, match="2035-2036"):
        call_command(
            "import_family_portal_closures",
            municipality=municipality.name,
            zone="B",
            school_year="2035-2036",
        )
