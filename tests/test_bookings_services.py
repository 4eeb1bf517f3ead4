"""services.bookings: the rules of a day, submitting, deciding, withdrawing, the waiting list."""

import datetime as dt

import pytest

from wagtail_family_portal.models import BookingLine, ChildDay, Request
from wagtail_family_portal.models.activities import Activity
from wagtail_family_portal.services import bookings

from . import factories

# The moment the requests are made (passed to the service); the season runs from 1 September.
NOW = factories.NOW
MON, TUE, THU, FRI = (
    dt.date(2026, 12, 7),
    dt.date(2026, 12, 8),
    dt.date(2026, 12, 10),
    dt.date(2026, 12, 11),
)


def activity(school, **fields):
    return factories.ActivityFactory(establishment=school, **fields)


@pytest.fixture
def wednesday_centre(school, lea):
    centre = activity(
        school,
        name="Accueil de loisirs mercredi",
        weekdays=[2],
        booking_mode=Activity.BookingMode.AUTOMATIC,
        capacity=2,
        waiting_list=True,
    )
    factories.enrol(lea, centre)
    return centre


def ask(family, child, act, dates, operation="booking", user=None, **kwargs):
    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=act.pk,
        operation=operation,
        dates=dates,
        user=user,
        now=kwargs.pop("now", NOW),
        **kwargs,
    )


def day_state(child, act, date):
    row = ChildDay.objects.filter(child=child, activity=act, date=date).first()
    return row.state if row else "enrolled"


def test_a_booking_waits_for_an_agent_then_is_accepted(family, parent, lea, canteen, agent):
    outcome = ask(family, lea, canteen, [MON, TUE], user=parent)

    assert outcome.request.kind == "booking" and outcome.request.state == "pending"
    assert [line.state for line in outcome.lines] == ["pending", "pending"]
    assert day_state(lea, canteen, MON) == "booking_requested"

    decision = bookings.decide_lines(outcome.lines, agent=agent, accept=True)

    assert len(decision.accepted) == 2
    assert day_state(lea, canteen, MON) == "booked"
    outcome.request.refresh_from_db()
    assert outcome.request.state == "accepted"
    assert [e.to_state for e in outcome.lines[0].events.all()] == ["pending", "accepted"]


def test_an_automatic_activity_books_at_once(family, parent, lea, wednesday_centre):
    wednesday = dt.date(2026, 12, 9)

    outcome = ask(family, lea, wednesday_centre, [wednesday], user=parent)

    assert outcome.lines[0].state == "accepted"
    assert outcome.request.state == "accepted"
    assert day_state(lea, wednesday_centre, wednesday) == "booked"


def test_days_that_cannot_be_asked_need_confirmation(family, parent, lea, canteen, municipality):
    factories.ClosureFactory(
        municipality=municipality,
        kind="public_holiday",
        label="Férié",
        start_date=FRI,
        end_date=FRI,
    )
    wednesday = dt.date(2026, 12, 9)
    too_soon = dt.date(2026, 12, 4)  # Friday: the deadline was Wednesday at 10:00

    with pytest.raises(bookings.BookingError) as raised:
        ask(family, lea, canteen, [too_soon, MON, wednesday, FRI], user=parent)

    assert raised.value.code == "confirm_skipped"
    assert raised.value.dates == [MON]
    assert [(s.date, s.reason) for s in raised.value.skipped] == [
        (too_soon, "deadline_passed"),
        (wednesday, "not_running"),
        (FRI, "closed"),
    ]
    assert not Request.objects.exists()

    outcome = ask(
        family, lea, canteen, [too_soon, MON, wednesday, FRI], user=parent, confirm_skipped=True
    )
    assert [line.date for line in outcome.lines] == [MON]
    assert len(outcome.skipped) == 3


def test_nothing_to_request(family, parent, lea, canteen):
    with pytest.raises(bookings.BookingError) as raised:
        ask(family, lea, canteen, [dt.date(2026, 12, 9)], user=parent)

    assert raised.value.code == "nothing_to_request"


def test_agents_bypass_deadlines(family, agent, lea, canteen):
    tuesday_before = dt.date(2026, 12, 1)

    outcome = ask(family, lea, canteen, [tuesday_before], user=agent, by_agent=True)

    assert outcome.lines[0].state == "accepted"
    assert outcome.lines[0].events.first().by_agent_for_family


def test_a_day_an_agent_asks_after_its_deadline_is_marked_late(family, parent, agent, lea, canteen):
    friday, monday = dt.date(2026, 12, 4), MON  # deadlines: Wednesday 2 and Saturday 5, 10:00

    outcome = ask(family, lea, canteen, [friday, monday], user=agent, by_agent=True)

    late = dict(BookingLine.objects.values_list("date", "after_deadline"))
    assert [line.state for line in outcome.lines] == ["accepted", "accepted"]
    assert late == {friday: True, monday: False}


