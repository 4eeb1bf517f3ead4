"""The demo data of CONTRACT.md ("Demo data"), loaded by ``load_family_portal_demo``."""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import RequestFactory
from wagtail.models import Page, Revision, Site

from wagtail_family_portal import demo
from wagtail_family_portal.models import (
    Activity,
    Enrolment,
    Family,
    FamilyPortalPage,
    FamilyPortalSettings,
    Guardian,
    Municipality,
)
from wagtail_family_portal.models.families import normalise_subscriber_code
from wagtail_family_portal.permissions import AGENTS_GROUP_NAME
from wagtail_family_portal.validators import validate_iban

User = get_user_model()


def load(**kwargs) -> str:
    out = StringIO()
    call_command("load_family_portal_demo", stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = list(apps.get_app_config("wagtail_family_portal").get_models())
    models += [User, Group, Page, Revision, Site]
    return {model._meta.label: model.objects.count() for model in models}


@pytest.fixture
def loaded(db):
    return load()


def parent_family() -> Family:
    return Family.objects.get(subscriptions__user__email=demo.PARENT_EMAIL)


def test_loading_twice_keeps_the_same_rows(loaded):
    counts = row_counts()

    load()

    assert row_counts() == counts
    assert counts["wagtail_family_portal.Family"] >= 5
    assert counts["wagtail_family_portal.Closure"] > 10


def login(**credentials):
    """Log in as a login form would (django-axes needs the request)."""
    return authenticate(RequestFactory().post("/espace-famille/connexion/"), **credentials)


def test_loading_again_resets_the_documented_passwords(loaded):
    for user in User.objects.filter(username__in=["admin", "agent", demo.PARENT_EMAIL]):
        user.set_password("changed-by-someone")
        user.save()

    load()

    assert login(username="admin", password="admin")
    assert login(username="agent", password="agent")
    assert login(email="parent@example.org", password="demo-parent-2026")


def test_logins(loaded):
    admin = login(username="admin", password="admin")
    agent = login(username="agent", password="agent")
    parent = login(email="parent@example.org", password="demo-parent-2026")

    assert admin.is_superuser and admin.is_staff
    assert agent.is_staff and not agent.is_superuser
    assert agent.groups.filter(name=AGENTS_GROUP_NAME).exists()
    assert agent.has_perm("wagtailadmin.access_admin")
    assert parent.username == parent.email == "parent@example.org"
    assert parent.is_active and not parent.is_staff
    assert parent.first_name and parent.last_name


def test_agent_is_assigned_to_the_demo_municipality_only(loaded):
    agent = User.objects.get(username="agent")

    assert list(Municipality.objects.for_agent(agent)) == [
        Municipality.objects.get(name=demo.MUNICIPALITY_NAME)
    ]
    autreville = Municipality.objects.get(name=demo.OTHER_MUNICIPALITY_NAME)
    assert autreville.site is None
    assert autreville.families.exists()
    assert not Family.objects.for_agent(agent).filter(municipality=autreville).exists()


def test_parent_family_has_children_enrolled_in_varied_activities(loaded):
    family = parent_family()
    enrolments = Enrolment.objects.filter(child__family=family).select_related("activity")
    activities = {enrolment.activity for enrolment in enrolments}

    assert family.children.count() >= 2
    assert len(activities) >= 3
    assert any(a.booking_mode == Activity.BookingMode.AGENT for a in activities)
    assert any(
        a.booking_mode == Activity.BookingMode.AUTOMATIC and a.capacity and a.waiting_list
        for a in activities
    )
    assert family.municipality.name == demo.MUNICIPALITY_NAME


def test_parent_family_file_is_complete_and_valid(loaded):
    family = parent_family()

    assert family.guardians.count() == 2
    assert any("Arachides" in child.health.allergies for child in family.children.all())
    assert all(child.authorised_contacts.exists() for child in family.children.all())
    for guardian in family.guardians.all():
        guardian.full_clean()
    for child in family.children.all():
        child.full_clean()
    for enrolment in Enrolment.objects.filter(child__family=family):
        enrolment.full_clean()


def test_every_demo_iban_is_valid(loaded):
    ibans = list(Guardian.objects.exclude(iban="").values_list("iban", flat=True))

    assert len(ibans) == Guardian.objects.count()
    for iban in ibans:
        validate_iban(iban)


def test_durand_code_is_unlinked_and_forgiving(loaded):
    durand = Family.objects.get(subscriber_code="DEMO-DURAND-2026")

    assert not durand.subscriptions.exists()
    for typed in ["DEMO-DURAND-2026", "demo durand 2026", "demodurand2026", " Demo-Durand 2026 "]:
        assert Family.objects.get(subscriber_key=normalise_subscriber_code(typed)) == durand


def test_activities_cover_the_current_school_year(loaded):
    municipality = Municipality.objects.get(name=demo.MUNICIPALITY_NAME)
    activities = Activity.objects.filter(establishment__municipality=municipality)
    codes = set(activities.values_list("short_code", flat=True))

    assert {"1/REPAS", "1/Péri MATIN", "1/Péri SOIR", "ALSH MERCREDI"} <= codes
    for activity in activities:
        activity.full_clean()
        assert activity.season_start.month == 9 and activity.season_end.month == 7


def test_closures_hold_holidays_and_a_custom_closure(loaded):
    municipality = Municipality.objects.get(name=demo.MUNICIPALITY_NAME)
    closures = municipality.closures.all()

    assert closures.filter(source__startswith="public_holiday:", label="Noël").exists()
    assert closures.filter(source__startswith="school_holiday:B:").count() >= 5
    custom = closures.get(source="")
    assert list(custom.activities.values_list("short_code", flat=True)) == ["ALSH MERCREDI"]


def test_site_settings_are_filled_in(loaded):
    site = Site.objects.get(is_default_site=True)
    settings = FamilyPortalSettings.for_site(site)

    assert Municipality.objects.get(site=site).name == demo.MUNICIPALITY_NAME
    assert settings.welcome_text and settings.tax_data_help_text and settings.email_signature


def test_portal_page_is_served_at_espace_famille(loaded, client):
    page = FamilyPortalPage.objects.get(slug="espace-famille")

    response = client.get("/espace-famille/")

    assert page.title == "Espace famille" and page.live
    assert page.get_url_parts()[2] == "/espace-famille/"
    assert response.status_code == 200


def test_command_prints_the_logins(loaded):
    for expected in [
        "admin / admin",
        "agent / agent",
        "parent@example.org / demo-parent-2026",
        "DEMO-DURAND-2026",
        "http://127.0.0.1:8000/espace-famille/",
        "http://127.0.0.1:8000/admin/",
    ]:
        assert expected in loaded


def test_demo_users_reach_their_pages(loaded, client):
    client.force_login(User.objects.get(username=demo.PARENT_EMAIL))
    assert client.get("/espace-famille/").status_code == 200

    client.force_login(User.objects.get(username="agent"))
    assert client.get("/admin/").status_code == 200


def test_demo_parent_has_an_activated_account_and_the_terms_are_set(loaded):
    from wagtail_family_portal.models import AccountProfile, FamilyPortalSettings

    profile = AccountProfile.objects.get(user__email=demo.PARENT_EMAIL)

    assert profile.activated_at is not None and not profile.awaiting_activation
    assert profile.terms_accepted_at is not None
    assert profile.municipality.name == "Belleville-sur-Loire"
    settings = FamilyPortalSettings.for_site(Site.objects.get(is_default_site=True))
    assert "code abonné" in settings.terms_text


@pytest.mark.parametrize(
    "today", [dt.date(2026, 11, 28), dt.date(2026, 12, 21), dt.date(2027, 6, 20)]
)
def test_demo_has_booked_days_and_a_booking_request_waiting(db, today):
    from wagtail_family_portal.models import ChildDay, Request

    demo.load_demo(today=today)
    demo.load_demo(today=today)  # again: nothing more

    martin = Family.objects.get(name="Martin")
    booked = ChildDay.objects.filter(child__family=martin, state="booked")
    waiting = Request.objects.filter(family=martin, kind="booking", state="pending")

    assert booked.filter(child__first_name="Léa").exists()
    assert waiting.count() == 1
    assert ChildDay.objects.filter(child__first_name="Hugo", state="booking_requested").exists()
