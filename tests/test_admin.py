"""The agents' admin: screens scoped to the agent's municipalities, forms that refuse bad data."""

import csv
import importlib
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from wagtail.models import ReferenceIndex
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from wagtail_family_portal import models
from wagtail_family_portal.permissions import AGENTS_GROUP_NAME

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db


def url(viewset, view, *args):
    return reverse(f"family_portal_{viewset}:{view}", args=args)


def family_form_data(municipality, *, name="Bernard", guardians=(), children=()):
    return nested_form_data(
        {
            "municipality": municipality.pk,
            "name": name,
            "subscriber_code": "",
            "address_line1": "1 place de la Mairie",
            "address_line2": "",
            "postcode": "44000",
            "city": "Nantes",
            "family_quotient": "",
            "quotient_year": "",
            "caf_number": "",
            "guardians": inline_formset(list(guardians)),
            "children": inline_formset(list(children)),
        }
    )


def guardian_data(**overrides):
    data = {
        "civility": models.Guardian.Civility.MRS,
        "relation": models.Guardian.Relation.MOTHER,
        "first_name": "Claire",
        "last_name": "Bernard",
        "birth_date": "",
        "email": "claire@example.org",
        "mobile_phone": "06 12 34 56 78",
        "home_phone": "",
        "work_phone": "",
        "same_address_as_family": "on",
        "address_line1": "",
        "address_line2": "",
        "postcode": "",
        "city": "",
        "profession": "",
        "employer": "",
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "bic": "",
        "account_holder": "",
    }
    return {**data, **overrides}


# Lists, objects and exports are scoped


