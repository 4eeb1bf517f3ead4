"""The family file through the API: reading it, proposing changes, photos, withdrawing."""

import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wagtail_family_portal.models import FamilyFileRules, FamilyPortalSettings, FileChange, Request
from wagtail_family_portal.services import dossier

from . import factories

BASE = "/api/family-portal/v1/"
IBAN = "FR7630006000011234567890189"
NEW_IBAN = "FR1420041010050500013M02606"
NOT_CHANGEABLE = "This field cannot be changed online. Contact the service."


def file_url(family):
    return f"{BASE}families/{family.pk}/"


def changes_url(family):
    return f"{BASE}families/{family.pk}/changes/"


def photo_url(family, child):
    return f"{BASE}families/{family.pk}/children/{child.pk}/photo/"


def request_url(request):
    return f"{BASE}requests/{request.pk}/"


@pytest.fixture
def client(parent):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(parent)
    return client


@pytest.fixture
def claire(family):
    """Overrides conftest's claire: with an IBAN (the API masks it)."""
    return factories.GuardianFactory(family=family, first_name="Claire", iban=IBAN)


@pytest.fixture
def lea(lea):
    """conftest's lea, with her health information (allergic to peanuts)."""
    factories.ChildHealthFactory(child=lea, allergies="arachide")
    return lea


@pytest.fixture
def grandpa(lea):
    return factories.AuthorisedContactFactory(child=lea, first_name="Michel")


@pytest.fixture
def stranger_family(municipality):
    """A family of the same town the account is not linked to, with one of everything."""
    family = factories.FamilyFactory(municipality=municipality, name="Durand")
    guardian = factories.GuardianFactory(family=family)
    child = factories.ChildFactory(family=family)
    contact = factories.AuthorisedContactFactory(child=child)
    family.records = {"guardian": guardian, "child": child, "contact": contact}
    return family


def set_rules(site, rules):
    FamilyFileRules.objects.update_or_create(site=site, defaults={"rules": rules})


def post_change(client, family, **body):
    return client.post(changes_url(family), body, format="json")


