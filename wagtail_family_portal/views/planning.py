"""The family's planning pages under the portal page ("Planning").

The planning (a month, a week of 7 or of 5 days) shows each child's day for each activity with
its state, and links every cell a family can act on to a confirmation page (book, report an
absence, withdraw a request). The "Réservations" form asks for a whole period after a preview
of the days that will be asked and those skipped. The private calendar (.ics) address completes
them; the list of requests and each request ("Mes demandes") are in views/requests.py.

Every route takes the family through ``family_pages.family_route``: another family's id, or a
child, activity or request that is not the family's, is a 404. Nothing here decides whether a
day can be asked: ``planning.build_planning`` says what the planning shows and
``services.bookings`` makes (or refuses) every change.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.dates import MONTHS, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from .. import calendar_feed as feeds
from .. import clock
from .. import planning as plans
from ..headers import never_cache
from ..http import municipality_for_request
from ..models import Activity, BookingLine, Child, Enrolment, Family, Request
from ..services import bookings
from ..validators import HEX_COLOUR_RE
from .family_pages import FamilyPages, checked_ids, family_route, only
from .planning_forms import (
    DAY_OPERATIONS,
    MONTH,
    VIEWS,
    WEEK,
    WEEK5,
    WITHDRAW,
    PeriodForm,
    parse_date,
    parse_id,
    parse_ids,
    parse_view,
)

DEFAULT_CHILD_COLOUR = "#1d4f91"
# On a locked day, cells in these states say nothing the day's reason does not.
QUIET_STATES = frozenset({plans.ENROLLED, plans.CLOSED_STATE})

Operation = BookingLine.Operation
LineState = BookingLine.State
WAITING = (LineState.PENDING, LineState.WAITING_LIST)

# What a planning cell's link does, per action of ``planning``.
ACTIONS = {
    plans.BOOK: (Operation.BOOKING, _("Book")),
    plans.CANCEL: (Operation.ABSENCE, _("Report an absence")),
    plans.WITHDRAW: (WITHDRAW, _("Withdraw the request")),
}


def long_date(day: dt.date) -> str:
    """ "jeudi 12 mars": how the pages name a day in a sentence."""
    return date_format(day, "l j F")


def cell_anchor(child_id: int, activity_id: int, day: dt.date) -> str:
    """The id of a planning cell: the one-day pages send the family back to it (``#…``)."""
    return f"wfp-cell-{child_id}-{activity_id}-{day.isoformat()}"


def _colour(value: str, default: str) -> str:
    return value if HEX_COLOUR_RE.match(value or "") else default


# The planning


# A planning cell's markup. A month of a large family has hundreds of cells: ``cell_html``
# writes them with f-strings over values escaped once per page, which is many times faster than
# template nodes per cell; the template places each day's cells in one piece.


@dataclass(slots=True)
class DayView:
    date: dt.date
    label: str  # "lundi 7 décembre", escaped
    short_label: str  # "lun. 7", escaped
    cells_html: str = ""  # the day's cells, escaped (``PlanningGrid.cell_html``)
    outside: bool = False  # a day of the month view's first or last week, not of the month
    today: bool = False
    past: bool = False
    locked: bool = False  # nothing to do that day (``PlanningGrid.collapse``)
    reason: str = ""  # why, said once next to the date (escaped)

    @property
    def classes(self) -> str:
        classes = ["wfp-day"]
        if self.outside:
            classes.append("wfp-day--outside")
        if self.today:
            classes.append("wfp-day--today")
        if self.past:
            classes.append("wfp-day--past")
        if self.locked:
            classes.append("wfp-day--locked")
        if not self.cells_html and not self.reason:
            classes.append("wfp-day--empty")
        return " ".join(classes)

    def html(self, today_label: str) -> str:
        today = f' <span class="wfp-day__today">{today_label}</span>' if self.today else ""
        if self.reason:
            today += f' <span class="wfp-day__reason">{self.reason}</span>'
        cells = f'<ul class="wfp-day__cells">{self.cells_html}</ul>' if self.cells_html else ""
        return (
            f'<li class="{self.classes}"><h3 class="wfp-day__title">'
            f'<time datetime="{self.date.isoformat()}"><span class="wfp-day__long">{self.label}'
            f'</span><span class="wfp-day__short" aria-hidden="true">{self.short_label}</span>'
            f"</time>{today}</h3>{cells}</li>"
        )


@dataclass
class Switch:
    id: int
    label: str
    shown: bool
    colour: str = ""


def planning_range(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if view == MONTH:
        return plans.month_range(day)
    return plans.week_range(day, VIEWS[view])


def _neighbours(view: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The date of the previous and of the next page of the planning."""
    if view == MONTH:
        first = day.replace(day=1)
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        return previous, (first + dt.timedelta(days=31)).replace(day=1)
    return day - dt.timedelta(days=7), day + dt.timedelta(days=7)


def _title(view: str, start: dt.date, end: dt.date, day: dt.date) -> str:
    if view == MONTH:
        return date_format(day, "F Y")
    return gettext("%(start)s to %(end)s") % {
        "start": date_format(start, "j F Y"),
        "end": date_format(end, "j F Y"),
    }


def _escaped(text) -> str:
    return str.__str__(escape(str(text)))


class PlanningGrid:
    """Turns a ``planning.Planning`` into weeks of days with their cells' markup (no query).

    Every text that comes from the database or the CMS (names, labels, closures) is escaped
    once here, then reused by every cell.
    """

    def __init__(self, planning, pages, view, day, shown_children, shown_activities):
        self.planning = planning
        self.view = view
        self.day = day
        self.shown_children = shown_children
        self.shown_activities = shown_activities
        # Plain ``str``, not SafeString: formatting a str subclass costs several times more, and
        # the day's markup is marked safe as a whole.
        self.children = {child.id: _escaped(child.name) for child in planning.children}
        # Families know an activity by its name ("Repas école"), as the dashboard and the
        # e-mails say it; the short code is the service's own.
        self.activities = {activity.id: _escaped(activity.name) for activity in planning.activities}
        self.labels = {state: _escaped(entry.label) for state, entry in planning.legend.items()}
        self.reasons = {code: _escaped(text) for code, text in bookings.REASONS.items()}
        # A cell has no room for the sentence of the preview; the day's title even less.
        self.reasons[plans.DEADLINE_PASSED] = _escaped(pgettext("planning", "deadline passed"))
        self.nothing_booked = _escaped(pgettext("planning", "nothing booked"))
        self.actions = {name: (op, _escaped(label)) for name, (op, label) in ACTIONS.items()}
        self.waiting_list_action = _escaped(gettext("Join the waiting list"))
        back = f"&amp;vue={view}" if view != MONTH else ""
        self.day_url = (
            _escaped(pages.url("planning_day"))
            + "?enfant={}&amp;activite={}&amp;date={}&amp;operation={}"
            + back
        )
        self.rank_label = _escaped(gettext("%(state)s, rank %(rank)d"))
        self.weekdays = [str(name) for name in WEEKDAYS.values()]
        self.weekdays_abbr = [str(name) for name in WEEKDAYS_ABBR.values()]
        self.months = {number: str(name) for number, name in MONTHS.items()}

    def cell_html(self, cell, day_label: str, past: bool, quiet: bool = False) -> str:
        activity = self.activities[cell.activity_id]
        label = self.labels[cell.state]
        if cell.rank:
            label = self.rank_label % {"state": label, "rank": cell.rank}
        tag, href, after = "div", "", ""
        if cell.actions:
            operation, action = self.actions[cell.actions[0]]
            if cell.full and operation == Operation.BOOKING:
                action = self.waiting_list_action
            url = self.day_url.format(cell.child_id, cell.activity_id, cell.date, operation)
            tag, href = "a", f' href="{url}"'
            after = (
                f' <span class="wfp-cell__action">{action}'
                f'<span class="wfp-visually-hidden"> – {day_label}</span></span>'
            )
        else:
            # A locked day says why once, next to its date (``collapse``).
            reason = None if quiet else self.reason_of(cell, past)
            if reason:
                after = f' <span class="wfp-cell__reason">{reason}</span>'
        # The id is ``cell_anchor``'s, written inline (a call per cell costs more than a format).
        return (
            f'<li class="wfp-cell wfp-state--{cell.state} wfp-child-{cell.child_id}">'
            f'<{tag} class="wfp-cell__body" id="wfp-cell-{cell.child_id}-{cell.activity_id}-'
            f'{cell.date}"{href}>'
            f'<span class="wfp-cell__child">{self.children[cell.child_id]}</span> '
            f'<span class="wfp-cell__activity">{activity}</span> '
            f'<span class="wfp-cell__state">{label}</span>{after}</{tag}></li>'
        )

    def reason_of(self, cell, past: bool) -> str | None:
        """What a cell without action says (escaped): its closure, or why nothing is possible.
        A day gone by needs no "deadline passed" at all."""
        if cell.closure:
            return _escaped(cell.closure)
        if past and cell.reason == plans.DEADLINE_PASSED:
            return None
        return self.reasons.get(cell.reason)

    def collapse(self, cells, past: bool) -> tuple[bool, list, str]:
        """A locked day — it has cells and none offers anything: gone by, past its deadline,
        closed — keeps only the cells where something happened (booked, absent, asked,
        refused…) and says once, next to its date, why nothing can be done, instead of the same
        sentence in every cell: ``(locked, cells kept, that reason)``."""
        if not cells or any(cell.actions for cell in cells):
            return False, cells, ""
        kept = [cell for cell in cells if cell.state not in QUIET_STATES]
        reasons = dict.fromkeys(self.reason_of(cell, past) for cell in cells)
        reasons.pop(None, None)
        if not reasons and not kept:
            reasons = {self.nothing_booked: None}
        return True, kept, " · ".join(reasons)

    def shown(self, cell) -> bool:
        return (self.shown_children is None or cell.child_id in self.shown_children) and (
            self.shown_activities is None or cell.activity_id in self.shown_activities
        )

    def days(self) -> list[DayView]:
        today = clock.today()
        month = (self.day.year, self.day.month)
        days = []
        for date, cells in self.planning.cells_by_day().items():
            # "Monday 7 December", "Mon 7": the formats "l j F" and "D j", without a
            # date_format call per day.
            weekday, name = date.weekday(), self.months[date.month]
            label = _escaped(f"{self.weekdays[weekday]} {date.day} {name}")
            past = date < today
            locked, shown, reason = self.collapse(
                [cell for cell in cells if self.shown(cell)], past
            )
            days.append(
                DayView(
                    date=date,
                    label=label,
                    short_label=_escaped(f"{self.weekdays_abbr[weekday]} {date.day}"),
                    cells_html="".join(self.cell_html(cell, label, past, locked) for cell in shown),
                    outside=self.view == MONTH and (date.year, date.month) != month,
                    today=date == today,
                    past=past,
                    locked=locked,
                    reason=reason,
                )
            )
        return days

    def weeks(self) -> list[list[DayView]]:
        days = self.days()
        if self.view == WEEK5:
            return [days[:5]]
        return [days[i : i + 7] for i in range(0, len(days), 7)]

    def html(self) -> str:
        """The calendar's weeks, each an ``<ol>`` of its days: one piece for the template."""
        today = _escaped(pgettext("family portal", "today"))
        # Every text in it was escaped above.
        return mark_safe(
            "".join(
                '<ol class="wfp-week">' + "".join(day.html(today) for day in week) + "</ol>"
                for week in self.weeks()
            )
        )


@family_route
def planning(pages: FamilyPages):
    """The planning: a month (whole weeks), a week, or a school week, with filters."""
    not_allowed = only(pages.request, "GET", "HEAD")
    if not_allowed:
        return not_allowed
    params = pages.request.GET
    today = clock.today()
    view = parse_view(params.get("vue"))
    day = parse_date(params.get("date"), default=today)
    child_ids = parse_ids(params.getlist("enfant"))
    activity_ids = parse_ids(params.getlist("activite"))
    start, end = planning_range(view, day)

    planning_data = plans.build_planning(
        pages.family, start, end, legend=plans.build_legend(pages.context["portal_settings"])
    )
    if child_ids and not set(child_ids) <= {child.id for child in planning_data.children}:
        raise Http404
    known = pages.activities() if activity_ids else {}
    if activity_ids and not set(activity_ids) <= set(known):
        raise Http404
    shown_children = set(child_ids) if child_ids else None
    shown_activities = set(activity_ids) if activity_ids else None

    grid = PlanningGrid(planning_data, pages, view, day, shown_children, shown_activities)
    previous, following = _neighbours(view, day)
    filters = {"enfant": child_ids or [], "activite": activity_ids or []}

    def link(**changes):
        return pages.url(
            "planning", query={"vue": view, "date": day.isoformat(), **filters, **changes}
        )

    in_range = {activity.id for activity in planning_data.activities}
    activity_switches = [
        Switch(a.id, _activity_label(a.name, a.short_code), a.id in (shown_activities or {a.id}))
        for a in planning_data.activities
    ] + [
        Switch(pk, _activity_label(known[pk].name, known[pk].short_code), True)
        for pk in sorted(shown_activities or ())
        if pk not in in_range
    ]
    colours = {
        child.id: _colour(child.colour, DEFAULT_CHILD_COLOUR) for child in planning_data.children
    }
    return pages.render(
        "planning/planning.html",
        {
            "view": view,
            "day": day,
            "title": _title(view, start, end, day),
            "calendar_html": grid.html(),
            "columns": VIEWS[view] or 7,
            "weekday_names": [str(WEEKDAYS_ABBR[n]) for n in range(VIEWS[view] or 7)],
            "legend": list(planning_data.legend.values()),
            "has_cells": bool(planning_data.cells),
            "child_switches": [
                Switch(c.id, c.name, c.id in (shown_children or {c.id}), colours[c.id])
                for c in planning_data.children
            ],
            "activity_switches": activity_switches,
            "filtered": bool(child_ids or activity_ids),
            "views": [
                (MONTH, _("Month"), link(vue=MONTH)),
                (WEEK, _("Week"), link(vue=WEEK)),
                (WEEK5, _("Mon–Fri"), link(vue=WEEK5)),
            ],
            "previous_url": link(date=previous.isoformat()),
            "next_url": link(date=following.isoformat()),
            "today_url": link(date=None),
            "reset_url": pages.url("planning", query={"vue": view, "date": day.isoformat()}),
            "period_url": pages.url(
                "period_request", query={"enfant": child_ids or [], "activite": activity_ids or []}
            ),
        },
    )


def _activity_label(name: str, short_code: str) -> str:
    return f"{name} ({short_code})" if short_code and short_code != name else name


# One day: the confirmation page


def _waiting_line(family, child, activity, day):
    """The family's line still waiting on that day (what "withdraw" takes back), if any."""
    return (
        BookingLine.objects.filter(
            request__family=family, child=child, activity=activity, date=day, state__in=WAITING
        )
        .order_by("-pk")
        .first()
    )


def _question(operation: str, activity, child, day) -> str:
    values = {"activity": activity.name, "child": child.first_name, "day": long_date(day)}
    if operation == Operation.BOOKING:
        return gettext("Book %(activity)s for %(child)s on %(day)s?") % values
    if operation == Operation.ABSENCE:
        return gettext("Report an absence from %(activity)s for %(child)s on %(day)s?") % values
    return gettext("Withdraw the request for %(activity)s for %(child)s on %(day)s?") % values


def _done_message(line, activity, child, day):
    """What the family is told after asking for one day: (level, text)."""
    values = {"activity": activity.name, "child": child.first_name, "day": long_date(day)}
    if line.state == LineState.ACCEPTED:
        if line.operation == Operation.BOOKING:
            text = gettext("Booked: %(activity)s for %(child)s on %(day)s.")
        else:
            text = gettext("Absence recorded: %(activity)s for %(child)s on %(day)s.")
        return messages.SUCCESS, text % values
    if line.state == LineState.WAITING_LIST:
        text = gettext(
            "No place left: %(child)s is on the waiting list for %(activity)s on %(day)s."
        )
        return messages.WARNING, text % values
    if line.state == LineState.REFUSED:
        text = gettext("No place left: %(activity)s on %(day)s could not be booked.")
        return messages.ERROR, text % values
    text = gettext(
        "Your request for %(activity)s for %(child)s on %(day)s has been sent: it is waiting "
        "for the service's validation."
    )
    return messages.SUCCESS, text % values


@family_route
def planning_day(pages: FamilyPages):
    """Confirm one day's booking, absence or withdrawal (GET), then make it (POST)."""
    request = pages.request
    not_allowed = only(request, "GET", "HEAD", "POST")
    if not_allowed:
        return not_allowed
    params = request.GET
    child = pages.child(parse_id(params.get("enfant")))
    activity = pages.activity(parse_id(params.get("activite")))
    day = parse_date(params.get("date"))
    operation = params.get("operation")
    if operation not in DAY_OPERATIONS:
        raise Http404
    view = parse_view(params.get("vue"))
    back_query = {"date": day.isoformat()}
    if view != MONTH:
        back_query["vue"] = view
    # Back on the planning (done or cancelled), at the day's cell: the browser scrolls to the
    # fragment (Chromium focuses a link), planning.js focuses the cell in any case.
    back_url = (
        pages.url("planning", query=back_query) + "#" + cell_anchor(child.pk, activity.pk, day)
    )

    line = None
    reason, status = "", 200
    if operation == WITHDRAW:
        line = _waiting_line(pages.family, child, activity, day)
        if line is None:
            reason = gettext("Nothing is waiting for that day any more.")
    if request.method == "POST" and not reason:
        if operation == WITHDRAW:
            try:
                bookings.withdraw_lines([line], user=request.user)
            except bookings.BookingError as error:
                reason = str(error.message)
            else:
                messages.success(
                    request,
                    gettext("Your request for %(activity)s on %(day)s has been withdrawn.")
                    % {"activity": activity.name, "day": long_date(day)},
                )
                return redirect(back_url)
        else:
            try:
                outcome = bookings.request_days(
                    family=pages.family,
                    child_id=child.pk,
                    activity_id=activity.pk,
                    operation=operation,
                    dates=[day],
                    user=request.user,
                )
            except bookings.BookingError as error:
                if error.code == "not_found":
                    raise Http404 from None
                reason = _error_text(error)
            else:
                level, text = _done_message(outcome.lines[0], activity, child, day)
                messages.add_message(request, level, text)
                return redirect(back_url)
        status = 409
    elif request.method == "POST":
        status = 409
    elif operation != WITHDRAW:
        try:
            _ok, skipped = bookings.preview_days(
                family=pages.family,
                child_id=child.pk,
                activity_id=activity.pk,
                operation=operation,
                dates=[day],
            )
        except bookings.BookingError as error:
            if error.code == "not_found":
                raise Http404 from None
            reason = str(error.message)
        else:
            reason = skipped[0].message if skipped else ""

    cell = None
    if not reason and operation != WITHDRAW:
        cells = plans.build_planning(
            pages.family, day, day, children=[child.pk], activities=[activity.pk]
        ).cells
        cell = cells[0] if cells else None
    return pages.render(
        "planning/day.html",
        {
            "question": _question(operation, activity, child, day),
            "operation": operation,
            "child": child,
            "activity": activity,
            "day": day,
            "line": line,
            "reason": reason,
            "full": bool(cell and cell.full and operation == Operation.BOOKING),
            "deadline": cell.deadline if cell else None,
            "automatic": activity.booking_mode == Activity.BookingMode.AUTOMATIC,
            "back_url": back_url,
        },
        status=status,
    )


def _error_text(error) -> str:
    """A service error with the reason of the day it skipped, if it names one."""
    reasons = list(dict.fromkeys(skipped.message for skipped in error.skipped))
    return " ".join([str(error.message), *reasons])


# The period form ("Réservations")


@dataclass
class ChildPreview:
    child: Child
    dates: list
    skipped: list
    request: Request | None = None
    error: str = ""
    request_url: str = ""
    states: list = field(default_factory=list)


@family_route
def period_request(pages: FamilyPages):
    """Ask for a period: the form, a preview of the days asked and skipped, then the requests."""
    request = pages.request
    not_allowed = only(request, "GET", "HEAD", "POST")
    if not_allowed:
        return not_allowed
    children = pages.children()
    current = pages.activities(current=True)
    data = request.POST if request.method == "POST" else None
    source = request.POST if data is not None else request.GET
    child_key, activity_key = (
        ("children", "activity") if data is not None else ("enfant", "activite")
    )
    checked_ids(source.getlist(child_key), [child.pk for child in children])
    activity_values = [value for value in source.getlist(activity_key) if value != ""]
    if not set(activity_values) <= {str(pk) for pk in current}:
        # Not one the family may ask for now: an ended one is a form error, any other a 404.
        checked_ids(activity_values, pages.activities())

    enrolled = _enrolled_children(pages.family, current)
    initial = {}
    if data is None and current:
        # The activity asked for (the planning passes its filter), else the first one: its
        # weekdays and its children are ticked, so the preview lists days that can be asked.
        chosen = next(
            (current[pk] for pk in parse_ids(activity_values) or () if pk in current),
            next(iter(current.values())),
        )
        initial = PeriodForm.preselection(chosen, enrolled, request.GET.getlist("enfant"))
    form = PeriodForm(
        data, initial=initial, children=children, activities=current.values(), enrolled=enrolled
    )
    context = {
        "form": form,
        "children": children,
        "has_activities": bool(current),
        "activity_links": [
            (activity, pages.url("period_request", query={"activite": activity.pk}))
            for activity in current.values()
        ]
        if len(current) > 1
        else [],
    }
    step = request.POST.get("step", "preview") if data is not None else "form"
    if data is None or step == "edit" or not form.is_valid():
        return pages.render("planning/period_form.html", context)

    chosen = [child for child in children if str(child.pk) in form.cleaned_data["children"]]
    activity = current[int(form.cleaned_data["activity"])]
    operation = form.cleaned_data["operation"]
    dates = form.cleaned_data["dates"]
    context.update(
        {
            "activity": activity,
            "operation": operation,
            "operation_label": dict(form.fields["operation"].choices)[operation],
            "start": form.cleaned_data["start"],
            "end": form.cleaned_data["end"],
            "weekday_names": [
                label
                for value, label in form.fields["weekdays"].choices
                if value in form.cleaned_data["weekdays"]
            ],
            "hidden": _hidden_fields(form),
        }
    )
    if step == "confirm":
        context["results"] = _submit_period(pages, chosen, activity, operation, dates)
        return pages.render("planning/period_done.html", context)
    previews = []
    for child in chosen:
        ok, skipped = bookings.preview_days(
            family=pages.family,
            child_id=child.pk,
            activity_id=activity.pk,
            operation=operation,
            dates=dates,
        )
        previews.append(ChildPreview(child, ok, skipped))
    context["previews"] = previews
    context["can_confirm"] = any(preview.dates for preview in previews)
    context["skips"] = any(preview.skipped for preview in previews)
    return pages.render("planning/period_preview.html", context)


def _enrolled_children(family, activities) -> dict[int, list[int]]:
    """The children enrolled (today or later) in each of ``activities``, by activity id."""
    rows = (
        Enrolment.objects.filter(
            child__family=family,
            activity_id__in=list(activities),
            end_date__gte=clock.today(),
        )
        .order_by("child__birth_date", "child_id")
        .values_list("activity_id", "child_id")
    )
    enrolled = {}
    for activity_id, child_id in rows:
        children = enrolled.setdefault(activity_id, [])
        if child_id not in children:
            children.append(child_id)
    return enrolled


def _hidden_fields(form) -> list[tuple[str, str]]:
    """The form's values, to post them again from the preview."""
    data = form.cleaned_data
    fields = [("children", value) for value in data["children"]]
    fields += [("activity", data["activity"]), ("operation", data["operation"])]
    fields += [("start", data["start"].isoformat()), ("end", data["end"].isoformat())]
    fields += [("weekdays", str(value)) for value in data["weekdays"]]
    return fields


def _submit_period(pages, children, activity, operation, dates) -> list[ChildPreview]:
    """One request per child, the skipped days confirmed by the preview the family saw."""
    results = []
    for child in children:
        try:
            outcome = bookings.request_days(
                family=pages.family,
                child_id=child.pk,
                activity_id=activity.pk,
                operation=operation,
                dates=dates,
                user=pages.request.user,
                confirm_skipped=True,
            )
        except bookings.BookingError as error:
            if error.code == "not_found":
                raise Http404 from None
            results.append(ChildPreview(child, [], error.skipped, error=str(error.message)))
        else:
            results.append(
                ChildPreview(
                    child,
                    [line.date for line in outcome.lines],
                    outcome.skipped,
                    outcome.request,
                    request_url=pages.url("request_detail", outcome.request.pk),
                    states=_count_states(outcome.lines),
                )
            )
    return results


def _count_states(lines) -> list[tuple[str, int]]:
    counts = {}
    for line in lines:
        label = line.state_label
        counts[label] = counts.get(label, 0) + 1
    return list(counts.items())


# The calendar feed


@family_route
def calendar_settings(pages: FamilyPages):
    """The family's private calendar address: created on demand, renewed to revoke the old one."""
    request = pages.request
    not_allowed = only(request, "GET", "HEAD", "POST")
    if not_allowed:
        return not_allowed
    family = pages.family
    if request.method == "POST":
        renewed = bool(family.calendar_token)
        family.regenerate_calendar_token()
        if renewed:
            messages.success(
                request,
                gettext("Your calendar has a new address: the old one no longer works."),
            )
        else:
            messages.success(request, gettext("Your calendar address has been created."))
        return redirect(pages.url("calendar_settings"))
    feed_url = webcal_url = ""
    if family.calendar_token:
        feed_url = request.build_absolute_uri(
            pages.base_url + feed_file_path(pages.page, family.calendar_token)
        )
        webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    return pages.render("planning/calendar.html", {"feed_url": feed_url, "webcal_url": webcal_url})


def feed_file_path(page, token: str) -> str:
    """The feed's address below the portal page, ending in ".ics" (``calendrier/<token>.ics``):
    the page's route without its final "/", served by ``calendar_feed_file``."""
    return page.reverse_subpage("calendar_feed", args=(token,)).rstrip("/") + ".ics"


def calendar_feed_file(request, page_path: str, token: str):
    """The feed at ``<portal page>/calendrier/<token>.ics`` (``wagtail_family_portal.urls``).

    The path before ``calendrier/`` must be the address of a live portal page of the request's
    site (not one of its routes), found as Wagtail finds the page of a URL; the feed itself is
    then the page route's.
    """
    from ..models import FamilyPortalPage

    path = "/" + page_path
    page = Page.find_for_request(request, path)
    page = page.specific if page is not None else None
    if not isinstance(page, FamilyPortalPage):
        raise Http404
    url_parts = page.get_url_parts(request)
    if url_parts is None or url_parts[2] != path:
        raise Http404
    return calendar_feed(request, page, token)


def calendar_feed(request, page, token):
    """The family's booked days as an iCalendar feed; the secret token is the only key."""
    not_allowed = only(request, "GET", "HEAD")
    if not_allowed:
        return not_allowed
    families = Family.objects.filter(calendar_token=token).exclude(calendar_token="")
    municipality = municipality_for_request(request)
    if municipality is not None:
        families = families.filter(municipality=municipality)
    family = families.select_related("municipality").first()
    if family is None:
        raise Http404
    response = HttpResponse(
        feeds.family_calendar(family, today=clock.today()),
        content_type=feeds.CONTENT_TYPE,
    )
    response["Content-Disposition"] = 'inline; filename="planning.ics"'
    # No cache may keep it (children's names and days): calendar programs fetch it again anyway.
    never_cache(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
