"""The family's planning page ("Planning"): a month, a week of 7 or of 5 days.

It shows each child's day for each activity with its state, and links every cell a family can
act on to a confirmation page (views/planning_day.py: book, report an absence, withdraw a
request); the calendar itself is written by views/planning_grid.py. The "Réservations" form is
views/period_request.py, the private calendar (.ics) views/calendar.py, "Mes demandes"
views/requests.py.

Nothing here decides whether a day can be asked: ``planning.build_planning`` says what the
planning shows and ``services.bookings`` makes (or refuses) every change.
"""

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from .. import clock
from .. import planning as plans
from ..validators import HEX_COLOUR_RE
from .base import portal_view
from .planning_forms import MONTH, VIEWS, WEEK, WEEK5, parse_date, parse_ids, parse_view
from .planning_grid import PlanningGrid

DEFAULT_CHILD_COLOUR = "#1d4f91"


def _colour(value: str, default: str) -> str:
    return value if HEX_COLOUR_RE.match(value or "") else default


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


@portal_view(family=True)
@require_safe
def planning(request, pages):
    params = request.GET
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
