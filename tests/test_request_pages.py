"""The family's requests ("Mes demandes"): the list of every request, each request with its
lines and history, the read marks per account, the dashboard's count of new messages and the
choice of e-mails about decisions, through the test client, in French."""

import re

from wagtail_family_portal.models import AccountProfile

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
SETTINGS_URL = f"{PORTAL_URL}compte/notifications/"


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# E-mails about decisions


def test_an_account_without_profile_sees_the_digest_chosen_and_saving_creates_it(
    parent_client, portal_page, parent
):
    response = parent_client.get(SETTINGS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'value="digest"[^>]*checked', html)
    assert "Les accusés d’enregistrement des demandes sont toujours envoyés." in html
    assert not AccountProfile.objects.filter(user=parent).exists()

    saved = parent_client.post(SETTINGS_URL, {"decision_emails": "none"}, follow=True)

    assert saved.redirect_chain[-1][0] == SETTINGS_URL
    assert messages_of(saved) == ["Votre choix d’e-mails a été enregistré."]
    assert AccountProfile.objects.get(user=parent).decision_emails == "none"
    assert re.search(r'value="none"[^>]*checked', saved.content.decode())


def test_the_choice_of_e_mails_changes_the_existing_profile(parent_client, portal_page, parent):
    profile = AccountProfile.objects.create(user=parent, phone="0600000000", decision_emails="none")

    parent_client.post(SETTINGS_URL, {"decision_emails": "digest"})

    profile.refresh_from_db()
    assert (profile.decision_emails, profile.phone) == ("digest", "0600000000")


def test_a_bad_choice_of_e_mails_is_refused(parent_client, portal_page, parent):
    response = parent_client.post(SETTINGS_URL, {"decision_emails": "every minute"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert not AccountProfile.objects.filter(user=parent).exists()


def test_the_choice_of_e_mails_needs_an_account(client, portal_page):
    response = client.get(SETTINGS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL + "?next=")
