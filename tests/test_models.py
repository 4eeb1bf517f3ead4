"""Model validation: what an agent sees when saving bad data in the admin or the API."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from wagtail_family_portal.models import Activity, Family
from wagtail_family_portal.models.activities import Deadline
from wagtail_family_portal.models.families import (
    SUBSCRIBER_CODE_ALPHABET,
    generate_subscriber_code,
    normalise_subscriber_code,
)

from . import factories

VALID_IBAN = "FR7630006000011234567890189"


def errors_of(instance):
    with pytest.raises(ValidationError) as excinfo:
        instance.full_clean()
    return excinfo.value.message_dict


# --- subscriber codes ---------------------------------------------------------------------


def test_generated_codes_use_the_unambiguous_alphabet_and_are_long_enough():
    for _ in range(200):
        code = generate_subscriber_code()
        key = normalise_subscriber_code(code)
        assert len(key) >= 12
        assert set(key) <= set(SUBSCRIBER_CODE_ALPHABET)
        assert not set(key) & set("0O1IL")


def test_generated_codes_do_not_repeat():
    codes = {generate_subscriber_code() for _ in range(5000)}
    assert len(codes) == 5000


def test_family_gets_a_unique_code_when_saved_without_one(municipality):
    families = [factories.FamilyFactory(municipality=municipality) for _ in range(20)]
    keys = {f.subscriber_key for f in families}
    assert len(keys) == 20
    assert all(len(f.subscriber_key) >= 12 for f in families)


def test_codes_compare_ignoring_case_spaces_and_dashes(municipality):
    family = factories.FamilyFactory(municipality=municipality, subscriber_code="DEMO-DURAND-2026")
    assert Family.objects.get(subscriber_key=normalise_subscriber_code(" demo durand-2026 ")) == (
        family
    )


def test_duplicate_code_is_refused_with_a_clear_message(municipality):
    factories.FamilyFactory(municipality=municipality, subscriber_code="ABCD-EFGH-JKMN")
    twin = factories.FamilyFactory.build(municipality=municipality, subscriber_code="abcdefghjkmn")
    with translation.override("fr"):
        errors = errors_of(twin)
    assert "subscriber_code" in errors
    assert "déjà utilisé" in errors["subscriber_code"][0]


def test_duplicate_code_is_refused_by_the_database_too(municipality):
    factories.FamilyFactory(municipality=municipality, subscriber_code="ABCD-EFGH-JKMN")
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.FamilyFactory(municipality=municipality, subscriber_code="ABCDEFGHJKMN")


def test_regenerating_a_code_makes_the_old_one_stop_working(family):
    old_key = family.subscriber_key
    family.regenerate_subscriber_code()
    assert not Family.objects.filter(subscriber_key=old_key).exists()
    assert Family.objects.get(subscriber_key=family.subscriber_key) == family


def test_short_code_is_refused(municipality):
    family = factories.FamilyFactory.build(municipality=municipality, subscriber_code="ABC")
    assert "subscriber_code" in errors_of(family)


# --- guardians: IBAN, BIC, dates ------------------------------------------------------------


def test_valid_iban_is_accepted_and_stored_compact(family):
    guardian = factories.GuardianFactory.build(
        family=family, iban="fr76 3000 6000 0112 3456 7890 189", bic="agrifrpp"
    )
    guardian.full_clean()
    assert guardian.iban == VALID_IBAN
    assert guardian.bic == "AGRIFRPP"


@pytest.mark.parametrize(
    "iban",
    ["FR7630006000011234567890188", "FR76300060000112345678901", "XX00123", "not an iban"],
)
def test_invalid_iban_is_refused_with_a_translated_message(family, iban):
    guardian = factories.GuardianFactory.build(family=family, iban=iban)
    with translation.override("fr"):
        errors = errors_of(guardian)
    assert "IBAN valide" in errors["iban"][0]


def test_invalid_bic_is_refused(family):
    guardian = factories.GuardianFactory.build(family=family, bic="NOPE")
    assert "bic" in errors_of(guardian)


def test_guardian_birth_date_in_the_future_is_refused(family):
    guardian = factories.GuardianFactory.build(
        family=family, birth_date=dt.date.today() + dt.timedelta(days=1)
    )
    assert "birth_date" in errors_of(guardian)


def test_guardian_with_own_address_must_give_it(family):
    guardian = factories.GuardianFactory.build(family=family, same_address_as_family=False)
    assert "address_line1" in errors_of(guardian)


# --- children -------------------------------------------------------------------------------


def test_children_get_distinct_planning_colours(family):
    first = factories.ChildFactory(family=family)
    second = factories.ChildFactory(family=family)
    assert first.colour != second.colour
    assert first.colour.startswith("#") and len(first.colour) == 7


def test_invalid_colour_is_refused(family):
    child = factories.ChildFactory.build(family=family, colour="red")
    assert "colour" in errors_of(child)


def test_child_school_must_belong_to_the_family_municipality(family, other_municipality):
    school = factories.EstablishmentFactory(municipality=other_municipality)
    child = factories.ChildFactory.build(family=family, establishment=school)
    assert "establishment" in errors_of(child)


def test_child_health_is_a_separate_record(family):
    child = factories.ChildFactory(family=family)
    health = factories.ChildHealthFactory(child=child, allergies="arachide")
    assert child.health == health


# --- activities -----------------------------------------------------------------------------


def test_activity_end_time_before_start_is_refused(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality),
        start_time=dt.time(18, 0),
        end_time=dt.time(16, 30),
    )
    with translation.override("fr"):
        errors = errors_of(activity)
    assert "end_time" in errors


def test_activity_season_end_before_start_is_refused(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality),
        season_start=dt.date(2027, 7, 3),
        season_end=dt.date(2026, 9, 1),
    )
    assert "season_end" in errors_of(activity)


def test_negative_capacity_is_refused(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality), capacity=-1
    )
    assert "capacity" in errors_of(activity)


def test_negative_capacity_is_refused_by_the_database(municipality):
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=municipality)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Activity.objects.filter(pk=activity.pk).update(capacity=-5)


def test_waiting_list_needs_a_capacity(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality),
        waiting_list=True,
        capacity=None,
    )
    assert "waiting_list" in errors_of(activity)


def test_deadline_days_over_the_limit_are_refused(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality),
        booking_deadline_days=400,
    )
    assert "booking_deadline_days" in errors_of(activity)


def test_weekdays_round_trip_through_the_database(municipality):
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=municipality),
        weekdays=[4, 0, 2],
    )
    activity.refresh_from_db()
    assert activity.weekdays == [0, 2, 4]
    assert activity.runs_on(dt.date(2026, 9, 2))  # a Wednesday
    assert not activity.runs_on(dt.date(2026, 9, 1))  # a Tuesday
    assert not activity.runs_on(dt.date(2027, 9, 1))  # after the season


def test_activity_needs_at_least_one_weekday(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality), weekdays=[]
    )
    assert "weekdays" in errors_of(activity)


def test_weekday_out_of_range_is_refused():
    activity = factories.ActivityFactory.build()
    with pytest.raises(ValidationError):
        Activity._meta.get_field("weekdays").to_python([7])
    assert activity.weekdays == [0, 1, 3, 4]


# --- deadlines --------------------------------------------------------------------------------


def test_deadline_counts_calendar_days():
    deadline = Deadline(days=2, time=dt.time(10, 0))
    # Monday 7 December 2026: last moment is Saturday 5 December at 10:00.
    assert deadline.last_moment(dt.date(2026, 12, 7)) == dt.datetime(2026, 12, 5, 10, 0)


def test_deadline_counts_working_days_only():
    deadline = Deadline(days=2, time=dt.time(10, 0), working_days=True)
    # Monday 7 December 2026: skip the weekend, last moment is Thursday 3 December at 10:00.
    assert deadline.last_moment(dt.date(2026, 12, 7)) == dt.datetime(2026, 12, 3, 10, 0)


def test_deadline_skips_holidays_given_by_the_calendar():
    deadline = Deadline(days=1, time=dt.time(18, 0), working_days=True)
    christmas = dt.date(2026, 12, 25)

    def is_working_day(day):
        return day.weekday() < 5 and day != christmas

    # Monday 28 December 2026: Sunday, Saturday and Christmas Friday are skipped.
    assert deadline.last_moment(dt.date(2026, 12, 28), is_working_day) == dt.datetime(
        2026, 12, 24, 18, 0
    )


def test_same_day_deadline():
    deadline = Deadline(days=0, time=dt.time(8, 0))
    assert deadline.last_moment(dt.date(2026, 12, 7)) == dt.datetime(2026, 12, 7, 8, 0)


def test_deadline_reads_as_a_sentence():
    with translation.override("fr"):
        text = str(Deadline(days=2, time=dt.time(10, 0), working_days=True))
    assert text == "2 jour(s) ouvré(s) avant à 10:00"


def test_impossible_deadline_time_is_refused(municipality):
    activity = factories.ActivityFactory.build(
        establishment=factories.EstablishmentFactory(municipality=municipality),
        booking_deadline_time="25:99",
    )
    assert "booking_deadline_time" in errors_of(activity)


# --- closures and enrolments ----------------------------------------------------------------


def test_closure_ending_before_it_starts_is_refused(municipality):
    closure = factories.ClosureFactory.build(
        municipality=municipality, start_date=dt.date(2027, 1, 3), end_date=dt.date(2026, 12, 19)
    )
    assert "end_date" in errors_of(closure)


def test_enrolment_outside_the_season_is_refused(family):
    child = factories.ChildFactory(family=family)
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=family.municipality)
    )
    enrolment = factories.EnrolmentFactory.build(
        child=child,
        activity=activity,
        start_date=dt.date(2026, 8, 20),
        end_date=dt.date(2026, 12, 18),
    )
    with translation.override("fr"):
        errors = errors_of(enrolment)
    assert "saison" in errors["__all__"][0]


def test_enrolment_end_before_start_is_refused(family):
    child = factories.ChildFactory(family=family)
    enrolment = factories.EnrolmentFactory.build(
        child=child,
        activity=factories.ActivityFactory(
            establishment=factories.EstablishmentFactory(municipality=family.municipality)
        ),
        start_date=dt.date(2026, 12, 18),
        end_date=dt.date(2026, 10, 1),
    )
    assert "end_date" in errors_of(enrolment)


def test_enrolment_in_another_municipality_activity_is_refused(family, other_municipality):
    child = factories.ChildFactory(family=family)
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=other_municipality)
    )
    enrolment = factories.EnrolmentFactory.build(child=child, activity=activity)
    assert "activity" in errors_of(enrolment)


def test_overlapping_enrolment_is_refused(family):
    first = factories.EnrolmentFactory(child=factories.ChildFactory(family=family))
    twin = factories.EnrolmentFactory.build(
        child=first.child,
        activity=first.activity,
        start_date=dt.date(2027, 1, 4),
        end_date=dt.date(2027, 2, 5),
    )
    assert "__all__" in errors_of(twin)


# --- scoping helpers ------------------------------------------------------------------------


def test_family_for_account_returns_only_subscribed_families(parent, family, other_municipality):
    factories.FamilyFactory(municipality=family.municipality)
    assert list(Family.objects.for_account(parent)) == [family]


def test_family_for_agent_returns_only_assigned_municipalities(agent, family, other_municipality):
    factories.FamilyFactory(municipality=other_municipality)
    assert list(Family.objects.for_agent(agent)) == [family]


@pytest.mark.parametrize(
    ("iban", "masked"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "•••• •••• •••• •••• •••• •••• 0189"),
        ("DE89370400440532013000", "•••• •••• •••• •••• •••• 3000"),
        ("", ""),
        ("1234", "••••"),
    ],
)
def test_iban_shows_only_its_last_four_characters(iban, masked):
    from wagtail_family_portal.validators import mask_iban

    assert mask_iban(iban) == masked
