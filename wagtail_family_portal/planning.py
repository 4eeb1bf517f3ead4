"""What the planning shows: the state of each child's day for each activity, and what the family
may do with it (DESIGN.md §3).

``build_planning`` reads everything a family's planning needs for a date range in a constant
number of SQL queries — children, enrolments with their activities, closures with their
activities, the children's days, the places held and the waiting lists — and computes the cells
in plain Python over those rows. It never writes; ``services.bookings`` changes the days.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F
from django.utils import timezone

from .models.activities import Activity, Closure, Enrolment
from .models.bookings import HOLDS_PLACE, ChildDay, DayState
from .models.families import CHILD_COLOURS, Child
from .services import bookings
from .services.bookings import local_now
from .validators import HEX_COLOUR_RE

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

# Default legend colours, light enough for black text (contrast above 7:1, WCAG AAA); editors
# change them in the portal's settings. The label is the state's own (translated) name.
DEFAULT_LEGEND_COLOURS = {
    DayState.ENROLLED: "#F0F0F0",
    DayState.BOOKING_REQUESTED: "#FFE58F",
    DayState.BOOKED: "#B7EB8F",
    DayState.ABSENCE_REQUESTED: "#FFD591",
    DayState.ABSENT: "#BAE0FF",
    DayState.REFUSED: "#FFA39E",
    DayState.WAITING_LIST: "#D3ADF7",
    DayState.CLOSED: "#BFBFBF",
}


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


@dataclass(frozen=True, slots=True)
class LegendEntry:
    state: str
    label: str
    colour: str
    text_colour: str  # black or white, whichever reads better on ``colour``


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
        times = {}  # each time formatted once, not once per cell

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
                    "date": cell.date.isoformat(),
                    "child_id": cell.child_id,
                    "activity_id": cell.activity_id,
                    "state": cell.state,
                    "start_time": hhmm(cell.start_time),
                    "end_time": hhmm(cell.end_time),
                    "actions": list(cell.actions),
                    "reason": cell.reason,
                    "rank": cell.rank,
                    "request_id": cell.request_id,
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


def _naive_local(moment: dt.datetime) -> dt.datetime:
    if timezone.is_aware(moment):
        return timezone.localtime(moment).replace(tzinfo=None)
    return moment


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


def relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (#RRGGBB)."""
    if contrast_ratio(background, "#000000") >= contrast_ratio(background, "#FFFFFF"):
        return "#000000"
    return "#FFFFFF"


def build_legend(portal_settings=None) -> dict[str, LegendEntry]:
    """Every state with its label and colour: the portal's settings where an editor set them
    (``legend_<state>_label`` / ``legend_<state>_colour``), the defaults otherwise."""
    legend = {}
    for state in DayState:
        label = getattr(portal_settings, f"legend_{state.value}_label", None) or state.label
        colour = getattr(portal_settings, f"legend_{state.value}_colour", None)
        if not HEX_COLOUR_RE.match(colour or ""):
            colour = DEFAULT_LEGEND_COLOURS[state]
        legend[state.value] = LegendEntry(state.value, label, colour, readable_text_colour(colour))
    return legend


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
    portal_settings=None,
) -> Planning:
    """The planning of ``family`` from ``start`` to ``end`` (both included).

    ``children`` and ``activities`` restrict it to those ids (ids of another family match
    nothing). ``now`` (default: the current local time) decides which deadlines have passed.
    At most 6 queries, whatever the number of children, activities and days.
    """
    if end < start:
        raise ValueError("The planning cannot end before it starts.")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"A planning covers at most {MAX_DAYS} days.")
    now = _naive_local(now) if now is not None else local_now()
    legend = build_legend(portal_settings)

    child_infos = _load_children(family, children)
    periods, activity_models = _load_enrolments(child_infos, start, end, activities)
    activity_infos = sorted(
        (_activity_info(activity) for activity in activity_models.values()),
        key=lambda a: (a.start_time, a.name, a.id),
    )
    if not periods:
        return Planning(start, end, now, child_infos, activity_infos, [], legend)

    closures = _load_closures(family.municipality_id, activity_models.values(), start, end)
    planner = _Planner(start, end, now, activity_models, closures)
    days = _load_child_days(periods, activity_models, start, end)
    planner.held = _load_places_held(activity_models.values(), start, end)

    cells = planner.cells(periods, days)
    waiting = [cell for cell in cells if cell.state == DayState.WAITING_LIST]
    if waiting:
        ranks = _load_waiting_ranks(waiting)
        for cell in waiting:
            cell.rank = ranks.get((cell.child_id, cell.activity_id, cell.date))

    child_order = {child.id: index for index, child in enumerate(child_infos)}
    activity_order = {activity.id: index for index, activity in enumerate(activity_infos)}
    cells.sort(key=lambda c: (c.date, child_order[c.child_id], activity_order[c.activity_id]))
    return Planning(start, end, now, child_infos, activity_infos, cells, legend)


