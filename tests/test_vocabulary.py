"""One vocabulary: a day asked reads the same, in French, in the planning, in "Mes demandes",
in the agents' queue and in the e-mails (the state names of DESIGN.md §3)."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from wagtail.users.models import UserProfile

from wagtail_family_portal.models import Activity
from wagtail_family_portal.permissions import BOOKING_PERMISSIONS
from wagtail_family_portal.services import bookings, notifications

from . import factories

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
# Requests made long before their days, so that deadlines never get in the way.
LONG_AGO = dt.datetime(2000, 1, 3, 9, 0)


@pytest.fixture
def day():
    return timezone.localdate() + dt.timedelta(days=10)


@pytest.fixture
def canteen(municipality, day):
    """Overrides conftest's canteen: every day of a season around ``day`` (the admin queue reads
    the real date), validated by an agent; nobody enrolled (``lea`` enrols herself)."""
    school = factories.EstablishmentFactory(municipality=municipality, name="École Jules Ferry")
    return factories.ActivityFactory(
        establishment=school,
        name="Repas école",
        weekdays=list(range(7)),
        season_start=day - dt.timedelta(days=60),
        season_end=day + dt.timedelta(days=200),
        booking_mode=Activity.BookingMode.AGENT,
    )


@pytest.fixture
def lea(family, canteen):
    """Overrides conftest's lea: enrolled in this module's canteen."""
    child = factories.ChildFactory(family=family, first_name="Léa")
    factories.EnrolmentFactory(
        child=child,
        activity=canteen,
        start_date=canteen.season_start,
        end_date=canteen.season_end,
    )
    return child


@pytest.fixture
def french_agent(municipality):
    user = factories.AgentFactory(username="agent", municipality=municipality)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="wagtail_family_portal", codename__in=BOOKING_PERMISSIONS
        )
    )
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "fr"
    profile.save()
    return user


def words(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).lower()


def ask(family, lea, canteen, day, parent, operation="booking"):
    return bookings.request_days(
        family=family,
        child_id=lea.pk,
        activity_id=canteen.pk,
        operation=operation,
        dates=[day],
        user=parent,
        now=LONG_AGO,
    )


def family_pages(client, family, request_id, day):
    base = f"/espace-famille/famille/{family.pk}/"
    planning = client.get(f"{base}planning/?vue=semaine&date={day.isoformat()}", **FRENCH)
    detail = client.get(f"{base}demandes/{request_id}/", **FRENCH)
    listing = client.get(f"{base}demandes/", **FRENCH)
    return words(planning), words(detail), words(listing)


def agent_pages(client, line):
    queue = client.get(reverse("family_portal_bookings:index"), **FRENCH)
    inspect = client.get(reverse("family_portal_bookings:inspect", args=[line.pk]), **FRENCH)
    return words(queue), words(inspect)


def test_a_booking_asked_reads_reservation_demandee_for_families_and_agents(
    client, portal_page, family, parent, lea, canteen, day, french_agent
):
    outcome = ask(family, lea, canteen, day, parent)

    client.force_login(parent)
    planning, detail, listing = family_pages(client, family, outcome.request.pk, day)
    client.force_login(french_agent)
    queue, inspect = agent_pages(client, outcome.lines[0])

    for page in (planning, detail, queue, inspect):
        assert "réservation demandée" in page
        assert "en attente de validation" not in page
    # The request as a whole is "en cours" until every day of it is decided.
    assert "en cours" in listing


def test_an_absence_asked_reads_absence_demandee_for_families_and_agents(
    client, portal_page, family, parent, lea, canteen, day, french_agent
):
    booked = ask(family, lea, canteen, day, parent)
    bookings.decide_lines(booked.lines, agent=french_agent, accept=True)
    outcome = ask(family, lea, canteen, day, parent, operation="absence")

    client.force_login(parent)
    planning, detail, _listing = family_pages(client, family, outcome.request.pk, day)
    client.force_login(french_agent)
    queue, inspect = agent_pages(client, outcome.lines[0])

    for page in (planning, detail, queue, inspect):
        assert "absence demandée" in page
        assert "en attente de validation" not in page


def test_a_booking_accepted_reads_reserve_in_the_pages_and_the_digest(
    client, portal_page, portal_site, family, parent, lea, canteen, day, french_agent
):
    outcome = ask(family, lea, canteen, day, parent)
    bookings.decide_lines(outcome.lines, agent=french_agent, accept=True)

    client.force_login(parent)
    planning, detail, _listing = family_pages(client, family, outcome.request.pk, day)
    client.force_login(french_agent)
    _queue, inspect = agent_pages(client, outcome.lines[0])
    notifications.run_digests(portal_site, now=timezone.now() + dt.timedelta(days=1))

    for page in (planning, detail, inspect):
        assert "réservé" in page
    [digest] = mail.outbox
    assert f"| Léa {lea.last_name} | Repas école | réservé" in digest.body
