"""Phone numbers are checked and normalised everywhere one is stored: French without an
international prefix, any country's with one, kept as E.164, shown as their country writes
them (``wagtail_family_portal.phones``)."""

import importlib
import io

import pytest
from django.apps import apps
from django.db import connection
from django.forms import modelform_factory
from rest_framework.test import APIClient

from wagtail_family_portal.models import (
    AccountProfile,
    AuthorisedContact,
    ChildHealth,
    Establishment,
    Guardian,
    Municipality,
    Request,
)
from wagtail_family_portal.phones import format_phone, normalise_phone, to_phone
from wagtail_family_portal.services import dossier

from . import factories
from .test_family_pages import guardian_data

BASE = "/api/family-portal/v1/"
PORTAL = "/espace-famille/"
INVALID = (
    "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78, ou avec l'indicatif "
    "de son pays, par exemple +32 2 555 12 12."
)
PHONE_FIELDS = {
    AccountProfile: ["phone"],
    AuthorisedContact: ["phone"],
    ChildHealth: ["doctor_phone"],
    Establishment: ["phone"],
    Guardian: ["mobile_phone", "home_phone", "work_phone"],
    Municipality: ["phone"],
}


@pytest.fixture
def client(parent):
    client = APIClient()
    client.force_authenticate(parent)
    return client


def stored(model, pk, name) -> str:
    """The text in the database column, as SQL reads it."""
    table, column = model._meta.db_table, model._meta.get_field(name).column
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])
        return cursor.fetchone()[0]


# Reading and showing a number


@pytest.mark.parametrize(
    "typed,e164,shown",
    [
        ("06 12 34 56 78", "+33612345678", "06 12 34 56 78"),
        ("06.12.34.56.78", "+33612345678", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "+33612345678", "06 12 34 56 78"),
        ("0033612345678", "+33612345678", "06 12 34 56 78"),
        ("02 48 72 41 00", "+33248724100", "02 48 72 41 00"),
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958"),
        ("+32 2 555 12 12", "+3225551212", "+32 2 555 12 12"),
    ],
)
def test_numbers_are_french_by_default_and_international_with_a_prefix(typed, e164, shown):
    assert normalise_phone(typed) == e164
    assert format_phone(typed) == shown
    assert str(to_phone(typed)) == shown


def test_what_is_not_a_number_is_shown_as_typed():
    assert format_phone("hello") == "hello"
    assert normalise_phone("hello") == "hello"
    assert format_phone("") == ""


# Every phone of the models


@pytest.mark.parametrize(
    "model,name", [(model, name) for model, names in PHONE_FIELDS.items() for name in names]
)
def test_every_phone_field_refuses_text_and_stores_e164(model, name):
    field = model._meta.get_field(name)
    with pytest.raises(Exception) as raised:
        field.clean("hello", None)
    assert INVALID in str(raised.value)
    assert field.get_prep_value("06 12 34 56 78") == "+33612345678"
    assert str(field.to_python("+33612345678")) == "06 12 34 56 78"


def test_the_admin_form_of_a_municipality_refuses_text_and_normalises(db):
    form_class = modelform_factory(Municipality, fields=["name", "phone"])
    bad = form_class({"name": "Ville", "phone": "hello"})
    good = form_class({"name": "Ville", "phone": "02.48.72.41.00"})

    assert bad.errors["phone"] == [INVALID]
    assert good.is_valid(), good.errors
    municipality = good.save()
    assert stored(Municipality, municipality.pk, "phone") == "+33248724100"


# The family file: API, pages, service


