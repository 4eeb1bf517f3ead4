"""lockout.py: how django-axes names an account and how a lockout is answered."""

import datetime as dt
import json

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import translation

from wagtail_family_portal import lockout

rf = RequestFactory()


@pytest.fixture(autouse=True)
def english():
    # Checked against their English source; the French wording is checked on the pages.
    with translation.override("en"):
        yield


def test_page_and_api_attempts_count_against_the_same_account():
    page = rf.post("/espace-famille/connexion/", {"username": " Parent@Example.org "})

    assert lockout.axes_username(page, {"username": " Parent@Example.org "}) == (
        "parent@example.org"
    )
    assert lockout.axes_username(None, {"email": "PARENT@example.org"}) == "parent@example.org"
    assert lockout.axes_username(page, None) == "parent@example.org"


def test_the_api_gets_json_429_with_the_wait(settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)

    response = lockout.lockout_response(rf.post("/api/family-portal/v1/auth/token/"))

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "15 minutes" in json.loads(response.content)["detail"]


def test_a_portal_page_that_showed_the_lockout_is_kept():
    shown = HttpResponse("form with the message", status=429)
    shown.wfp_lockout_shown = True

    assert lockout.lockout_response(rf.post("/espace-famille/connexion/"), shown) is shown


def test_other_login_forms_get_a_plain_message(settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)

    response = lockout.lockout_response(rf.post("/admin/login/"), HttpResponse("admin form"))

    assert response.status_code == 429
    assert "15 minutes" in response.content.decode()


def test_without_cool_off_the_message_says_to_contact_the_service(settings):
    settings.AXES_COOLOFF_TIME = None

    assert "Contact the service" in lockout.lockout_message(lockout.cool_off_seconds())
