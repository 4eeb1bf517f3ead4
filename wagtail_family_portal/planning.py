"""What the planning shows: the state of each child's day for each activity, and what the family
may do with it (DESIGN.md §3).

The legend (labels and colours of the states) is ``legend.py``.

``build_planning`` reads everything a family's planning needs for a date range in four SQL
queries — children with their enrolments and activities, closures with their activities, the
children's days with their waiting-list ranks, the places held — and computes the cells in
plain Python over those rows. It never writes; ``services.bookings`` changes the days.
"""

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db import connection

from . import clock
from .legend import LEGEND_FIELDS, LegendEntry, build_legend
from .models.activities import Activity, Closure, Enrolment, Establishment
from .models.bookings import HOLDS_PLACE, BookingLine, ChildDay, DayState
from .models.families import CHILD_COLOURS, Child, Family, Subscription
from .models.municipality import Municipality
from .models.settings import FamilyPortalSettings
from .services import bookings
from .services.bookings.waiting_list import ahead_in_queue_sql

ONE_DAY = dt.timedelta(days=1)

# A planning covers at most a school year: more is no page anyone reads, and the cost grows with it.
MAX_DAYS = 366

# Family actions on a cell.
BOOK = "book"
CANCEL = "cancel"  # ask for an absence on a booked day
WITHDRAW = "withdraw"

# Why a cell offers no action (the skip reason codes of services.bookings).
DEADLINE_PASSED = "deadline_passed"
CLOSED = "closed"

# Plain strings, compared once per cell.
ENROLLED, BOOKED, CLOSED_STATE = (
    DayState.ENROLLED.value,
    DayState.BOOKED.value,
    DayState.CLOSED.value,
)
# The operation each action asks for (``services.bookings.refusal`` says whether it may).
OPERATIONS = {BOOK: "booking", CANCEL: "absence"}


@dataclass(frozen=True, slots=True)
class ChildInfo:
    id: int
    name: str  # first name: what the family calls the child
    full_name: str
    colour: str


@dataclass(frozen=True, slots=True)
class ActivityInfo:
    id: int
    name: str
    short_code: str
    start_time: dt.time
    end_time: dt.time
    establishment: str
    booking_mode: str


@dataclass(slots=True)
class Cell:
    """One child's day for one activity."""

    date: dt.date
    child_id: int
    activity_id: int
    state: str
    start_time: dt.time
    end_time: dt.time
    actions: list[str] = field(default_factory=list)
    reason: str | None = None  # why no action is possible
    rank: int | None = None  # position in the waiting list
    line_id: int | None = None  # the booking line that set the state
    request_id: int | None = None  # its request (what a family withdraws)
    full: bool = False  # no place left that day (booking goes onto the waiting list if any)
    closure: str | None = None  # label of the closure of a closed day
    deadline: dt.datetime | None = None  # last moment of the action offered or refused


@dataclass
class Planning:
    start: dt.date
    end: dt.date
    now: dt.datetime
    children: list[ChildInfo]
    activities: list[ActivityInfo]
    cells: list[Cell]  # sorted by date, child, activity start time
    legend: dict[str, LegendEntry]  # every state, in display order

    @property
    def days(self) -> list[dt.date]:
        return list(date_range(self.start, self.end))

    def cells_by_day(self) -> dict[dt.date, list[Cell]]:
        """Every day of the range (empty days included) with its cells in display order."""
        by_day = {day: [] for day in date_range(self.start, self.end)}
        for cell in self.cells:
            by_day[cell.date].append(cell)
        return by_day

    def cells_for(self, child_id: int) -> list[Cell]:
        return [cell for cell in self.cells if cell.child_id == child_id]

    def to_json(self) -> dict:
        """The planning answer of the API (CONTRACT.md)."""
        times = {}  # each time and date formatted once, not once per cell
        dates = {day: day.isoformat() for day in date_range(self.start, self.end)}

        def hhmm(value: dt.time) -> str:
            if value not in times:
                times[value] = value.strftime("%H:%M")
            return times[value]

        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "children": [
                {"id": child.id, "name": child.name, "colour": child.colour}
                for child in self.children
            ],
            "activities": [
                {
                    "id": activity.id,
                    "name": activity.name,
                    "short_code": activity.short_code,
                    "establishment": activity.establishment,
                    "start_time": hhmm(activity.start_time),
                    "end_time": hhmm(activity.end_time),
                }
                for activity in self.activities
            ],
            "legend": [
                {"state": entry.state, "label": str(entry.label), "colour": entry.colour}
                for entry in self.legend.values()
            ],
            "cells": [
                {
                    "date": dates[cell.date],
                    "child_id": cell.child_id,
                    "activity_id": cell.activity_id,
                    "state": cell.state,
                    "start_time": hhmm(cell.start_time),
                    "end_time": hhmm(cell.end_time),
                    "actions": list(cell.actions),
                    "reason": cell.reason,
                    "rank": cell.rank,
                    "request_id": cell.request_id,
                    "line_id": cell.line_id,
                }
                for cell in self.cells
            ],
        }


