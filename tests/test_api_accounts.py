"""The accounts API: sign-up, activation, new activation link, token, and subscriptions."""

import datetime as dt
import re
import time

import pytest
from django.core import signing
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wagtail_family_portal.models import AccountProfile, Subscription, SubscriptionAttempt
from wagtail_family_portal.services.accounts import (
    ACTIVATION_SALT,
    find_account,
    make_activation_token,
)

from . import factories

BASE = "/api/family-portal/v1/"
SIGNUP_URL = BASE + "auth/signup/"
ACTIVATE_URL = BASE + "auth/activate/"
RESEND_URL = BASE + "auth/activate/resend/"
TOKEN_URL = BASE + "auth/token/"
ME_URL = BASE + "me/"
SUBSCRIPTIONS_URL = BASE + "subscriptions/"
PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Lilas en fleurs 2026"
CODE = "DEMO-DURAND-2026"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
NOT_RECOGNISED = (
    "This subscriber code is not recognised by the family portal of Belleville-sur-Loire."
)
TOO_MANY_CODES = "Too many wrong subscriber codes. For your security, try again in"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def no_rate_limits(settings):
    """Switch the API's per-IP ``auth`` and per-account ``user`` rate limits off.

    For tests that make more requests than those limits allow in a minute (10 sign-ups or logins
    per IP address, 300 calls per account): what they test is another limit (django-axes'
    lockout, the subscriber-code limits), which must show on its own.
    """
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": None, "user": None}


@pytest.fixture
def durand(municipality):
    """A family of the portal's municipality, linked to no account, with a known code."""
    return factories.FamilyFactory(municipality=municipality, name="Durand", subscriber_code=CODE)


def post(client, url, body, **kwargs):
    return client.post(url, body, format="json", **ENGLISH, **kwargs)


def signup_body(**changes):
    body = {
        "email": "camille@example.org",
        "password": NEW_PASSWORD,
        "first_name": "Camille",
        "last_name": "Durand",
        "phone": "06 12 34 56 78",
        "civility": "MME",
        "accept_terms": True,
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def activation_token(email) -> str:
    """The token of the activation link in the last e-mail sent to ``email``."""
    return re.search(r"/espace-famille/activation/([^/\s]+)/", email.body).group(1)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# auth/signup/


def test_signup_creates_an_inactive_account_and_sends_the_activation_email(
    client, portal_page, municipality, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, SIGNUP_URL, signup_body(email="Camille@Example.org"))

    assert response.status_code == 202
    assert "check your inbox" in response.json()["detail"]
    assert set(response.json()) == {"detail"}
    user = find_account("camille@example.org")
    assert user.email == "camille@example.org"
    assert not user.is_active
    assert (user.first_name, user.last_name) == ("Camille", "Durand")
    assert user.check_password(NEW_PASSWORD)
    profile = AccountProfile.objects.get(user=user)
    assert (profile.civility, profile.phone, profile.municipality) == (
        "MME",
        "06 12 34 56 78",
        municipality,
    )
    assert profile.terms_accepted_at is not None
    [email] = mailoutbox
    assert email.to == ["camille@example.org"]
    assert "http://testserver/espace-famille/activation/" in email.body


def test_signup_of_a_registered_address_answers_the_same_and_tells_its_owner(
    client, portal_page, parent, django_capture_on_commit_callbacks, mailoutbox
):
    new = post(client, SIGNUP_URL, signup_body())
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, SIGNUP_URL, signup_body(email="PARENT@example.org", first_name="X"))

    assert again.status_code == new.status_code == 202
    assert again.json() == new.json()
    parent.refresh_from_db()
    assert parent.first_name == "Camille" and parent.check_password(PASSWORD)
    [email] = mailoutbox
    assert email.to == ["parent@example.org"]
    assert "already has one" in email.body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": None}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"password": None}, "password"),
        ({"password": "123"}, "password"),
        ({"password": "camille@example.org"}, "password"),
        ({"first_name": None}, "first_name"),
        ({"first_name": "   "}, "first_name"),
        ({"last_name": None}, "last_name"),
        ({"civility": "Dr"}, "civility"),
        ({"phone": "0" * 31}, "phone"),
        ({"accept_terms": "maybe"}, "accept_terms"),
    ],
)
def test_signup_bad_input_is_a_field_error_and_creates_nothing(
    client, portal_page, changes, field, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, SIGNUP_URL, signup_body(**changes))

    assert response.status_code == 400
    body = response.json()
    assert field in body
    assert isinstance(body[field], list) and all(isinstance(m, str) for m in body[field])
    assert find_account("camille@example.org") is None
    assert not AccountProfile.objects.exists()
    assert mailoutbox == []


