"""Wagtail's generic links to a family's request (the usage list of a family, reports, logs:
whatever asks ``AdminURLFinder``) open the screen of the request's kind: a change to the family
file its detail, a booking or absence request its days in the bookings' screens. Never a 404."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.admin_url_finder import AdminURLFinder

from wagtail_family_portal.models import Activity, Request
from wagtail_family_portal.permissions import BOOKING_PERMISSIONS
from wagtail_family_portal.services import bookings, dossier

from . import factories
from .admin_login import login
from .test_admin_bookings import LONG_AGO

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def admin_loaded(db):
    """Wagtail registers the viewsets' URL finders when the admin's URLs load, as they have on
    a running site by the time anyone asks for a link."""
    reverse("wagtailadmin_home")


@pytest.fixture
def agent(agent):
    """Overrides conftest's agent: also given the booking permissions its migration gives."""
    factories.grant(agent, *BOOKING_PERMISSIONS)
    return agent


@pytest.fixture
def lea(family):
    """Overrides conftest's lea: enrolled in a canteen of every day around the real date (the
    bookings' screens read it), kept as ``lea.canteen``."""
    today = timezone.localdate()
    school = factories.EstablishmentFactory(municipality=family.municipality)
    canteen = factories.ActivityFactory(
        establishment=school,
        name="Repas école",
        weekdays=list(range(7)),
        season_start=today - dt.timedelta(days=60),
        season_end=today + dt.timedelta(days=200),
        booking_mode=Activity.BookingMode.AGENT,
    )
    child = factories.ChildFactory(family=family, first_name="Léa", establishment=school)
    factories.EnrolmentFactory(
        child=child, activity=canteen, start_date=canteen.season_start, end_date=canteen.season_end
    )
    child.canteen = canteen
    return child


def ask(family, child, operation, days):
    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=child.canteen.pk,
        operation=operation,
        dates=days,
        user=None,
        now=LONG_AGO,
    ).request


@pytest.fixture
def requests_of_each_kind(family, lea):
    """A change to the family file, a booking request of two days, an absence request."""
    today = timezone.localdate()
    days = [today + dt.timedelta(days=10), today + dt.timedelta(days=11)]
    booking = ask(family, lea, "booking", days)
    bookings.decide_lines(list(booking.booking_lines.all()), agent=None, accept=True)
    absence = ask(family, lea, "absence", days[:1])
    change = dossier.propose_change(
        family=family,
        user=None,
        target_type="family",
        target_id=family.pk,
        fields={"city": "Orléans"},
        rules=None,
    )
    return {
        Request.Kind.FILE_CHANGE: change,
        Request.Kind.BOOKING: booking,
        Request.Kind.ABSENCE: absence,
    }


@pytest.mark.parametrize("kind", list(Request.Kind))
def test_the_url_wagtail_computes_for_each_kind_of_request_opens_it(
    agent_client, agent, requests_of_each_kind, kind
):
    request = requests_of_each_kind[kind]

    url = AdminURLFinder(agent).get_edit_url(request)
    assert url
    response = agent_client.get(url)

    assert response.status_code == 200
    assert request.summary in response.content.decode()


def test_a_booking_requests_screen_lists_its_days_with_their_detail(
    agent_client, agent, requests_of_each_kind
):
    booking = requests_of_each_kind[Request.Kind.BOOKING]

    response = agent_client.get(AdminURLFinder(agent).get_edit_url(booking))

    content = response.content.decode()
    for line in booking.booking_lines.all():
        detail = reverse("family_portal_bookings:inspect", args=[line.pk])
        assert f'href="{detail}"' in content
        assert agent_client.get(detail).status_code == 200
    assert "Léa" in content and "Repas école" in content


def test_the_familys_usage_list_links_each_request_to_its_screen(
    agent_client, family, requests_of_each_kind
):
    """The "Used in" list of a family is where Wagtail shows links to its requests."""
    usage = agent_client.get(reverse("family_portal_families:usage", args=[family.pk]))

    assert usage.status_code == 200
    links = {row["object"].pk: row["edit_url"] for row in usage.context["table"].data}
    for request in requests_of_each_kind.values():
        assert links[request.pk], request.kind
        assert agent_client.get(links[request.pk]).status_code == 200, request.kind


def test_no_link_to_another_towns_request_nor_to_a_screen_the_user_may_not_open(
    client, requests_of_each_kind, other_municipality
):
    stranger = factories.AgentFactory(username="stranger", municipality=other_municipality)
    factories.grant(stranger, *BOOKING_PERMISSIONS)
    for request in requests_of_each_kind.values():
        assert AdminURLFinder(stranger).get_edit_url(request) is None
    booking = requests_of_each_kind[Request.Kind.BOOKING]
    url = reverse("family_portal_bookings:request", args=[booking.pk])
    assert login(client, stranger).get(url).status_code == 404

    # An agent of the town who decides file changes only has no link to a booking request.
    colleague = factories.agent_with_only(
        booking.family.municipality, "colleague", "view_request", "change_request"
    )
    assert AdminURLFinder(colleague).get_edit_url(booking) is None
    file_change = requests_of_each_kind[Request.Kind.FILE_CHANGE]
    assert AdminURLFinder(colleague).get_edit_url(file_change)


def test_a_file_change_is_not_shown_as_a_booking_request(agent_client, requests_of_each_kind):
    change = requests_of_each_kind[Request.Kind.FILE_CHANGE]
    url = reverse("family_portal_bookings:request", args=[change.pk])
    assert agent_client.get(url).status_code == 404
