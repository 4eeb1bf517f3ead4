"""One day of the planning: the confirmation page of a booking, an absence or a withdrawal.

A cell of the planning links here (``?enfant=…&activite=…&date=…&operation=…``); the page asks
the question (GET), then the POST makes the change through ``services.bookings`` and sends the
family back to the cell (``planning_grid.cell_anchor``). A refusal is said on the page (409).
"""

import datetime as dt

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from .. import planning as plans
from ..models import Activity, BookingLine
from ..services import bookings
from .base import portal_view
from .planning_forms import DAY_OPERATIONS, MONTH, WITHDRAW, parse_date, parse_id, parse_view
from .planning_grid import cell_anchor

Operation = BookingLine.Operation
LineState = BookingLine.State
WAITING = (LineState.PENDING, LineState.WAITING_LIST)


def long_date(day: dt.date) -> str:
    """ "jeudi 12 mars": how the pages name a day in a sentence."""
    return date_format(day, "l j F")


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


def ask_days(pages, child, activity, operation: str, dates, **options):
    """``services.bookings.request_days`` for the family of the page, by its account. A child or
    an activity that is not the family's is a 404; any other refusal is raised (``BookingError``)
    for the page to say."""
    try:
        return bookings.request_days(
            family=pages.family,
            child_id=child.pk,
            activity_id=activity.pk,
            operation=operation,
            dates=dates,
            user=pages.request.user,
            **options,
        )
    except bookings.BookingError as error:
        if error.code == "not_found":
            raise Http404 from None
        raise


@portal_view(family=True)
@require_http_methods(["GET", "HEAD", "POST"])
def planning_day(request, pages):
    """Confirm one day's booking, absence or withdrawal (GET), then make it (POST)."""
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
                outcome = ask_days(pages, child, activity, operation, [day])
            except bookings.BookingError as error:
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
