"""Receipts, the decisions' outbox, digests at set times (windows, exactly once, failures),
per-account preferences and the digest schedules."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from wagtail_family_portal.models import AccountProfile, Request
from wagtail_family_portal.models.activities import Activity
from wagtail_family_portal.models.notifications import DecisionNotice, DigestDelivery
from wagtail_family_portal.services import bookings, dossier, notifications
from wagtail_family_portal.services import requests as requests_service
from wagtail_family_portal.services.notifications import digests

from . import factories

PARIS = ZoneInfo("Europe/Paris")
TIMES = [dt.time(13), dt.time(18)]
# The moment the requests are made (passed to the service, the rules of the planning).
NOW = factories.NOW
MON, TUE = dt.date(2026, 12, 7), dt.date(2026, 12, 8)
WEDNESDAY = dt.date(2026, 12, 9)


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def tomorrow_evening() -> dt.datetime:
    """A slot after every decision the test made at the real time: tomorrow at 18:00."""
    today = timezone.now().astimezone(PARIS).date()
    return dt.datetime.combine(today + dt.timedelta(days=1), dt.time(18), tzinfo=PARIS)


@pytest.fixture
def canteen(school, lea):
    """Overrides conftest's canteen: named and timed as a town's software names it (its name
    and its 12:00 start are quoted in the e-mails); validated by an agent; Léa enrolled."""
    meal = factories.ActivityFactory(
        establishment=school,
        name="2/Repas Sco",
        start_time=dt.time(12),
        end_time=dt.time(13, 30),
        booking_mode=Activity.BookingMode.AGENT,
    )
    factories.enrol(lea, meal)
    return meal


@pytest.fixture
def centre(school, lea):
    """Overrides conftest's centre: from 8:00 (the e-mails quote it) to 18:00, on Wednesdays,
    booked at once; Léa enrolled."""
    wednesday = factories.ActivityFactory(
        establishment=school,
        name="Accueil de loisirs mercredi",
        weekdays=[2],
        start_time=dt.time(8),
        end_time=dt.time(18),
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )
    factories.enrol(lea, wednesday)
    return wednesday


def book(family, child, activity, dates, user, **kwargs):
    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=activity.pk,
        operation="booking",
        dates=dates,
        user=user,
        now=NOW,
        **kwargs,
    )


def decided_at(moment: dt.datetime, **filters):
    """Say the notices (all, or those matching) were decided at ``moment``."""
    DecisionNotice.objects.filter(**filters).update(created_at=moment)


def recipients(messages=None) -> list[str]:
    return sorted(address for message in (messages or mail.outbox) for address in message.to)


# Receipts


def test_a_booking_request_gets_its_receipt_after_commit(
    family, parent, lea, canteen, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = book(family, lea, canteen, [MON, TUE], parent)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["parent@example.org"]
    assert email.subject == "Accusé d’enregistrement électronique"
    moment = outcome.request.created_at.astimezone(PARIS)
    assert (
        f"Vos 2 demandes de réservation pour 2/Repas Sco réalisées le {moment:%d/%m/%Y} à "
        f"{moment:%H:%M} sont en cours d’instruction" in email.body
    )
    assert "07/12/2026 | 12:00 | Réservation | Léa Martin | 2/Repas Sco" in email.body
    assert "http://localhost/espace-famille/famille/" in email.body
    assert "Nous vous tiendrons informé de leur traitement." in email.body
    html = email.alternatives[0][0]
    assert '<th scope="col"' in html and "Léa Martin" in html
    assert email.extra_headers["Message-ID"].startswith(f"<receipt-{outcome.request.pk}@")


def test_a_booking_rolled_back_sends_no_receipt(
    family, parent, lea, canteen, site, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            book(family, lea, canteen, [MON], parent)
            raise RuntimeError

    assert callbacks == [] and mail.outbox == []


def test_an_automatic_activity_receipt_says_the_days_are_processed(
    family, parent, lea, centre, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(family, lea, centre, [WEDNESDAY], parent)

    body = mail.outbox[0].body
    assert "Votre réservation pour Accueil de loisirs mercredi réalisée le" in body
    assert "est confirmée :" in body
    assert (
        "09/12/2026 | 08:00 | Réservation | Léa Martin | Accueil de loisirs mercredi | réservé"
        in (body)
    )
    # Decided at once with the family's own request: its receipt said it, no digest line.
    assert not DecisionNotice.objects.exists()


def test_an_automatic_receipt_confirms_only_the_days_given(
    family, parent, lea, centre, site, django_capture_on_commit_callbacks
):
    centre.capacity = 1
    centre.save()
    tom = factories.ChildFactory(family=family, first_name="Tom", last_name="Martin")
    factories.enrol(tom, centre)
    book(family, tom, centre, [WEDNESDAY], parent)
    next_wednesday = WEDNESDAY + dt.timedelta(days=7)

    # The full day was shown as skipped and the family confirmed the other one.
    with django_capture_on_commit_callbacks(execute=True):
        book(family, lea, centre, [WEDNESDAY, next_wednesday], parent, confirm_skipped=True)

    body = mail.outbox[0].body
    assert "Votre réservation pour Accueil de loisirs mercredi réalisée le" in body
    assert "16/12/2026 | 08:00 | Réservation | Léa Martin | Accueil de loisirs mercredi" in body
    assert "09/12/2026" not in body


def test_a_change_to_the_family_file_gets_its_receipt(
    family, parent, site, django_capture_on_commit_callbacks
):
    from wagtail_family_portal.models import FamilyFileRules

    guardian = factories.GuardianFactory(
        family=family, first_name="Claire", mobile_phone="0102030405"
    )
    with django_capture_on_commit_callbacks(execute=True):
        request = dossier.propose_change(
            family=family,
            user=parent,
            target_type="guardian",
            target_id=guardian.pk,
            fields={"mobile_phone": "0611223344"},
            rules=FamilyFileRules.rules_for(site),
        )

    assert request.topic == Request.Topic.GUARDIAN
    body = mail.outbox[0].body
    assert "Votre demande « " in body and "est en cours d’instruction" in body
    assert "Modification du responsable" in body


def test_an_agent_booking_for_the_family_sends_no_receipt_but_a_digest_line(
    family, parent, lea, canteen, agent, site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        book(family, lea, canteen, [MON], agent, by_agent=True)

    assert mail.outbox == []
    assert DecisionNotice.objects.get().decision == "accepted"


# The digest


def test_a_decision_is_mailed_once_in_the_next_digest(family, parent, lea, canteen, agent, site):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=True, message="Bon appétit !")
    bookings.decide_lines(outcome.lines[1:], agent=agent, accept=False, message="Sortie scolaire.")
    decided_at(paris(2026, 12, 3, 10, 0))

    run = notifications.run_digests(site, now=paris(2026, 12, 3, 13, 0, 5))

    assert run.slot == paris(2026, 12, 3, 13, 0)
    assert (run.notices, run.families, run.sent) == (2, 1, 1)
    email = mail.outbox[0]
    assert email.to == ["parent@example.org"]
    assert email.subject == "Accusé de traitement"
    assert "2 de vos demandes ont été traitées :" in email.body
    assert "07/12/2026 | 12:00 | Réservation | Léa Martin | 2/Repas Sco | réservé" in email.body
    assert "08/12/2026 | 12:00 | Réservation | Léa Martin | 2/Repas Sco | refusée" in email.body
    assert "Bon appétit !" in email.body and "Sortie scolaire." in email.body
    assert "Mes demandes" in email.body

    again = notifications.run_digests(site, now=paris(2026, 12, 3, 13, 0, 5))
    later = notifications.run_digests(site, now=paris(2026, 12, 3, 18, 0))

    assert (again.notices, again.sent, later.notices, later.sent) == (0, 0, 0, 0)
    assert len(mail.outbox) == 1


def test_every_account_of_the_family_that_wants_e_mails_gets_the_digest(
    family, parent, lea, canteen, agent, site
):
    second = factories.UserFactory(username="papa@example.org", email="papa@example.org")
    factories.SubscriptionFactory(user=second, family=family)
    quiet = factories.UserFactory(username="quiet@example.org", email="quiet@example.org")
    factories.SubscriptionFactory(user=quiet, family=family)
    AccountProfile.objects.filter(user=quiet).update(decision_emails="none")
    gone = factories.UserFactory(username="gone@example.org", email="gone@example.org")
    gone.is_active = False
    gone.save()
    factories.SubscriptionFactory(user=gone, family=family)
    outcome = book(family, lea, canteen, [MON], parent)
    bookings.decide_lines(outcome.lines, agent=agent, accept=True)

    notifications.run_digests(site, now=tomorrow_evening())

    assert recipients() == ["papa@example.org", "parent@example.org"]
    # The notices of the quiet account's family are still marked: nothing waits forever.
    assert not DecisionNotice.objects.filter(slot__isnull=True).exists()


def test_families_get_their_own_digest_with_their_own_lines(
    municipality, family, parent, lea, canteen, agent, site
):
    other = factories.FamilyFactory(municipality=municipality, name="Durand")
    tom = factories.ChildFactory(family=other, first_name="Tom", last_name="Durand")
    factories.enrol(tom, canteen)
    durand = factories.UserFactory(username="durand@example.org", email="durand@example.org")
    factories.SubscriptionFactory(user=durand, family=other)
    lines = book(family, lea, canteen, [MON], parent).lines
    lines += book(other, tom, canteen, [MON, TUE], durand).lines
    bookings.decide_lines(lines, agent=agent, accept=True)

    notifications.run_digests(site, now=tomorrow_evening())

    by_address = {message.to[0]: message.body for message in mail.outbox}
    assert "1 de vos demandes a été traitée :" in by_address["parent@example.org"]
    assert "Tom" not in by_address["parent@example.org"]
    assert "2 de vos demandes ont été traitées :" in by_address["durand@example.org"]
    assert "Léa" not in by_address["durand@example.org"]


def test_another_municipality_s_site_does_not_mail_these_decisions(
    family, parent, lea, canteen, agent, site, other_municipality
):
    from wagtail.models import Site

    other_site = Site.objects.create(hostname="autreville.test", root_page=site.root_page)
    other_municipality.site = other_site
    other_municipality.save()
    bookings.decide_lines(book(family, lea, canteen, [MON], parent).lines, agent=agent, accept=True)

    run = notifications.run_digests(other_site, now=tomorrow_evening())

    assert (run.notices, run.sent) == (0, 0)
    assert DecisionNotice.objects.get().slot is None


# Windows: each slot covers (previous slot, this slot]


@pytest.fixture
def three_decisions(family, parent, lea, canteen, agent, site):
    """Three days of Léa decided by an agent; their decision times are set by each test."""
    outcome = book(family, lea, canteen, [MON, TUE, dt.date(2026, 12, 10)], parent)
    bookings.decide_lines(outcome.lines, agent=agent, accept=True)
    return {line.date: line for line in outcome.lines}


def digest_days(message) -> list[str]:
    return [line.split(" | ")[0] for line in message.body.splitlines() if "| réservé" in line]


def test_a_decision_at_exactly_13_00_00_is_in_the_13_00_digest(three_decisions, site):
    decided_at(paris(2026, 12, 3, 12, 59, 59), line__date=MON)
    decided_at(paris(2026, 12, 3, 13, 0, 0), line__date=TUE)
    decided_at(paris(2026, 12, 3, 13, 0, 1), line__date=dt.date(2026, 12, 10))

    notifications.run_digests(site, now=paris(2026, 12, 3, 13, 0, 0))
    notifications.run_digests(site, now=paris(2026, 12, 3, 18, 0, 0))

    assert [digest_days(message) for message in mail.outbox] == [
        ["07/12/2026", "08/12/2026"],
        ["10/12/2026"],
    ]


def test_a_decision_after_18_00_waits_for_13_00_the_next_day(three_decisions, site):
    decided_at(paris(2026, 12, 3, 18, 0, 1), line__date=MON)
    decided_at(paris(2026, 12, 4, 0, 30), line__date=TUE)
    decided_at(paris(2026, 12, 4, 13, 0, 1), line__date=dt.date(2026, 12, 10))

    evening = notifications.run_digests(site, now=paris(2026, 12, 3, 18, 0, 30))
    night = notifications.run_digests(site, now=paris(2026, 12, 4, 12, 59, 59))
    noon = notifications.run_digests(site, now=paris(2026, 12, 4, 13, 0, 0))

    assert evening.slot == paris(2026, 12, 3, 18, 0) and evening.sent == 0
    assert night.slot == paris(2026, 12, 3, 18, 0) and night.sent == 0
    assert noon.slot == paris(2026, 12, 4, 13, 0)
    assert [digest_days(message) for message in mail.outbox] == [["07/12/2026", "08/12/2026"]]


def test_a_missed_slot_is_caught_up_by_the_next_run(three_decisions, site):
    decided_at(paris(2026, 12, 3, 9, 0), line__date=MON)
    decided_at(paris(2026, 12, 3, 15, 0), line__date=TUE)
    decided_at(paris(2026, 12, 3, 18, 30), line__date=dt.date(2026, 12, 10))

    # Nothing ran at 13:00 (the cluster was down); the 18:00 run comes at 18:02.
    run = notifications.run_digests(site, now=paris(2026, 12, 3, 18, 2))

    assert run.slot == paris(2026, 12, 3, 18, 0)
    assert [digest_days(message) for message in mail.outbox] == [["07/12/2026", "08/12/2026"]]


@pytest.mark.parametrize(
    "day, utc_offset",
    [
        (dt.date(2027, 3, 28), 2),  # clocks go forward at 02:00: 13:00 is 11:00 UTC
        (dt.date(2026, 10, 25), 1),  # clocks go back at 03:00: 13:00 is 12:00 UTC
    ],
)
def test_slots_stay_at_13_00_paris_time_across_a_daylight_saving_change(
    three_decisions, site, day, utc_offset
):
    slot_utc = dt.datetime.combine(day, dt.time(13 - utc_offset), tzinfo=dt.UTC)
    decided_at(slot_utc - dt.timedelta(hours=19, seconds=1), line__date=MON)  # before 18:00 eve
    decided_at(slot_utc, line__date=TUE)
    decided_at(slot_utc + dt.timedelta(seconds=1), line__date=dt.date(2026, 12, 10))

    assert notifications.latest_slot(slot_utc, TIMES) == paris(day.year, day.month, day.day, 13)
    previous = notifications.previous_slot(paris(day.year, day.month, day.day, 13), TIMES)
    assert previous == paris(day.year, day.month, day.day, 18) - dt.timedelta(days=1)
    notifications.run_digests(site, now=slot_utc)

    # The day before's 18:00 was missed, so its decision comes too; 13:00:01 waits for 18:00.
    assert [digest_days(message) for message in mail.outbox] == [["07/12/2026", "08/12/2026"]]


def test_the_times_of_the_site_settings_are_used(three_decisions, site, portal_settings):
    portal_settings.digest_times = "08:30, 12h15, 17:45"
    portal_settings.save()
    decided_at(paris(2026, 12, 3, 12, 0))

    early = notifications.run_digests(site, now=paris(2026, 12, 3, 12, 14))
    run = notifications.run_digests(site, now=paris(2026, 12, 3, 12, 20))

    assert early.slot == paris(2026, 12, 3, 8, 30) and early.sent == 0
    assert run.slot == paris(2026, 12, 3, 12, 15) and run.sent == 1


# Exactly once, failures


class KilledAfter(LocmemBackend):
    """A mail backend that takes ``limit`` messages, then the process dies (not an Exception:
    a kill, an out-of-memory, the worker's timeout)."""

    limit = 0

    def send_messages(self, messages):
        if len(mail.outbox) >= KilledAfter.limit:
            raise SystemExit("killed")
        return super().send_messages(messages)


class RefusesOne(LocmemBackend):
    """A backend whose server refuses one address."""

    refused = "refused@example.org"

    def send_messages(self, messages):
        for message in messages:
            if RefusesOne.refused in message.to:
                raise ConnectionError("550 mailbox unavailable")
        return super().send_messages(messages)


@pytest.fixture
def five_families(municipality, canteen, agent, site):
    """Five families with one account each and one decided day each."""
    lines = []
    for number in range(5):
        family = factories.FamilyFactory(municipality=municipality, name=f"Famille {number}")
        child = factories.ChildFactory(family=family, first_name=f"Enfant{number}")
        factories.enrol(child, canteen)
        user = factories.UserFactory(
            username=f"f{number}@example.org", email=f"f{number}@example.org"
        )
        factories.SubscriptionFactory(user=user, family=family)
        lines += book(family, child, canteen, [MON], user).lines
    bookings.decide_lines(lines, agent=agent, accept=True)
    decided_at(paris(2026, 12, 3, 10, 0))
    return lines


def test_a_run_killed_half_way_and_run_again_mails_every_decision_once(
    five_families, site, settings
):
    settings.EMAIL_BACKEND = "tests.test_notifications.KilledAfter"
    KilledAfter.limit = 3
    slot = paris(2026, 12, 3, 13, 0)

    with pytest.raises(SystemExit):
        notifications.run_digests(site, now=slot, batch_size=2)

    assert len(mail.outbox) == 3
    first = recipients()
    KilledAfter.limit = 100
    # Run again at once: the e-mail the killed run had taken (not sent) is still claimed.
    notifications.run_digests(site, now=slot + dt.timedelta(minutes=1), batch_size=2)
    # The next run after the claim expired sends it.
    notifications.run_digests(site, now=slot + dt.timedelta(minutes=15), batch_size=2)

    assert first == ["f0@example.org", "f1@example.org", "f2@example.org"]
    assert recipients() == [f"f{number}@example.org" for number in range(5)]
    assert DigestDelivery.objects.filter(state="sent").count() == 5
    assert not DecisionNotice.objects.filter(slot__isnull=True).exists()


def test_a_run_killed_while_gathering_leaves_no_decision_behind(five_families, site, monkeypatch):
    real = digests._collect_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(digests, "_collect_batch", dies_on_the_second_batch)
    slot = paris(2026, 12, 3, 13, 0)
    with pytest.raises(SystemExit):
        notifications.run_digests(site, now=slot, batch_size=2)
    assert DecisionNotice.objects.filter(slot=slot).count() == 2
    monkeypatch.setattr(digests, "_collect_batch", real)

    notifications.run_digests(site, now=slot + dt.timedelta(minutes=1), batch_size=2)

    assert recipients() == [f"f{number}@example.org" for number in range(5)]


def test_a_recipient_the_backend_refuses_does_not_stop_the_others_and_is_retried(
    five_families, site, settings
):
    settings.EMAIL_BACKEND = "tests.test_notifications.RefusesOne"
    settings.ADMINS = [("Admin", "admin@example.org")]
    user = factories.UserFactory(username="x", email="refused@example.org")
    family_of_f2 = five_families[2].request.family
    factories.SubscriptionFactory(user=user, family=family_of_f2)
    slot = paris(2026, 12, 3, 13, 0)

    first = notifications.run_digests(site, now=slot)

    assert recipients() == [f"f{number}@example.org" for number in range(5)]
    delivery = DigestDelivery.objects.get(user=user)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert "550 mailbox unavailable" in delivery.last_error
    assert len(first.failed) == 1

    # The next runs try again (after the wait), then give up at the third failure and tell
    # the administrators, once.
    notifications.run_digests(site, now=slot + dt.timedelta(minutes=15))
    notifications.run_digests(site, now=slot + dt.timedelta(minutes=30))
    notifications.run_digests(site, now=slot + dt.timedelta(minutes=45))

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 3)
    reports = [m for m in mail.outbox if m.to == ["admin@example.org"]]
    assert len(reports) == 1
    assert "refused@example.org" in reports[0].body
    RefusesOne.refused = "nobody@example.org"
    notifications.run_digests(site, now=slot + dt.timedelta(hours=2))
    assert "refused@example.org" not in recipients()
    RefusesOne.refused = "refused@example.org"