def _load_children(family, ids) -> list[ChildInfo]:
    queryset = Child.objects.filter(family_id=family.pk)
    if ids is not None:
        queryset = queryset.filter(pk__in=[int(pk) for pk in ids])
    rows = queryset.order_by("birth_date", "pk").values_list(
        "pk", "first_name", "last_name", "colour"
    )
    return [
        ChildInfo(pk, first, f"{first} {last}", colour or CHILD_COLOURS[i % len(CHILD_COLOURS)])
        for i, (pk, first, last, colour) in enumerate(rows)
    ]


def _load_enrolments(child_infos, start, end, activity_ids):
    """Periods of enrolment by (child, activity) overlapping the range, and their activities."""
    periods = defaultdict(list)
    activities = {}
    if not child_infos:
        return periods, activities
    queryset = Enrolment.objects.filter(
        child_id__in=[child.id for child in child_infos],
        start_date__lte=end,
        end_date__gte=start,
    )
    if activity_ids is not None:
        queryset = queryset.filter(activity_id__in=[int(pk) for pk in activity_ids])
    for enrolment in queryset.select_related("activity__establishment").order_by():
        activities[enrolment.activity_id] = enrolment.activity
        periods[enrolment.child_id, enrolment.activity_id].append(
            (enrolment.start_date, enrolment.end_date)
        )
    return periods, activities


def _activity_info(activity: Activity) -> ActivityInfo:
    return ActivityInfo(
        activity.pk,
        activity.name,
        activity.short_code,
        activity.start_time,
        activity.end_time,
        activity.establishment.name,
        activity.booking_mode,
    )


def _load_closures(municipality_id, activities, start, end) -> list[_LoadedClosure]:
    """The municipality's closures over the range, and far enough before it to count deadlines in
    working days; with their activities in the same query (one row per closure and activity)."""
    lookback = max(
        (a.booking_deadline_days for a in activities if a.deadline_working_days), default=0
    )
    lookback = max(
        lookback,
        max((a.absence_deadline_days for a in activities if a.deadline_working_days), default=0),
    )
    # N working days span at most 7/5·N calendar days, plus the closures in between.
    since = start - dt.timedelta(days=2 * lookback + 31) if lookback else start
    rows = (
        Closure.objects.filter(municipality_id=municipality_id)
        .overlapping(since, end)
        .order_by()
        .values_list("pk", "start_date", "end_date", "label", "activities")
    )
    closures = {}
    for pk, first, last, label, activity_id in rows:
        closure = closures.setdefault(pk, _LoadedClosure(first, last, label))
        if activity_id is not None:
            closure.activity_ids.add(activity_id)
    return list(closures.values())


