"""The receipt of a request ("Accusé d'enregistrement électronique"), built from the database.

One e-mail per request, to the account that submitted it: what was asked, when, and whether it
waits for the service or (an automatic activity) is already decided. ``request_received()``
queues it once the request is saved; the worker (``tasks.send_receipt_email``) builds it with
``receipt_email()``.
"""

from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from ... import clock
from ...emails import kinds
from ...emails.rendering import (
    EmailRenderer,
    Table,
    account_values,
    days_headers,
    email_address,
)
from ...models import FamilyPortalPage, Request
from ...models.bookings import BookingLine


def request_received(request) -> None:
    """Queue the receipt e-mail of ``request`` once the transaction that saved it commits."""
    from django_q.tasks import async_task

    args = (request.pk, translation.get_language())
    transaction.on_commit(
        lambda: async_task("wagtail_family_portal.tasks.send_receipt_email", *args)
    )


def _summary(request, lines, activity, date, time) -> str:
    count = len(lines)
    values = {"count": count, "activity": activity, "date": date, "time": time}
    booking = request.kind == Request.Kind.BOOKING
    if request.kind == Request.Kind.FILE_CHANGE:
        return gettext(
            "Your request “%(summary)s” made on %(date)s at %(time)s is being processed."
        ) % {"summary": request.summary, "date": date, "time": time}
    if request.state == Request.State.ACCEPTED:  # an automatic activity, every day given
        if booking:
            text = ngettext(
                "Your booking for %(activity)s made on %(date)s at %(time)s is confirmed:",
                "Your %(count)d bookings for %(activity)s made on %(date)s at %(time)s are "
                "confirmed:",
                count,
            )
        else:
            text = ngettext(
                "Your absence from %(activity)s made on %(date)s at %(time)s is confirmed:",
                "Your %(count)d absences from %(activity)s made on %(date)s at %(time)s are "
                "confirmed:",
                count,
            )
        return text % values
    if request.state != Request.State.PENDING:
        if booking:
            text = ngettext(
                "Your booking for %(activity)s made on %(date)s at %(time)s has been processed:",
                "Your %(count)d bookings for %(activity)s made on %(date)s at %(time)s have been "
                "processed:",
                count,
            )
        else:
            text = ngettext(
                "Your absence from %(activity)s made on %(date)s at %(time)s has been processed:",
                "Your %(count)d absences from %(activity)s made on %(date)s at %(time)s have "
                "been processed:",
                count,
            )
        return text % values
    if booking:
        text = ngettext(
            "Your booking request for %(activity)s made on %(date)s at %(time)s is being "
            "processed:",
            "Your %(count)d booking requests for %(activity)s made on %(date)s at %(time)s are "
            "being processed:",
            count,
        )
    else:
        text = ngettext(
            "Your absence notice for %(activity)s made on %(date)s at %(time)s is being processed:",
            "Your %(count)d absence notices for %(activity)s made on %(date)s at %(time)s are "
            "being processed:",
            count,
        )
    return text % values


def _table(request, lines, moment) -> Table:
    if request.kind == Request.Kind.FILE_CHANGE:
        row = (
            formats.date_format(moment.date(), "d/m/Y"),
            moment.strftime("%H:%M"),
            Request.Topic(request.topic).label,
            "",
            request.summary,
        )
        return Table(days_headers(last=gettext("Detail")), [row])
    decided = request.state != Request.State.PENDING
    rows = []
    for line in lines:
        activity = line.activity
        row = [
            formats.date_format(line.date, "d/m/Y"),
            activity.start_time.strftime("%H:%M") if activity.start_time else "",
            gettext("Booking")
            if line.operation == BookingLine.Operation.BOOKING
            else gettext("Absence"),
            f"{line.child.first_name} {line.child.last_name}",
            activity.name,
        ]
        if decided:
            row.append(line.state_label)
        rows.append(tuple(row))
    return Table(days_headers(decision=decided), rows)


def receipt_email(request_id):
    """The receipt of request ``request_id``, or None (no such request, no address)."""
    request = (
        Request.objects.select_related("family__municipality__site", "created_by")
        .filter(pk=request_id)
        .first()
    )
    user = request.created_by if request else None
    address = email_address(user)
    if not address:
        return None
    site = request.family.municipality.site
    lines = list(request.booking_lines.select_related("child", "activity").order_by("date", "pk"))
    moment = clock.to_local(request.created_at)
    date = formats.date_format(moment.date(), "d/m/Y")
    time = moment.strftime("%H:%M")
    activity = lines[0].activity.name if lines else ""
    page = FamilyPortalPage.for_site(site)
    portal_url = page.get_full_url() if page else ""
    action_url = ""
    if page:
        route = page.reverse_subpage("requests_list", kwargs={"family_id": request.family_id})
        action_url = portal_url.rstrip("/") + "/" + route.lstrip("/")
    count = len(lines) or 1
    values = {
        **account_values(user),
        "portal_url": portal_url,
        "family_name": request.family.name,
        "count": count,
        "summary": _summary(request, lines, activity, date, time),
        "request_type": Request.Topic(request.topic).label if request.topic else "",
        "activity": activity,
        "date": date,
        "time": time,
    }
    domain = site.hostname if site else "localhost"
    return EmailRenderer(site).render(
        kinds.RECEIPT.key,
        to=address,
        values=values,
        action_url=action_url,
        table=_table(request, lines, moment),
        headers={"Message-ID": f"<receipt-{request.pk}@{domain}>"},
    )