def test_an_account_that_chose_no_e_mail_gets_none_but_its_receipts(
    family, parent, lea, canteen, agent, site, django_capture_on_commit_callbacks
):
    AccountProfile.objects.filter(user=parent).update(decision_emails="none")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = book(family, lea, canteen, [MON], parent)
    bookings.decide_lines(outcome.lines, agent=agent, accept=True)
    notifications.run_digests(site, now=tomorrow_evening())

    assert [message.subject for message in mail.outbox] == ["Accusé d’enregistrement électronique"]


def test_a_file_change_decision_and_a_waiting_list_promotion_are_in_the_digest(
    family, parent, lea, agent, site, school
):
    from wagtail_family_portal.models import FamilyFileRules

    guardian = factories.GuardianFactory(
        family=family, first_name="Claire", mobile_phone="0102030405"
    )
    request = dossier.propose_change(
        family=family,
        user=parent,
        target_type="guardian",
        target_id=guardian.pk,
        fields={"mobile_phone": "0611223344"},
        rules=FamilyFileRules.rules_for(site),
    )
    dossier.refuse(request, agent=agent, message="Numéro incomplet.")
    full = factories.ActivityFactory(
        establishment=school,
        name="Mercredi",
        weekdays=[2],
        capacity=1,
        waiting_list=True,
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )
    factories.enrol(lea, full)
    tom = factories.ChildFactory(family=family, first_name="Tom")
    factories.enrol(tom, full)
    first = book(family, tom, full, [WEDNESDAY], parent)
    book(family, lea, full, [WEDNESDAY], parent)  # waiting list (decided at once: no notice)
    # Tom's absence frees the place: Léa, first in line, is booked by the system.
    bookings.request_days(
        family=family,
        child_id=tom.pk,
        activity_id=full.pk,
        operation="absence",
        dates=[WEDNESDAY],
        user=parent,
        now=NOW,
    )
    assert first.lines[0].pk

    notifications.run_digests(site, now=tomorrow_evening())

    body = mail.outbox[0].body
    assert "Modification du responsable" in body and "| refusée" in body
    assert "Numéro incomplet." in body
    # Promoted from the waiting list:
    assert "| Réservation | Léa Martin | Mercredi | réservé" in body


