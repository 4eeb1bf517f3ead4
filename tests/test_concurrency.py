"""Capacity under concurrency, on PostgreSQL: 25 families book the last 5 places at once.

Each thread calls ``services.bookings.request_days`` for a different child, for the same day of
an automatic activity, all released together by a barrier, on its own database connection. A
watcher thread counts the booked days all along. The capacity must hold every time; without the
row lock of ``capacity.lock_days`` it does not (the second test shows that the first could fail).

To make the race certain rather than likely, some runs widen the window between counting the
places and saving the booking (a pause after the count, inside the transaction): with the lock,
the others wait for it; without the lock, they all count the same free places.
"""

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from django.db import close_old_connections, connection

from wagtail_family_portal.models import ChildDay, Request
from wagtail_family_portal.models.activities import Activity
from wagtail_family_portal.models.bookings import HOLDS_PLACE, DayState
from wagtail_family_portal.services import bookings
from wagtail_family_portal.services.bookings import capacity

from . import factories

# serialized_rollback: the browser tests before these leave the database flushed without its
# content types (they restore them at their own start); these tests restore them too.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHILDREN = 25
CAPACITY = 5
# Thursday 3 December 2026 at 09:00: Thursday 10 December can still be booked.
NOW = dt.datetime(2026, 12, 3, 9, 0)
DAY = dt.date(2026, 12, 10)
# Friday 11 December: a day with places for every child (the day is judged, not its count).
FREE_DAY = dt.date(2026, 12, 11)


def setup_activity(*, waiting_list: bool):
    """An automatic activity with 5 places a day, and 25 children of 25 families enrolled."""
    municipality = factories.MunicipalityFactory()
    school = factories.EstablishmentFactory(municipality=municipality)
    centre = factories.ActivityFactory(
        establishment=school,
        name="Accueil de loisirs",
        booking_mode=Activity.BookingMode.AUTOMATIC,
        capacity=CAPACITY,
        waiting_list=waiting_list,
    )
    children = []
    for n in range(CHILDREN):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {n}")
        child = factories.ChildFactory(family=family, first_name=f"Enfant {n}")
        factories.EnrolmentFactory(
            child=child,
            activity=centre,
            start_date=centre.season_start,
            end_date=centre.season_end,
        )
        children.append(child)
    return centre, children


def widen_the_window(monkeypatch, pause: float) -> None:
    """Pause right after counting the places inside the transaction, before anything is saved."""
    count = capacity.places_taken

    def slow_count(activity, dates):
        taken = count(activity, dates)
        if connection.in_atomic_block:
            time.sleep(pause)
        return taken

    monkeypatch.setattr(capacity, "places_taken", slow_count)


def book_at_once(activity, children, dates=(DAY,), confirm_skipped=False):
    """Every child asks for ``dates`` at the same instant; returns what each one got, the
    unexpected exceptions, and the most booked days of ``DAY`` ever seen while they ran."""
    barrier = threading.Barrier(len(children))
    results, errors, lock = [], [], threading.Lock()
    done = threading.Event()
    most_seen = [0]

    def book(child):
        try:
            barrier.wait(timeout=30)
            try:
                outcome = bookings.request_days(
                    family=child.family,
                    child_id=child.pk,
                    activity_id=activity.pk,
                    operation="booking",
                    dates=list(dates),
                    user=None,
                    now=NOW,
                    confirm_skipped=confirm_skipped,
                )
            except bookings.BookingError as error:
                got = (error.code, tuple(s.reason for s in error.skipped))
            else:
                states = tuple(line.state for line in outcome.lines)
                if len(dates) == 1:
                    got = ("line", states[0])
                else:
                    got = ("lines", states, tuple(s.reason for s in outcome.skipped))
            with lock:
                results.append(got)
        except Exception as error:  # anything but a BookingError is a failure of the test
            with lock:
                errors.append(repr(error))
        finally:
            connection.close()

    def watch():
        try:
            while True:
                finished = done.is_set()
                booked = ChildDay.objects.filter(
                    activity=activity, date=DAY, state__in=HOLDS_PLACE
                ).count()
                most_seen[0] = max(most_seen[0], booked)
                if finished:  # one last count once every thread has committed
                    break
                time.sleep(0.002)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=book, args=(child,)) for child in children]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    watcher.join(timeout=10)
    close_old_connections()
    assert not any(thread.is_alive() for thread in threads), "a booking thread hung"
    return Counter(results), errors, most_seen[0]


def day_states(activity) -> Counter:
    return Counter(
        ChildDay.objects.filter(activity=activity, date=DAY).values_list("state", flat=True)
    )


