"""services.dossier: changes to the family file, submitted by families and decided by agents."""

import datetime as dt

import pytest
from wagtail.models import ModelLogEntry

from wagtail_family_portal.models import AuthorisedContact, ChildHealth, Request
from wagtail_family_portal.services import dossier

from . import factories

pytestmark = pytest.mark.django_db


def change(family, user, target_type, target_id, **fields):
    return dossier.propose_change(
        family=family,
        user=user,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        rules=None,
    )


def test_a_change_waits_and_keeps_old_and_new_values(family, parent, claire):
    request = change(family, parent, "guardian", claire.pk, mobile_phone="07 81 23 45 01")

    claire.refresh_from_db()
    assert claire.mobile_phone == "06 12 34 56 78"  # the file is unchanged
    assert (request.kind, request.state, request.created_by) == ("file_change", "pending", parent)
    [line] = request.file_changes.all()
    assert (line.field, line.old_value, line.new_value) == (
        "mobile_phone",
        "06 12 34 56 78",
        "07 81 23 45 01",
    )
    assert "Claire" in request.summary
    assert [event.action for event in request.events.all()] == ["submitted"]
    pending = dossier.pending_changes(family)
    assert pending[("guardian", claire.pk, "mobile_phone")].new_value == "07 81 23 45 01"


def test_only_changed_fields_are_kept(family, parent, claire):
    request = change(
        family, parent, "guardian", claire.pk, first_name="Claire", mobile_phone="0781234501"
    )

    assert [line.field for line in request.file_changes.all()] == ["mobile_phone"]
    with pytest.raises(dossier.DossierError) as raised:
        change(family, parent, "guardian", claire.pk, first_name="Claire")
    assert raised.value.code == "unchanged"


def test_another_familys_record_is_not_found(family, parent, municipality):
    stranger = factories.GuardianFactory(family=factories.FamilyFactory(municipality=municipality))

    with pytest.raises(dossier.DossierError) as raised:
        change(family, parent, "guardian", stranger.pk, mobile_phone="0781234501")

    assert raised.value.code == "not_found"
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    ("target", "fields", "bad_field"),
    [
        ("guardian", {"iban": "FR76 0000 0000 0000"}, "iban"),
        ("guardian", {"email": "pas-une-adresse"}, "email"),
        ("guardian", {"shoe_size": "42"}, "shoe_size"),
        (
            "child",
            {"birth_date": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
            "birth_date",
        ),
        ("child", {"birth_date": "31/02/2020"}, "birth_date"),
        ("child", {"sex": "X"}, "sex"),
    ],
)
def test_invalid_values_create_nothing(family, parent, claire, lea, target, fields, bad_field):
    record = claire if target == "guardian" else lea

    with pytest.raises(dossier.DossierError) as raised:
        change(family, parent, target, record.pk, **fields)

    assert raised.value.code == "invalid"
    assert bad_field in raised.value.errors
    assert not Request.objects.exists()


def test_a_field_already_waiting_cannot_be_asked_again(family, parent, claire):
    first = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")

    with pytest.raises(dossier.DossierError) as raised:
        change(family, parent, "guardian", claire.pk, mobile_phone="0781234502")
    assert raised.value.code == "already_pending"

    dossier.withdraw(first, user=parent)
    assert change(family, parent, "guardian", claire.pk, mobile_phone="0781234502")


def test_accept_applies_the_change_and_records_it(family, parent, claire, agent):
    request = change(family, parent, "guardian", claire.pk, mobile_phone="07 81 23 45 01")

    dossier.accept(request, agent=agent)

    claire.refresh_from_db()
    request.refresh_from_db()
    assert claire.mobile_phone == "07 81 23 45 01"
    assert (request.state, request.decided_by) == ("accepted", agent)
    assert [event.action for event in request.events.all()] == ["submitted", "accepted"]
    assert dossier.pending_changes(family) == {}
    assert ModelLogEntry.objects.filter(
        action="wagtail_family_portal.file_change_accepted", object_id=str(family.pk), user=agent
    ).exists()