# Messages and what each account has read


def test_an_agent_message_is_unread_for_each_account_until_it_opens_the_request(
    family, parent, lea, canteen, agent
):
    second = factories.UserFactory(username="papa@example.org", email="papa@example.org")
    factories.SubscriptionFactory(user=second, family=family)
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=True, message="Bon appétit !")

    assert requests_service.unread_counts(parent, [outcome.request.pk]) == {outcome.request.pk: 1}
    requests_service.mark_read(outcome.request, parent)

    assert requests_service.unread_counts(parent, [outcome.request.pk]) == {}
    assert requests_service.unread_total(second, [family.pk]) == 1
    bookings.decide_lines(outcome.lines[1:], agent=agent, accept=False, message="Complet.")
    assert requests_service.unread_total(parent, [family.pk]) == 1


def test_the_history_says_who_did_what_with_the_agent_message(family, parent, lea, canteen, agent):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=True, message="Bon appétit !")
    unread = requests_service.unread_event_ids(outcome.request, parent)

    entries = requests_service.history(outcome.request, unread=unread)

    assert [(entry.by, entry.label, entry.message, entry.new) for entry in entries] == [
        ("family", "envoyée", "", False),
        ("family", "2 jours demandés", "", False),
        ("agent", "1 jour accepté", "Bon appétit !", True),
    ]