def test_a_phone_that_is_text_is_a_400_on_the_field(client, family, claire):
    response = client.post(
        f"{BASE}families/{family.pk}/changes/",
        {"target_type": "guardian", "target_id": claire.pk, "fields": {"mobile_phone": "hello"}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"mobile_phone": [INVALID]}
    assert not Request.objects.exists()


def test_an_accepted_phone_change_is_stored_as_e164(client, family, claire, agent):
    response = client.post(
        f"{BASE}families/{family.pk}/changes/",
        {
            "target_type": "guardian",
            "target_id": claire.pk,
            "fields": {"mobile_phone": "+44 20 7946 0958"},
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["lines"][0]["new_value"] == "+44 20 7946 0958"

    dossier.accept(Request.objects.get(), agent=agent)

    assert stored(Guardian, claire.pk, "mobile_phone") == "+442079460958"


def test_the_same_number_written_otherwise_is_no_change(family, parent, claire):
    claire.mobile_phone = "06 12 34 56 78"
    claire.save()

    with pytest.raises(dossier.DossierError) as raised:
        dossier.propose_change(
            family=family,
            user=parent,
            target_type="guardian",
            target_id=claire.pk,
            fields={"mobile_phone": "+33 6 12 34 56 78"},
            rules=None,
        )

    assert raised.value.code == "unchanged"


def test_a_contact_added_with_a_bad_phone_is_refused(client, family):
    lea = factories.ChildFactory(family=family)

    response = client.post(
        f"{BASE}families/{family.pk}/changes/",
        {
            "operation": "add",
            "target_type": "contact",
            "parent_id": lea.pk,
            "fields": {"first_name": "Michel", "last_name": "Durand", "phone": "0612"},
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"phone": [INVALID]}


def test_the_family_page_form_refuses_text_and_shows_french_numbers(
    parent_client, portal_page, family, claire
):
    url = f"{PORTAL}famille/{family.pk}/modifier/guardian/{claire.pk}/"
    data = guardian_data(claire)

    refused = parent_client.post(url, {**data, "mobile_phone": "hello"})
    sent = parent_client.post(url, {**data, "mobile_phone": "07.81.23.45.67"})

    assert refused.status_code == 200
    assert refused.context["form"].errors["mobile_phone"] == [INVALID]
    assert sent.status_code == 302
    page = parent_client.get(f"{PORTAL}famille/{family.pk}/").content.decode()
    assert "07 81 23 45 67" in page
    assert "+33781234567" not in page


def test_the_dashboard_shows_a_stored_number_in_the_french_way(
    parent_client, portal_page, family, claire
):
    claire.mobile_phone = "+33612345678"
    claire.save()

    page = parent_client.get(PORTAL).content.decode()

    assert "06 12 34 56 78" in page


# Sign-up


@pytest.fixture
def signup_body():
    return {
        "email": "camille@example.org",
        "password": "a long passphrase for camille",
        "first_name": "Camille",
        "last_name": "Martin",
        "accept_terms": True,
    }


def test_signing_up_with_a_phone_that_is_text_is_a_400(portal_page, signup_body):
    response = APIClient().post(
        BASE + "auth/signup/", {**signup_body, "phone": "hello"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"phone": [INVALID]}


def test_signing_up_with_a_phone_stores_it_as_e164(portal_page, signup_body):
    response = APIClient().post(
        BASE + "auth/signup/", {**signup_body, "phone": "06 12 34 56 78"}, format="json"
    )

    assert response.status_code == 202
    profile = AccountProfile.objects.get(user__email="camille@example.org")
    assert stored(AccountProfile, profile.pk, "phone") == "+33612345678"


# Data already stored, demo data


def test_the_migration_normalises_numbers_and_keeps_the_rest(family):
    keep = factories.GuardianFactory(family=family)
    number = factories.GuardianFactory(family=family)
    with connection.cursor() as cursor:
        table = Guardian._meta.db_table
        cursor.execute(
            f'UPDATE "{table}" SET mobile_phone = %s, home_phone = %s WHERE id = %s',
            ["06.12.34.56.78", "+44 20 7946 0958", number.pk],
        )
        cursor.execute(
            f'UPDATE "{table}" SET mobile_phone = %s, home_phone = %s WHERE id = %s',
            ["hello", "0612", keep.pk],
        )
    migration = importlib.import_module("wagtail_family_portal.migrations.0018_phone_numbers")

    migration.normalise_phones(apps, None)

    assert stored(Guardian, number.pk, "mobile_phone") == "+33612345678"
    assert stored(Guardian, number.pk, "home_phone") == "+442079460958"
    assert stored(Guardian, keep.pk, "mobile_phone") == "hello"
    assert stored(Guardian, keep.pk, "home_phone") == "0612"
    assert str(Guardian.objects.get(pk=keep.pk).mobile_phone) == "hello"


def test_every_phone_of_the_demo_is_a_valid_number(db):
    from django.core.management import call_command

    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())
    checked = 0
    for model, names in PHONE_FIELDS.items():
        for name in names:
            for value in model.objects.exclude(**{name: ""}).values_list(name, flat=True):
                assert value.is_valid(), (model.__name__, name, value)
                checked += 1
    assert checked >= 10
