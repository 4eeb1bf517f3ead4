"""services.attendance: marking which booked children came on a day."""

import datetime as dt

import pytest
from wagtail.models import ModelLogEntry

from wagtail_family_portal.models import Activity, ChildDay
from wagtail_family_portal.models.bookings import UnbookedPresence
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


# Justified absences


def late_absence(family, canteen, child, agent):
    """``child``'s absence on DAY, declared by an agent after the deadline (billed unless
    justified)."""
    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=canteen.pk,
        operation="absence",
        dates=[DAY],
        user=agent,
        by_agent=True,
        now=dt.datetime(2026, 12, 7, 8, 0),
    )


def justified_of(child, canteen):
    return ChildDay.objects.get(child=child, activity=canteen, date=DAY).absence_justified


def test_an_absence_marked_on_the_sheet_can_be_justified_and_it_is_logged(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)

    marked = attendance.mark_presence(
        canteen, DAY, {lea.pk: "absent"}, agent=agent, today=DAY, justified={lea.pk: True}
    )

    assert justified_of(lea, canteen) is True
    assert [row.child_id for row in marked.justified] == [lea.pk] and marked.not_absent == []
    entry = ModelLogEntry.objects.get(action=attendance.ABSENCE_JUSTIFIED)
    assert (entry.user, entry.object_id) == (agent, str(canteen.pk))
    assert entry.data == {"date": "2026-12-07", "justified": {str(lea.pk): True}}


def test_a_late_absence_can_be_justified_even_before_the_day(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)
    late_absence(family, canteen, lea, agent)

    marked = attendance.justify_absences(canteen, DAY, {lea.pk: True}, agent=agent)

    assert justified_of(lea, canteen) is True and len(marked.justified) == 1
    attendance.justify_absences(canteen, DAY, {lea.pk: False}, agent=agent)
    assert justified_of(lea, canteen) is False
    assert ModelLogEntry.objects.filter(action=attendance.ABSENCE_JUSTIFIED).count() == 2


def test_only_an_absence_can_be_justified(family, canteen, agent):
    present = child_on(family, canteen, "Léa", agent=agent)
    on_time = child_on(family, canteen, "Hugo", agent=agent)
    bookings.request_days(  # an absence the family declared in time: never billed anyway
        family=family,
        child_id=on_time.pk,
        activity_id=canteen.pk,
        operation="absence",
        dates=[DAY],
        user=None,
        now=LONG_AGO,
    )
    bookings.decide_lines(
        list(on_time.booking_lines.filter(operation="absence")), agent=agent, accept=True
    )
    attendance.mark_presence(canteen, DAY, {present.pk: "present"}, agent=agent, today=DAY)

    marked = attendance.justify_absences(
        canteen, DAY, {present.pk: True, on_time.pk: True}, agent=agent
    )

    assert marked.justified == [] and marked.not_absent == sorted([present.pk, on_time.pk])
    assert not justified_of(present, canteen) and not justified_of(on_time, canteen)
    assert not ModelLogEntry.objects.filter(action=attendance.ABSENCE_JUSTIFIED).exists()


def test_a_child_marked_present_again_loses_its_justification(family, canteen, agent):
    lea = child_on(family, canteen, "Léa", agent=agent)
    attendance.mark_presence(
        canteen, DAY, {lea.pk: "absent"}, agent=agent, today=DAY, justified={lea.pk: True}
    )

    attendance.mark_presence(canteen, DAY, {lea.pk: "present"}, agent=agent, today=DAY)

    assert (presence_of(lea, canteen), justified_of(lea, canteen)) == ("present", False)


# Presence without a booking


def enrolled_child(family, canteen, first_name):
    child = factories.ChildFactory(family=family, first_name=first_name)
    factories.EnrolmentFactory(child=child, activity=canteen)
    return child


def test_an_enrolled_child_without_a_place_can_be_marked_present_and_it_is_logged(
    family, canteen, agent
):
    jade = enrolled_child(family, canteen, "Jade")
    refused = child_on(family, canteen, "Louis", booked=False)
    bookings.decide_lines(
        list(refused.booking_lines.all()), agent=agent, accept=False, message="Complet."
    )
    assert set(attendance.unbooked_candidates(canteen, DAY)) == {jade, refused}

    presence = attendance.mark_unbooked(canteen, DAY, jade.pk, agent=agent, today=DAY)
    again = attendance.mark_unbooked(canteen, DAY, str(jade.pk), agent=agent, today=DAY)

    assert (presence.child, presence.date, presence.marked_by) == (jade, DAY, agent)
    assert again.pk == presence.pk and UnbookedPresence.objects.count() == 1
    entry = ModelLogEntry.objects.get(action=attendance.UNBOOKED_MARKED)
    assert (entry.user, entry.object_id, entry.data["date"]) == (
        agent,
        str(canteen.pk),
        "2026-12-07",
    )
    assert entry.data["child_id"] == jade.pk
    assert list(attendance.unbooked_candidates(canteen, DAY)) == [refused]
    # Places and the planning are unchanged.
    assert not ChildDay.objects.filter(child=jade).exists()


def test_a_presence_without_a_booking_can_be_removed_and_it_is_logged(family, canteen, agent):
    jade = enrolled_child(family, canteen, "Jade")
    attendance.mark_unbooked(canteen, DAY, jade.pk, agent=agent, today=DAY)

    assert attendance.remove_unbooked(canteen, DAY, jade.pk, agent=agent) is True
    assert attendance.remove_unbooked(canteen, DAY, jade.pk, agent=agent) is False

    assert not UnbookedPresence.objects.exists()
    assert ModelLogEntry.objects.filter(action=attendance.UNBOOKED_REMOVED).count() == 1


@pytest.mark.parametrize(
    "case, code",
    [
        ("booked", "holds_place"),
        ("not_enrolled", "not_enrolled"),
        ("not_running", "not_running"),
        ("future", "future"),
        ("other_town", "invalid"),
        ("not_an_id", "invalid"),
    ],
)
def test_presence_without_a_booking_is_refused_when_it_does_not_apply(
    family, canteen, agent, other_family, case, code
):
    day, today = DAY, DAY
    if case == "booked":
        child_id = child_on(family, canteen, "Léa", agent=agent).pk
    elif case == "not_enrolled":
        child_id = factories.ChildFactory(family=family).pk
    elif case == "not_running":
        child_id = enrolled_child(family, canteen, "Jade").pk
        day = today = dt.date(2026, 12, 9)  # a Wednesday: no meal
    elif case == "future":
        child_id = enrolled_child(family, canteen, "Jade").pk
        today = DAY - dt.timedelta(days=1)
    elif case == "other_town":
        child_id = enrolled_child(other_family, canteen, "Zoé").pk
    else:
        child_id = "x"

    with pytest.raises(attendance.AttendanceError) as raised:
        attendance.mark_unbooked(canteen, day, child_id, agent=agent, today=today)

    assert raised.value.code == code
    assert not UnbookedPresence.objects.exists()