# Schedules


def test_the_command_creates_the_schedules_once_and_follows_the_settings(
    site, portal_settings, capsys
):
    call_command("sync_family_portal_schedules")
    call_command("sync_family_portal_schedules")

    schedules = Schedule.objects.filter(name__startswith=notifications.SCHEDULE_PREFIX)
    assert sorted(s.name[-4:] for s in schedules) == ["1300", "1800"]
    for schedule in schedules:
        assert schedule.func == "wagtail_family_portal.tasks.send_digests"
        assert schedule.schedule_type == Schedule.DAILY
        assert schedule.next_run.astimezone(PARIS).strftime("%H%M") == schedule.name[-4:]
    assert "2 unchanged" in capsys.readouterr().out

    portal_settings.digest_times = "12:30, 18:00"
    portal_settings.save()
    result = notifications.sync_schedules()

    assert (result.created, result.deleted) == (
        [f"{notifications.SCHEDULE_PREFIX}{site.pk}.1230"],
        [f"{notifications.SCHEDULE_PREFIX}{site.pk}.1300"],
    )
    assert result.unchanged == [f"{notifications.SCHEDULE_PREFIX}{site.pk}.1800"]


def test_the_scheduled_task_runs_the_digest_of_its_site(family, parent, lea, canteen, agent, site):
    from wagtail_family_portal import tasks

    bookings.decide_lines(book(family, lea, canteen, [MON], parent).lines, agent=agent, accept=True)
    decided_at(paris(2020, 1, 1, 10))

    result = tasks.send_digests(site.pk)

    assert result["sent"] == 1 and len(mail.outbox) == 1
    assert tasks.send_digests(site.pk)["sent"] == 0


