"""Agents validating family-file changes in the admin: the queue, the side-by-side detail,
accept and refuse one by one or in bulk, pending photos, health information kept to those
allowed, and the audit of who read it."""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from wagtail_family_portal import models
from wagtail_family_portal.models.notifications import DecisionNotice
from wagtail_family_portal.services import dossier

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db

HEALTH_VIEWED = "wagtail_family_portal.health_viewed"


def url(view, *args):
    return reverse(f"family_portal_file_changes:{view}", args=args)


def bulk_url(action, *requests):
    ids = "&".join(f"id={request.pk}" for request in requests)
    path = reverse("wagtail_bulk_action", args=["wagtail_family_portal", "request", action])
    return f"{path}?{ids}&next={url('index')}"


def change(family, user, target_type, target_id, **fields):
    return dossier.propose_change(
        family=family,
        user=user,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        rules=None,
    )


def submitted_days_ago(request, days):
    models.Request.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )


def messages_of(response):
    return [str(message).strip() for message in response.context["messages"]]


def jpeg_bytes(size=(60, 60), colour=(30, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def claire(family):
    """Overrides conftest's claire: her mobile number is stored unformatted, as old files
    have it (the detail shows it as French numbers are written)."""
    return factories.GuardianFactory(family=family, first_name="Claire", mobile_phone="0612345678")


@pytest.fixture
def phone_change(family, parent, claire):
    return change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")


@pytest.fixture
def other_request(other_municipality):
    family = factories.FamilyFactory(municipality=other_municipality, name="Dupont")
    guardian = factories.GuardianFactory(family=family)
    return change(family, None, "guardian", guardian.pk, mobile_phone="0799999999")


# The queue


def test_queue_lists_pending_changes_oldest_first_with_family_and_author(
    agent_client, family, parent, claire, lea
):
    newer = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    older = change(family, parent, "child", lea.pk, class_level="CP")
    submitted_days_ago(older, 3)
    decided = change(family, parent, "guardian", claire.pk, email="claire@martin.fr")
    dossier.refuse(decided, agent=None, message="Non.")

    response = agent_client.get(url("index"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [older, newer]
    content = response.content.decode().replace("\xa0", " ")
    assert "3 days ago" in content
    assert reverse("family_portal_families:edit", args=[family.pk]) in content
    assert url("inspect", older.pk) in content
    assert "Camille Martin" in content  # the parent who submitted it


def test_state_filter_shows_decided_requests(agent_client, family, parent, claire, phone_change):
    dossier.refuse(phone_change, agent=None, message="Non.")
    pending = change(family, parent, "guardian", claire.pk, email="claire@martin.fr")

    refused = agent_client.get(url("index"), {"state": "refused"})
    every = agent_client.get(url("index"), {"state": ""})

    assert list(refused.context["object_list"]) == [phone_change]
    assert set(every.context["object_list"]) == {phone_change, pending}


def test_queue_filters_by_family_record_type_and_age(
    agent_client, municipality, family, parent, claire, lea
):
    guardian_change = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    health_change = change(family, parent, "health", lea.pk, allergies="gluten")
    submitted_days_ago(health_change, 8)
    bernard = factories.FamilyFactory(municipality=municipality, name="Bernard")
    bernard_change = change(bernard, None, "family", bernard.pk, address_line1="2 rue des Roses")

    def listed(**params):
        return set(agent_client.get(url("index"), params).context["object_list"])

    assert listed(family=family.pk) == {guardian_change, health_change}
    assert listed(record="health") == {health_change}
    assert listed(record="family") == {bernard_change}
    assert listed(age="7") == {health_change}
    assert listed(age="2", record="guardian") == set()
    assert listed(municipality=municipality.pk) == {guardian_change, health_change, bernard_change}


def test_queue_search_by_family_name_and_summary(agent_client, municipality, phone_change):
    bernard = factories.FamilyFactory(municipality=municipality, name="Bernard")
    moved = change(bernard, None, "family", bernard.pk, city="Rezé")

    by_family = agent_client.get(url("index"), {"q": "bern"}).context["object_list"]
    by_summary = agent_client.get(url("index"), {"q": "claire"}).context["object_list"]

    assert (list(by_family), list(by_summary)) == ([moved], [phone_change])


def test_queue_filters_offer_only_the_agents_municipalities_and_families(
    agent_client, municipality, other_municipality, phone_change, other_request
):
    filters = agent_client.get(url("index")).context["filters"].form.fields

    assert list(filters["municipality"].queryset) == [municipality]
    assert list(filters["family"].queryset) == [phone_change.family]


def test_an_unknown_filter_value_is_refused_not_a_server_error(agent_client, phone_change):
    response = agent_client.get(url("index"), {"age": "forever", "record": "x", "family": "z"})

    assert response.status_code == 200
    # Each bad value is refused by the filter form, and the queue is shown unfiltered.
    assert set(response.context["filters"].errors) == {"age", "record", "family"}
    assert list(response.context["object_list"]) == [phone_change]


def test_menu_counts_the_pending_changes(agent_client, family, parent, claire, lea):
    change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    change(family, parent, "child", lea.pk, class_level="CP")

    menu = agent_client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Changes to validate (2)" in menu
    assert url("index") in menu


# Scoping


def test_another_municipalitys_request_is_unknown_everywhere(
    agent_client, phone_change, other_request
):
    assert list(agent_client.get(url("index"), {"state": ""}).context["object_list"]) == [
        phone_change
    ]
    assert agent_client.get(url("inspect", other_request.pk)).status_code == 404
    assert agent_client.post(url("accept", other_request.pk)).status_code == 404
    assert (
        agent_client.post(url("refuse", other_request.pk), {"refuse-message": "Non."}).status_code
        == 404
    )
    line = other_request.file_changes.get()
    assert agent_client.get(url("photo", other_request.pk, line.pk)).status_code == 404
    assert agent_client.get(bulk_url("accept_file_changes", other_request)).status_code == 404
    assert (
        agent_client.post(
            bulk_url("refuse_file_changes", phone_change, other_request), {"message": "Non."}
        ).status_code
        == 404
    )
    other_request.refresh_from_db()
    phone_change.refresh_from_db()
    assert other_request.state == phone_change.state == "pending"


def test_agent_without_the_request_permissions_sees_no_queue(client, municipality, phone_change):
    agent = factories.agent_with_only(municipality, "newcomer", "view_family")
    login(client, agent)

    assert client.get(url("index")).status_code in (302, 403)
    assert client.get(url("inspect", phone_change.pk)).status_code in (302, 403)
    assert url("index") not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_agent_who_may_only_view_cannot_decide(client, municipality, phone_change):
    agent = factories.agent_with_only(municipality, "reader", "view_request")
    login(client, agent)

    detail = client.get(url("inspect", phone_change.pk))
    accept = client.post(url("accept", phone_change.pk))

    assert detail.status_code == 200
    assert url("accept", phone_change.pk) not in detail.content.decode()
    assert accept.status_code in (302, 403)
    phone_change.refresh_from_db()
    assert phone_change.state == "pending"


# The detail, side by side


def test_detail_shows_label_current_old_and_new_values(agent_client, family, parent, lea, claire):
    request = change(family, parent, "child", lea.pk, class_level="CP", photo_rights=True)

    response = agent_client.get(url("inspect", request.pk))

    assert response.status_code == 200
    rows = {row.label: row for row in response.context["rows"]}
    assert (rows["Class level"].current, rows["Class level"].new) == ("—", "CP")
    assert (rows["May be photographed"].old, rows["May be photographed"].new) == ("No", "Yes")
    assert not any(row.conflict for row in rows.values())
    content = response.content.decode()
    assert "Child: Léa Martin" in content
    assert "Submitted" in content  # the history


def test_detail_shows_an_addition_as_its_values_and_a_removal_as_the_name(
    agent_client, family, parent, lea
):
    contact = factories.AuthorisedContactFactory(child=lea, first_name="Michel")
    addition = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="contact",
        parent_id=lea.pk,
        fields={"first_name": "Paul", "last_name": "Durand", "phone": "0611111111"},
        rules=None,
    )
    removal = dossier.propose_removal(
        family=family, user=parent, target_type="contact", target_id=contact.pk
    )

    [added] = agent_client.get(url("inspect", addition.pk)).context["rows"]
    [removed] = agent_client.get(url("inspect", removal.pk)).context["rows"]

    assert ("First name", "Paul") in added.added and ("Phone", "06 11 11 11 11") in added.added
    assert added.record == "New authorised contact of Léa Martin"
    assert (removed.old, removed.current) == ("Michel Durand", "Michel Durand")


def test_the_detail_reads_the_records_values_name_once_whatever_their_number(
    agent_client, family, parent, municipality
):
    """The schools a change names (asked, seen by the family, in the file now) are read in one
    query, not one per value; the records the lines are about, one query per kind."""
    first, second, third = (
        factories.EstablishmentFactory(municipality=municipality, name=name)
        for name in ("École A", "École B", "École C")
    )
    lea = factories.ChildFactory(family=family, first_name="Léa")
    hugo = factories.ChildFactory(family=family, first_name="Hugo", establishment=first)
    one_school = change(family, parent, "child", lea.pk, establishment=str(first.pk))
    three_schools = change(family, parent, "child", hugo.pk, establishment=str(second.pk))
    hugo.establishment = third  # changed by an agent since the family asked
    hugo.save()
    agent_client.get(url("inspect", one_school.pk))  # warm up caches (content types, site)

    with CaptureQueriesContext(connection) as one:
        small = agent_client.get(url("inspect", one_school.pk))
    with CaptureQueriesContext(connection) as three:
        large = agent_client.get(url("inspect", three_schools.pk))

    [row] = large.context["rows"]
    assert (row.current, row.old, row.new) == ("École C", "École A", "École B")
    assert row.conflict
    [row] = small.context["rows"]
    assert (row.current, row.old, row.new) == ("—", "—", "École A")
    assert len(three.captured_queries) == len(one.captured_queries)


def test_a_value_changed_since_the_family_asked_is_highlighted(agent_client, claire, phone_change):
    claire.mobile_phone = "0655555555"
    claire.save()

    response = agent_client.get(url("inspect", phone_change.pk))

    [row] = response.context["rows"]
    assert row.conflict
    # Phone numbers are shown as French numbers are written.
    assert (row.current, row.old, row.new) == (
        "06 55 55 55 55",
        "06 12 34 56 78",
        "07 81 23 45 01",
    )
    assert 'class="wfp-conflict"' in response.content.decode()


# Accept and refuse


def test_accept_applies_the_change_and_records_the_decision(
    agent_client, agent, claire, phone_change
):
    response = agent_client.post(
        url("accept", phone_change.pk), {"accept-message": "Merci."}, follow=True
    )

    claire.refresh_from_db()
    phone_change.refresh_from_db()
    assert claire.mobile_phone == "0781234501"
    assert (phone_change.state, phone_change.decided_by, phone_change.answer) == (
        "accepted",
        agent,
        "Merci.",
    )
    assert [event.action for event in phone_change.events.all()] == ["submitted", "accepted"]
    assert response.redirect_chain[-1][0] == url("index")
    assert any("accepted" in message for message in messages_of(response))
    assert ModelLogEntry.objects.filter(
        action="wagtail_family_portal.file_change_accepted", user=agent
    ).exists()


def test_accepting_with_a_message_puts_it_in_the_history_and_the_next_digest(
    agent_client, agent, phone_change
):
    detail = agent_client.get(url("inspect", phone_change.pk)).content.decode()
    agent_client.post(url("accept", phone_change.pk), {"accept-message": "Numéro bien noté."})

    assert 'name="accept-message"' in detail and "Message to the family (optional)" in detail
    event = phone_change.events.get(action="accepted")
    assert (event.actor, event.user, event.message) == ("agent", agent, "Numéro bien noté.")
    notice = DecisionNotice.objects.get(request=phone_change)
    assert (notice.line, notice.decision, notice.message) == (None, "accepted", "Numéro bien noté.")
    assert "Numéro bien noté." in agent_client.get(url("inspect", phone_change.pk)).content.decode()


def test_refuse_needs_a_message(agent_client, claire, phone_change):
    response = agent_client.post(url("refuse", phone_change.pk), {"refuse-message": "  "})

    assert response.status_code == 400
    assert "message" in response.context["refuse_form"].errors
    phone_change.refresh_from_db()
    assert phone_change.state == "pending"


def test_refuse_keeps_the_file_and_shows_the_message(agent_client, claire, phone_change):
    response = agent_client.post(
        url("refuse", phone_change.pk), {"refuse-message": "Numéro incomplet."}
    )

    assert response.status_code == 302
    claire.refresh_from_db()
    phone_change.refresh_from_db()
    assert claire.mobile_phone == "0612345678"
    assert (phone_change.state, phone_change.answer) == ("refused", "Numéro incomplet.")
    detail = agent_client.get(url("inspect", phone_change.pk)).content.decode()
    assert "Numéro incomplet." in detail
    assert url("accept", phone_change.pk) not in detail  # decided: no more buttons


def test_a_conflict_is_shown_as_an_error_and_nothing_is_applied(
    agent_client, family, parent, claire, phone_change
):
    also = change(family, parent, "family", family.pk, address_line1="9 rue Neuve")
    request = phone_change
    models.FileChange.objects.filter(request=also).update(request=request)  # two lines
    claire.mobile_phone = "0655555555"
    claire.save()

    response = agent_client.post(url("accept", request.pk))

    assert response.status_code == 409
    assert any("has changed since the family asked" in m for m in messages_of(response))
    request.refresh_from_db()
    family.refresh_from_db()
    assert request.state == "pending"
    assert family.address_line1 == "3 rue des Lilas"  # the other line was not applied either


def test_deciding_a_request_already_decided_says_so(agent_client, agent, phone_change):
    dossier.accept(phone_change, agent=agent)

    response = agent_client.post(url("refuse", phone_change.pk), {"refuse-message": "Non."})

    assert response.status_code == 409
    assert any("already been processed" in m for m in messages_of(response))
    phone_change.refresh_from_db()
    assert phone_change.state == "accepted"


def test_accept_and_refuse_are_post_only(agent_client, phone_change):
    assert agent_client.get(url("accept", phone_change.pk)).status_code == 405
    assert agent_client.get(url("refuse", phone_change.pk)).status_code == 405


# In bulk


def test_bulk_accept_decides_each_request_on_its_own(agent_client, family, parent, claire, lea):
    first = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    conflicting = change(family, parent, "child", lea.pk, class_level="CP")
    third = change(family, parent, "family", family.pk, city="Rezé")
    models.Child.objects.filter(pk=lea.pk).update(class_level="CE1")

    confirm = agent_client.get(bulk_url("accept_file_changes", first, conflicting, third))
    response = agent_client.post(
        bulk_url("accept_file_changes", first, conflicting, third),
        {"message": ""},
        follow=True,
    )

    assert confirm.status_code == 200
    assert first.summary in confirm.content.decode()
    states = {r.pk: r.state for r in models.Request.objects.all()}
    assert states == {first.pk: "accepted", conflicting.pk: "pending", third.pk: "accepted"}
    claire.refresh_from_db()
    family.refresh_from_db()
    assert (claire.mobile_phone, family.city) == ("0781234501", "Rezé")
    texts = messages_of(response)
    assert "2 changes accepted." in texts
    [failure] = [text for text in texts if "was not decided" in text]
    assert conflicting.summary in failure and "has changed since the family asked" in failure


def test_bulk_accept_with_a_message_gives_it_to_every_family(
    agent_client, family, parent, claire, lea, other_municipality
):
    first = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    second = change(family, parent, "family", family.pk, city="Rezé")
    selection = bulk_url("accept_file_changes", first, second)

    confirm = agent_client.get(selection).content.decode()
    response = agent_client.post(selection, {"message": "Dossier mis à jour."}, follow=True)

    assert "Message to the family (optional)" in confirm
    assert {(r.state, r.answer) for r in models.Request.objects.all()} == {
        ("accepted", "Dossier mis à jour.")
    }
    assert {
        (event.request_id, event.message)
        for event in models.RequestEvent.objects.filter(action="accepted")
    } == {(first.pk, "Dossier mis à jour."), (second.pk, "Dossier mis à jour.")}
    assert sorted(DecisionNotice.objects.values_list("request_id", "message")) == [
        (first.pk, "Dossier mis à jour."),
        (second.pk, "Dossier mis à jour."),
    ]
    assert "2 changes accepted." in messages_of(response)


def test_bulk_refuse_needs_one_message_and_reports_requests_already_decided(
    agent_client, agent, family, parent, claire, lea
):
    first = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501")
    decided = change(family, parent, "child", lea.pk, class_level="CP")
    third = change(family, parent, "family", family.pk, city="Rezé")
    dossier.accept(decided, agent=agent)
    selection = bulk_url("refuse_file_changes", first, decided, third)

    empty = agent_client.post(selection, {"message": ""})
    response = agent_client.post(
        selection, {"message": "Pièce justificative manquante."}, follow=True
    )

    assert empty.status_code == 200 and "message" in empty.context["form"].errors
    first.refresh_from_db()
    third.refresh_from_db()
    assert first.state == third.state == "refused"
    assert first.answer == "Pièce justificative manquante."
    texts = messages_of(response)
    assert "2 changes refused." in texts
    assert any(decided.summary in text and "already been processed" in text for text in texts)


def test_bulk_actions_need_the_change_permission(client, municipality, phone_change):
    agent = factories.agent_with_only(municipality, "reader", "view_request")
    login(client, agent)

    response = client.post(bulk_url("accept_file_changes", phone_change), {"message": ""})

    assert response.status_code in (302, 403)
    phone_change.refresh_from_db()
    assert phone_change.state == "pending"


# Health information


@pytest.fixture
def allergy_change(family, parent, lea):
    factories.ChildHealthFactory(child=lea, allergies="arachide")
    return change(family, parent, "health", lea.pk, allergies="arachide, gluten")


def test_health_lines_are_hidden_and_not_decidable_without_the_permission(
    agent_client, allergy_change, lea
):
    detail = agent_client.get(url("inspect", allergy_change.pk))
    accept = agent_client.post(url("accept", allergy_change.pk))
    bulk = agent_client.post(bulk_url("accept_file_changes", allergy_change), {"message": ""})

    content = detail.content.decode()
    assert "Health information (restricted)" in content
    assert "arachide" not in content
    assert url("accept", allergy_change.pk) not in content
    assert accept.status_code == 403
    assert "not allowed to see" in "".join(messages_of(accept))
    assert bulk.status_code == 302
    assert "not allowed to see" in "".join(messages_of(agent_client.get(url("index"))))
    allergy_change.refresh_from_db()
    assert allergy_change.state == "pending"
    lea.health.refresh_from_db()
    assert lea.health.allergies == "arachide"
    assert not ModelLogEntry.objects.filter(action=HEALTH_VIEWED).exists()


def test_health_lines_are_shown_decidable_and_their_reading_logged_with_the_permission(
    agent_client, agent, allergy_change, lea
):
    factories.grant(agent, "view_childhealth")

    detail = agent_client.get(url("inspect", allergy_change.pk))
    accept = agent_client.post(url("accept", allergy_change.pk))

    assert "arachide, gluten" in detail.content.decode()
    assert accept.status_code == 302
    lea.health.refresh_from_db()
    assert lea.health.allergies == "arachide, gluten"
    entry = ModelLogEntry.objects.get(action=HEALTH_VIEWED)
    assert (entry.user, entry.object_id) == (agent, str(lea.health.pk))
    assert entry.data["child_id"] == lea.pk and entry.data["screen"] == "request"


@pytest.mark.parametrize("view", ["inspect", "edit"])
def test_reading_health_information_in_its_screens_is_logged(agent_client, agent, lea, view):
    health = factories.ChildHealthFactory(child=lea)
    factories.grant(agent, "view_childhealth", "change_childhealth")

    response = agent_client.get(reverse(f"family_portal_health:{view}", args=[health.pk]))

    assert response.status_code == 200
    entry = ModelLogEntry.objects.get(action=HEALTH_VIEWED)
    assert (entry.user, entry.object_id, entry.data["screen"]) == (agent, str(health.pk), view)
    history = agent_client.get(reverse("family_portal_health:history", args=[health.pk]))
    assert "Health information of Léa Martin viewed" in history.content.decode()


def test_health_list_logs_each_child_shown(agent_client, agent, family):
    factories.grant(agent, "view_childhealth")
    shown = [factories.ChildHealthFactory(child__family=family) for _ in range(2)]

    agent_client.get(reverse("family_portal_health:index"))

    logged = set(
        ModelLogEntry.objects.filter(action=HEALTH_VIEWED).values_list("object_id", flat=True)
    )
    assert logged == {str(health.pk) for health in shown}


def test_health_reads_appear_in_the_site_history(client, agent, lea):
    health = factories.ChildHealthFactory(child=lea)
    factories.grant(agent, "view_childhealth")
    login(client, agent)
    client.get(reverse("family_portal_health:inspect", args=[health.pk]))
    admin = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    login(client, admin)

    report = client.get(reverse("wagtailadmin_reports:site_history"))

    assert "View health information" in report.content.decode()


# Photos


def png_upload():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_a_pending_photo_is_shown_through_the_admin(
    agent_client, family, parent, lea, private_root
):
    request = dossier.propose_photo(
        family=family, user=parent, child_id=lea.pk, uploaded=png_upload()
    )
    line = request.file_changes.get()

    detail = agent_client.get(url("inspect", request.pk))
    photo = agent_client.get(url("photo", request.pk, line.pk))

    assert f'src="{url("photo", request.pk, line.pk)}"' in detail.content.decode()
    assert photo.status_code == 200
    assert photo["Content-Type"] == "image/jpeg"
    assert b"".join(photo.streaming_content).startswith(b"\xff\xd8")


def test_a_line_that_is_not_a_photo_is_not_served(agent_client, phone_change):
    line = phone_change.file_changes.get()

    assert agent_client.get(url("photo", phone_change.pk, line.pk)).status_code == 404


def test_the_child_form_shows_a_private_photo_through_the_admin(
    agent_client, lea, other_municipality, private_root
):
    lea.photo.save("lea.jpg", ContentFile(jpeg_bytes()))
    foreign = factories.ChildFactory(family__municipality=other_municipality)
    foreign.photo.save("other.jpg", ContentFile(jpeg_bytes()))
    photo_url = reverse("family_portal_children:photo", args=[lea.pk])

    form = agent_client.get(reverse("family_portal_children:edit", args=[lea.pk]))
    photo = agent_client.get(photo_url)
    foreign_photo = agent_client.get(reverse("family_portal_children:photo", args=[foreign.pk]))

    assert form.status_code == 200
    assert f'src="{photo_url}"' in form.content.decode()
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == lea.photo.read()
    assert foreign_photo.status_code == 404


def test_a_child_without_photo_has_no_photo_to_serve(agent_client, lea):
    photo_url = reverse("family_portal_children:photo", args=[lea.pk])

    form = agent_client.get(reverse("family_portal_children:edit", args=[lea.pk]))

    assert form.status_code == 200
    assert photo_url not in form.content.decode()
    assert agent_client.get(photo_url).status_code == 404


# Agents' direct edits are logged


def test_an_agents_edit_of_a_guardian_is_logged_on_the_family(agent_client, agent, family, claire):
    guardian = {
        "id": claire.pk,
        "civility": claire.civility,
        "relation": claire.relation,
        "first_name": "Claire",
        "last_name": "Martin",
        "birth_date": "",
        "email": claire.email,
        "mobile_phone": "0611111111",
        "home_phone": "",
        "work_phone": "",
        "same_address_as_family": "on",
        "address_line1": "",
        "address_line2": "",
        "postcode": "",
        "city": "",
        "profession": "",
        "employer": "",
        "iban": "",
        "bic": "",
        "account_holder": "",
    }
    data = nested_form_data(
        {
            "municipality": family.municipality.pk,
            "name": family.name,
            "subscriber_code": family.subscriber_code,
            "address_line1": family.address_line1,
            "address_line2": "",
            "postcode": family.postcode,
            "city": family.city,
            "family_quotient": "",
            "quotient_year": "",
            "caf_number": "",
            "guardians": inline_formset([guardian], initial=1),
            "children": inline_formset([]),
        }
    )

    response = agent_client.post(reverse("family_portal_families:edit", args=[family.pk]), data)

    assert response.status_code == 302
    claire.refresh_from_db()
    assert claire.mobile_phone == "0611111111"
    entry = ModelLogEntry.objects.get(action="wagtail.edit")
    assert (entry.user, entry.object_id, entry.content_changed) == (agent, str(family.pk), True)