def test_signup_weak_password_lists_the_validators_messages(client, portal_page):
    response = post(client, SIGNUP_URL, signup_body(password="123"))

    assert response.status_code == 400
    messages = response.json()["password"]
    assert "This password is too short. It must contain at least 8 characters." in messages
    assert "This password is entirely numeric." in messages


@pytest.mark.parametrize("accept_terms", [False, None])
def test_signup_needs_the_terms_accepted(client, portal_page, accept_terms):
    response = post(client, SIGNUP_URL, signup_body(accept_terms=accept_terms))

    assert response.status_code == 400
    assert response.json() == {
        "accept_terms": ["You must accept the terms of use to create an account."]
    }
    assert find_account("camille@example.org") is None


def test_signup_answers_the_same_whether_the_code_exists_or_not(
    client, portal_page, durand, django_capture_on_commit_callbacks, mailoutbox
):
    answers = []
    for n, code in enumerate([CODE, "ABCD-EFGH-JKLM", ""]):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(
                client,
                SIGNUP_URL,
                signup_body(email=f"camille{n}@example.org", subscriber_code=code),
            )
        answers.append((response.status_code, response.json()))

    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 202
    assert "is that of the Durand family file" in mailoutbox[0].body
    assert "was not recognised" in mailoutbox[1].body
    assert "“Mes abonnements”" in mailoutbox[1].body
    assert "subscriber code" not in mailoutbox[2].body
    attempts = SubscriptionAttempt.objects.order_by("created_at", "pk")
    assert [(a.outcome, a.channel, a.email) for a in attempts] == [
        ("found", "api", "camille0@example.org"),
        ("not_recognised", "api", "camille1@example.org"),
    ]
    # Activating the account with the unknown code says it again, and links nothing.
    activated = post(client, ACTIVATE_URL, {"token": activation_token(mailoutbox[1])})
    assert activated.status_code == 200
    assert "could not be used" in activated.json()["detail"]
    assert not Subscription.objects.filter(user=find_account("camille1@example.org")).exists()


def test_signup_subscriber_code_links_the_family_on_activation(
    client, portal_page, durand, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, SIGNUP_URL, signup_body(subscriber_code="demo durand 2026"))
    assert response.status_code == 202
    user = find_account("camille@example.org")
    assert AccountProfile.objects.get(user=user).pending_family == durand
    assert not Subscription.objects.exists()

    activated = post(client, ACTIVATE_URL, {"token": activation_token(mailoutbox[0])})

    assert activated.status_code == 200
    assert activated.json() == {
        "detail": "Your account is activated: you can log in. Your account is linked to the "
        "Durand family file."
    }
    assert Subscription.objects.filter(user=user, family=durand).exists()


def test_signup_after_too_many_wrong_codes_from_the_ip_is_answered_as_usual(
    client, portal_page, durand, django_capture_on_commit_callbacks, mailoutbox
):
    SubscriptionAttempt.objects.bulk_create(
        SubscriptionAttempt(
            ip_address="127.0.0.1", code=f"WRONG{n}", outcome="not_recognised", channel="api"
        )
        for n in range(20)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, SIGNUP_URL, signup_body(subscriber_code=CODE))

    # No 429 that would tell the earlier codes were all wrong: the code is just not checked.
    assert response.status_code == 202
    user = find_account("camille@example.org")
    assert AccountProfile.objects.get(user=user).pending_family is None
    assert "could not be checked" in mailoutbox[0].body
    assert SubscriptionAttempt.objects.filter(outcome="blocked", channel="api").count() == 1