def test_an_absence_an_agent_declares_after_the_deadline_is_marked_late(
    family, parent, agent, lea, canteen
):
    ask(family, lea, canteen, [MON, TUE], user=agent, by_agent=True)
    saturday = dt.datetime(2026, 12, 5, 12, 0)  # past Monday's deadline, not Tuesday's

    ask(family, lea, canteen, [MON, TUE], "absence", user=agent, by_agent=True, now=saturday)

    absences = BookingLine.objects.filter(operation="absence")
    assert dict(absences.values_list("date", "after_deadline")) == {MON: True, TUE: False}
    assert day_state(lea, canteen, MON) == "absent"


def test_a_familys_days_are_never_late(family, parent, lea, canteen):
    ask(family, lea, canteen, [MON], user=parent, now=dt.datetime(2026, 12, 5, 9, 59))

    assert not BookingLine.objects.get().after_deadline


def test_the_deadline_counts_working_days_when_asked(family, parent, lea, school, municipality):
    meal = activity(school, deadline_working_days=True, booking_deadline_days=2)
    factories.enrol(lea, meal)
    # For Monday 7, two working days before is Thursday 3 at 10:00 (the weekend does not count).
    assert ask(family, lea, meal, [MON], user=parent, now=dt.datetime(2026, 12, 3, 9, 59)).lines
    with pytest.raises(bookings.BookingError):
        ask(family, lea, meal, [TUE], user=parent, now=dt.datetime(2026, 12, 4, 10, 1))


def test_not_enrolled_and_another_familys_child(family, parent, lea, school, municipality):
    other = activity(school)
    with pytest.raises(bookings.BookingError) as raised:
        ask(family, lea, other, [MON], user=parent)
    assert raised.value.skipped[0].reason == "not_enrolled"

    stranger = factories.ChildFactory(family=factories.FamilyFactory(municipality=municipality))
    with pytest.raises(bookings.BookingError) as raised:
        ask(family, stranger, other, [MON], user=parent)
    assert raised.value.code == "not_found"


def test_an_absence_only_on_a_booked_day(family, parent, lea, canteen, agent):
    with pytest.raises(bookings.BookingError) as raised:
        ask(family, lea, canteen, [MON], operation="absence", user=parent)
    assert raised.value.skipped[0].reason == "not_booked"

    booking = ask(family, lea, canteen, [MON], user=parent)
    bookings.decide_lines(booking.lines, agent=agent, accept=True)
    absence = ask(family, lea, canteen, [MON], operation="absence", user=parent)
    assert day_state(lea, canteen, MON) == "absence_requested"

    bookings.decide_lines(absence.lines, agent=agent, accept=False, message="Trop tard.")
    assert day_state(lea, canteen, MON) == "booked"
    absence = ask(family, lea, canteen, [MON], operation="absence", user=parent)
    bookings.decide_lines(absence.lines, agent=agent, accept=True)
    assert day_state(lea, canteen, MON) == "absent"


def test_already_requested_and_already_booked(family, parent, lea, canteen, agent):
    first = ask(family, lea, canteen, [MON], user=parent)
    with pytest.raises(bookings.BookingError) as raised:
        ask(family, lea, canteen, [MON], user=parent)
    assert raised.value.skipped[0].reason == "already_requested"

    bookings.decide_lines(first.lines, agent=agent, accept=True)
    with pytest.raises(bookings.BookingError) as raised:
        ask(family, lea, canteen, [MON], user=parent)
    assert raised.value.skipped[0].reason == "already_booked"


def test_refusing_needs_a_message_and_allows_asking_again(family, parent, lea, canteen, agent):
    outcome = ask(family, lea, canteen, [MON, TUE], user=parent)
    with pytest.raises(bookings.BookingError):
        bookings.decide_lines(outcome.lines, agent=agent, accept=False, message=" ")

    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=False, message="Complet.")
    bookings.decide_lines(outcome.lines[1:], agent=agent, accept=True)

    outcome.request.refresh_from_db()
    assert outcome.request.state == "partially_accepted"
    assert day_state(lea, canteen, MON) == "refused"
    assert BookingLine.objects.get(date=MON).message == "Complet."
    assert ask(family, lea, canteen, [MON], user=parent).lines  # asked again


def test_withdraw_pending_days_only(family, parent, lea, canteen, agent):
    outcome = ask(family, lea, canteen, [MON, TUE], user=parent)
    bookings.decide_lines(outcome.lines[1:], agent=agent, accept=True)

    with pytest.raises(bookings.BookingError):
        bookings.withdraw_lines(outcome.lines, user=parent)
    bookings.withdraw_lines(outcome.lines[:1], user=parent)

    assert day_state(lea, canteen, MON) == "enrolled"
    assert day_state(lea, canteen, TUE) == "booked"
    outcome.request.refresh_from_db()
    assert outcome.request.state == "accepted"


