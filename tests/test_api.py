"""The API skeleton: token, me/, error format, throttling, OpenAPI schema and docs."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from . import factories

BASE = "/api/family-portal/v1/"
TOKEN_URL = BASE + "auth/token/"
ME_URL = BASE + "me/"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def client():
    return APIClient()


def post_token(client, **body):
    return client.post(TOKEN_URL, body, format="json", HTTP_ACCEPT_LANGUAGE="en")


# auth/token/


def test_token_for_valid_credentials(client, parent):
    response = post_token(client, email="parent@example.org", password=PASSWORD)

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=parent).key}


def test_token_is_reused(client, parent):
    existing = Token.objects.create(user=parent)

    response = post_token(client, email="PARENT@example.org", password=PASSWORD)

    assert response.json() == {"token": existing.key}
    assert Token.objects.filter(user=parent).count() == 1


def test_token_wrong_password(client, parent):
    response = post_token(client, email="parent@example.org", password="wrong-horse")

    assert response.status_code == 400
    assert response.json() == {"detail": "Unable to log in with this e-mail address and password."}
    assert not Token.objects.exists()


def test_token_unknown_email_answers_like_a_wrong_password(client, parent):
    wrong_password = post_token(client, email="parent@example.org", password="wrong-horse")
    unknown = post_token(client, email="nobody@example.org", password=PASSWORD)

    assert unknown.status_code == wrong_password.status_code == 400
    assert unknown.json() == wrong_password.json()


def test_token_inactive_account(client, parent):
    parent.is_active = False
    parent.save()

    response = post_token(client, email="parent@example.org", password=PASSWORD)

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Token.objects.exists()


def test_token_error_message_is_translatable():
    from django.utils.functional import Promise

    from wagtail_family_portal.api.exceptions import InvalidCredentials

    assert isinstance(InvalidCredentials.default_detail, Promise)


def test_token_missing_field(client, db):
    response = post_token(client, email="parent@example.org")

    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["password"]
    assert isinstance(body["password"], list) and body["password"]


def test_token_invalid_email_is_a_field_error(client, db):
    response = post_token(client, email="not-an-address", password=PASSWORD)

    assert response.status_code == 400
    assert list(response.json()) == ["email"]


@pytest.mark.parametrize("body", ["not json", '{"email": ', "[1, 2]", '"a string"'])
def test_token_body_that_is_not_a_json_object(client, db, body):
    response = client.post(
        TOKEN_URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_token_body_of_another_media_type(client, db):
    response = client.post(TOKEN_URL, "email=a@b.fr", content_type="text/plain")

    assert response.status_code == 415
    assert "detail" in response.json()


def test_token_get_is_not_allowed(client, db):
    response = client.get(TOKEN_URL)

    assert response.status_code == 405
    assert "detail" in response.json()


def test_token_attempts_are_throttled_per_ip(client, parent, settings):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": "3/minute"}
    for _attempt in range(3):
        assert post_token(client, email="parent@example.org", password="wrong").status_code == 400

    response = post_token(client, email="parent@example.org", password=PASSWORD)

    assert response.status_code == 429
    assert "detail" in response.json()
    assert int(response["Retry-After"]) > 0
    # Another address from the same IP is refused too; another IP is not.
    assert post_token(client, email="x@example.org", password="p").status_code == 429
    other_ip = client.post(
        TOKEN_URL,
        {"email": "parent@example.org", "password": PASSWORD},
        format="json",
        REMOTE_ADDR="192.0.2.7",
    )
    assert other_ip.status_code == 200


def test_throttle_scope_can_be_switched_off(client, parent, settings):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": None}
    # Only the rate limit is switched off here; the lockout after repeated failures is tested
    # with the accounts.
    settings.AXES_FAILURE_LIMIT = 100

    statuses = {
        post_token(client, email="a@example.org", password="p").status_code for _ in range(15)
    }

    assert statuses == {400}


# me/


def test_me_with_token(client, parent, family):
    token = Token.objects.create(user=parent)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": parent.pk,
        "email": "parent@example.org",
        "first_name": parent.first_name,
        "last_name": parent.last_name,
        # The account was not made through the portal's sign-up: its profile is empty.
        "phone": None,
        "civility": None,
        "subscriptions": [
            {
                "family_id": family.pk,
                "family_name": "Martin",
                "municipality": {
                    "id": family.municipality.pk,
                    "name": "Belleville-sur-Loire",
                },
            }
        ],
        "unread_messages": 0,
    }


def test_me_shows_the_phone_and_civility_of_the_account_profile(client, parent):
    from wagtail_family_portal.models import AccountProfile

    AccountProfile.objects.filter(user=parent).update(civility="MME", phone="06 12 34 56 78")
    client.force_authenticate(parent)

    body = client.get(ME_URL).json()

    assert (body["civility"], body["phone"]) == ("MME", "06 12 34 56 78")


def test_me_with_session(parent, family):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(parent)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["email"] == "parent@example.org"


def test_me_lists_only_the_accounts_own_subscriptions(client, parent, family, other_municipality):
    second_family = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    factories.SubscriptionFactory(user=parent, family=second_family)
    stranger_family = factories.FamilyFactory(municipality=family.municipality, name="Durand")
    factories.SubscriptionFactory(family=stranger_family)
    client.force_authenticate(parent)

    response = client.get(ME_URL)

    subscriptions = response.json()["subscriptions"]
    assert [s["family_id"] for s in subscriptions] == [second_family.pk, family.pk]
    assert subscriptions[0]["municipality"] == {"id": other_municipality.pk, "name": "Autreville"}
    assert stranger_family.pk not in {s["family_id"] for s in subscriptions}


def test_me_runs_three_queries_whatever_the_number_of_subscriptions(
    client, parent, django_assert_num_queries
):
    for name in ["Bernard", "Durand", "Petit"]:
        factories.SubscriptionFactory(user=parent, family__name=name)
    client.force_authenticate(parent)

    # The account profile, the subscriptions with their families and municipalities, and the
    # number of unread messages.
    with django_assert_num_queries(3):
        response = client.get(ME_URL)

    assert len(response.json()["subscriptions"]) == 4


def test_me_is_throttled_per_account(client, parent, settings):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"user": "2/minute"}
    client.force_authenticate(parent)

    statuses = [client.get(ME_URL).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_me_without_subscription(client, db):
    user = factories.UserFactory()
    client.force_authenticate(user)

    assert client.get(ME_URL).json()["subscriptions"] == []


def test_me_anonymous_is_401(client, db):
    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_me_with_unknown_token_is_401(client, db):
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")

    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton non valide."


def test_me_with_token_of_an_inactive_account_is_401(client, parent):
    token = Token.objects.create(user=parent)
    parent.is_active = False
    parent.save()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Compte inactif ou supprimé."


def test_api_ignores_the_hosts_rest_framework_settings(client, db, settings):
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.BrowsableAPIRenderer"],
    }

    response = client.get(ME_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


# Errors


def test_conflict_error_is_a_409_with_detail():
    from wagtail_family_portal.api.exceptions import ConflictError, exception_handler

    response = exception_handler(ConflictError(), {})

    assert response.status_code == 409
    assert set(response.data) == {"detail"}


def test_django_validation_errors_become_400():
    from django.core.exceptions import ValidationError

    from wagtail_family_portal.api.exceptions import exception_handler

    field_error = exception_handler(ValidationError({"phone": ["Bad phone."]}), {})
    general_error = exception_handler(ValidationError("Too late."), {})

    assert (field_error.status_code, field_error.data) == (400, {"phone": ["Bad phone."]})
    assert (general_error.status_code, general_error.data) == (400, {"detail": "Too late."})


def test_non_field_errors_are_reported_as_detail():
    from rest_framework.exceptions import ValidationError

    from wagtail_family_portal.api.exceptions import exception_handler

    response = exception_handler(
        ValidationError({"non_field_errors": ["End before start."], "end": ["Required."]}), {}
    )

    assert response.data == {"detail": "End before start.", "end": ["Required."]}