def test_signup_without_a_portal_page_cannot_build_activation_links(
    client, portal_site, mailoutbox
):
    response = post(client, SIGNUP_URL, signup_body())

    assert response.status_code == 400
    assert "activation links cannot be built" in response.json()["detail"]
    assert find_account("camille@example.org") is None


def test_signup_is_rate_limited_per_ip(client, portal_page, settings):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": "2/minute"}
    for n in range(2):
        post(client, SIGNUP_URL, signup_body(email=f"a{n}@example.org"))

    response = post(client, SIGNUP_URL, signup_body())

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert find_account("camille@example.org") is None


# auth/activate/


@pytest.fixture
def waiting_account(client, portal_page, django_capture_on_commit_callbacks):
    """An account signed up through the API, not activated yet."""
    with django_capture_on_commit_callbacks(execute=True):
        post(client, SIGNUP_URL, signup_body())
    return find_account("camille@example.org")


def test_activation_activates_once_then_logging_in_works(client, waiting_account, mailoutbox):
    token = activation_token(mailoutbox[0])

    response = post(client, ACTIVATE_URL, {"token": token})

    assert response.status_code == 200
    assert response.json() == {"detail": "Your account is activated: you can log in."}
    waiting_account.refresh_from_db()
    assert waiting_account.is_active
    assert AccountProfile.objects.get(user=waiting_account).activated_at is not None
    again = post(client, ACTIVATE_URL, {"token": token})
    assert again.status_code == 400
    assert again.json() == {
        "token": ["This account is already activated: you can log in."],
        "code": "already_active",
    }
    login = post(client, TOKEN_URL, {"email": "camille@example.org", "password": NEW_PASSWORD})
    assert login.status_code == 200 and login.json()["token"]


def test_expired_activation_link(client, waiting_account, signing_clock):
    signing_clock(time.time() - 4 * 24 * 3600)
    token = make_activation_token(waiting_account)
    signing_clock(None)

    response = post(client, ACTIVATE_URL, {"token": token})

    assert response.status_code == 400
    assert response.json()["code"] == "expired"
    assert "expired" in response.json()["token"][0]
    waiting_account.refresh_from_db()
    assert not waiting_account.is_active


FORGERIES = {
    "not a token": lambda user: "not-a-token",
    "damaged signature": lambda user: make_activation_token(user) + "x",
    "another salt": lambda user: signing.dumps({"u": user.pk}, salt="password-reset"),
    "made-up state": lambda user: signing.dumps(
        {"u": user.pk, "h": "0" * 16}, salt=ACTIVATION_SALT
    ),
    "unknown account": lambda user: signing.dumps(
        {"u": 999999, "h": "0" * 16}, salt=ACTIVATION_SALT
    ),
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_activation_link(client, waiting_account, forge):
    response = post(client, ACTIVATE_URL, {"token": forge(waiting_account)})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["token"][0].startswith("This activation link is not valid.")
    waiting_account.refresh_from_db()
    assert not waiting_account.is_active


def test_activation_link_of_a_changed_address_no_longer_works(client, waiting_account):
    token = make_activation_token(waiting_account)
    waiting_account.email = "camille.durand@example.org"
    waiting_account.save()

    response = post(client, ACTIVATE_URL, {"token": token})

    assert (response.status_code, response.json()["code"]) == (400, "invalid")


@pytest.mark.parametrize("body", [{}, {"token": ""}])
def test_activation_without_a_token(client, db, body):
    response = post(client, ACTIVATE_URL, body)

    assert response.status_code == 400
    assert set(response.json()) == {"token"}


# auth/activate/resend/


def test_resend_sends_a_new_link_to_an_account_waiting_for_activation(
    client, waiting_account, django_capture_on_commit_callbacks, mailoutbox
):
    AccountProfile.objects.filter(user=waiting_account).update(
        activation_sent_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, RESEND_URL, {"email": "camille@example.org"})

    assert response.status_code == 202
    assert len(mailoutbox) == 2
    assert post(client, ACTIVATE_URL, {"token": activation_token(mailoutbox[1])}).status_code == 200


def test_resend_answers_the_same_whatever_the_address(
    client, waiting_account, parent, django_capture_on_commit_callbacks, mailoutbox
):
    sent_before = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            post(client, RESEND_URL, {"email": email})
            for email in [
                "camille@example.org",  # waiting, but a link was sent moments ago
                "parent@example.org",  # already active
                "nobody@example.org",  # unknown
            ]
        ]

    assert {answer.status_code for answer in answers} == {202}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert "check your inbox" in answers[0].json()["detail"]
    assert len(mailoutbox) == sent_before