def date_range(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def week_range(day: dt.date, days: int = 7) -> tuple[dt.date, dt.date]:
    """The week of ``day``: Monday to Sunday (7 days) or Monday to Friday (5 days)."""
    if days not in (5, 7):
        raise ValueError("A week shows 5 or 7 days.")
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=days - 1)


def month_range(day: dt.date) -> tuple[dt.date, dt.date]:
    """The whole weeks (Monday to Sunday) covering the month of ``day``."""
    first = day.replace(day=1)
    next_month = (first + dt.timedelta(days=31)).replace(day=1)
    last = next_month - ONE_DAY
    return week_range(first)[0], week_range(last)[1]


def working_day_checker(closures: Iterable) -> Callable[[dt.date], bool]:
    """``is_working_day`` for ``Deadline.last_moment``: Monday to Friday, except the days a closure
    of the whole municipality covers (public holidays included), as ``services.bookings`` counts
    them. ``closures`` are already loaded (with ``start_date``, ``end_date`` and
    ``municipality_wide``), so that nothing is queried per day.
    """
    days_off = set()
    for closure in closures:
        if closure.municipality_wide:
            days_off.update(date_range(closure.start_date, closure.end_date))
    return bookings.working_day_checker(days_off)


@dataclass(slots=True)
class _LoadedClosure:
    start_date: dt.date
    end_date: dt.date
    label: str
    activity_ids: set[int] = field(default_factory=set)

    @property
    def municipality_wide(self) -> bool:
        return not self.activity_ids


def build_planning(
    family,
    start: dt.date,
    end: dt.date,
    *,
    children: Iterable[int] | None = None,
    activities: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    legend: dict[str, LegendEntry] | None = None,
) -> Planning:
    """The planning of ``family`` from ``start`` to ``end`` (both included).

    ``children`` and ``activities`` restrict it to those ids (ids of another family match
    nothing). ``now`` (default: the current local time) decides which deadlines have passed.
    ``legend`` (``build_legend``'s) defaults to the default labels and colours.
    At most 4 queries, whatever the number of children, activities and days.
    """
    if end < start:
        raise ValueError("The planning cannot end before it starts.")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"A planning covers at most {MAX_DAYS} days.")
    now = clock.to_local(now) if now is not None else clock.local_now()
    legend = legend if legend is not None else build_legend()
    child_ids = None if children is None else {int(pk) for pk in children}
    activity_ids = None if activities is None else {int(pk) for pk in activities}

    child_infos, periods, activity_models = _load_enrolments(
        family.pk, start, end, child_ids, activity_ids
    )
    activity_infos = sorted(
        (_activity_info(activity) for activity in activity_models.values()),
        key=lambda a: (a.start_time, a.name, a.id),
    )
    if not periods:
        return Planning(start, end, now, child_infos, activity_infos, [], legend)

    closures = _load_closures(family.municipality_id, activity_models.values(), start, end)
    planner = _Planner(start, end, now, activity_models, closures)
    days = _load_child_days(family.pk, start, end)
    planner.held = _load_places_held(activity_models.values(), start, end)

    cells = planner.cells(periods, days)
    child_order = {child.id: index for index, child in enumerate(child_infos)}
    activity_order = {activity.id: index for index, activity in enumerate(activity_infos)}
    cells.sort(key=lambda c: (c.date, child_order[c.child_id], activity_order[c.activity_id]))
    return Planning(start, end, now, child_infos, activity_infos, cells, legend)


