"""lockout.py: how django-axes names an account and how a lockout is answered."""

import datetime as dt
import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from wagtail_family_portal import lockout

# Checked against their English source; the French wording is checked on the pages.
pytestmark = pytest.mark.usefixtures("english")

rf = RequestFactory()


def test_page_and_api_attempts_count_against_the_same_account():
    page = rf.post("/espace-famille/connexion/", {"username": " Parent@Example.org "})

    assert lockout.axes_username(page, {"username": " Parent@Example.org "}) == (
        "parent@example.org"
    )
    assert lockout.axes_username(None, {"email": "PARENT@example.org"}) == "parent@example.org"
    assert lockout.axes_username(page, None) == "parent@example.org"


def test_the_api_gets_json_429_with_the_wait(db, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)

    response = lockout.lockout_response(rf.post("/api/family-portal/v1/auth/token/"))

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "15 minutes" in json.loads(response.content)["detail"]


def test_a_portal_page_that_showed_the_lockout_is_kept():
    shown = HttpResponse("form with the message", status=429)
    shown.wfp_lockout_shown = True

    assert lockout.lockout_response(rf.post("/espace-famille/connexion/"), shown) is shown


def test_other_login_forms_get_a_plain_message(db, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)

    response = lockout.lockout_response(rf.post("/admin/login/"), HttpResponse("admin form"))

    assert response.status_code == 429
    assert "15 minutes" in response.content.decode()


def test_without_cool_off_the_message_says_to_contact_the_service(db, settings):
    settings.AXES_COOLOFF_TIME = None

    refused = lockout.current_lockout(rf.post("/espace-famille/connexion/"))

    assert refused.seconds == 0
    assert "Contact the service" in refused.message


def test_default_limits_ten_per_account_and_address_a_hundred_per_address(settings):
    del settings.WAGTAIL_FAMILY_PORTAL_LOGIN_LIMITS

    assert lockout.login_limits() == {"account": 10, "ip": 100}
    assert lockout.failure_limit() == 10


def test_an_address_is_counted_alone_only_past_its_ceiling(db, settings):
    from axes.models import AccessAttempt
    from django.utils import timezone

    settings.WAGTAIL_FAMILY_PORTAL_LOGIN_LIMITS = {"account": 10, "ip": 30}
    request = rf.post("/espace-famille/connexion/", REMOTE_ADDR="203.0.113.5")
    for n in range(3):
        AccessAttempt.objects.create(
            username=f"someone{n}@example.org",
            ip_address="203.0.113.5",
            user_agent="",
            failures_since_start=9,
            attempt_time=timezone.now(),
        )
    assert lockout.lockout_parameters(request) == [["username", "ip_address"]]

    AccessAttempt.objects.filter(username="someone0@example.org").update(failures_since_start=12)

    assert lockout.lockout_parameters(request) == ["ip_address"]
    assert lockout.current_lockout(request).by_ip
    # Failures older than the cool-off no longer count.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert lockout.lockout_parameters(request) == [["username", "ip_address"]]