@pytest.mark.parametrize(
    "value, times",
    [
        ("13:00, 18:00", ["13:00", "18:00"]),
        ("18h, 7h05;13H00", ["07:05", "13:00", "18:00"]),
        ("9:30,9:30", ["09:30"]),
        ("13:00, 25:00", None),
        ("midi", None),
    ],
)
def test_digest_times_are_read_leniently(value, times):
    from wagtail_family_portal.validators import parse_digest_times

    if times is None:
        with pytest.raises(ValueError):
            parse_digest_times(value)
    else:
        assert [moment.strftime("%H:%M") for moment in parse_digest_times(value)] == times


def test_bad_digest_times_are_refused_in_french(portal_settings):
    from django.core.exceptions import ValidationError

    portal_settings.digest_times = "13:00, midi"
    with pytest.raises(ValidationError) as raised:
        portal_settings.full_clean()

    assert "« midi » n’est pas une heure" in str(raised.value)


def test_a_message_that_closes_the_request_is_shown_once_with_its_days(
    family, parent, lea, canteen, agent
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines, agent=agent, accept=True, message="Bon appétit !")

    entries = requests_service.history(
        outcome.request, unread=requests_service.unread_event_ids(outcome.request, parent)
    )

    assert [(entry.by, entry.label, entry.message, entry.new) for entry in entries] == [
        ("family", "envoyée", "", False),
        ("family", "2 jours demandés", "", False),
        ("agent", "2 jours acceptés", "Bon appétit !", True),
        ("agent", "acceptée", "", False),
    ]
    assert requests_service.unread_total(parent, [family.pk]) == 1
