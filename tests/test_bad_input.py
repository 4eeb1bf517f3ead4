"""Bad input is a 400 (API) or a form error (pages), never a 500: NUL characters and unpaired
surrogates in any text, JSON nested thousands of levels deep, ids too large for a column.

PostgreSQL refuses to store a NUL character and UTF-8 cannot encode a lone surrogate: these
tests matter most on PostgreSQL (``DATABASE_URL``), and pass on SQLite as well.
"""

import json

import pytest
from rest_framework.test import APIClient

from wagtail_family_portal.models import FileChange, Request

from . import factories

BASE = "/api/family-portal/v1/"
FORBIDDEN = (
    "Ce texte contient un caractère interdit (un caractère NUL ou un demi-codet de substitution "
    "isolé)."
)
TOO_DEEP = "Le corps de la requête est trop imbriqué (20 niveaux au plus)."


@pytest.fixture
def client(parent):
    client = APIClient()
    client.force_authenticate(parent)
    return client


def post_raw(client, path, body: str):
    """``body`` as it is written: JSON escapes such as \\u0000 or \\ud800 stay escapes."""
    return client.post(path, data=body.encode(), content_type="application/json")


# The API: texts


@pytest.mark.parametrize("value", ["a\\u0000b", "a\\ud800b", "\\udfff", "x\\ud83d"])
def test_a_forbidden_character_in_a_change_is_a_400_naming_the_field(client, family, claire, value):
    body = (
        f'{{"target_type": "guardian", "target_id": {claire.pk}, '
        f'"fields": {{"profession": "{value}"}}}}'
    )

    response = post_raw(client, f"{BASE}families/{family.pk}/changes/", body)

    assert response.status_code == 400
    assert response.json() == {"fields.profession": [FORBIDDEN]}
    assert not Request.objects.exists()


def test_a_valid_surrogate_pair_is_a_character_like_any_other(client, family, claire):
    body = (
        f'{{"target_type": "guardian", "target_id": {claire.pk}, '
        '"fields": {"profession": "fleuriste \\ud83c\\udf37"}}'
    )

    response = post_raw(client, f"{BASE}families/{family.pk}/changes/", body)

    assert response.status_code == 201
    assert "🌷" in Request.objects.get().file_changes.get().new_value


def test_a_forbidden_character_in_a_key_names_its_object(client, family, claire):
    body = f'{{"target_type": "guardian", "target_id": {claire.pk}, "fields": {{"a\\u0000": "b"}}}}'

    response = post_raw(client, f"{BASE}families/{family.pk}/changes/", body)

    assert response.status_code == 400
    assert response.json() == {"fields": [FORBIDDEN]}


def test_a_forbidden_character_in_a_list_names_its_position(client, family, lea):
    body = (
        f'{{"kind": "booking", "child_id": {lea.pk}, "activity_id": 1, '
        '"dates": ["2026-12-03", "2026-12-04\\u0000"]}'
    )

    response = post_raw(client, f"{BASE}families/{family.pk}/requests/", body)

    assert response.status_code == 400
    assert response.json() == {"dates.1": [FORBIDDEN]}


@pytest.mark.parametrize(
    "path,field,authenticated",
    [
        ("auth/token/", "email", False),
        ("auth/signup/", "first_name", False),
        ("auth/activate/", "token", False),
        ("auth/activate/resend/", "email", False),
        ("subscriptions/", "subscriber_code", True),
        ("families/{family}/requests/", "kind", True),
        ("requests/{request}/withdraw/", "lines", True),
        ("me/notifications/", "decision_emails", True),
    ],
)
@pytest.mark.parametrize("value", ["\\u0000", "\\ud800"])
def test_every_body_refuses_forbidden_characters(parent, family, path, field, authenticated, value):
    client = APIClient()
    if authenticated:
        client.force_authenticate(parent)
    request = Request.objects.create(family=family, kind="booking", created_by=parent)
    path = BASE + path.format(family=family.pk, request=request.pk)
    body = json.dumps({field: "x"}).replace('"x"', f'"x{value}"')

    if path.endswith("notifications/"):
        response = client.put(path, data=body.encode(), content_type="application/json")
    else:
        response = post_raw(client, path, body)

    assert response.status_code == 400, response.content
    assert response.json() == {field: [FORBIDDEN]}


def test_a_nul_in_the_query_string_is_a_400_naming_the_parameter(client, family):
    response = client.get(f"{BASE}families/{family.pk}/requests/?state=pending%00")

    assert response.status_code == 400
    assert response.json() == {"state": [FORBIDDEN]}


