"""“Mes abonnements”: the list of linked families and "M'abonner" (search, then confirm)."""

import datetime as dt
import re

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from wagtail_family_portal.models import Subscription, SubscriptionAttempt

from . import factories

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
SUBSCRIPTIONS_URL = "/espace-famille/abonnements/"
SUBSCRIBE_URL = "/espace-famille/abonnements/ajouter/"
CODE = "DEMO-DURAND-2026"
NOT_RECOGNISED = (
    "This subscriber code is not recognised by the family portal of Belleville-sur-Loire."
)

# The assertions read the English msgids; the French catalogue must not change what they see.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def get(client, url, **kwargs):
    return client.get(url, **ENGLISH, **kwargs)


def search(client, code, **kwargs):
    return client.post(SUBSCRIBE_URL, {"step": "search", "code": code}, **ENGLISH, **kwargs)


def confirm(client, code, **kwargs):
    return client.post(SUBSCRIBE_URL, {"step": "confirm", "code": code}, **ENGLISH, **kwargs)


def code_error(response) -> str:
    """The text of the error shown on the code field (which the field names in aria-describedby)."""
    html = response.content.decode()
    match = re.search(r'<ul class="errorlist" id="id_code_error">(.*?)</ul>', html)
    assert match, "no error shown on the code field"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.fixture
def durand(municipality):
    """A family of the portal's municipality, linked to no account, with a known code."""
    family = factories.FamilyFactory(
        municipality=municipality,
        name="Durand",
        subscriber_code=CODE,
        address_line1="12 impasse des Secrets",
        city="Nantes",
    )
    factories.GuardianFactory(family=family, first_name="Sylvie", email="sylvie@example.org")
    factories.ChildFactory(family=family, first_name="Zoé")
    return family


@pytest.fixture
def account(db):
    return factories.UserFactory(username="new@example.org", first_name="Alex")


@pytest.fixture
def account_client(client, account, portal_page):
    client.force_login(account)
    return client


# Logged-out visitors