def png_upload(size=(640, 480), name="photo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# GET families/{family_id}/


def test_the_file_as_the_family_sees_it(client, family, claire, lea, grandpa, portal_page):
    family.family_quotient = "512.40"
    family.quotient_year = 2025
    family.caf_number = "1234567"
    family.save()
    FamilyPortalSettings.objects.update_or_create(
        site=portal_page.get_site(),
        defaults={
            "tax_data_help_text": "<p>Bring your <b>CAF</b> letter</p><p>to the town hall "
            "&amp; we update it.</p>"
        },
    )

    response = client.get(file_url(family))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"]) == (family.pk, "Martin")
    assert body["city"] == "Nantes" and "city" in body["editable_fields"]
    assert body["tax_data"] == {
        "family_quotient": "512.40",
        "quotient_year": 2025,
        "caf_number": "1234567",
        "help_text": "Bring your CAF letter\nto the town hall & we update it.",
    }
    assert not set(body["editable_fields"]) & {"family_quotient", "quotient_year", "caf_number"}
    [guardian] = body["guardians"]
    assert guardian["id"] == claire.pk and guardian["first_name"] == "Claire"
    assert "iban" in guardian["editable_fields"]
    [child] = body["children"]
    assert child["id"] == lea.pk and child["birth_date"] == "2018-05-14"
    assert child["photo_rights"] is False and child["photo_url"] is None
    assert child["health"]["allergies"] == "arachide"
    assert "allergies" in child["health"]["editable_fields"]
    assert [contact["id"] for contact in child["authorised_contacts"]] == [grandpa.pk]
    assert child["authorised_contacts"][0]["phone"] == "06 98 76 54 32"
    assert body["pending_changes"] == []


def test_the_iban_is_masked_but_its_last_four_characters(client, family, claire):
    response = client.get(file_url(family))

    assert response.json()["guardians"][0]["iban"] == "•••• •••• •••• •••• •••• •••• 0189"
    assert IBAN not in response.content.decode()
    assert IBAN[:8] not in response.content.decode()


def test_a_child_without_health_information_shows_the_defaults(client, family):
    factories.ChildFactory(family=family)

    health = client.get(file_url(family)).json()["children"][0]["health"]

    assert health["allergies"] == "" and health["has_care_plan"] is False


def test_a_child_with_a_photo_links_to_the_family_pages(client, family, lea, portal_page):
    lea.photo.name = "family_portal/children/lea.jpg"
    lea.save()

    child = client.get(file_url(family)).json()["children"][0]

    assert child["photo_url"] == (
        f"http://testserver/espace-famille/famille/{family.pk}/enfant/{lea.pk}/photo/"
    )


def test_fields_hidden_by_the_rules_are_left_out(client, family, claire, lea, portal_page):
    set_rules(
        portal_page.get_site(),
        {
            "family": {"caf_number": "hidden", "postcode": "hidden"},
            "guardian": {"iban": "hidden", "profession": "hidden"},
            "child": {"photo": "hidden"},
            "health": {"allergies": "hidden"},
            "contact": {"relation": "hidden"},
        },
    )
    factories.AuthorisedContactFactory(child=lea)

    body = client.get(file_url(family)).json()

    assert "postcode" not in body and "postcode" not in body["editable_fields"]
    assert "caf_number" not in body["tax_data"] and "family_quotient" in body["tax_data"]
    guardian = body["guardians"][0]
    assert not {"iban", "profession"} & (set(guardian) | set(guardian["editable_fields"]))
    child = body["children"][0]
    assert "photo_url" not in child and "photo" not in child["editable_fields"]
    assert "allergies" not in child["health"] and "diet" in child["health"]
    assert "relation" not in child["authorised_contacts"][0]


def test_read_only_fields_are_shown_but_not_editable(client, family, claire, portal_page):
    set_rules(portal_page.get_site(), {"guardian": {"mobile_phone": "read_only"}})

    guardian = client.get(file_url(family)).json()["guardians"][0]

    assert guardian["mobile_phone"] == "06 12 34 56 78"
    assert "mobile_phone" not in guardian["editable_fields"]


def test_pending_changes_are_listed(client, parent, family, claire, lea, grandpa):
    rules = None  # as an agent's tool would: the API's own rules are tested below
    phone = dossier.propose_change(
        family=family,
        user=parent,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "06 11 22 33 44", "iban": NEW_IBAN},
        rules=rules,
    )
    allergy = dossier.propose_change(
        family=family,
        user=parent,
        target_type="health",
        target_id=lea.pk,
        fields={"allergies": "kiwi"},
        rules=rules,
    )
    added = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="contact",
        parent_id=lea.pk,
        fields={"first_name": "Anne", "last_name": "Roux", "phone": "0611223344"},
        rules=rules,
    )
    removed = dossier.propose_removal(
        family=family, user=parent, target_type="contact", target_id=grandpa.pk
    )
    withdrawn = dossier.propose_change(
        family=family,
        user=parent,
        target_type="family",
        target_id=family.pk,
        fields={"city": "Rezé"},
        rules=rules,
    )
    dossier.withdraw(withdrawn, user=parent)

    pending = client.get(file_url(family)).json()["pending_changes"]

    summary = {
        (line["request_id"], line["target_type"], line["target_id"], line["field"]): (
            line["operation"],
            line["old_value"],
            line["new_value"],
        )
        for line in pending
    }
    assert summary == {
        (phone.pk, "guardian", claire.pk, "iban"): (
            "update",
            "•••• •••• •••• •••• •••• •••• 0189",
            "•••• •••• •••• •••• •••• •••• 2606",
        ),
        (phone.pk, "guardian", claire.pk, "mobile_phone"): (
            "update",
            "06 12 34 56 78",
            "06 11 22 33 44",
        ),
        (allergy.pk, "health", lea.pk, "allergies"): ("update", "arachide", "kiwi"),
        (added.pk, "contact", lea.pk, ""): (
            "add",
            None,
            {"first_name": "Anne", "last_name": "Roux", "phone": "06 11 22 33 44"},
        ),
        (removed.pk, "contact", grandpa.pk, ""): ("remove", {"name": "Michel Durand"}, None),
    }
    assert [line["request_id"] for line in pending][0] == phone.pk
    assert all(line["submitted_at"] for line in pending)


def test_pending_changes_of_hidden_fields_are_left_out(client, parent, family, claire, portal_page):
    dossier.propose_change(
        family=family,
        user=parent,
        target_type="guardian",
        target_id=claire.pk,
        fields={"profession": "Infirmière"},
        rules=None,
    )
    set_rules(portal_page.get_site(), {"guardian": {"profession": "hidden"}})

    assert client.get(file_url(family)).json()["pending_changes"] == []


def test_the_file_of_another_family_is_404(client, stranger_family):
    response = client.get(file_url(stranger_family))

    assert response.status_code == 404
    assert "detail" in response.json()