def _load_child_days(periods, activities, start, end) -> dict:
    child_ids = {child_id for child_id, _activity_id in periods}
    rows = (
        ChildDay.objects.filter(
            child_id__in=child_ids, activity_id__in=list(activities), date__range=(start, end)
        )
        .order_by()
        .values_list("child_id", "activity_id", "date", "state", "line_id", "line__request_id")
    )
    return {(child, activity, day): rest for child, activity, day, *rest in rows}


def _load_places_held(activities, start, end) -> dict[tuple[int, dt.date], int]:
    """Places held per (activity, date), every family included, for activities with a capacity."""
    limited = [activity.pk for activity in activities if activity.capacity is not None]
    if not limited:
        return {}
    rows = (
        ChildDay.objects.filter(
            activity_id__in=limited, date__range=(start, end), state__in=HOLDS_PLACE
        )
        .order_by()
        .values("activity_id", "date")
        .annotate(held=Count("pk"))
        .values_list("activity_id", "date", "held")
    )
    return {(activity, day): held for activity, day, held in rows}


def _load_waiting_ranks(cells: list[Cell]) -> dict[tuple[int, int, dt.date], int]:
    """Rank of each waiting child on the activity days of ``cells``, by time of queueing."""
    rows = (
        ChildDay.objects.filter(
            state=DayState.WAITING_LIST,
            activity_id__in={cell.activity_id for cell in cells},
            date__in={cell.date for cell in cells},
        )
        .order_by("activity_id", "date", F("queued_at").asc(nulls_last=True), "pk")
        .values_list("activity_id", "date", "child_id")
    )
    ranks = {}
    positions = defaultdict(int)
    for activity, day, child in rows:
        positions[activity, day] += 1
        ranks[child, activity, day] = positions[activity, day]
    return ranks


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
        cells = []
        seen = set()
        running = {}  # the days of the range each activity runs
        for (child_id, activity_id), child_periods in periods.items():
            activity = self.activities[activity_id]
            if activity_id not in running:
                in_range = date_range(self.start, self.end)
                running[activity_id] = [day for day in in_range if activity.runs_on(day)]
            for first, last in child_periods:
                for day in running[activity_id]:
                    key = (child_id, activity_id, day)
                    if first <= day <= last and key not in seen:
                        seen.add(key)
                        cells.append(self.cell(activity, child_id, day, days.get(key)))
        return cells

    def cell(self, activity, child_id, day, row) -> Cell:
        activity_id = activity.id
        cell = Cell(day, child_id, activity_id, ENROLLED, activity.start_time, activity.end_time)
        closure = self.closed_everywhere.get(day) or self.closed_activity.get((activity_id, day))
        if closure is not None:
            cell.state, cell.reason, cell.closure = CLOSED_STATE, CLOSED, closure
            return cell
        if row is not None:
            cell.state, cell.line_id, cell.request_id = row
        if cell.state in bookings.WAITING_STATES:
            cell.actions.append(WITHDRAW)
        elif cell.state in bookings.BOOKABLE_STATES:
            self._allow(cell, BOOK, activity)
        elif cell.state == BOOKED:
            self._allow(cell, CANCEL, activity)
        return cell

    def _allow(self, cell, action, activity) -> None:
        cell.deadline = self._last_moment(activity.id, action, cell.date)
        if action == BOOK and activity.capacity is not None:
            cell.full = self.held.get((activity.id, cell.date), 0) >= activity.capacity
        cell.reason = bookings.refusal(
            cell.state,
            OPERATIONS[action],
            last_moment=cell.deadline,
            now=self.now,
            full=cell.full,
            waiting_list=activity.waiting_list,
        )
        if cell.reason is None:
            cell.actions.append(action)

    def _last_moment(self, activity_id, action, day) -> dt.datetime:
        key = (activity_id, action, day)
        moment = self._deadlines.get(key)
        if moment is None:
            deadline = self.deadlines[activity_id][action]
            moment = self._deadlines[key] = deadline.last_moment(day, self.is_working_day)
        return moment
