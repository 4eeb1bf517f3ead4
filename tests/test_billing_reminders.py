"""The reminder of an overdue invoice: sent N days after the due date, once, to the family's
accounts; never for a paid invoice or a régie that sends none; its daily schedule."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django_q.models import Schedule

from wagtail_family_portal import tasks
from wagtail_family_portal.emails import kinds
from wagtail_family_portal.services.billing import payments, reminders

from . import factories

pytestmark = pytest.mark.django_db

# The factories' invoice is issued on 1 December 2026 and due 30 days later: 31 December.
DUE = dt.date(2026, 12, 31)


@pytest.fixture
def invoice(site, office, family, lea, canteen, parent):
    office.reminder_days = 10
    office.save()
    return factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])


def run_on(freeze_clock, day):
    freeze_clock(dt.datetime.combine(day, dt.time(8, 0)))
    return tasks.send_payment_reminders()


def test_the_reminder_goes_reminder_days_after_the_due_date(freeze_clock, invoice, family):
    second = factories.UserFactory(username="second@example.org", email="second@example.org")
    factories.SubscriptionFactory(user=second, family=family)

    assert run_on(freeze_clock, DUE + dt.timedelta(days=9))["emails"] == 0
    assert mail.outbox == []

    outcome = run_on(freeze_clock, DUE + dt.timedelta(days=10))

    assert outcome == {"invoices": 1, "emails": 2, "failed": 0}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "parent@example.org",
        "second@example.org",
    ]
    message = mail.outbox[0]
    assert invoice.number in message.subject
    assert "32,00" in message.body
    assert "31/12/2026" in message.body
    assert "10" in message.body
    assert "/espace-famille/" in message.body
    invoice.refresh_from_db()
    assert invoice.reminded_at is not None


def test_the_reminder_is_sent_once(freeze_clock, invoice):
    run_on(freeze_clock, DUE + dt.timedelta(days=10))
    again = run_on(freeze_clock, DUE + dt.timedelta(days=11))

    assert again == {"invoices": 0, "emails": 0, "failed": 0}
    assert len(mail.outbox) == 1


def test_no_reminder_for_a_paid_invoice(freeze_clock, invoice, office, family):
    payments.record_payment(
        office=office, family=family, method="cheque", amount="32.00", invoices=[invoice.pk]
    )
    assert run_on(freeze_clock, DUE + dt.timedelta(days=20))["invoices"] == 0
    assert mail.outbox == []


def test_a_partly_paid_invoice_is_reminded_of_its_balance(freeze_clock, invoice, office, family):
    payments.record_payment(
        office=office, family=family, method="cash", amount="20.00", invoices=[invoice.pk]
    )
    run_on(freeze_clock, DUE + dt.timedelta(days=12))
    [message] = mail.outbox
    assert "12,00" in message.body
    assert "12 " in message.body  # days overdue


def test_no_reminder_when_the_regie_sends_none(freeze_clock, invoice, office):
    office.reminder_days = 0
    office.save()
    assert run_on(freeze_clock, DUE + dt.timedelta(days=60))["invoices"] == 0
    assert mail.outbox == []


def test_the_reminder_wording_is_the_cms_one(freeze_clock, invoice, site):
    from wagtail_family_portal.models import EmailTemplate

    EmailTemplate.objects.create(
        site=site,
        kind=kinds.PAYMENT_REMINDER.key,
        subject="Relance {{ number }} : reste {{ balance }} €",
    )
    run_on(freeze_clock, DUE + dt.timedelta(days=10))
    assert mail.outbox[0].subject == f"Relance {invoice.number} : reste 32,00 €"


def test_overdue_lists_issued_invoices_past_due_with_a_balance(
    invoice, office, family, lea, canteen
):
    later = factories.issued_invoice(
        office, family, [(lea, canteen, 1, "3.20")], due_date=dt.date(2027, 2, 1)
    )
    assert list(reminders.overdue(today=dt.date(2027, 1, 5))) == [invoice]
    assert reminders.days_overdue(invoice, dt.date(2027, 1, 5)) == 5
    assert set(reminders.overdue(today=dt.date(2027, 2, 2))) == {invoice, later}


def test_the_schedules_command_creates_the_daily_reminders_once(db):
    call_command("sync_family_portal_schedules")
    call_command("sync_family_portal_schedules")

    [schedule] = Schedule.objects.filter(name=reminders.REMINDER_SCHEDULE)
    assert schedule.func == "wagtail_family_portal.tasks.send_payment_reminders"
    assert (schedule.schedule_type, schedule.repeats) == (Schedule.DAILY, -1)
    assert reminders.sync_reminder_schedule().unchanged == [reminders.REMINDER_SCHEDULE]


def test_the_kind_is_offered_in_the_cms_with_sample_values():
    kind = kinds.KINDS["payment_reminder"]
    missing = [name for name in kind.placeholders if name not in kinds.SAMPLE_VALUES]
    assert missing == ["municipality"]  # the site's own, filled by the renderer


def test_the_cms_preview_fills_the_reminder_with_sample_values(site):
    from wagtail_family_portal.emails.samples import sample_email

    email = sample_email(kinds.PAYMENT_REMINDER.key, site=site, to="editor@example.org")
    assert "2026-000123" in email.subject
    assert "12,50" in email.text and "{{" not in email.text