# The loaders below run hand-written SQL rather than ORM querysets: families open the planning
# more than any other page, and building a queryset costs far more than running it (the
# indexes make the SQL itself a fraction of a millisecond; bench/README.md). The SQL is plain
# enough for SQLite and PostgreSQL alike; the tables are named from the models.


@functools.cache
def _tables() -> dict[str, str]:
    quote = connection.ops.quote_name
    return {
        "child": quote(Child._meta.db_table),
        "enrolment": quote(Enrolment._meta.db_table),
        "activity": quote(Activity._meta.db_table),
        "establishment": quote(Establishment._meta.db_table),
        "closure": quote(Closure._meta.db_table),
        "closure_activities": quote(Closure.activities.through._meta.db_table),
        "childday": quote(ChildDay._meta.db_table),
        "bookingline": quote(BookingLine._meta.db_table),
        "family": quote(Family._meta.db_table),
        "municipality": quote(Municipality._meta.db_table),
        "subscription": quote(Subscription._meta.db_table),
        "settings": quote(FamilyPortalSettings._meta.db_table),
    }


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        return cursor.fetchall()


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


@dataclass(frozen=True, slots=True)
class FamilyRef:
    """What the planning needs of a family: ``build_planning`` takes it as well as a ``Family``."""

    pk: int
    municipality_id: int
    site_id: int | None  # the site of the family's town, if it has one


# ``Family.objects.for_account`` in SQL, for the one family the planning API asks: a family of
# another account is not found, like an unknown id. tests/test_scoping.py holds the two to the
# same answer on every shape of data (inactive account, superuser, another town's family…).
ACCOUNT_FAMILY_SQL = """
    SELECT f.id, f.municipality_id, m.site_id
    FROM {family} f
    JOIN {municipality} m ON m.id = f.municipality_id
    WHERE f.id = %s AND f.id IN (SELECT family_id FROM {subscription} WHERE user_id = %s)
"""


def account_family(user, family_id: int) -> FamilyRef | None:
    """The family ``family_id`` if ``user`` is subscribed to it, else None."""
    if not user.is_authenticated:
        return None
    rows = _fetch(ACCOUNT_FAMILY_SQL, [family_id, user.pk])
    return FamilyRef(*rows[0]) if rows else None


LEGEND_SQL = "SELECT {columns} FROM {{settings}} WHERE site_id = %s".format(
    columns=", ".join(LEGEND_FIELDS)
)


def site_legend(site_id: int | None) -> dict[str, LegendEntry]:
    """The legend as the portal settings of ``site_id`` set it (the defaults if none saved)."""
    rows = _fetch(LEGEND_SQL, [site_id]) if site_id is not None else []
    return build_legend(
        SimpleNamespace(**dict(zip(LEGEND_FIELDS, rows[0], strict=True))) if rows else None
    )


# The activity fields the planning reads, in the order of the SELECT below.
ACTIVITY_FIELDS = (
    "id",
    "name",
    "short_code",
    "start_time",
    "end_time",
    "weekdays",
    "season_start",
    "season_end",
    "booking_mode",
    "booking_deadline_days",
    "booking_deadline_time",
    "absence_deadline_days",
    "absence_deadline_time",
    "deadline_working_days",
    "capacity",
    "waiting_list",
)
ENROLMENTS_SQL = """
    SELECT c.id, c.first_name, c.last_name, c.colour, e.start_date, e.end_date, s.name,
           {activity_columns}
    FROM {{child}} c
    LEFT JOIN {{enrolment}} e ON e.child_id = c.id AND e.start_date <= %s AND e.end_date >= %s
    LEFT JOIN {{activity}} a ON a.id = e.activity_id
    LEFT JOIN {{establishment}} s ON s.id = a.establishment_id
    WHERE c.family_id = %s
    ORDER BY c.birth_date, c.id
""".format(activity_columns=", ".join(f"a.{name}" for name in ACTIVITY_FIELDS))