def test_refuse_needs_a_message_and_keeps_the_file(family, parent, claire, agent):
    request = change(family, parent, "guardian", claire.pk, mobile_phone="07 81 23 45 01")
    with pytest.raises(dossier.DossierError):
        dossier.refuse(request, agent=agent, message="  ")

    dossier.refuse(request, agent=agent, message="Numéro incomplet, rappelez-nous.")

    claire.refresh_from_db()
    request.refresh_from_db()
    assert claire.mobile_phone == "06 12 34 56 78"
    assert (request.state, request.answer) == ("refused", "Numéro incomplet, rappelez-nous.")
    assert request.events.last().message == "Numéro incomplet, rappelez-nous."


def test_a_decided_or_withdrawn_request_cannot_change_again(family, parent, claire, agent):
    request = change(family, parent, "guardian", claire.pk, mobile_phone="07 81 23 45 01")
    dossier.withdraw(request, user=parent)

    for decide in (
        lambda: dossier.accept(request, agent=agent),
        lambda: dossier.refuse(request, agent=agent, message="Non"),
        lambda: dossier.withdraw(request, user=parent),
    ):
        with pytest.raises(dossier.DossierError) as raised:
            decide()
        assert raised.value.code == "not_pending"
    claire.refresh_from_db()
    assert claire.mobile_phone == "06 12 34 56 78"


def test_accepting_after_the_record_changed_fails_and_changes_nothing(
    family, parent, claire, agent
):
    request = change(
        family, parent, "guardian", claire.pk, mobile_phone="0781234501", email="c@example.org"
    )
    type(claire).objects.filter(pk=claire.pk).update(email="agent-typed@example.org")

    with pytest.raises(dossier.DossierError) as raised:
        dossier.accept(request, agent=agent)

    assert raised.value.code == "conflict"
    assert "agent-typed@example.org" in raised.value.message
    claire.refresh_from_db()
    request.refresh_from_db()
    assert (claire.mobile_phone, claire.email) == ("06 12 34 56 78", "agent-typed@example.org")
    assert request.state == "pending"


def test_health_information_is_created_when_missing(family, parent, lea, agent):
    assert not ChildHealth.objects.filter(child=lea).exists()
    request = change(family, parent, "health", lea.pk, allergies="arachide, kiwi")

    dossier.accept(request, agent=agent)

    assert ChildHealth.objects.get(child=lea).allergies == "arachide, kiwi"


def test_add_and_remove_an_authorised_contact(family, parent, lea, agent):
    added = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="contact",
        parent_id=lea.pk,
        fields={"first_name": "Michel", "last_name": "Durand", "phone": "0698765432"},
        rules=None,
    )
    assert not AuthorisedContact.objects.exists()
    dossier.accept(added, agent=agent)
    contact = AuthorisedContact.objects.get(child=lea)
    assert contact.first_name == "Michel"

    removal = dossier.propose_removal(
        family=family, user=parent, target_type="contact", target_id=contact.pk
    )
    assert AuthorisedContact.objects.exists()
    dossier.accept(removal, agent=agent)
    assert not AuthorisedContact.objects.exists()


def test_add_a_child_validates_its_values(family, parent, agent):
    with pytest.raises(dossier.DossierError) as raised:
        dossier.propose_addition(
            family=family,
            user=parent,
            target_type="child",
            fields={"first_name": "Zoé", "last_name": "Martin", "birth_date": "2099-01-01"},
            rules=None,
        )
    assert "birth_date" in raised.value.errors

    request = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="child",
        fields={"first_name": "Zoé", "last_name": "Martin", "birth_date": "2024-02-29", "sex": "F"},
        rules=None,
    )
    dossier.accept(request, agent=agent)
    assert family.children.get(first_name="Zoé").birth_date == dt.date(2024, 2, 29)


def test_guardians_and_families_cannot_be_removed_online(family, parent, claire):
    with pytest.raises(dossier.DossierError) as raised:
        dossier.propose_removal(family=family, user=parent, target_type="guardian", target_id=1)
    assert raised.value.code == "not_allowed"


def test_requests_are_scoped(family, parent, claire, municipality, other_municipality):
    request = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    stranger = factories.UserFactory()
    other_agent = factories.AgentFactory(municipality=other_municipality)
    own_agent = factories.AgentFactory(municipality=municipality)

    assert list(Request.objects.for_account(parent)) == [request]
    assert not Request.objects.for_account(stranger).exists()
    assert list(Request.objects.for_agent(own_agent)) == [request]
    assert not Request.objects.for_agent(other_agent).exists()