@pytest.mark.parametrize("url", [SUBSCRIPTIONS_URL, SUBSCRIBE_URL])
def test_anonymous_visitor_is_sent_to_the_login_page(client, portal_page, url):
    response = get(client, url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"


def test_anonymous_post_links_nothing(client, portal_page, durand):
    response = confirm(client, CODE)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert not Subscription.objects.exists()
    assert not SubscriptionAttempt.objects.exists()


# The list


def test_list_shows_the_accounts_families_with_their_town_and_link_date(
    parent_client, portal_page, parent, family, other_municipality
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    linked_at = timezone.make_aware(dt.datetime(2026, 9, 3, 10, 0))
    factories.SubscriptionFactory(user=parent, family=elsewhere, created_at=linked_at)
    stranger = factories.FamilyFactory(municipality=family.municipality, name="Petit")
    factories.SubscriptionFactory(family=stranger)

    response = get(parent_client, SUBSCRIPTIONS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    # Every family of the account, whatever its town (the dashboard shows this town's only).
    assert [s.family for s in response.context["subscriptions"]] == [elsewhere, family]
    bernard = html[html.index(f'id="wfp-subscription-{elsewhere.pk}"') :]
    bernard = bernard[: bernard.index("</li>")]
    assert "Bernard family" in bernard and "Autreville" in bernard
    with translation.override("en"):
        assert f"Linked on {date_format(linked_at, 'DATE_FORMAT')}" in bernard
    assert "Martin family" in html and "Belleville-sur-Loire" in html
    # Another account's family is not there.
    assert "Petit" not in html
    assert f'href="{SUBSCRIBE_URL}"' in html


def test_list_without_family_explains_the_subscriber_code(account_client):
    html = get(account_client, SUBSCRIPTIONS_URL).content.decode()

    assert "Your account is not linked to any family file yet." in html
    assert "subscriber code" in html and "code abonné" in html
    assert f'href="{SUBSCRIBE_URL}"' in html
    assert "wfp-subscription-" not in html


def test_dashboard_without_family_links_to_the_subscription_form(account_client):
    html = get(account_client, PORTAL_URL).content.decode()

    no_family = html[html.index('id="wfp-no-family"') :]
    assert f'href="{SUBSCRIBE_URL}"' in no_family
    assert "Enter my subscriber code" in no_family


# "Rechercher"


def test_subscribe_form_asks_for_the_code(account_client):
    response = get(account_client, SUBSCRIBE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_code">Subscriber code:</label>' in html
    assert 'name="code"' in html and 'autocomplete="off"' in html
    assert 'aria-describedby="id_code_helptext"' in html
    assert 'name="step" value="search"' in html
    assert 'role="alert"' not in html


def test_search_shows_the_family_name_and_town_only(account_client, account, durand):
    response = search(account_client, CODE)

    assert response.status_code == 200
    html = response.content.decode()
    found = html[html.index('id="wfp-found-family"') :]
    found = found[: found.index("</p>")]
    assert "Durand family" in found and "Belleville-sur-Loire" in found
    # Nothing else from the file: no person, no address, not even the family's own town.
    for private in ["Sylvie", "Zoé", "sylvie@example.org", "12 impasse des Secrets", "Nantes"]:
        assert private not in html
    # Asks to confirm, carrying the code; nothing is linked yet.
    assert 'name="step" value="confirm"' in html
    assert f'<input type="hidden" name="code" value="{CODE}">' in html
    assert ">Confirm</button>" in html
    assert f'href="{SUBSCRIPTIONS_URL}"' in html and ">Cancel</a>" in html
    assert not Subscription.objects.exists()
    attempt = SubscriptionAttempt.objects.get()
    assert (attempt.outcome, attempt.family, attempt.user, attempt.channel) == (
        "found",
        durand,
        account,
        "portal",
    )


@pytest.mark.parametrize(
    "typed", ["demo-durand-2026", "DEMO DURAND 2026", " Demo - Durand - 2026 ", "demodurand2026"]
)
def test_codes_compare_ignoring_case_spaces_and_dashes(account_client, account, durand, typed):
    assert "Durand family" in search(account_client, typed).content.decode()

    response = confirm(account_client, typed)

    assert response.status_code == 302
    assert Subscription.objects.filter(user=account, family=durand).exists()


def test_empty_code_is_asked_again_and_not_counted(account_client):
    response = search(account_client, "  ")

    assert response.status_code == 200
    assert code_error(response) == "Enter your subscriber code."
    assert 'aria-invalid="true"' in response.content.decode()
    assert not SubscriptionAttempt.objects.exists()


def test_unknown_code_is_not_recognised(account_client, durand):
    response = search(account_client, "ABCD-EFGH-JKLM")

    assert response.status_code == 200
    assert code_error(response).startswith(NOT_RECOGNISED)
    html = response.content.decode()
    assert 'aria-describedby="id_code_helptext id_code_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="ABCD-EFGH-JKLM"' in html  # kept, to correct a typo
    assert "Durand" not in html
    assert SubscriptionAttempt.objects.get().outcome == "not_recognised"


def test_code_of_another_municipality_gets_the_same_words_as_an_unknown_code(
    account_client, other_municipality
):
    factories.FamilyFactory(
        municipality=other_municipality, name="Lefebvre", subscriber_code="AUTR-EVIL-LE01"
    )
    unknown = search(account_client, "ABCD-EFGH-JKLM")

    elsewhere = search(account_client, "AUTR-EVIL-LE01")

    assert elsewhere.status_code == unknown.status_code == 200
    assert code_error(elsewhere) == code_error(unknown)
    assert "Lefebvre" not in elsewhere.content.decode()
    assert "Autreville" not in elsewhere.content.decode()
    assert confirm(account_client, "AUTR-EVIL-LE01").status_code == 200
    assert not Subscription.objects.exists()
    assert list(SubscriptionAttempt.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "not_recognised",
        "other_municipality",
        "other_municipality",
    ]


def test_already_linked_family_says_so(parent_client, portal_page, parent, family):
    for step in (search, confirm):
        response = step(parent_client, family.subscriber_code)

        assert response.status_code == 200
        assert code_error(response) == "Your account is already linked to the Martin family."
    assert Subscription.objects.filter(user=parent).count() == 1


# "Confirmer"


def test_confirm_links_the_family_and_the_dashboard_shows_it_at_once(
    account_client, account, durand
):
    search(account_client, CODE)

    response = confirm(account_client, CODE)

    assert response.status_code == 302
    assert response["Location"] == PORTAL_URL
    subscription = Subscription.objects.get(user=account)
    assert (subscription.family, subscription.created_by) == (durand, account)
    # Same session, no new login: the dashboard shows the family and says it was linked.
    dashboard = get(account_client, PORTAL_URL)
    html = dashboard.content.decode()
    assert dashboard.context["families"] == [durand]
    assert "Your account is now linked to the Durand family." in html
    assert f'id="wfp-family-{durand.pk}"' in html and "Zoé Durand" in html
    assert 'id="wfp-no-family"' not in html
    # And the list has it.
    assert "Durand family" in get(account_client, SUBSCRIPTIONS_URL).content.decode()
    outcomes = SubscriptionAttempt.objects.order_by("pk").values_list("outcome", flat=True)
    assert list(outcomes) == ["found", "linked"]


def test_family_can_be_linked_to_a_second_account(account_client, account, parent, family):
    response = confirm(account_client, family.subscriber_code)

    assert response.status_code == 302
    assert set(Subscription.objects.filter(family=family).values_list("user", flat=True)) == {
        parent.pk,
        account.pk,
    }


def test_confirm_with_a_changed_code_links_nothing(account_client, durand):
    response = confirm(account_client, "DEMO-DURAND-2025")

    assert response.status_code == 200
    assert code_error(response).startswith(NOT_RECOGNISED)
    assert not Subscription.objects.exists()


# Brute force


def test_sixth_wrong_code_in_an_hour_is_refused_even_when_right(account_client, account, durand):
    for n in range(5):
        response = search(account_client, f"WRONG-CODE-{n:04d}")
        assert response.status_code == 200
        assert code_error(response).startswith(NOT_RECOGNISED)

    refused = search(account_client, CODE)

    assert refused.status_code == 429
    assert 55 * 60 < int(refused["Retry-After"]) <= 3600
    assert code_error(refused) == (
        "Too many wrong subscriber codes. For your security, try again in 60 minutes."
    )
    assert "Durand family" not in refused.content.decode()
    # Confirming directly is refused too.
    assert confirm(account_client, CODE).status_code == 429
    assert not Subscription.objects.exists()
    # Every attempt is logged for the agents, the refused ones included.
    attempts = list(SubscriptionAttempt.objects.order_by("pk"))
    assert [a.outcome for a in attempts] == ["not_recognised"] * 5 + ["blocked"] * 2
    assert {(a.user, a.ip_address, a.channel) for a in attempts} == {
        (account, "127.0.0.1", "portal")
    }
    assert attempts[0].code == "WRONG-CODE-0000"


def test_the_limit_lifts_after_an_hour(account_client, account, durand):
    for n in range(5):
        search(account_client, f"WRONG-CODE-{n:04d}")
    assert search(account_client, CODE).status_code == 429

    SubscriptionAttempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))

    assert confirm(account_client, CODE).status_code == 302
    assert Subscription.objects.filter(user=account, family=durand).exists()


def test_twenty_wrong_codes_from_one_ip_block_every_account_there(client, portal_page, durand):
    for n in range(4):
        client.force_login(factories.UserFactory())
        for m in range(5):
            assert search(client, f"WRONG-{n}-{m}-000000").status_code == 200
    newcomer = factories.UserFactory()
    client.force_login(newcomer)

    refused = search(client, CODE)

    assert refused.status_code == 429
    assert "Too many wrong subscriber codes" in code_error(refused)
    assert int(refused["Retry-After"]) > 0
    # The same account from another address is not blocked.
    allowed = confirm(client, CODE, REMOTE_ADDR="192.0.2.44")
    assert allowed.status_code == 302
    assert Subscription.objects.filter(user=newcomer, family=durand).exists()
    assert SubscriptionAttempt.objects.count() == 22
    assert SubscriptionAttempt.objects.filter(ip_address="127.0.0.1").count() == 21
