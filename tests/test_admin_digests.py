"""Admin: the decision e-mails of the agent's families, failures included, read-only."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from wagtail_family_portal.models.notifications import DigestDelivery

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db
INDEX = reverse("family_portal_digests:index")


def delivery(family, email, **fields):
    user = factories.UserFactory(username=email, email=email)
    return DigestDelivery.objects.create(
        family=family, user=user, slot=fields.pop("slot", timezone.now()), **fields
    )


def test_an_agent_sees_its_families_digests_and_why_one_failed(
    client, agent, family, other_municipality
):
    sent = delivery(family, "parent@example.org", state="sent", sent_at=timezone.now())
    failed = delivery(
        family,
        "wrong@example.org",
        state="failed",
        attempts=3,
        last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
        slot=timezone.now() - dt.timedelta(days=1),
    )
    stranger = factories.FamilyFactory(municipality=other_municipality, name="Dupont")
    delivery(stranger, "dupont@example.org")
    login(client, agent)

    response = client.get(INDEX)

    page = response.content.decode()
    assert list(response.context["object_list"]) == [sent, failed]
    assert "wrong@example.org" in page and "550 mailbox unavailable" in page
    assert "dupont@example.org" not in page
    assert list(client.get(INDEX, {"state": "failed"}).context["object_list"]) == [failed]


def test_decision_e_mails_are_read_only(client, agent, family):
    row = delivery(family, "parent@example.org")
    login(client, agent)

    for path in ("new/", f"edit/{row.pk}/", f"delete/{row.pk}/", f"inspect/{row.pk}/"):
        assert client.get(INDEX + path).status_code == 404
    assert client.post(INDEX + f"delete/{row.pk}/").status_code == 404
    assert DigestDelivery.objects.filter(pk=row.pk).exists()


def test_the_menu_offers_decision_e_mails_to_agents(client, agent):
    login(client, agent)

    assert INDEX in client.get(reverse("wagtailadmin_home")).content.decode()
