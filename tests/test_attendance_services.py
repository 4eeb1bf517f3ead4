"""services.attendance: marking which booked children came on a day."""

import datetime as dt

import pytest
from wagtail.models import ModelLogEntry

from wagtail_family_portal.models import Activity, ChildDay
from wagtail_family_portal.services import attendance, bookings

from . import factories

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 7)  # a Monday of the factories' season
LONG_AGO = dt.datetime(2026, 9, 1, 9, 0)


@pytest.fixture
def canteen(municipality):
    """Overrides conftest's canteen: nobody enrolled, each test puts its own children on the day."""
    school = factories.EstablishmentFactory(municipality=municipality)
    return factories.ActivityFactory(establishment=school, booking_mode=Activity.BookingMode.AGENT)


def child_on(family, canteen, first_name, *, booked=True, agent=None):
    child = factories.ChildFactory(family=family, first_name=first_name)
    factories.EnrolmentFactory(child=child, activity=canteen)
    outcome = bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=canteen.pk,
        operation="booking",
        dates=[DAY],
        user=None,
        now=LONG_AGO,
    )
    if booked:
        bookings.decide_lines(outcome.lines, agent=agent, accept=True)
    return child


def presence_of(child, canteen):
    return ChildDay.objects.get(child=child, activity=canteen, date=DAY).presence


def test_presence_is_saved_for_each_booked_child_and_logged_once(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)
    hugo = child_on(family, canteen, "Hugo", agent=agent)

    marked = attendance.mark_presence(
        canteen, DAY, {lea.pk: "present", hugo.pk: "absent"}, agent=agent, today=DAY
    )

    assert (presence_of(lea, canteen), presence_of(hugo, canteen)) == ("present", "absent")
    assert len(marked.changed) == 2 and marked.not_booked == []
    entry = ModelLogEntry.objects.get(action=attendance.PRESENCE_MARKED)
    assert (entry.user, entry.object_id, entry.data["date"]) == (
        agent,
        str(canteen.pk),
        "2026-12-07",
    )
    assert entry.data["presences"] == {str(lea.pk): "present", str(hugo.pk): "absent"}


def test_unchanged_presence_is_neither_written_nor_logged(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)
    attendance.mark_presence(canteen, DAY, {lea.pk: "present"}, agent=agent, today=DAY)

    again = attendance.mark_presence(canteen, DAY, {lea.pk: "present"}, agent=agent, today=DAY)

    assert again.changed == []
    assert ModelLogEntry.objects.filter(action=attendance.PRESENCE_MARKED).count() == 1


def test_presence_can_be_cleared(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)
    attendance.mark_presence(canteen, DAY, {lea.pk: "absent"}, agent=agent, today=DAY)

    attendance.mark_presence(canteen, DAY, {lea.pk: ""}, agent=agent, today=DAY)

    assert presence_of(lea, canteen) == ""


def test_children_without_a_place_that_day_are_left_alone(family, canteen, agent):
    asked = child_on(family, canteen, "Jade", booked=False)
    never = factories.ChildFactory(family=family, first_name="Louis")

    marked = attendance.mark_presence(
        canteen, DAY, {asked.pk: "present", never.pk: "present"}, agent=agent, today=DAY
    )

    assert marked.changed == []
    assert marked.not_booked == sorted([asked.pk, never.pk])
    assert presence_of(asked, canteen) == ""
    assert not ModelLogEntry.objects.filter(action=attendance.PRESENCE_MARKED).exists()


def test_presence_cannot_be_marked_before_the_day(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)

    with pytest.raises(attendance.AttendanceError) as raised:
        attendance.mark_presence(
            canteen, DAY, {lea.pk: "present"}, agent=agent, today=DAY - dt.timedelta(days=1)
        )

    assert raised.value.code == "future"
    assert presence_of(lea, canteen) == ""


@pytest.mark.parametrize("presences", [{"x": "present"}, {"LEA": "maybe"}])
def test_unknown_children_or_values_are_refused(family, canteen, agent, presences):
    lea = child_on(family, canteen, "Léa", agent=agent)
    presences = {lea.pk if key == "LEA" else key: value for key, value in presences.items()}

    with pytest.raises(attendance.AttendanceError) as raised:
        attendance.mark_presence(canteen, DAY, presences, agent=agent, today=DAY)

    assert raised.value.code == "invalid"
    assert presence_of(lea, canteen) == ""
