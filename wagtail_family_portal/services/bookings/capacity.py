"""The places of an activity on a date: locking the day, counting the places taken, room left.

Capacity is never exceeded, whatever the concurrency: before counting the places of an activity
on a date, the transaction locks that ``ActivityDay`` row (``select_for_update``, which
PostgreSQL honours; SQLite serialises writers anyway), always in date order so that two
transactions cannot wait on each other. Freeing a place needs no lock beyond the same row, and
promotes the waiting list at once (``waiting_list.py``).

A place is held by a child's day in one of the states of ``HOLDS_PLACE`` (models/bookings.py);
a day is full when ``has_room`` says no. The planning counts the same places in SQL, from the
same ``HOLDS_PLACE`` (``planning._load_places_held``; tests/test_bookings_capacity.py checks that
the two counts agree on every state of a day).
"""

import datetime as dt

from django.db.models import Count

from ...models import Activity
from ...models.bookings import HOLDS_PLACE, ActivityDay, ChildDay


def lock_days(activity: Activity, dates) -> None:
    """Lock the activity's days (created if missing), in date order."""
    dates = sorted(set(dates))
    ActivityDay.objects.bulk_create(
        [ActivityDay(activity=activity, date=day) for day in dates], ignore_conflicts=True
    )
    list(
        ActivityDay.objects.select_for_update()
        .filter(activity=activity, date__in=dates)
        .order_by("date")
        .values_list("pk", flat=True)
    )


def places_taken(activity: Activity, dates) -> dict[dt.date, int]:
    """The places held on each of ``dates`` (dates without any are absent), every family
    included; true until commit once the days are locked."""
    rows = (
        ChildDay.objects.filter(activity=activity, date__in=dates, state__in=HOLDS_PLACE)
        .values("date")
        .annotate(taken=Count("pk"))
    )
    return {row["date"]: row["taken"] for row in rows}


def has_room(activity: Activity, taken: int) -> bool:
    """Whether one more child fits on a day of ``activity`` where ``taken`` places are held.

    An activity without a capacity has no limit; a day without room is what families and agents
    call full.
    """
    return activity.capacity is None or taken < activity.capacity