@pytest.mark.parametrize("pause", [0, 0.05], ids=["as-is", "widened-window"])
def test_capacity_holds_when_25_families_book_5_places_at_once(monkeypatch, pause):
    centre, children = setup_activity(waiting_list=False)
    if pause:
        widen_the_window(monkeypatch, pause)

    results, errors, most_seen = book_at_once(centre, children)

    assert errors == []
    # The others get what a family gets for a day full before it asks: nothing saved, the day
    # skipped as full (409 in the API), never a refused line, whoever was first to count.
    assert results == Counter(
        {("line", "accepted"): CAPACITY, ("nothing_to_request", ("full",)): CHILDREN - CAPACITY}
    )
    assert day_states(centre) == Counter({DayState.BOOKED: CAPACITY})
    assert most_seen <= CAPACITY
    assert Request.objects.count() == Request.objects.filter(state="accepted").count() == CAPACITY


@pytest.mark.parametrize("pause", [0, 0.05], ids=["as-is", "widened-window"])
def test_a_day_filled_meanwhile_is_skipped_like_a_day_full_before(monkeypatch, pause):
    """Each family asks for the contested day and a free one, having confirmed that days may be
    skipped: the 20 who find the contested day full get the free day, the full one skipped.

    The activity has a place for every child, but 20 other children already hold 20 of those
    of the contested day: 5 are left there, 25 on the free day."""
    centre, children = setup_activity(waiting_list=False)
    centre.capacity = CHILDREN
    centre.save(update_fields=["capacity"])
    holders = setup_activity(waiting_list=False)[1][: CHILDREN - CAPACITY]
    for child in holders:
        ChildDay.objects.create(child=child, activity=centre, date=DAY, state=DayState.BOOKED)
    if pause:
        widen_the_window(monkeypatch, pause)

    results, errors, _most_seen = book_at_once(
        centre, children, dates=[DAY, FREE_DAY], confirm_skipped=True
    )

    assert errors == []
    assert results == Counter(
        {
            ("lines", ("accepted", "accepted"), ()): CAPACITY,
            ("lines", ("accepted",), ("full",)): CHILDREN - CAPACITY,
        }
    )
    assert day_states(centre) == Counter({DayState.BOOKED: CHILDREN})
    assert ChildDay.objects.filter(activity=centre, date=FREE_DAY).count() == CHILDREN


@pytest.mark.parametrize("pause", [0, 0.05], ids=["as-is", "widened-window"])
def test_the_others_go_on_the_waiting_list_in_order(monkeypatch, pause):
    centre, children = setup_activity(waiting_list=True)
    if pause:
        widen_the_window(monkeypatch, pause)

    results, errors, most_seen = book_at_once(centre, children)

    assert errors == []
    assert results == Counter(
        {("line", "accepted"): CAPACITY, ("line", "waiting_list"): CHILDREN - CAPACITY}
    )
    assert day_states(centre) == Counter(
        {DayState.BOOKED: CAPACITY, DayState.WAITING_LIST: CHILDREN - CAPACITY}
    )
    assert most_seen <= CAPACITY
    queue = ChildDay.objects.filter(activity=centre, date=DAY, state=DayState.WAITING_LIST)
    assert all(row.queued_at is not None for row in queue)

    # A place freed goes to the first in line, and to no one else.
    first = queue.order_by("queued_at", "pk").first()
    centre.capacity = CAPACITY + 1
    centre.save(update_fields=["capacity"])
    promoted = bookings.promote(centre, [DAY])
    assert [line.child_id for line in promoted] == [first.child_id]
    assert day_states(centre)[DayState.BOOKED] == CAPACITY + 1


def test_without_the_lock_the_capacity_is_exceeded(monkeypatch):
    """The proof that the tests above can fail: with ``lock_days`` made a no-op, more than 5
    children get a place (18 to 22 of 25 as-is on the development machine, all 25 with the
    widened window, used here so that it happens on every run). A machine where it still never
    happens in 3 runs skips, saying so, rather than failing."""
    widen_the_window(monkeypatch, 0.3)
    monkeypatch.setattr(capacity, "lock_days", lambda activity, dates: None)

    for _attempt in range(3):
        centre, children = setup_activity(waiting_list=False)
        results, errors, most_seen = book_at_once(centre, children)
        assert errors == []
        booked = day_states(centre)[DayState.BOOKED]
        if booked > CAPACITY:
            assert results[("line", "accepted")] == booked
            assert most_seen > CAPACITY
            return
    pytest.skip(
        "the race without the lock did not happen in 3 runs on this machine: "
        "the threads did not overlap inside the transaction"
    )