def _load_enrolments(family_id, start, end, child_ids, activity_ids):
    """The family's children, their periods of enrolment by (child, activity) overlapping the
    range and those activities (unsaved-looking ``Activity`` instances with the fields the
    planning reads), in one query."""
    children, periods, activities = [], defaultdict(list), {}
    weekdays = Activity._meta.get_field("weekdays")
    for row in _fetch(ENROLMENTS_SQL, [end, start, family_id]):
        child_id, first_name, last_name, colour, first, last, establishment, *activity = row
        if child_ids is not None and child_id not in child_ids:
            continue
        if not children or children[-1].id != child_id:
            default = CHILD_COLOURS[len(children) % len(CHILD_COLOURS)]
            children.append(
                ChildInfo(child_id, first_name, f"{first_name} {last_name}", colour or default)
            )
        activity_id = activity[0]
        if activity_id is None or (activity_ids is not None and activity_id not in activity_ids):
            continue
        if activity_id not in activities:
            values = dict(zip(ACTIVITY_FIELDS, activity, strict=True))
            values["weekdays"] = weekdays.from_db_value(values["weekdays"], None, connection)
            loaded = activities[activity_id] = Activity(**values)
            loaded.establishment_name = establishment
        periods[child_id, activity_id].append((first, last))
    return children, periods, activities


def _activity_info(activity: Activity) -> ActivityInfo:
    return ActivityInfo(
        activity.pk,
        activity.name,
        activity.short_code,
        activity.start_time,
        activity.end_time,
        activity.establishment_name,
        activity.booking_mode,
    )


CLOSURES_SQL = """
    SELECT cl.id, cl.start_date, cl.end_date, cl.label, ca.activity_id
    FROM {closure} cl
    LEFT JOIN {closure_activities} ca ON ca.closure_id = cl.id
    WHERE cl.municipality_id = %s AND cl.start_date <= %s AND cl.end_date >= %s
"""


def _load_closures(municipality_id, activities, start, end) -> list[_LoadedClosure]:
    """The municipality's closures over the range, and far enough before it to count deadlines in
    working days (``services.bookings.working_day_window``, as the requests read them); with
    their activities in the same query (one row per closure and activity)."""
    since = start - bookings.working_day_window(activities)
    closures = {}
    for pk, first, last, label, activity_id in _fetch(CLOSURES_SQL, [municipality_id, end, since]):
        closure = closures.setdefault(pk, _LoadedClosure(first, last, label))
        if activity_id is not None:
            closure.activity_ids.add(activity_id)
    return list(closures.values())


# The days of the family's children, with the request of the line that set each one and, for a
# day on a waiting list, its rank: 1 + the days ahead of it in the queue of the same activity and
# date (the order of ``services.bookings.waiting_list``), every family included.
CHILD_DAYS_SQL = """
    SELECT d.child_id, d.activity_id, d.date, d.state, d.line_id, l.request_id,
           CASE WHEN d.state = %s THEN 1 + (
               SELECT COUNT(*) FROM {{childday}} w
               WHERE w.activity_id = d.activity_id AND w.date = d.date AND w.state = %s
                 AND {ahead}
           ) END
    FROM {{childday}} d
    LEFT JOIN {{bookingline}} l ON l.id = d.line_id
    WHERE d.child_id IN (SELECT id FROM {{child}} WHERE family_id = %s)
      AND d.date >= %s AND d.date <= %s
""".format(ahead=ahead_in_queue_sql("w", "d"))


def _load_child_days(family_id, start, end) -> dict:
    """(state, line id, request id, waiting rank) by (child, activity, date) over the range."""
    waiting = DayState.WAITING_LIST.value
    rows = _fetch(CHILD_DAYS_SQL, [waiting, waiting, family_id, start, end])
    return {(child, activity, day): rest for child, activity, day, *rest in rows}