@pytest.mark.parametrize("body", [{}, {"email": "not-an-address"}])
def test_resend_bad_address(client, portal_page, body):
    response = post(client, RESEND_URL, body)

    assert response.status_code == 400
    assert set(response.json()) == {"email"}


def test_resend_without_a_portal_page(client, portal_site):
    response = post(client, RESEND_URL, {"email": "camille@example.org"})

    assert response.status_code == 400
    assert "activation links cannot be built" in response.json()["detail"]


# auth/token/


def test_token_for_an_account_not_activated_yet_with_the_right_password(client, waiting_account):
    response = post(client, TOKEN_URL, {"email": "camille@example.org", "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("This account is not activated yet.")
    assert not Token.objects.exists()


def test_token_for_an_account_not_activated_yet_with_a_wrong_password(client, waiting_account):
    wrong = post(client, TOKEN_URL, {"email": "camille@example.org", "password": "wrong-horse"})
    unknown = post(client, TOKEN_URL, {"email": "nobody@example.org", "password": "wrong-horse"})

    assert wrong.status_code == 400
    assert wrong.json() == unknown.json()
    assert "not activated" not in wrong.json()["detail"]


def test_token_for_an_account_switched_off_after_activation_says_only_incorrect(
    client, waiting_account, mailoutbox
):
    from wagtail_family_portal.services import accounts

    accounts.activate(activation_token(mailoutbox[-1]))
    type(waiting_account).objects.filter(pk=waiting_account.pk).update(is_active=False)

    response = post(client, TOKEN_URL, {"email": "camille@example.org", "password": NEW_PASSWORD})

    assert response.status_code == 400
    assert "not activated" not in response.json()["detail"]


@pytest.mark.parametrize("atomic_requests", [False, True], ids=["", "atomic-requests"])
def test_repeated_failed_logins_lock_the_account_out(
    client, parent, no_rate_limits, monkeypatch, atomic_requests
):
    # A host wrapping requests in transactions must not lose the failures django-axes counts.
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", atomic_requests)
    statuses = [
        post(client, TOKEN_URL, {"email": "parent@example.org", "password": f"wrong-{n}"})
        for n in range(10)
    ]

    # The 10th failure reaches django-axes' limit (AXES_FAILURE_LIMIT = 10).
    assert [response.status_code for response in statuses] == [400] * 9 + [429]
    right = post(client, TOKEN_URL, {"email": "parent@example.org", "password": PASSWORD})
    assert right.status_code == 429
    assert right["Content-Type"] == "application/json"
    assert right.json() == {
        "detail": "Too many failed attempts. For your security, logging in is blocked for 15 "
        "minutes."
    }
    assert 890 < int(right["Retry-After"]) <= 900
    assert not Token.objects.exists()
    # From another address, the family logs in: whoever knows its address cannot lock it out.
    elsewhere = post(
        client,
        TOKEN_URL,
        {"email": "parent@example.org", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.7",
    )
    assert elsewhere.status_code == 200


def test_a_locked_out_token_request_says_in_french_how_long_is_left(client, parent, no_rate_limits):
    from axes.models import AccessAttempt

    for n in range(10):
        post(client, TOKEN_URL, {"email": "parent@example.org", "password": f"wrong-{n}"})
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=11))

    response = client.post(
        TOKEN_URL,
        {"email": "parent@example.org", "password": PASSWORD},
        format="json",
        HTTP_ACCEPT_LANGUAGE="fr",
    )

    assert response.status_code == 429
    assert 3 * 60 < int(response["Retry-After"]) <= 4 * 60
    assert response.json() == {
        "detail": "Trop de tentatives échouées. Pour votre sécurité, la connexion est bloquée "
        "pendant 4 minutes."
    }


def test_the_per_ip_ceiling_locks_the_token_endpoint_for_every_account(
    client, parent, no_rate_limits, settings
):
    settings.WAGTAIL_FAMILY_PORTAL_LOGIN_LIMITS = {"account": 10, "ip": 30}
    for n in range(30):
        post(client, TOKEN_URL, {"email": f"guess{n % 6}@example.org", "password": "wrong"})

    right = post(client, TOKEN_URL, {"email": "parent@example.org", "password": PASSWORD})
    assert right.status_code == 429
    assert "from your connection" in right.json()["detail"]
    assert int(right["Retry-After"]) > 0
    elsewhere = post(
        client,
        TOKEN_URL,
        {"email": "parent@example.org", "password": PASSWORD},
        REMOTE_ADDR="192.0.2.7",
    )
    assert elsewhere.status_code == 200


def test_the_token_comes_from_the_accounts_service(client, parent):
    from wagtail_family_portal.services.accounts import issue_token

    response = post(client, TOKEN_URL, {"email": "parent@example.org", "password": PASSWORD})

    assert response.json() == {"token": issue_token(parent)}


# subscriptions/


def test_subscriptions_need_an_account(client, portal_page, durand):
    assert client.get(SUBSCRIPTIONS_URL).status_code == 401
    response = post(client, SUBSCRIPTIONS_URL, {"subscriber_code": CODE})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not Subscription.objects.exists()
    assert not SubscriptionAttempt.objects.exists()


def test_subscriptions_list_only_the_accounts_own(parent, family, other_municipality):
    elsewhere = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    linked_at = timezone.make_aware(dt.datetime(2026, 9, 3, 10, 0))
    factories.SubscriptionFactory(user=parent, family=elsewhere, created_at=linked_at)
    factories.SubscriptionFactory(family=factories.FamilyFactory(name="Petit"))
    client = token_client(parent)

    response = client.get(SUBSCRIPTIONS_URL)

    assert response.status_code == 200
    body = response.json()
    assert [item["family_name"] for item in body] == ["Bernard", "Martin"]
    assert body[0] == {
        "family_id": elsewhere.pk,
        "family_name": "Bernard",
        "municipality": {"id": other_municipality.pk, "name": "Autreville"},
        "linked_at": "2026-09-03T10:00:00+02:00",
    }


def test_subscribe_with_a_code_links_the_family_at_once(portal_page, durand, municipality):
    account = factories.UserFactory(username="new@example.org")
    client = token_client(account)

    response = post(client, SUBSCRIPTIONS_URL, {"subscriber_code": " demo-durand 2026 "})

    assert response.status_code == 201
    subscription = Subscription.objects.get(user=account)
    assert subscription.family == durand and subscription.created_by == account
    assert response.json() == {
        "family_id": durand.pk,
        "family_name": "Durand",
        "municipality": {"id": municipality.pk, "name": "Belleville-sur-Loire"},
        "linked_at": timezone.localtime(subscription.created_at).isoformat(),
    }
    assert [s["family_id"] for s in client.get(ME_URL).json()["subscriptions"]] == [durand.pk]
    attempt = SubscriptionAttempt.objects.get()
    assert (attempt.outcome, attempt.channel, attempt.user) == ("linked", "api", account)


def test_subscribe_with_the_session_needs_the_csrf_token(portal_page, durand):
    account = factories.UserFactory(username="new@example.org")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(account)

    response = post(client, SUBSCRIPTIONS_URL, {"subscriber_code": CODE})

    assert response.status_code == 403
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("body", [{}, {"subscriber_code": ""}, {"subscriber_code": "x" * 65}])
def test_subscribe_without_a_usable_code(parent, portal_page, body):
    response = post(token_client(parent), SUBSCRIPTIONS_URL, body)

    assert response.status_code == 400
    assert set(response.json()) == {"subscriber_code"}
    assert not SubscriptionAttempt.objects.exists()


def test_unknown_and_other_municipality_codes_get_the_same_answer(
    parent, portal_page, other_municipality
):
    factories.FamilyFactory(municipality=other_municipality, subscriber_code="AUTR-EVIL-LE01")
    client = token_client(parent)

    unknown = post(client, SUBSCRIPTIONS_URL, {"subscriber_code": "ABCD-EFGH-JKLM"})
    elsewhere = post(client, SUBSCRIPTIONS_URL, {"subscriber_code": "AUTR-EVIL-LE01"})

    assert unknown.status_code == elsewhere.status_code == 400
    assert unknown.json() == elsewhere.json()
    assert unknown.json()["subscriber_code"][0].startswith(NOT_RECOGNISED)
    assert Subscription.objects.filter(user=parent).count() == 1


def test_subscribe_to_a_family_already_linked_is_a_conflict(parent, portal_page, family):
    response = post(
        token_client(parent), SUBSCRIPTIONS_URL, {"subscriber_code": family.subscriber_code}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "Your account is already linked to the Martin family."}


def test_fifty_codes_five_wrong_then_every_code_refused(portal_page, durand, no_rate_limits):
    account = factories.UserFactory(username="new@example.org")
    client = token_client(account)

    responses = [
        post(client, SUBSCRIPTIONS_URL, {"subscriber_code": f"GUES-SNUM-{n:04d}"})
        for n in range(50)
    ]

    statuses = [response.status_code for response in responses]
    assert statuses == [400] * 5 + [429] * 45
    for refused in responses[5:]:
        assert refused.json()["detail"].startswith(TOO_MANY_CODES)
        assert 0 < int(refused["Retry-After"]) <= 3600
    assert SubscriptionAttempt.objects.filter(user=account).count() == 50
    right = post(client, SUBSCRIPTIONS_URL, {"subscriber_code": CODE})
    assert right.status_code == 429
    assert not Subscription.objects.exists()
    outcomes = SubscriptionAttempt.objects.order_by("pk").values_list("outcome", flat=True)
    assert list(outcomes) == ["not_recognised"] * 5 + ["blocked"] * 46


def test_the_code_limit_lifts_after_an_hour(portal_page, durand, no_rate_limits):
    account = factories.UserFactory(username="new@example.org")
    client = token_client(account)
    for n in range(5):
        post(client, SUBSCRIPTIONS_URL, {"subscriber_code": f"GUES-SNUM-{n:04d}"})
    assert post(client, SUBSCRIPTIONS_URL, {"subscriber_code": CODE}).status_code == 429

    SubscriptionAttempt.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))

    assert post(client, SUBSCRIPTIONS_URL, {"subscriber_code": CODE}).status_code == 201


def test_twenty_wrong_codes_from_one_ip_block_every_account_there(
    portal_page, durand, no_rate_limits
):
    for n in range(4):
        client = token_client(factories.UserFactory())
        for m in range(5):
            code = f"GUES-{n}{m}00-0000"
            assert post(client, SUBSCRIPTIONS_URL, {"subscriber_code": code}).status_code == 400
    newcomer = token_client(factories.UserFactory(username="new@example.org"))

    refused = post(newcomer, SUBSCRIPTIONS_URL, {"subscriber_code": CODE})
    elsewhere = post(
        newcomer, SUBSCRIPTIONS_URL, {"subscriber_code": CODE}, REMOTE_ADDR="192.0.2.9"
    )

    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert elsewhere.status_code == 201


def test_attempts_are_kept_when_the_host_wraps_requests_in_a_transaction(
    portal_page, durand, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    client = token_client(factories.UserFactory(username="new@example.org"))

    for n in range(6):
        post(client, SUBSCRIPTIONS_URL, {"subscriber_code": f"GUES-SNUM-{n:04d}"})

    assert SubscriptionAttempt.objects.count() == 6
    assert post(client, SUBSCRIPTIONS_URL, {"subscriber_code": CODE}).status_code == 429