def test_a_nul_in_a_multipart_field_is_a_400(client, family, lea):
    response = client.post(
        f"{BASE}families/{family.pk}/children/{lea.pk}/photo/",
        {"note": "a\x00b"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"note": [FORBIDDEN]}


# The API: nesting, ids


@pytest.mark.parametrize("depth", [5000, 100_000])
def test_deeply_nested_json_is_a_400(client, family, depth):
    response = post_raw(client, f"{BASE}families/{family.pk}/changes/", "[" * depth + "]" * depth)

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_json_nested_deeper_than_any_body_of_the_api_is_a_400(client, family, claire):
    nested = "[" * 30 + "]" * 30
    body = f'{{"target_type": "guardian", "target_id": {claire.pk}, "fields": {nested}}}'

    response = post_raw(client, f"{BASE}families/{family.pk}/changes/", body)

    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_deeply_nested_json_to_an_anonymous_endpoint_is_a_400(db):
    response = post_raw(APIClient(), BASE + "auth/token/", '{"email": ' + "[" * 5000)

    assert response.status_code == 400


@pytest.mark.parametrize("field", ["child_id", "activity_id"])
def test_an_id_too_large_for_a_column_is_a_400(client, family, lea, field):
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": 1, "dates": ["2026-12-03"]}
    body[field] = 10**30

    response = client.post(f"{BASE}families/{family.pk}/requests/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_target_id_too_large_for_a_column_is_a_400(client, family):
    response = client.post(
        f"{BASE}families/{family.pk}/changes/",
        {"target_type": "guardian", "target_id": 10**30, "fields": {"profession": "x"}},
        format="json",
    )

    assert response.status_code == 400
    assert "target_id" in response.json()


# The family pages


PORTAL = "/espace-famille/"


def family_forms(family, claire, lea, contact):
    """Every form of the family pages that takes text: changes and additions."""
    base = f"{PORTAL}famille/{family.pk}/"
    return [
        f"{base}modifier/family/{family.pk}/",
        f"{base}modifier/guardian/{claire.pk}/",
        f"{base}modifier/child/{lea.pk}/",
        f"{base}modifier/health/{lea.pk}/",
        f"{base}modifier/contact/{contact.pk}/",
        f"{base}ajouter/child/",
        f"{base}ajouter/guardian/",
        f"{base}ajouter/contact/{lea.pk}/",
    ]


def text_fields(form) -> list[str]:
    from django import forms

    return [
        name
        for name, field in form.fields.items()
        if type(field) in (forms.CharField, forms.EmailField) and not field.disabled
    ]


def test_a_nul_in_any_text_field_of_the_family_pages_is_a_form_error(
    parent_client, portal_page, family, claire, lea
):
    contact = factories.AuthorisedContactFactory(child=lea)
    checked = 0
    for url in family_forms(family, claire, lea, contact):
        form = parent_client.get(url).context["form"]
        names = text_fields(form)
        data = {name: "a\x00b" for name in names}

        response = parent_client.post(url, data)

        assert response.status_code == 200, url
        errors = response.context["form"].errors
        for name in names:
            assert name in errors, (url, name)
        checked += len(names)
    assert checked > 30
    assert not Request.objects.exists()


def test_bytes_that_are_not_utf8_in_a_family_page_form_are_no_500(
    parent_client, portal_page, family, claire
):
    url = f"{PORTAL}famille/{family.pk}/modifier/guardian/{claire.pk}/"

    # A UTF-8-encoded surrogate (ED A0 80), and a stray continuation byte.
    response = parent_client.post(
        url,
        data=b"profession=%ED%A0%80&employer=%80",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code in (200, 302)


@pytest.mark.parametrize(
    "rest",
    [
        "famille/123456789012345678901234567890/",
        "famille/{family}/enfant/123456789012345678901234567890/",
        "famille/{family}/demandes/123456789012345678901234567890/",
        "famille/{family}/modifier/guardian/123456789012345678901234567890/",
    ],
)
def test_an_id_too_large_in_a_page_address_is_a_404(parent_client, portal_page, family, rest):
    response = parent_client.get(PORTAL + rest.format(family=family.pk))

    assert response.status_code == 404


# Dates of the family file: the plausible range of the API's dates


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2100-01-01", "9999-12-31"])
def test_an_implausible_birth_date_is_a_400_on_the_field(client, family, lea, day):
    response = client.post(
        f"{BASE}families/{family.pk}/changes/",
        {"target_type": "child", "target_id": lea.pk, "fields": {"birth_date": day}},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"birth_date": ["Indiquez une date entre 1900 et 2099."]}
    assert not Request.objects.exists()


def test_a_guardian_born_in_1950_is_plausible(client, family, claire):
    response = client.post(
        f"{BASE}families/{family.pk}/changes/",
        {"target_type": "guardian", "target_id": claire.pk, "fields": {"birth_date": "1950-06-01"}},
        format="json",
    )

    assert response.status_code == 201
    [line] = FileChange.objects.filter(request_id=response.json()["id"])
    assert (line.field, line.new_value) == ("birth_date", "1950-06-01")


def test_adding_a_child_born_in_year_1_is_refused_by_the_service(family, parent):
    from wagtail_family_portal.file_fields import FieldRules
    from wagtail_family_portal.services import dossier

    with pytest.raises(dossier.DossierError) as raised:
        dossier.propose_addition(
            family=family,
            user=parent,
            target_type="child",
            fields={
                "first_name": "Zoé",
                "last_name": "Martin",
                "birth_date": "0001-01-01",
                "sex": "F",
            },
            rules=FieldRules.defaults(),
        )

    assert list(raised.value.errors) == ["birth_date"]


def test_an_implausible_birth_date_is_a_form_error_on_the_family_pages(
    parent_client, portal_page, family, lea
):
    url = f"{PORTAL}famille/{family.pk}/modifier/child/{lea.pk}/"
    data = {
        "first_name": lea.first_name,
        "last_name": lea.last_name,
        "birth_date": "0001-01-01",
        "sex": lea.sex,
    }

    response = parent_client.post(url, data)

    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == [
        "Indiquez une date entre 1900 et 2099."
    ]
    assert not Request.objects.exists()
