"""The demo data of CONTRACT.md ("Demo data"), loaded by ``load_family_portal_demo``."""

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.test import RequestFactory, override_settings
from django.utils import timezone
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
    Subscription,
)
from wagtail_family_portal.models.families import normalise_subscriber_code
from wagtail_family_portal.permissions import AGENTS_GROUP_NAME
from wagtail_family_portal.validators import validate_iban

User = get_user_model()


def load(*args, **kwargs) -> str:
    """The command's output, run as ``make demo`` runs it (DEBUG on)."""
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("load_family_portal_demo", *args, stdout=out, stderr=out, **kwargs)
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


# Safe to run: never on a live site, never over an account the demo did not create


def test_refused_without_debug_and_nothing_is_created(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("load_family_portal_demo", stdout=StringIO(), stderr=StringIO())

    assert not User.objects.filter(username__in=["admin", "agent", demo.PARENT_EMAIL]).exists()
    assert not Family.objects.exists()


def test_the_command_line_exits_with_an_error_without_debug():
    """What an operator sees on a production server: a message and a non-zero exit code."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_site.settings",
        "DEBUG": "0",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
        "ALLOWED_HOSTS": "portail.example.fr",
    }
    result = subprocess.run(
        [sys.executable, "example_site/manage.py", "load_family_portal_demo"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "--i-know-this-is-not-production" in result.stderr


def test_the_flag_loads_the_demo_without_debug(db, settings):
    settings.DEBUG = False
    out = StringIO()

    call_command(
        "load_family_portal_demo", "--i-know-this-is-not-production", stdout=out, stderr=out
    )

    assert login(username="admin", password="admin")
    assert "admin / admin" in out.getvalue()


def test_an_existing_admin_keeps_its_password_and_is_reported(db):
    User.objects.create_superuser("admin", "mairie@ville.example", "the-real-admin-password")

    output = load()

    assert login(username="admin", password="the-real-admin-password")
    assert not login(username="admin", password="admin")
    admin = User.objects.get(username="admin")
    assert admin.email == "mairie@ville.example" and admin.first_name == ""
    assert not admin.groups.exists()
    assert "Le compte « admin » existait avant la démo" in output
    assert "admin / admin" not in output
    # The demo's other accounts are there all the same.
    assert login(username="agent", password="agent")


def test_existing_agent_and_parent_accounts_are_not_touched(db):
    agent = User.objects.create_user("agent", "agent@ville.example", "own-agent-password")
    parent = User.objects.create_user(demo.PARENT_EMAIL, demo.PARENT_EMAIL, "own-parent-password")

    output = load()

    assert login(username="agent", password="own-agent-password")
    assert not agent.groups.exists() and not agent.user_permissions.exists()
    assert not Municipality.objects.filter(agents=agent).exists()
    assert login(email=demo.PARENT_EMAIL, password="own-parent-password")
    assert not Subscription.objects.filter(user=parent).exists()
    assert "Le compte « agent » existait avant la démo" in output
    assert f"Le compte « {demo.PARENT_EMAIL} » existait avant la démo" in output
    load()  # and again: still untouched
    assert login(username="agent", password="own-agent-password")


def test_the_accounts_the_demo_created_are_recorded(loaded):
    group = Group.objects.get(name=demo.DEMO_ACCOUNTS_GROUP)

    assert set(group.user_set.values_list("username", flat=True)) == {
        "admin",
        "agent",
        demo.PARENT_EMAIL,
    }
    assert not group.permissions.exists()


# The demo's site is the address `make demo` serves


def test_the_demo_site_is_served_where_make_demo_serves_it(loaded):
    site = Site.objects.get(is_default_site=True)
    page = FamilyPortalPage.objects.get(slug="espace-famille")

    assert (site.hostname, site.port) == ("127.0.0.1", 8000)
    assert page.get_full_url() == "http://127.0.0.1:8000/espace-famille/"


def test_another_port_moves_the_site_and_the_printed_addresses(loaded):
    output = load("--port", "8001")

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("127.0.0.1", 8001)
    assert "http://127.0.0.1:8001/espace-famille/" in output
    assert "http://127.0.0.1:8001/admin/" in output
    assert Site.objects.count() == 1


def test_the_receipt_links_point_to_the_demo_address(loaded):
    from wagtail_family_portal.models import Request
    from wagtail_family_portal.services.notifications import receipt_email

    waiting = Request.objects.get(family__name="Martin", kind="booking", state="pending")

    email = receipt_email(waiting.pk)

    assert "http://127.0.0.1:8000/espace-famille/famille/" in email.text
    assert "http://localhost/" not in email.text + email.html


def test_a_site_with_a_real_hostname_is_left_as_it_is(db):
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "www.belleville-sur-loire.example.fr", 443
    site.save()

    output = load()

    site.refresh_from_db()
    assert (site.hostname, site.port) == ("www.belleville-sur-loire.example.fr", 443)
    assert "https://www.belleville-sur-loire.example.fr/espace-famille/" in output
    assert "laissé tel quel" in output


def test_make_demo_passes_the_port_and_debug_on():
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        ["make", "-n", "-W", ".venv/.installed", "demo", "PORT=8001"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    commands = result.stdout.splitlines()

    loader = next(line for line in commands if "load_family_portal_demo" in line)
    server = next(line for line in commands if "runserver" in line)
    assert "--port 8001" in loader and "DEBUG=1" in loader
    assert "runserver 127.0.0.1:8001" in server and "DEBUG=1" in server


# What an agent finds, and who is mailed


SCHOOL_DAY = dt.date(2026, 12, 3)  # a Thursday of school


def test_demo_has_past_days_and_today_booked_for_the_attendance_sheet(db):
    from wagtail_family_portal.models import ChildDay
    from wagtail_family_portal.services.attendance import mark_presence

    demo.load_demo(today=SCHOOL_DAY)

    canteen = Activity.objects.get(short_code="1/REPAS")
    today = ChildDay.objects.filter(activity=canteen, date=SCHOOL_DAY, state="booked")
    past = ChildDay.objects.filter(activity=canteen, date__lt=SCHOOL_DAY, state="booked")
    assert {day.child.first_name for day in today} >= {"Léa", "Nathan", "Emma"}
    assert past.values("date").distinct().count() >= 5
    assert ChildDay.objects.filter(
        child__first_name="Hugo", activity__short_code="2/Péri MATIN", date=SCHOOL_DAY
    ).exists()

    agent = User.objects.get(username="agent")
    marked = mark_presence(
        canteen,
        SCHOOL_DAY,
        {day.child_id: "present" for day in today},
        agent=agent,
        today=SCHOOL_DAY,
    )
    assert marked
    assert set(today.values_list("presence", flat=True)) == {"present"}


def test_the_attendance_sheet_of_today_lists_the_booked_children(db, client):
    from django.urls import reverse

    demo.load_demo(today=SCHOOL_DAY)
    client.force_login(User.objects.get(username="agent"))
    canteen = Activity.objects.get(short_code="1/REPAS")

    response = client.get(
        reverse("family_portal_attendance:sheet", args=[canteen.pk, SCHOOL_DAY.isoformat()])
    )

    text = response.content.decode()
    assert response.status_code == 200
    for name in ["Martin Léa", "Petit Nathan", "Nguyen Emma"]:
        assert name in text


def test_loading_the_demo_mails_nobody(db, django_capture_on_commit_callbacks, mailoutbox):
    from django_q.conf import Conf
    from django_q.models import OrmQ

    from wagtail_family_portal.models.notifications import DecisionNotice, DigestDelivery
    from wagtail_family_portal.services.notifications import run_digests

    sync = Conf.SYNC
    Conf.SYNC = False  # a real cluster: tasks wait in the ORM broker's queue
    try:
        with django_capture_on_commit_callbacks(execute=True):
            load()
    finally:
        Conf.SYNC = sync

    assert mailoutbox == []
    assert not OrmQ.objects.exists()  # no e-mail waiting for the cluster
    assert not DecisionNotice.objects.filter(slot__isnull=True).exists()
    assert not DigestDelivery.objects.exists()
    # The next digests find nothing to tell either.
    site = Site.objects.get(is_default_site=True)
    with django_capture_on_commit_callbacks(execute=True):
        run_digests(site, now=timezone.now() + dt.timedelta(days=1))
    assert mailoutbox == []


def test_the_readme_tells_the_demo_as_it_is():
    """The README's quick start: another port, where the e-mails appear, what exists and what
    is planned."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    features = readme.split("## Features", 1)[1].split("Planned", 1)[0]
    planned = readme.split("Planned (", 1)[1].split("##", 1)[0]

    assert "make demo PORT=8001" in readme
    assert "printed by the cluster, in the same terminal" in readme
    for feature in ("Mes demandes", "Receipts and decision digests", "attendance sheet", "Billing"):
        assert feature in features
    for existing in ("Mes demandes", "receipt", "digest", "billing"):
        assert existing not in planned
    for future in ("supporting documents", "nursery", "campaigns"):
        assert future in planned


def test_demo_bills_the_past_months_and_the_parent_has_an_invoice_to_pay(loaded):
    from wagtail_family_portal import clock
    from wagtail_family_portal.models import (
        BillingOffice,
        BillingRun,
        DirectDebitBatch,
        Invoice,
        Payment,
    )
    from wagtail_family_portal.services.billing import attestations

    martin = parent_family()
    today = clock.today()
    assert BillingOffice.objects.count() == 2
    assert BillingRun.objects.filter(state="issued").exists()
    to_pay = Invoice.objects.to_pay().filter(family=martin)
    assert to_pay.exists()
    assert {invoice.status for invoice in to_pay} <= {"to_pay", "overdue", "partially_paid"}
    # Every issued invoice has lines and a number; some are paid, one family is overdue.
    issued = Invoice.objects.issued()
    assert all(invoice.number and invoice.lines.exists() for invoice in issued)
    assert Payment.objects.filter(method="card").exists()
    assert any(invoice.status_on(today) == "overdue" for invoice in issued)
    assert DirectDebitBatch.objects.filter(file__gt="").exists()
    # Last year's attestation has something to show.
    office = BillingOffice.objects.get(code="ENF")
    assert attestations.for_family(martin, office, today.year - 1).total > 0
