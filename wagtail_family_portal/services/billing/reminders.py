"""Overdue invoices and their reminder e-mail.

An invoice is overdue when it is issued, still owes something and its due date has passed.
``BillingOffice.reminder_days`` days after the due date (0: never), the family's linked
accounts get one reminder (e-mail kind ``payment_reminder``, worded in the CMS); the invoice's
``reminded_at`` says it was sent, so a second run sends nothing. The daily django-q2 schedule
``sync_reminder_schedule()`` keeps calls ``tasks.send_payment_reminders``.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch
from django.utils import formats, timezone, translation

from ... import clock
from ...emails import kinds
from ...emails.rendering import EmailRenderer, account_values, email_address
from ...models import BillingOffice, FamilyPortalPage, Invoice, Subscription

logger = logging.getLogger(__name__)

REMINDER_TASK = "wagtail_family_portal.tasks.send_payment_reminders"
REMINDER_SCHEDULE = "wagtail_family_portal.payment_reminders"
REMINDER_TIME = dt.time(8, 0)  # in the portal's time zone: reminders arrive in the morning


def overdue(queryset=None, *, today: dt.date | None = None):
    """Issued invoices (not credit notes) that still owe and whose due date is past."""
    queryset = Invoice.objects.all() if queryset is None else queryset
    return queryset.to_pay().filter(due_date__lt=today or clock.today())


def days_overdue(invoice: Invoice, today: dt.date | None = None) -> int:
    if invoice.due_date is None:
        return 0
    return max(((today or clock.today()) - invoice.due_date).days, 0)


def due_reminders(today: dt.date | None = None):
    """The invoices whose reminder is due today and not sent yet (one query per régie that
    sends reminders: a handful)."""
    today = today or clock.today()
    ids = []
    for office in BillingOffice.objects.filter(reminder_days__gt=0).only("pk", "reminder_days"):
        cutoff = today - dt.timedelta(days=office.reminder_days)
        ids.extend(
            overdue(today=today)
            .filter(billing_office=office, due_date__lte=cutoff, reminded_at__isnull=True)
            .values_list("pk", flat=True)
        )
    return Invoice.objects.filter(pk__in=ids).order_by("due_date", "pk")


def _amount(value) -> str:
    return formats.number_format(value, 2, use_l10n=True)


def _invoices_url(page, family_id) -> str:
    if page is None:
        return ""
    portal_url = page.get_full_url() or ""
    try:
        route = page.reverse_subpage("invoices", kwargs={"family_id": family_id})
    except NoReverseMatch:  # the family's invoices pages not installed: the portal's home
        return portal_url
    return portal_url.rstrip("/") + "/" + route.lstrip("/")


def reminder_emails(invoice: Invoice, today: dt.date | None = None) -> list:
    """The reminder of ``invoice`` to each active account linked to its family."""
    site = invoice.family.municipality.site
    page = FamilyPortalPage.for_site(site) if site else None
    renderer = EmailRenderer(site)
    users = [
        subscription.user
        for subscription in Subscription.objects.filter(family=invoice.family_id)
        .select_related("user")
        .order_by("pk")
        if subscription.user.is_active and email_address(subscription.user)
    ]
    values = {
        "portal_url": page.get_full_url() if page else "",
        "family_name": invoice.family_name or invoice.family.name,
        "number": invoice.number,
        "amount": _amount(invoice.total),
        "balance": _amount(invoice.balance),
        "due_date": formats.date_format(invoice.due_date, "d/m/Y"),
        "days_overdue": days_overdue(invoice, today),
        "office": invoice.billing_office.name,
    }
    action_url = _invoices_url(page, invoice.family_id)
    domain = site.hostname if site else "localhost"
    return [
        renderer.render(
            kinds.PAYMENT_REMINDER.key,
            to=email_address(user),
            values={**account_values(user), **values},
            action_url=action_url,
            headers={"Message-ID": f"<reminder-{invoice.pk}-{user.pk}@{domain}>"},
        )
        for user in users
    ]


def send_reminder(invoice_id: int, *, today: dt.date | None = None) -> int:
    """Send the reminder of one invoice if it is still due; the number of e-mails sent.

    The invoice's row is locked and its ``reminded_at`` checked again, so two runs at once
    send it once; an e-mail that fails leaves ``reminded_at`` empty, for the next run.
    """
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",), no_key=True)
            .select_related("family__municipality__site", "billing_office")
            .filter(pk=invoice_id, reminded_at__isnull=True)
            .first()
        )
        if invoice is None or invoice.balance <= 0:
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            emails = reminder_emails(invoice, today)
            sent = sum(email.send() for email in emails)
        Invoice.objects.filter(pk=invoice.pk).update(reminded_at=timezone.now())
    return sent


def send_reminders(today: dt.date | None = None) -> dict:
    """Every reminder due today: ``{"invoices": n, "emails": m, "failed": k}``."""
    invoices = emails = failed = 0
    for invoice_id in due_reminders(today).values_list("pk", flat=True):
        try:
            emails += send_reminder(invoice_id, today=today)
        except Exception:  # one address or one invoice must not stop the others
            logger.exception("The reminder of invoice %s was not sent.", invoice_id)
            failed += 1
        else:
            invoices += 1
    return {"invoices": invoices, "emails": emails, "failed": failed}


def sync_reminder_schedule(now=None):
    """Create the daily django-q2 schedule of the reminders, or put it right; running it again
    changes nothing. Answers a ``notifications.ScheduleSync`` naming the schedule."""
    from ..notifications import sync_daily_schedule

    return sync_daily_schedule(REMINDER_SCHEDULE, REMINDER_TASK, REMINDER_TIME, now)
