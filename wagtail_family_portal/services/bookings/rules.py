"""Can this day be asked: the rule of a day, the deadlines counted in working days, the periods.

One rule, ``refusal``, says why a booking or an absence cannot be asked on a day in a given
state; the requests (``requests.py``) and what the planning offers (``planning.py``) both ask
it, and both read the closures over the same ``working_day_window`` to count deadlines in
working days. ``load_calendar`` reads everything needed to judge the days of one child and one
activity at once, and ``judge`` applies the rule to each day.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from ...models import Activity, Child, Closure, Enrolment
from ...models.bookings import BookingLine, ChildDay, DayState
from . import capacity

Operation = BookingLine.Operation

# A request covers at most a school year (and a little more for a year that starts late).
MAX_PERIOD_DAYS = 366
# The shortest working-day window (``working_day_window``).
MIN_WINDOW_DAYS = 90

REASONS = {
    "not_enrolled": _("The child is not enrolled in this activity that day."),
    "not_running": _("The activity does not take place that day."),
    "closed": _("Closed that day."),
    "deadline_passed": _("The deadline for that day has passed."),
    "already_booked": _("Already booked (or asked) that day."),
    "not_booked": _("An absence can only be declared on a booked day."),
    "already_requested": _("A request for that day is already waiting."),
    "full": _("No place left that day."),
}


class BookingError(Exception):
    """A request that cannot be made as asked; ``message`` is shown, ``code`` says why."""

    def __init__(self, message, code: str, *, skipped=None, dates=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.skipped = skipped or []
        self.dates = dates or []


@dataclass(frozen=True)
class Skipped:
    date: dt.date
    reason: str

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


# The rule of a day, shared by the requests and by what the planning offers.

# States in which something asked for the day still waits: it can only be withdrawn.
WAITING_STATES = frozenset(
    {DayState.BOOKING_REQUESTED, DayState.ABSENCE_REQUESTED, DayState.WAITING_LIST}
)
# States from which a booking can be asked (again).
BOOKABLE_STATES = frozenset({DayState.ENROLLED, DayState.ABSENT, DayState.REFUSED})


def working_day_checker(days_off) -> Callable[[dt.date], bool]:
    """``is_working_day`` for ``Deadline.last_moment``: Monday to Friday, except ``days_off`` (the
    days a closure of the whole municipality covers, public holidays and school holidays
    included)."""
    days_off = frozenset(days_off)
    return lambda day: day.weekday() < 5 and day not in days_off


def working_day_window(activities) -> dt.timedelta:
    """How long before the first day judged the closures must be read, so that the deadlines of
    ``activities`` counted in working days see every day off they pass over.

    N working days span at most 7/5·N calendar days, plus the days off between them: 2N days and
    a month cover the usual holidays. Never less than ``MIN_WINDOW_DAYS``: a short deadline just
    after the summer holidays counts back across them (read whole, as they reach into the
    window) and must see the days off just before them too. Deadlines in calendar days, or of no
    day, need no closure before the days judged.
    """
    longest = max(
        (
            max(activity.booking_deadline_days, activity.absence_deadline_days)
            for activity in activities
            if activity.deadline_working_days
        ),
        default=0,
    )
    if not longest:
        return dt.timedelta(0)
    return dt.timedelta(days=max(2 * longest + 31, MIN_WINDOW_DAYS))


def refusal(
    state: str,
    operation: str,
    *,
    last_moment: dt.datetime,
    now: dt.datetime,
    full: bool = False,
    waiting_list: bool = False,
    bypass_deadline: bool = False,
) -> str | None:
    """Why ``operation`` cannot be asked on an open day in ``state`` (a reason code), or None.

    A full day is said full before its deadline is looked at; a day with a waiting list is never
    full for a request (the request queues).
    """
    if state in WAITING_STATES:
        return "already_requested"
    if operation == Operation.BOOKING:
        if state == DayState.BOOKED:
            return "already_booked"
        if full and not waiting_list:
            return "full"
    elif state != DayState.BOOKED:
        return "not_booked"
    if not bypass_deadline and now > last_moment:
        return "deadline_passed"
    return None


def dates_in_period(start: dt.date, end: dt.date, weekdays) -> list[dt.date]:
    """Every date from ``start`` to ``end`` falling on ``weekdays`` (0 = Monday)."""
    if start is None or end is None:
        raise BookingError(_("Give the first and the last day."), code="invalid")
    if end < start:
        raise BookingError(_("The last day cannot be before the first day."), code="invalid")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise BookingError(_("A request covers at most one school year."), code="invalid")
    days = set(weekdays or [])
    if not days or not days <= set(range(7)):
        raise BookingError(_("Choose at least one weekday (0 = Monday to 6)."), code="invalid")
    count = (end - start).days + 1
    return [
        start + dt.timedelta(days=n)
        for n in range(count)
        if (start + dt.timedelta(days=n)).weekday() in days
    ]


# What a child may ask, day by day


@dataclass
class Calendar:
    """Everything needed to judge the days of one child and one activity, loaded at once."""

    activity: Activity
    enrolments: list[tuple[dt.date, dt.date]]
    closed: set[dt.date]
    holidays: set[dt.date]
    days: dict[dt.date, ChildDay]
    taken: dict[dt.date, int]

    def __post_init__(self):
        self.is_working_day = working_day_checker(self.holidays)

    def last_moment(self, day: dt.date, operation: str) -> dt.datetime:
        """The last moment ``operation`` can be asked on ``day`` (a naive local datetime)."""
        if operation == Operation.BOOKING:
            deadline = self.activity.booking_deadline
        else:
            deadline = self.activity.absence_deadline
        return deadline.last_moment(day, self.is_working_day)

    def reason(self, day: dt.date, operation: str, now: dt.datetime, bypass_deadline: bool):
        activity = self.activity
        if not any(start <= day <= end for start, end in self.enrolments):
            return "not_enrolled"
        if not activity.runs_on(day):
            return "not_running"
        if day in self.closed:
            return "closed"
        current = self.days.get(day)
        return refusal(
            current.state if current else DayState.ENROLLED,
            operation,
            last_moment=self.last_moment(day, operation),
            now=now,
            full=not capacity.has_room(activity, self.taken.get(day, 0)),
            waiting_list=activity.waiting_list,
            bypass_deadline=bypass_deadline,
        )


def load_calendar(child: Child, activity: Activity, first: dt.date, last: dt.date) -> Calendar:
    enrolments = list(
        Enrolment.objects.filter(child=child, activity=activity)
        .covering(first, last)
        .values_list("start_date", "end_date")
    )
    # Working days are counted back from each date: load the closures before the range too.
    closures = (
        Closure.objects.filter(municipality_id=activity.establishment.municipality_id)
        .overlapping(first - working_day_window([activity]), last)
        .prefetch_related("activities")
    )
    closed, holidays = set(), set()
    for closure in closures:
        concerned = [a.pk for a in closure.activities.all()]
        span = (closure.end_date - closure.start_date).days + 1
        dates = {closure.start_date + dt.timedelta(days=n) for n in range(span)}
        if not concerned:
            holidays |= dates
        if not concerned or activity.pk in concerned:
            closed |= dates
    days = {
        row.date: row
        for row in ChildDay.objects.filter(
            child=child, activity=activity, date__range=(first, last)
        )
    }
    taken = (
        capacity.places_taken(
            activity, [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        )
        if activity.capacity is not None
        else {}
    )
    return Calendar(activity, enrolments, closed, holidays, days, taken)


def check_dates(dates) -> list[dt.date]:
    """The dates asked, each once and in order: at least one, within a school year."""
    dates = sorted(set(dates or []))
    if not dates:
        raise BookingError(_("Choose at least one day."), code="invalid")
    if (dates[-1] - dates[0]).days >= MAX_PERIOD_DAYS:
        raise BookingError(_("A request covers at most one school year."), code="invalid")
    return dates


@dataclass
class Judgement:
    """The days that may be asked, those skipped with their reason, and among the first the
    days asked after their deadline's last moment (only an agent, bypassing the deadline, has
    any): billing reads those as late (``BookingLine.after_deadline``)."""

    ok: list[dt.date]
    skipped: list[Skipped]
    late: frozenset[dt.date] = frozenset()


def judge_days(child, activity, operation, dates, now, by_agent) -> Judgement:
    """Each of ``dates`` judged by the rules of a day, and which of those that pass are late."""
    calendar = load_calendar(child, activity, dates[0], dates[-1])
    ok, skipped, late = [], [], set()
    for day in dates:
        reason = calendar.reason(day, operation, now, bypass_deadline=by_agent)
        if reason:
            skipped.append(Skipped(day, reason))
            continue
        ok.append(day)
        if now > calendar.last_moment(day, operation):
            late.add(day)
    return Judgement(ok, skipped, frozenset(late))


def judge(child, activity, operation, dates, now, by_agent):
    """``(ok, skipped)``: each of ``dates`` judged by the rules of a day."""
    judgement = judge_days(child, activity, operation, dates, now, by_agent)
    return judgement.ok, judgement.skipped