def test_capacity_waiting_list_and_promotion(
    family, parent, school, wednesday_centre, municipality
):
    wednesday = dt.date(2026, 12, 9)
    children = [factories.ChildFactory(family=family) for _ in range(4)]
    for child in children:
        factories.enrol(child, wednesday_centre)
    outcomes = [
        ask(family, child, wednesday_centre, [wednesday], user=parent) for child in children
    ]

    states = [o.lines[0].state for o in outcomes]
    assert states == ["accepted", "accepted", "waiting_list", "waiting_list"]
    assert ChildDay.objects.filter(date=wednesday, state="booked").count() == 2

    ask(family, children[0], wednesday_centre, [wednesday], operation="absence", user=parent)

    assert day_state(children[0], wednesday_centre, wednesday) == "absent"
    assert day_state(children[2], wednesday_centre, wednesday) == "booked"  # first in line
    assert day_state(children[3], wednesday_centre, wednesday) == "waiting_list"
    outcomes[2].request.refresh_from_db()
    assert outcomes[2].request.state == "accepted"


def test_a_full_day_without_waiting_list_is_skipped(family, parent, school):
    centre = activity(school, weekdays=[2], booking_mode="automatic", capacity=1)
    wednesday = dt.date(2026, 12, 9)
    first, second = factories.ChildFactory(family=family), factories.ChildFactory(family=family)
    factories.enrol(first, centre)
    factories.enrol(second, centre)
    ask(family, first, centre, [wednesday], user=parent)

    with pytest.raises(bookings.BookingError) as raised:
        ask(family, second, centre, [wednesday], user=parent)

    assert raised.value.skipped[0].reason == "full"


def test_an_agent_accepting_beyond_capacity_puts_on_the_waiting_list(family, parent, school, agent):
    centre = activity(school, weekdays=[2], capacity=1, waiting_list=True)
    wednesday = dt.date(2026, 12, 9)
    kids = [factories.ChildFactory(family=family) for _ in range(2)]
    for kid in kids:
        factories.enrol(kid, centre)
    outcomes = [ask(family, kid, centre, [wednesday], user=parent) for kid in kids]

    decision = bookings.decide_lines([o.lines[0] for o in outcomes], agent=agent, accept=True)

    assert len(decision.accepted) == 1 and len(decision.waiting) == 1
    assert day_state(kids[1], centre, wednesday) == "waiting_list"


def test_dates_in_period():
    dates = bookings.dates_in_period(MON, dt.date(2026, 12, 20), [0, 3])
    assert dates == [MON, THU, dt.date(2026, 12, 14), dt.date(2026, 12, 17)]
    for start, end, weekdays in (
        (TUE, MON, [0]),
        (MON, MON + dt.timedelta(days=400), [0]),
        (MON, TUE, []),
        (MON, TUE, [9]),
    ):
        with pytest.raises(bookings.BookingError) as raised:
            bookings.dates_in_period(start, end, weekdays)
        assert raised.value.code == "invalid"


def test_a_school_year_is_saved_with_few_queries(
    family, parent, lea, canteen, django_assert_max_num_queries
):
    year = bookings.dates_in_period(dt.date(2026, 12, 14), dt.date(2027, 7, 2), [0, 1, 3, 4])

    with django_assert_max_num_queries(40):
        outcome = ask(family, lea, canteen, year, user=parent)

    assert len(outcome.lines) == len(year) > 100


def test_more_capacity_gives_the_places_to_the_first_in_line(family, parent, school):
    """``capacity_changed`` (called when an agent saves an activity) promotes at once."""
    today = dt.date.today()
    wednesday = today + dt.timedelta(days=14 + (2 - today.weekday()) % 7)
    centre = activity(
        school,
        weekdays=[2],
        booking_mode="automatic",
        capacity=1,
        waiting_list=True,
        season_start=today - dt.timedelta(days=30),
        season_end=today + dt.timedelta(days=200),
    )
    kids = [factories.ChildFactory(family=family) for _ in range(3)]
    for kid in kids:
        factories.enrol(kid, centre)
    now = dt.datetime.combine(today, dt.time(8, 0))
    for kid in kids:
        ask(family, kid, centre, [wednesday], user=parent, now=now)
    assert [day_state(kid, centre, wednesday) for kid in kids] == [
        "booked",
        "waiting_list",
        "waiting_list",
    ]

    centre.capacity = 2
    centre.save()
    promoted = bookings.capacity_changed(centre)

    assert len(promoted) == 1
    assert [day_state(kid, centre, wednesday) for kid in kids] == [
        "booked",
        "booked",
        "waiting_list",
    ]