def test_agent_lists_only_the_families_of_their_municipality(agent_client, family, other_family):
    response = agent_client.get(url("families", "index"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [family]
    assert family.subscriber_code in response.content.decode()
    assert "Dupont" not in response.content.decode()


@pytest.mark.parametrize("view", ["edit", "delete", "inspect", "history", "usage"])
def test_agent_gets_404_on_a_family_of_another_municipality(agent_client, other_family, view):
    response = agent_client.get(url("families", view, other_family.pk))

    assert response.status_code == 404


def test_agent_cannot_delete_or_edit_a_family_of_another_municipality_by_post(
    agent_client, other_family
):
    delete = agent_client.post(url("families", "delete", other_family.pk))
    edit = agent_client.post(
        url("families", "edit", other_family.pk),
        family_form_data(other_family.municipality, name="Renamed"),
    )

    assert (delete.status_code, edit.status_code) == (404, 404)
    other_family.refresh_from_db()
    assert other_family.name == "Dupont"


def test_deleting_an_establishment_still_used_is_refused_with_a_message(agent_client, municipality):
    """Rows loaded outside the admin (imports, demo data) are missing from Wagtail's reference
    index, so only the database's PROTECT stops the deletion: the agent gets a message."""
    activity = factories.ActivityFactory(establishment__municipality=municipality)
    ReferenceIndex.objects.all().delete()

    response = agent_client.post(
        url("establishments", "delete", activity.establishment.pk), follow=True
    )

    assert response.status_code == 200
    assert "cannot be deleted: it is still used by Repas école" in response.content.decode()
    assert models.Establishment.objects.filter(pk=activity.establishment.pk).exists()


def test_agent_can_delete_a_family_of_their_municipality(agent_client, family):
    response = agent_client.post(url("families", "delete", family.pk))

    assert response.status_code == 302
    assert not models.Family.objects.filter(pk=family.pk).exists()


def test_family_csv_export_contains_only_the_agents_municipality(
    agent_client, family, other_family
):
    response = agent_client.get(url("families", "index"), {"export": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response.status_code == 200
    assert [row[0] for row in rows[1:]] == ["Martin"]
    assert rows[1][1] == family.subscriber_code


def test_enrolment_and_children_exports_contain_only_the_agents_municipality(
    agent_client, family, other_family
):
    factories.EnrolmentFactory(child__family=family, child__first_name="Léa")
    factories.EnrolmentFactory(child__family=other_family, child__first_name="Hugo")

    for viewset in ("enrolments", "children"):
        response = agent_client.get(url(viewset, "index"), {"export": "csv"})
        content = b"".join(response.streaming_content).decode()
        assert "Léa" in content, viewset
        assert "Hugo" not in content, viewset


def test_xlsx_export_is_available(agent_client, family):
    response = agent_client.get(url("families", "index"), {"export": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize(
    ("viewset", "make"),
    [
        ("children", lambda town: factories.ChildFactory(family__municipality=town)),
        ("establishments", lambda town: factories.EstablishmentFactory(municipality=town)),
        (
            "activities",
            lambda town: factories.ActivityFactory(establishment__municipality=town),
        ),
        ("closures", lambda town: factories.ClosureFactory(municipality=town)),
        (
            "enrolments",
            lambda town: factories.EnrolmentFactory(child__family__municipality=town),
        ),
        (
            "subscriptions",
            lambda town: factories.SubscriptionFactory(family__municipality=town),
        ),
        ("municipalities", lambda town: town),
    ],
)
def test_every_list_is_scoped_to_the_agents_municipality(
    agent_client, municipality, other_municipality, viewset, make
):
    own, other = make(municipality), make(other_municipality)

    response = agent_client.get(url(viewset, "index"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [own]
    assert agent_client.get(url(viewset, "inspect", other.pk)).status_code == 404


def test_list_filters_offer_only_the_agents_municipalities(agent_client, other_municipality):
    response = agent_client.get(url("activities", "index"))

    filters = response.context["filters"].form.fields
    assert other_municipality not in filters["municipality"].queryset
    assert list(filters["establishment"].queryset) == []


def test_superuser_sees_every_municipality(client, superuser, family, other_family):
    login(client, superuser)

    response = client.get(url("families", "index"))

    assert set(response.context["object_list"]) == {family, other_family}
    assert client.get(url("families", "edit", other_family.pk)).status_code == 200


# Forms offer and accept only the agent's rows


def test_family_form_offers_only_the_agents_municipalities(
    agent_client, municipality, other_municipality
):
    factories.EstablishmentFactory(municipality=other_municipality, name="École d'Autreville")

    response = agent_client.get(url("families", "add"))

    form = response.context["form"]
    assert list(form.fields["municipality"].queryset) == [municipality]
    child_form = form.formsets["children"].empty_form
    assert list(child_form.fields["establishment"].queryset) == []
    assert "Autreville" not in response.content.decode()


def test_forged_post_with_another_municipality_is_refused(agent_client, other_municipality):
    response = agent_client.post(url("families", "add"), family_form_data(other_municipality))

    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not models.Family.objects.filter(name="Bernard").exists()


def test_agent_creates_a_family_with_a_guardian(agent_client, municipality):
    response = agent_client.post(
        url("families", "add"), family_form_data(municipality, guardians=[guardian_data()])
    )

    assert response.status_code == 302
    family = models.Family.objects.get(name="Bernard")
    assert family.municipality == municipality
    assert family.guardians.get().iban == "FR7630006000011234567890189"


def test_invalid_iban_in_the_guardian_inline_is_shown_and_nothing_is_saved(agent_client, family):
    response = agent_client.post(
        url("families", "edit", family.pk),
        family_form_data(
            family.municipality, name="Renamed", guardians=[guardian_data(iban="FR76 1234")]
        ),
    )

    assert response.status_code == 200
    guardian_form = response.context["form"].formsets["guardians"].forms[0]
    assert "iban" in guardian_form.errors
    assert "is not a valid IBAN" in response.content.decode()
    family.refresh_from_db()
    assert family.name == "Martin"
    assert not family.guardians.exists()


def test_enrolment_form_refuses_a_child_of_another_municipality(
    agent_client, municipality, other_family
):
    activity = factories.ActivityFactory(establishment__municipality=municipality)
    foreign_child = factories.ChildFactory(family=other_family)

    form = agent_client.get(url("enrolments", "add")).context["form"]
    response = agent_client.post(
        url("enrolments", "add"),
        {
            "child": foreign_child.pk,
            "activity": activity.pk,
            "start_date": "2026-09-01",
            "end_date": "2026-12-18",
        },
    )

    assert foreign_child not in form.fields["child"].queryset
    assert "child" in response.context["form"].errors
    assert not models.Enrolment.objects.exists()


def test_enrolment_outside_the_activity_season_is_refused_with_a_message(agent_client, family):
    child = factories.ChildFactory(family=family)
    activity = factories.ActivityFactory(establishment__municipality=family.municipality)

    response = agent_client.post(
        url("enrolments", "add"),
        {
            "child": child.pk,
            "activity": activity.pk,
            "start_date": "2026-08-01",
            "end_date": "2026-12-18",
        },
    )

    assert response.status_code == 200
    assert "within the activity&#x27;s season" in response.content.decode()
    assert not models.Enrolment.objects.exists()


def test_activity_ending_before_it_starts_is_refused_with_a_message(agent_client, municipality):
    establishment = factories.EstablishmentFactory(municipality=municipality)

    response = agent_client.post(
        url("activities", "add"),
        {
            "establishment": establishment.pk,
            "name": "Périscolaire matin",
            "short_code": "",
            "kind": models.Activity.Kind.SCHOOL_CARE,
            "is_active": "on",
            "start_time": "08:30",
            "end_time": "07:30",
            "weekdays": ["0", "1", "3", "4"],
            "season_start": "2026-09-01",
            "season_end": "2027-07-03",
            "booking_mode": models.Activity.BookingMode.AGENT,
            "booking_deadline_days": "2",
            "booking_deadline_time": "10:00",
            "absence_deadline_days": "2",
            "absence_deadline_time": "10:00",
            "capacity": "",
        },
    )

    assert response.status_code == 200
    assert "end_time" in response.context["form"].errors
    assert "The end time must be after the start time." in response.content.decode()
    assert not models.Activity.objects.exists()


def test_closure_cannot_close_an_activity_of_another_municipality(
    client, superuser, municipality, other_municipality
):
    login(client, superuser)
    foreign_activity = factories.ActivityFactory(establishment__municipality=other_municipality)

    response = client.post(
        url("closures", "add"),
        {
            "municipality": municipality.pk,
            "label": "Grève",
            "kind": models.Closure.Kind.CLOSURE,
            "start_date": "2026-10-06",
            "end_date": "2026-10-06",
            "activities": [foreign_activity.pk],
        },
    )

    assert "activities" in response.context["form"].errors
    assert not models.Closure.objects.exists()


# Subscriptions: list and unlink only


def test_agent_can_unlink_a_subscription_but_not_create_or_edit_one(agent_client, parent):
    subscription = models.Subscription.objects.get(user=parent)

    assert_denied(agent_client.get(url("subscriptions", "add")))
    assert_denied(agent_client.get(url("subscriptions", "edit", subscription.pk)))
    response = agent_client.post(url("subscriptions", "delete", subscription.pk))

    assert response.status_code == 302
    assert not models.Subscription.objects.exists()


# Health information is for users given the permission on purpose


@pytest.fixture
def health(family):
    child = factories.ChildFactory(family=family)
    return factories.ChildHealthFactory(child=child, allergies="arachide")


def test_agent_without_view_childhealth_cannot_see_health_information(agent_client, health):
    child = health.child

    assert_denied(agent_client.get(url("health", "index")))
    assert_denied(agent_client.get(url("health", "inspect", health.pk)))
    for view in ("edit", "inspect"):
        response = agent_client.get(url("children", view, child.pk))
        assert response.status_code == 200
        assert "arachide" not in response.content.decode()
    menu = agent_client.get(reverse("wagtailadmin_home")).content.decode()
    assert url("health", "index") not in menu
    assert url("families", "index") in menu


def test_health_information_is_shown_to_users_given_the_permission(
    client, agent, health, other_family
):
    factories.ChildHealthFactory(child__family=other_family, allergies="gluten")
    agent.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="wagtail_family_portal", codename="view_childhealth"
        )
    )
    login(client, agent)

    response = client.get(url("health", "index"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [health]


# The agents' group


AGENT_MODELS = [
    "family",
    "guardian",
    "child",
    "authorisedcontact",
    "establishment",
    "activity",
    "closure",
    "enrolment",
    "subscription",
]


def portal_permissions(group):
    return set(
        group.permissions.filter(content_type__app_label="wagtail_family_portal").values_list(
            "codename", flat=True
        )
    )


def test_agents_group_exists_with_the_expected_permissions(db):
    group = Group.objects.get(name=AGENTS_GROUP_NAME)

    expected = {"view_municipality"} | {
        f"{action}_{model}"
        for model in AGENT_MODELS
        for action in ("add", "change", "delete", "view")
    }
    # Family accounts (migration 0004): seen, and activation e-mails resent; attempts read.
    expected |= {"view_accountprofile", "change_accountprofile", "view_subscriptionattempt"}
    # Family-file changes (migration 0009): seen and decided, never created nor deleted.
    expected |= {"view_request", "change_request"}
    # Bookings (migration 0012): lines decided, children's days read and marked.
    expected |= {"view_bookingline", "change_bookingline", "view_childday", "change_childday"}
    # Decision e-mails (migration 0014): read, to answer a family that got none.
    expected |= {"view_digestdelivery"}
    assert portal_permissions(group) == expected
    assert group.permissions.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).exists()


def test_agents_group_migration_creates_missing_permissions_and_is_reversible(db):
    migration = importlib.import_module("wagtail_family_portal.migrations.0002_agents_group")
    state = MigrationExecutor(connection).loader.project_state(
        ("wagtail_family_portal", "0002_agents_group")
    )
    Permission.objects.filter(content_type__app_label="wagtail_family_portal").delete()

    migration.delete_agents_group(state.apps, None)
    assert not Group.objects.filter(name=AGENTS_GROUP_NAME).exists()
    migration.create_agents_group(state.apps, None)
    assert len(portal_permissions(Group.objects.get(name=AGENTS_GROUP_NAME))) == 37


ACCOUNT_PERMISSIONS = {"view_accountprofile", "change_accountprofile", "view_subscriptionattempt"}


def test_account_permissions_migration_creates_missing_permissions_and_is_reversible(db):
    migration = importlib.import_module(
        "wagtail_family_portal.migrations.0004_agents_account_permissions"
    )
    state = MigrationExecutor(connection).loader.project_state(
        ("wagtail_family_portal", "0004_agents_account_permissions")
    )
    group = Group.objects.get(name=AGENTS_GROUP_NAME)

    migration.revoke_account_permissions(state.apps, None)
    assert not portal_permissions(group) & ACCOUNT_PERMISSIONS
    assert "change_family" in portal_permissions(group)  # the older permissions stay

    Permission.objects.filter(codename__in=ACCOUNT_PERMISSIONS).delete()
    migration.grant_account_permissions(state.apps, None)
    assert portal_permissions(group) >= ACCOUNT_PERMISSIONS


REQUEST_PERMISSIONS = {"view_request", "change_request"}


def test_request_permissions_migration_is_reversible(db):
    migration = importlib.import_module(
        "wagtail_family_portal.migrations.0009_agents_request_permissions"
    )
    state = MigrationExecutor(connection).loader.project_state(
        ("wagtail_family_portal", "0009_agents_request_permissions")
    )
    group = Group.objects.get(name=AGENTS_GROUP_NAME)

    migration.revoke_request_permissions(state.apps, None)
    assert not portal_permissions(group) & REQUEST_PERMISSIONS
    assert ACCOUNT_PERMISSIONS <= portal_permissions(group)  # the older permissions stay

    Permission.objects.filter(codename__in=REQUEST_PERMISSIONS).delete()
    migration.grant_request_permissions(state.apps, None)
    assert portal_permissions(group) >= REQUEST_PERMISSIONS


def assert_denied(response):
    """Wagtail answers a permission error with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


def test_municipality_is_read_only_for_agents(agent_client, municipality):
    assert agent_client.get(url("municipalities", "inspect", municipality.pk)).status_code == 200
    assert_denied(agent_client.get(url("municipalities", "edit", municipality.pk)))
    assert_denied(agent_client.get(url("municipalities", "add")))


def test_agent_of_two_towns_sees_both(client, agent, family, other_family, other_municipality):
    other_municipality.agents.add(agent)
    login(client, agent)

    response = client.get(url("families", "index"))

    assert set(response.context["object_list"]) == {family, other_family}


def test_subscriber_code_is_shown_on_the_family_form(agent_client, family):
    response = agent_client.get(url("families", "edit", family.pk))

    assert response.status_code == 200
    assert family.subscriber_code in response.content.decode()


def test_children_search(agent_client, family):
    factories.ChildFactory(family=family, first_name="Zoé")
    factories.ChildFactory(family=family, first_name="Hugo")

    response = agent_client.get(url("children", "index"), {"q": "zo"})

    assert [child.first_name for child in response.context["object_list"]] == ["Zoé"]
