"""The planning's calendar as HTML: weeks of days, each day's cells (views/planning.py shows it).

A month of a large family has hundreds of cells: ``PlanningGrid.cell_html`` writes them with
f-strings over values escaped once per page, which is many times faster than template nodes per
cell (bench/planning.py measures it); the template places the weeks in one piece.

Every text written into the markup goes through ``escaped``, the one escaping point: names,
labels, closures, reasons, dates and the URL. What is not escaped is the package's own: CSS
class names of the states, ids, ISO dates and the operation codes of ``ACTIONS``.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.dates import MONTHS, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from .. import clock
from .. import planning as plans
from ..models import BookingLine
from ..services import bookings
from .planning_forms import MONTH, WEEK5, WITHDRAW

# On a locked day, cells in these states say nothing the day's reason does not.
QUIET_STATES = frozenset({plans.ENROLLED, plans.CLOSED_STATE})

Operation = BookingLine.Operation

# What a planning cell's link does, per action of ``planning``.
ACTIONS = {
    plans.BOOK: (Operation.BOOKING, _("Book")),
    plans.CANCEL: (Operation.ABSENCE, _("Report an absence")),
    plans.WITHDRAW: (WITHDRAW, _("Withdraw the request")),
}


def escaped(text) -> str:
    """``text`` escaped for HTML, as a plain ``str``: the one way a text enters the grid.

    Not a SafeString: formatting a str subclass costs several times more, and the markup is
    marked safe as a whole (``PlanningGrid.html``).
    """
    return str.__str__(escape(str(text)))


def cell_anchor(child_id: int, activity_id: int, day: dt.date) -> str:
    """The id of a planning cell: the one-day pages send the family back to it (``#…``)."""
    return f"wfp-cell-{child_id}-{activity_id}-{day.isoformat()}"


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
        self.children = {child.id: escaped(child.name) for child in planning.children}
        # Families know an activity by its name ("Repas école"), as the dashboard and the
        # e-mails say it; the short code is the service's own.
        self.activities = {activity.id: escaped(activity.name) for activity in planning.activities}
        self.labels = {state: escaped(entry.label) for state, entry in planning.legend.items()}
        self.reasons = {code: escaped(text) for code, text in bookings.REASONS.items()}
        # A cell has no room for the sentence of the preview; the day's title even less.
        self.reasons[plans.DEADLINE_PASSED] = escaped(pgettext("planning", "deadline passed"))
        self.nothing_booked = escaped(pgettext("planning", "nothing booked"))
        self.actions = {name: (op, escaped(label)) for name, (op, label) in ACTIONS.items()}
        self.waiting_list_action = escaped(gettext("Join the waiting list"))
        back = f"&amp;vue={view}" if view != MONTH else ""
        self.day_url = (
            escaped(pages.url("planning_day"))
            + "?enfant={}&amp;activite={}&amp;date={}&amp;operation={}"
            + back
        )
        self.rank_label = escaped(gettext("%(state)s, rank %(rank)d"))
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
            return escaped(cell.closure)
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
            label = escaped(f"{self.weekdays[weekday]} {date.day} {name}")
            past = date < today
            locked, shown, reason = self.collapse(
                [cell for cell in cells if self.shown(cell)], past
            )
            days.append(
                DayView(
                    date=date,
                    label=label,
                    short_label=escaped(f"{self.weekdays_abbr[weekday]} {date.day}"),
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
        today = escaped(pgettext("family portal", "today"))
        # Every text in it was escaped above.
        return mark_safe(
            "".join(
                '<ol class="wfp-week">' + "".join(day.html(today) for day in week) + "</ol>"
                for week in self.weeks()
            )
        )