def _load_places_held(activities, start, end) -> dict[tuple[int, dt.date], int]:
    """Places held per (activity, date), every family included, for activities with a capacity:
    ``services.bookings.capacity.places_taken`` in SQL, from the same ``HOLDS_PLACE``."""
    limited = [activity.pk for activity in activities if activity.capacity is not None]
    if not limited:
        return {}
    states = [state.value for state in HOLDS_PLACE]
    sql = f"""
        SELECT activity_id, date, COUNT(*) FROM {{childday}}
        WHERE activity_id IN ({_placeholders(limited)}) AND date >= %s AND date <= %s
          AND state IN ({_placeholders(states)})
        GROUP BY activity_id, date
    """
    rows = _fetch(sql, [*limited, start, end, *states])
    return {(activity, day): held for activity, day, held in rows}


class _Planner:
    """Computes cells from loaded rows: no query here."""

    def __init__(self, start, end, now, activities, closures):
        self.start, self.end, self.now = start, end, now
        self.activities = activities
        self.deadlines = {
            pk: {BOOK: activity.booking_deadline, CANCEL: activity.absence_deadline}
            for pk, activity in activities.items()
        }
        self.held = {}
        self.is_working_day = working_day_checker(closures)
        self._deadlines = {}
        self.closed_everywhere = {}
        self.closed_activity = {}
        for closure in closures:
            days = date_range(max(start, closure.start_date), min(end, closure.end_date))
            for day in days:
                if closure.municipality_wide:
                    self.closed_everywhere.setdefault(day, closure.label)
                else:
                    for activity_id in closure.activity_ids:
                        self.closed_activity.setdefault((activity_id, day), closure.label)

    def cells(self, periods, days) -> list[Cell]:
        """One cell per child enrolled on each day its activity runs, in the range."""
        cells = []
        spans_by_activity = defaultdict(list)  # activity id: [(child id, its periods)]
        for (child_id, activity_id), spans in periods.items():
            spans_by_activity[activity_id].append((child_id, spans))
        for activity_id, children in spans_by_activity.items():
            activity = self.activities[activity_id]
            start, end = activity.start_time, activity.end_time
            for day in date_range(max(self.start, activity.season_start), self.end):
                if not activity.runs_on(day):
                    continue
                closure = self.closed_everywhere.get(day) or self.closed_activity.get(
                    (activity_id, day)
                )
                decisions = {}  # what the day offers in each state, the same for every child
                for child_id, spans in children:
                    if not any(first <= day <= last for first, last in spans):
                        continue
                    cell = Cell(day, child_id, activity_id, ENROLLED, start, end)
                    cells.append(cell)
                    if closure is not None:
                        cell.state, cell.reason, cell.closure = CLOSED_STATE, CLOSED, closure
                        continue
                    row = days.get((child_id, activity_id, day))
                    if row is not None:
                        cell.state, cell.line_id, cell.request_id, cell.rank = row
                    decision = decisions.get(cell.state)
                    if decision is None:
                        decision = decisions[cell.state] = self._decide(cell.state, activity, day)
                    actions, cell.reason, cell.deadline, cell.full = decision
                    cell.actions.extend(actions)
        return cells

    def _decide(self, state, activity, day) -> tuple[tuple[str, ...], str | None, object, bool]:
        """(actions, reason, deadline, full) of a day of ``activity`` in ``state``."""
        if state in bookings.WAITING_STATES:
            return (WITHDRAW,), None, None, False
        if state in bookings.BOOKABLE_STATES:
            action = BOOK
        elif state == BOOKED:
            action = CANCEL
        else:
            return (), None, None, False
        deadline = self._last_moment(activity.id, action, day)
        full = action == BOOK and not bookings.has_room(
            activity, self.held.get((activity.id, day), 0)
        )
        reason = bookings.refusal(
            state,
            OPERATIONS[action],
            last_moment=deadline,
            now=self.now,
            full=full,
            waiting_list=activity.waiting_list,
        )
        return ((action,) if reason is None else ()), reason, deadline, full

    def _last_moment(self, activity_id, action, day) -> dt.datetime:
        key = (activity_id, action, day)
        moment = self._deadlines.get(key)
        if moment is None:
            deadline = self.deadlines[activity_id][action]
            moment = self._deadlines[key] = deadline.last_moment(day, self.is_working_day)
        return moment