def test_an_unknown_family_is_404(client, family):
    assert client.get(f"{BASE}families/999999/").status_code == 404


def test_the_number_of_queries_does_not_grow_with_the_children(client, parent, family, portal_page):
    def add_a_child_with_everything():
        child = factories.ChildFactory(family=family, photo="family_portal/children/x.jpg")
        factories.ChildHealthFactory(child=child)
        factories.AuthorisedContactFactory.create_batch(2, child=child)
        factories.GuardianFactory(family=family)
        dossier.propose_change(
            family=family,
            user=parent,
            target_type="health",
            target_id=child.pk,
            fields={"diet": "sans porc"},
            rules=None,
        )

    def count_queries():
        cache.clear()  # Wagtail caches the sites' root paths: count them each time
        with CaptureQueriesContext(connection) as queries:
            response = client.get(file_url(family))
        assert all(child["photo_url"] for child in response.json()["children"])
        return len(queries)

    add_a_child_with_everything()
    one_child = count_queries()
    for _ in range(4):
        add_a_child_with_everything()
    five_children = count_queries()

    # The family, guardians, children (with health), contacts, the rules, the tax text, two
    # for the pending changes, and the portal page's address (page, root page, sites).
    assert five_children == one_child <= 12


# POST families/{family_id}/changes/


def test_a_change_waits_for_an_agent_and_leaves_the_file_as_it_is(client, family, claire):
    response = post_change(
        client,
        family,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "06 11 22 33 44"},
    )

    assert response.status_code == 201
    body = response.json()
    request = Request.objects.get()
    assert (body["id"], body["state"]) == (request.pk, "pending")
    assert "Claire" in body["summary"]
    assert body["lines"] == [
        {
            "target_type": "guardian",
            "target_id": claire.pk,
            "operation": "update",
            "field": "mobile_phone",
            "old_value": "06 12 34 56 78",
            "new_value": "06 11 22 33 44",
        }
    ]
    assert [event["action"] for event in body["history"]] == ["submitted"]
    claire.refresh_from_db()
    assert claire.mobile_phone == "06 12 34 56 78"
    pending = client.get(file_url(family)).json()["pending_changes"]
    assert [(line["request_id"], line["new_value"]) for line in pending] == [
        (request.pk, "06 11 22 33 44")
    ]


def test_a_change_of_the_family_needs_no_target_id(client, family):
    response = post_change(client, family, target_type="family", fields={"city": "Rezé"})

    assert response.status_code == 201
    assert response.json()["lines"][0]["target_id"] == family.pk


def test_json_booleans_are_understood(client, family, lea):
    response = post_change(
        client, family, target_type="child", target_id=lea.pk, fields={"photo_rights": True}
    )

    assert response.status_code == 201
    assert response.json()["lines"][0]["new_value"] == "True"


def test_tax_data_cannot_be_changed(client, family):
    response = post_change(
        client, family, target_type="family", fields={"family_quotient": "100.00"}
    )

    assert response.status_code == 400
    assert response.json() == {"family_quotient": [NOT_CHANGEABLE]}
    assert not Request.objects.exists()


def test_a_field_the_rules_hide_cannot_be_changed(client, family, claire, portal_page):
    set_rules(portal_page.get_site(), {"guardian": {"iban": "hidden"}})

    response = post_change(
        client, family, target_type="guardian", target_id=claire.pk, fields={"iban": NEW_IBAN}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["iban"]
    assert not Request.objects.exists()


def test_an_invalid_iban_is_a_field_error(client, family, claire):
    response = post_change(
        client,
        family,
        target_type="guardian",
        target_id=claire.pk,
        fields={"iban": "FR7630006000011234567890188"},
    )

    assert response.status_code == 400
    assert response.json() == {"iban": ["“FR7630006000011234567890188” is not a valid IBAN."]}
    assert not Request.objects.exists()


def test_a_birth_date_in_the_future_is_a_field_error(client, family, lea):
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()

    response = post_change(
        client, family, target_type="child", target_id=lea.pk, fields={"birth_date": tomorrow}
    )

    assert response.status_code == 400
    assert response.json() == {"birth_date": ["A birth date cannot be in the future."]}


@pytest.mark.parametrize("value", [123, True, "14/05/2018"])
def test_a_birth_date_that_is_not_a_date_is_a_field_error(client, family, lea, value):
    response = post_change(
        client, family, target_type="child", target_id=lea.pk, fields={"birth_date": value}
    )

    assert response.status_code == 400
    assert list(response.json()) == ["birth_date"]


@pytest.mark.parametrize("value", [{"a": 1}, ["06"]])
def test_a_value_that_is_not_text_is_a_field_error(client, family, claire, value):
    response = post_change(
        client, family, target_type="guardian", target_id=claire.pk, fields={"mobile_phone": value}
    )

    assert response.status_code == 400
    assert response.json() == {"mobile_phone": ["Give a text, a number, true, false or null."]}


def test_an_unchanged_value_is_refused(client, family, claire):
    response = post_change(
        client,
        family,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "06 12 34 56 78"},
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "These values are already those of the file."}