# Photos


def png_upload(size=(1200, 900), name="photo.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def propose_photo(family, parent, child, upload):
    return dossier.propose_photo(family=family, user=parent, child_id=child.pk, uploaded=upload)


def test_a_photo_waits_privately_then_replaces_the_old_one(
    family, parent, lea, agent, private_root, django_capture_on_commit_callbacks
):
    from wagtail_family_portal.storage import private_storage

    request = propose_photo(family, parent, lea, png_upload())
    [line] = request.file_changes.all()
    assert line.field == "photo" and line.old_value == ""
    assert private_storage().exists(line.new_value)
    lea.refresh_from_db()
    assert not lea.photo

    with django_capture_on_commit_callbacks(execute=True):
        dossier.accept(request, agent=agent)
    lea.refresh_from_db()
    assert lea.photo.name == line.new_value

    second = propose_photo(family, parent, lea, png_upload((400, 400)))
    with django_capture_on_commit_callbacks(execute=True):
        dossier.accept(second, agent=agent)
    lea.refresh_from_db()
    assert lea.photo.name == second.file_changes.get().new_value
    assert not private_storage().exists(line.new_value)  # the old photo is gone


def test_a_refused_or_withdrawn_photo_is_deleted(
    family, parent, lea, agent, private_root, django_capture_on_commit_callbacks
):
    from wagtail_family_portal.storage import private_storage

    refused = propose_photo(family, parent, lea, png_upload())
    with django_capture_on_commit_callbacks(execute=True):
        dossier.refuse(refused, agent=agent, message="Photo floue.")
    withdrawn = propose_photo(family, parent, lea, png_upload())
    with django_capture_on_commit_callbacks(execute=True):
        dossier.withdraw(withdrawn, user=parent)

    for request in (refused, withdrawn):
        assert not private_storage().exists(request.file_changes.get().new_value)
    lea.refresh_from_db()
    assert not lea.photo


def test_a_fake_photo_is_refused_and_nothing_is_stored(family, parent, lea, private_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.7 not an image", content_type="image/jpeg")

    with pytest.raises(dossier.DossierError) as raised:
        propose_photo(family, parent, lea, fake)

    assert raised.value.code == "invalid" and "photo" in raised.value.errors
    assert not Request.objects.exists()
    assert not private_root.exists() or not any(private_root.rglob("*.jpg"))


def test_the_photo_cannot_be_sent_as_a_plain_field(family, parent, lea):
    with pytest.raises(dossier.DossierError) as raised:
        change(family, parent, "child", lea.pk, photo="family_portal/children/x.jpg")

    assert "photo" in raised.value.errors


def test_the_sites_field_rules_refuse_read_only_and_hidden_fields(
    family, parent, claire, portal_site
):
    from wagtail_family_portal.models import FamilyFileRules

    FamilyFileRules.objects.update_or_create(
        site=portal_site, defaults={"rules": {"guardian": {"iban": "hidden"}}}
    )
    rules = FamilyFileRules.rules_for(portal_site)

    for target, record, fields in (
        ("family", family, {"family_quotient": "250"}),
        ("guardian", claire, {"iban": "FR7630006000011234567890189"}),
    ):
        with pytest.raises(dossier.DossierError) as raised:
            dossier.propose_change(
                family=family,
                user=parent,
                target_type=target,
                target_id=record.pk,
                fields=fields,
                rules=rules,
            )
        assert raised.value.code == "invalid"
        assert set(raised.value.errors) == set(fields)
    assert not Request.objects.exists()


@pytest.mark.parametrize("value", [5, 3.5, ["2020-01-01"], {"y": 2020}, True])
def test_a_value_of_the_wrong_type_is_a_clear_error(family, parent, lea, value):
    with pytest.raises(dossier.DossierError) as raised:
        change(family, parent, "child", lea.pk, birth_date=value)

    assert raised.value.code == "invalid" and list(raised.value.errors) == ["birth_date"]
    assert not Request.objects.exists()
