"""A family's private calendar feed (.ics): the booked days of all its children.

Phones and calendar programs subscribe to the address with the family's secret token and poll
it; whoever has the address reads the feed, so it says only what a family would write in its
own diary: which child goes to which activity, where, and when. Nothing else of the family file
(no health information, no requests, no other family) is ever in it.

One event per booked day (``ChildDay`` in state "booked"), in the site's time zone, with a UID
that stays the same from one poll to the next (child, activity and date), so that calendars
update the event instead of duplicating it. Days since closed by the municipality are left out,
as the planning shows them closed.
"""

import datetime as dt
from collections import defaultdict

import icalendar
from django.utils import timezone
from django.utils.translation import gettext

from . import conf
from .models import ChildDay, Closure, DayState

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//wagtail-family-portal//Planning//FR"
UID_DOMAIN = "wagtail-family-portal"
# What the feed covers around today: recent days stay in the phone's history a while.
PAST_DAYS = 92
FUTURE_DAYS = 400


def booked_days(family, start: dt.date, end: dt.date) -> list[dict]:
    """The family's booked days from ``start`` to ``end``, closed days left out (2 queries)."""
    rows = list(
        ChildDay.objects.filter(
            child__family=family, state=DayState.BOOKED, date__range=(start, end)
        )
        .order_by("date", "activity__start_time", "child_id", "activity_id")
        .values(
            "date",
            "updated_at",
            "child_id",
            "child__first_name",
            "activity_id",
            "activity__name",
            "activity__start_time",
            "activity__end_time",
            "activity__establishment__name",
            "activity__establishment__address",
        )
    )
    if not rows:
        return rows
    closed_everywhere, closed_activity = _closed_days(family.municipality_id, start, end)
    return [
        row
        for row in rows
        if row["date"] not in closed_everywhere
        and row["date"] not in closed_activity.get(row["activity_id"], ())
    ]


def _closed_days(municipality_id, start, end):
    everywhere, per_activity = set(), defaultdict(set)
    closures = (
        Closure.objects.filter(municipality_id=municipality_id)
        .overlapping(start, end)
        .order_by()
        .values_list("start_date", "end_date", "activities")
    )
    for first, last, activity_id in closures:
        days = {
            first + dt.timedelta(days=n)
            for n in range((min(last, end) - first).days + 1)
            if first + dt.timedelta(days=n) >= start
        }
        if activity_id is None:
            everywhere |= days
        else:
            per_activity[activity_id] |= days
    return everywhere, per_activity


def _utc(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment.astimezone(dt.UTC)


def event_uid(row) -> str:
    return f"{row['date']:%Y%m%d}-{row['child_id']}-{row['activity_id']}@{UID_DOMAIN}"


def family_calendar(family, *, today: dt.date) -> bytes:
    """The feed of ``family`` around ``today``, as the bytes of an iCalendar file."""
    # The activities' hours are the town's (conf.time_zone), whatever the host's TIME_ZONE.
    zone = conf.time_zone()
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", gettext("%(town)s – planning") % {"town": family.municipality})
    calendar.add("x-wr-timezone", zone.key)
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    start = today - dt.timedelta(days=PAST_DAYS)
    end = today + dt.timedelta(days=FUTURE_DAYS)
    for row in booked_days(family, start, end):
        event = icalendar.Event()
        event.add("uid", event_uid(row))
        event.add("dtstamp", _utc(row["updated_at"]))
        event.add("dtstart", dt.datetime.combine(row["date"], row["activity__start_time"], zone))
        event.add("dtend", dt.datetime.combine(row["date"], row["activity__end_time"], zone))
        event.add(
            "summary",
            gettext("%(activity)s – %(child)s")
            % {"activity": row["activity__name"], "child": row["child__first_name"]},
        )
        place = ", ".join(
            part
            for part in (
                row["activity__establishment__name"],
                row["activity__establishment__address"],
            )
            if part
        )
        if place:
            event.add("location", place)
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    # The time zone's rules over the feed's span only (the default covers 1970–2038).
    calendar.add_missing_timezones(first_date=start.replace(day=1), last_date=end.replace(day=1))
    return calendar.to_ical()