def test_a_field_already_waiting_is_a_conflict(client, family, claire):
    first = post_change(
        client, family, target_type="guardian", target_id=claire.pk, fields={"email": "a@b.fr"}
    )
    second = post_change(
        client, family, target_type="guardian", target_id=claire.pk, fields={"email": "c@d.fr"}
    )

    assert first.status_code == 201
    assert second.status_code == 409
    assert "already waiting" in second.json()["detail"]
    assert Request.objects.count() == 1


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"fields": {"city": "Rezé"}}, {"target_type"}),
        ({"target_type": "pet", "fields": {}}, {"target_type"}),
        ({"operation": "rename", "target_type": "family", "fields": {}}, {"operation"}),
        ({"target_type": "guardian", "fields": {"email": "a@b.fr"}}, {"target_id"}),
        ({"target_type": "guardian", "target_id": "x", "fields": {}}, {"target_id"}),
        ({"target_type": "family"}, {"fields"}),
        ({"target_type": "family", "fields": "city=Rezé"}, {"fields"}),
        ({"operation": "add", "target_type": "contact", "fields": {}}, {"parent_id"}),
        ({"operation": "remove", "target_type": "contact"}, {"target_id"}),
    ],
)
def test_a_bad_body_is_a_400_on_the_field(client, family, body, errors):
    response = client.post(changes_url(family), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == errors


@pytest.mark.parametrize("body", ["not json", "[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_a_400(client, family, body):
    response = client.post(changes_url(family), body, content_type="application/json")

    assert response.status_code == 400


def test_nothing_to_change_is_refused(client, family):
    response = post_change(client, family, target_type="family", fields={})

    assert response.status_code == 400
    assert response.json() == {"detail": "Nothing to change."}


def test_a_change_to_another_family_is_404(client, stranger_family):
    response = post_change(client, stranger_family, target_type="family", fields={"city": "X"})

    assert response.status_code == 404
    assert not Request.objects.exists()


@pytest.mark.parametrize("target_type", ["guardian", "child", "contact", "health"])
def test_a_record_of_another_family_is_404(client, family, stranger_family, target_type):
    records = stranger_family.records
    record = records["child"] if target_type == "health" else records[target_type]
    field = {"guardian": "email", "child": "first_name", "contact": "phone", "health": "diet"}

    response = post_change(
        client,
        family,
        target_type=target_type,
        target_id=record.pk,
        fields={field[target_type]: "X"},
    )

    assert response.status_code == 404
    assert not Request.objects.exists()


def test_the_family_target_of_another_id_is_404(client, family, stranger_family):
    response = post_change(
        client, family, target_type="family", target_id=stranger_family.pk, fields={"city": "X"}
    )

    assert response.status_code == 404


# Additions and removals


def test_adding_a_contact_waits_for_an_agent(client, family, lea):
    response = post_change(
        client,
        family,
        operation="add",
        target_type="contact",
        parent_id=lea.pk,
        fields={"first_name": "Anne", "last_name": "Roux", "phone": "06 11 22 33 44"},
    )

    assert response.status_code == 201
    [line] = response.json()["lines"]
    assert (line["operation"], line["target_id"]) == ("add", lea.pk)
    assert line["new_value"]["last_name"] == "Roux"
    assert not lea.authorised_contacts.exists()


def test_adding_a_contact_without_a_required_field(client, family, lea):
    response = post_change(
        client,
        family,
        operation="add",
        target_type="contact",
        parent_id=lea.pk,
        fields={"first_name": "Anne", "last_name": "Roux"},
    )

    assert response.status_code == 400
    assert response.json() == {"phone": ["This field is required."]}


def test_adding_a_contact_to_another_familys_child_is_404(client, family, stranger_family):
    response = post_change(
        client,
        family,
        operation="add",
        target_type="contact",
        parent_id=stranger_family.records["child"].pk,
        fields={"first_name": "Anne", "last_name": "Roux", "phone": "06 11 22 33 44"},
    )

    assert response.status_code == 404


def test_adding_a_child_with_a_birth_date_in_the_future(client, family):
    response = post_change(
        client,
        family,
        operation="add",
        target_type="child",
        fields={
            "first_name": "Zoé",
            "last_name": "Martin",
            "sex": "F",
            "birth_date": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        },
    )

    assert response.status_code == 400
    assert response.json() == {"birth_date": ["A birth date cannot be in the future."]}


def test_removing_a_contact_waits_for_an_agent(client, family, grandpa):
    response = post_change(
        client, family, operation="remove", target_type="contact", target_id=grandpa.pk
    )
    again = post_change(
        client, family, operation="remove", target_type="contact", target_id=grandpa.pk
    )

    assert response.status_code == 201
    [line] = response.json()["lines"]
    assert (line["operation"], line["target_id"], line["old_value"]) == (
        "remove",
        grandpa.pk,
        {"name": "Michel Durand"},
    )
    assert again.status_code == 409
    grandpa.refresh_from_db()  # still there


def test_removing_a_contact_of_another_family_is_404(client, family, stranger_family):
    contact = stranger_family.records["contact"]

    response = post_change(
        client, family, operation="remove", target_type="contact", target_id=contact.pk
    )

    assert response.status_code == 404


@pytest.mark.parametrize("target", ["guardian", "child"])
def test_only_contacts_can_be_removed_online(client, family, claire, lea, target):
    record = {"guardian": claire, "child": lea}[target]

    response = post_change(
        client, family, operation="remove", target_type=target, target_id=record.pk
    )

    assert response.status_code == 400
    assert "detail" in response.json()
    assert not Request.objects.exists()


def test_health_information_cannot_be_added_as_a_record(client, family, lea):
    response = post_change(
        client, family, operation="add", target_type="health", fields={"diet": "x"}
    )

    assert response.status_code == 400
    assert "detail" in response.json()


# POST families/{family_id}/children/{child_id}/photo/


def test_a_photo_waits_for_an_agent(client, family, lea, private_root):
    response = client.post(photo_url(family, lea), {"photo": png_upload()}, format="multipart")

    assert response.status_code == 201
    [line] = response.json()["lines"]
    assert (line["target_type"], line["target_id"], line["field"]) == ("child", lea.pk, "photo")
    # The private file's name is never shown.
    assert (line["old_value"], line["new_value"]) == (None, None)
    stored = FileChange.objects.get().new_value
    assert stored not in response.content.decode()
    lea.refresh_from_db()
    assert not lea.photo


def test_a_pdf_named_jpg_is_refused(client, family, lea, private_root):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.7\n1 0 obj <<>>", content_type="image/jpeg")

    response = client.post(photo_url(family, lea), {"photo": fake}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"photo": ["This file is not a JPEG, PNG or WebP image."]}
    assert not Request.objects.exists()


def test_a_photo_over_5_mb_is_refused(client, family, lea, private_root):
    big = SimpleUploadedFile(
        "photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), content_type="image/png"
    )

    response = client.post(photo_url(family, lea), {"photo": big}, format="multipart")

    assert response.status_code == 400
    [message] = response.json()["photo"]
    assert "too large" in message and "5" in message
    assert not Request.objects.exists()


def test_a_photo_request_without_a_file(client, family, lea, private_root):
    response = client.post(photo_url(family, lea), {}, format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["photo"]


def test_a_second_photo_while_one_waits_is_a_conflict(client, family, lea, private_root):
    first = client.post(photo_url(family, lea), {"photo": png_upload()}, format="multipart")

    response = client.post(photo_url(family, lea), {"photo": png_upload()}, format="multipart")

    assert response.status_code == 409
    assert "already waiting" in response.json()["detail"]
    # The first photo still waits, alone.
    [waiting] = FileChange.objects.filter(field="photo")
    assert waiting.request_id == first.json()["id"]


def test_a_photo_the_rules_make_read_only_is_refused(
    client, family, lea, private_root, portal_page
):
    set_rules(portal_page.get_site(), {"child": {"photo": "read_only"}})

    response = client.post(photo_url(family, lea), {"photo": png_upload()}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"photo": [NOT_CHANGEABLE]}


def test_a_photo_of_another_familys_child_is_404(client, family, stranger_family, private_root):
    child = stranger_family.records["child"]

    mine = client.post(photo_url(family, child), {"photo": png_upload()}, format="multipart")
    theirs = client.post(
        photo_url(stranger_family, child), {"photo": png_upload()}, format="multipart"
    )

    assert (mine.status_code, theirs.status_code) == (404, 404)
    assert not Request.objects.exists()


# requests/{id}/


@pytest.fixture
def pending_request(parent, family, claire):
    return dossier.propose_change(
        family=family,
        user=parent,
        target_type="guardian",
        target_id=claire.pk,
        fields={"iban": NEW_IBAN},
        rules=None,
    )


def test_a_request_with_its_lines_and_history(client, pending_request, agent, claire):
    dossier.refuse(pending_request, agent=agent, message="Joignez un RIB.")

    response = client.get(request_url(pending_request))

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("id", "kind", "state", "answer")} == {
        "id": pending_request.pk,
        "kind": "file_change",
        "state": "refused",
        "answer": "Joignez un RIB.",
    }
    assert body["summary"] and body["created_at"]
    assert body["lines"][0]["new_value"] == "•••• •••• •••• •••• •••• •••• 2606"
    assert NEW_IBAN not in response.content.decode()
    assert [(event["action"], event["message"]) for event in body["history"]] == [
        ("submitted", ""),
        ("refused", "Joignez un RIB."),
    ]
    assert all(event["at"] for event in body["history"])


def test_a_request_of_another_family_is_404(client, stranger_family):
    other = dossier.propose_change(
        family=stranger_family,
        user=None,
        target_type="family",
        target_id=stranger_family.pk,
        fields={"city": "Rezé"},
        rules=None,
    )

    assert client.get(request_url(other)).status_code == 404
    assert client.post(request_url(other) + "withdraw/").status_code == 404
    other.refresh_from_db()
    assert other.state == "pending"


def test_withdrawing_a_request(client, family, pending_request):
    response = client.post(request_url(pending_request) + "withdraw/")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "withdrawn"
    assert [event["action"] for event in body["history"]] == ["submitted", "withdrawn"]
    pending_request.refresh_from_db()
    assert pending_request.state == "withdrawn"
    assert client.get(file_url(family)).json()["pending_changes"] == []


def test_withdrawing_twice_is_a_conflict(client, pending_request):
    client.post(request_url(pending_request) + "withdraw/")

    response = client.post(request_url(pending_request) + "withdraw/")

    assert response.status_code == 409
    assert "detail" in response.json()


# Authentication


def test_token_authentication(parent, family):
    token = Token.objects.create(user=parent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = post_change(client, family, target_type="family", fields={"city": "Rezé"})

    assert client.get(file_url(family)).status_code == 200
    assert response.status_code == 201


def test_session_authentication_with_csrf(parent, family):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(parent)
    body = {"target_type": "family", "fields": {"city": "Rezé"}}

    without_token = client.post(changes_url(family), body, format="json")
    csrf = _get_new_csrf_string()
    client.cookies["csrftoken"] = csrf
    with_token = client.post(changes_url(family), body, format="json", HTTP_X_CSRFTOKEN=csrf)

    assert client.get(file_url(family)).status_code == 200
    assert without_token.status_code == 403
    assert with_token.status_code == 201


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "families/{family}/"),
        ("post", "families/{family}/changes/"),
        ("post", "families/{family}/children/1/photo/"),
        ("get", "requests/1/"),
        ("post", "requests/1/withdraw/"),
    ],
)
def test_anonymous_requests_are_401(family, method, path):
    response = getattr(APIClient(), method)(BASE + path.format(family=family.pk))

    assert response.status_code == 401
    assert "detail" in response.json()


# Schema


def test_the_schema_documents_each_answer(db):
    schema = APIClient().get(BASE + "schema/", {"format": "json"}).json()
    paths = schema["paths"]

    def statuses(path, method):
        return set(paths[BASE + path][method]["responses"])

    assert {"200", "401", "404"} <= statuses("families/{family_id}/", "get")
    assert {"201", "400", "401", "404", "409"} <= statuses("families/{family_id}/changes/", "post")
    photo = "families/{family_id}/children/{child_id}/photo/"
    assert {"201", "400", "404", "409"} <= statuses(photo, "post")
    assert "multipart/form-data" in paths[BASE + photo]["post"]["requestBody"]["content"]
    assert {"200", "404"} <= statuses("requests/{id}/", "get")
    assert {"200", "404", "409"} <= statuses("requests/{id}/withdraw/", "post")
    guardian = schema["components"]["schemas"]["Guardian"]
    # Fields the rules may hide are not promised.
    assert "iban" in guardian["properties"] and "iban" not in guardian["required"]
