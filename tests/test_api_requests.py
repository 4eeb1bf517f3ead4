"""'Mes demandes' through the API: the list with its types and unread counts, the messages of a
request (reading marks them read for one account), and the e-mail preferences."""

import datetime as dt

import pytest
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wagtail_family_portal.models import AccountProfile, RequestEvent
from wagtail_family_portal.models.requests import RequestRead
from wagtail_family_portal.services import bookings, dossier

from . import factories

BASE = "/api/family-portal/v1/"
ME_URL = BASE + "me/"
NOTIFICATIONS_URL = BASE + "me/notifications/"
NOW = factories.NOW
MON, TUE, THU = dt.date(2026, 12, 7), dt.date(2026, 12, 8), dt.date(2026, 12, 10)
CHOOSE = (
    "Choisissez « digest » (un récapitulatif des décisions à heures fixes dans la journée) ou "
    "« none » (aucun e-mail sur les décisions)."
)


pytestmark = pytest.mark.usefixtures("fixed_now")


def requests_url(family):
    return f"{BASE}families/{family.pk}/requests/"


def request_url(pk):
    return f"{BASE}requests/{pk}/"


def client_of(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def client(parent):
    """In the site's language (French)."""
    return client_of(parent)


@pytest.fixture
def other_parent(family):
    """A second account of the same family."""
    user = factories.UserFactory(username="autre@example.org", email="autre@example.org")
    factories.SubscriptionFactory(user=user, family=family)
    return user


book = factories.book


def change_class(family, parent, child, level="GS"):
    return dossier.propose_change(
        family=family,
        user=parent,
        target_type="child",
        target_id=child.pk,
        fields={"class_level": level},
        rules=None,
    )


def write(family_request, agent, text):
    """A message of the service on its own, without a decision."""
    return RequestEvent.objects.create(
        request=family_request,
        user=agent,
        actor=RequestEvent.Actor.AGENT,
        action=RequestEvent.Action.MESSAGE,
        from_state=family_request.state,
        to_state=family_request.state,
        message=text,
    )


def unread_of(client, family):
    return {
        item["id"]: item["unread_messages"]
        for item in client.get(requests_url(family)).json()["results"]
    }


@pytest.fixture
def decided(family, parent, agent, lea, hugo, canteen):
    """Léa's booking, one day refused with a message; Hugo's class change, refused with one."""
    booking = book(family, lea, canteen, [MON, TUE], parent)
    monday, tuesday = booking.lines
    bookings.decide_lines([tuesday], agent=agent, accept=False, message="Sortie scolaire.")
    change = change_class(family, parent, hugo)
    dossier.refuse(change, agent=agent, message="Voir avec l’école.")
    return booking.request, change


# GET families/{family_id}/requests/


def test_the_list_gives_each_requests_type_and_its_label(
    client, family, parent, lea, hugo, canteen
):
    booking = book(family, lea, canteen, [MON], parent).request
    change = change_class(family, parent, hugo)

    results = client.get(requests_url(family)).json()["results"]

    assert [(item["id"], item["topic"], item["topic_label"]) for item in results] == [
        (change.pk, "child", "Modification de l’enfant"),
        (booking.pk, "booking", "Ajout de réservation"),
    ]
    assert all(item["created_at"] for item in results)


def test_the_list_counts_the_unread_messages_of_each_account(client, family, other_parent, decided):
    booking, change = decided

    assert unread_of(client, family) == {change.pk: 1, booking.pk: 1}
    assert unread_of(client_of(other_parent), family) == {change.pk: 1, booking.pk: 1}


def test_the_familys_own_steps_are_not_messages(client, family, parent, lea, hugo, canteen):
    booking = book(family, lea, canteen, [MON], parent).request
    change = change_class(family, parent, hugo)
    dossier.withdraw(change, user=parent)

    assert unread_of(client, family) == {change.pk: 0, booking.pk: 0}
    assert client.get(request_url(change.pk)).json()["messages"] == []


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"topic": "booking"}, ["booking"]),
        ({"topic": "child"}, ["change"]),
        ({"topic": "child,booking"}, ["change", "booking"]),
        ({"topic": ["child", "booking"]}, ["change", "booking"]),
        ({"topic": "absence"}, []),
        ({"topic": "booking", "state": "accepted"}, []),
    ],
)
def test_the_list_is_filtered_by_type(client, family, parent, lea, hugo, canteen, query, expected):
    made = {
        "booking": book(family, lea, canteen, [MON], parent).request,
        "change": change_class(family, parent, hugo),
    }

    body = client.get(requests_url(family), query).json()

    assert [item["id"] for item in body["results"]] == [made[name].pk for name in expected]
    assert body["count"] == len(expected)


def test_an_unknown_type_is_400(client, family):
    response = client.get(requests_url(family), {"topic": "invoice"})

    assert response.status_code == 400
    assert response.json() == {"topic": ["«\xa0invoice\xa0» n'est pas un choix valide."]}


def test_the_list_takes_a_fixed_number_of_queries(
    family, parent, agent, lea, hugo, canteen, django_assert_num_queries
):
    """The account's token, the family, the count, the page, the unread counts, the days and the
    changes: seven queries for 2 requests as for 12, messages or not."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=parent).key}")
    book(family, lea, canteen, [MON], parent)
    dossier.refuse(change_class(family, parent, hugo), agent=agent, message="Non.")

    with django_assert_num_queries(7):
        assert client.get(requests_url(family)).json()["count"] == 2

    for week, level in enumerate(("CP", "CE1", "CE2", "CM1", "CM2"), start=1):
        change = change_class(family, parent, hugo, level)
        dossier.refuse(change, agent=agent, message=f"Pas en {level}.")
        day = MON + dt.timedelta(weeks=week)
        write(book(family, lea, canteen, [day], parent).request, agent, "Bien reçu.")

    with django_assert_num_queries(7):
        body = client.get(requests_url(family)).json()

    assert body["count"] == 12
    assert sum(item["unread_messages"] for item in body["results"]) == 11


# GET requests/{id}/: messages, and reading marks them read


def test_a_booking_request_shows_the_services_messages_new_once(client, family, decided):
    booking, _change = decided

    first = client.get(request_url(booking.pk)).json()
    second = client.get(request_url(booking.pk)).json()

    assert [(m["by"], m["text"], m["new"]) for m in first["messages"]] == [
        ("agent", "Sortie scolaire.", True)
    ]
    assert first["messages"][0]["at"]
    assert [m["new"] for m in second["messages"]] == [False]
    assert (first["topic"], first["topic_label"]) == ("booking", "Ajout de réservation")
    refused = [entry for entry in first["history"] if entry["message"]]
    assert [(entry["by"], entry["new"]) for entry in refused] == [("agent", True)]
    assert not any(entry["new"] for entry in second["history"])


def test_a_file_change_shows_the_services_messages_new_once(client, family, decided):
    _booking, change = decided

    first = client.get(request_url(change.pk)).json()
    second = client.get(request_url(change.pk)).json()

    assert first["kind"] == "file_change"
    assert (first["topic"], first["topic_label"]) == ("child", "Modification de l’enfant")
    assert [(m["by"], m["text"], m["new"]) for m in first["messages"]] == [
        ("agent", "Voir avec l’école.", True)
    ]
    assert [(entry["action"], entry["new"]) for entry in first["history"]] == [
        ("submitted", False),
        ("refused", True),
    ]
    assert [m["new"] for m in second["messages"]] == [False]


def test_reading_a_request_marks_it_read_for_this_account_only(
    client, parent, family, other_parent, decided
):
    booking, change = decided

    client.get(request_url(booking.pk))

    assert unread_of(client, family) == {change.pk: 1, booking.pk: 0}
    assert unread_of(client_of(other_parent), family) == {change.pk: 1, booking.pk: 1}
    assert client.get(ME_URL).json()["unread_messages"] == 1
    assert client_of(other_parent).get(ME_URL).json()["unread_messages"] == 2
    other = client_of(other_parent).get(request_url(booking.pk)).json()
    assert [m["new"] for m in other["messages"]] == [True]


def test_a_message_written_after_reading_is_new_again(client, family, agent, decided):
    booking, _change = decided
    client.get(request_url(booking.pk))

    write(booking, agent, "Le repas du mardi est remboursé.")

    assert unread_of(client, family)[booking.pk] == 1
    messages = client.get(request_url(booking.pk)).json()["messages"]
    assert [(m["text"], m["new"]) for m in messages] == [
        ("Sortie scolaire.", False),
        ("Le repas du mardi est remboursé.", True),
    ]


def test_withdrawing_shows_the_messages_without_marking_them_read(
    client, family, parent, agent, lea, canteen
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    write(outcome.request, agent, "Pensez au certificat.")

    answer = client.post(f"{BASE}requests/{outcome.request.pk}/withdraw/").json()

    assert [(m["text"], m["new"]) for m in answer["messages"]] == [("Pensez au certificat.", True)]
    assert unread_of(client, family)[outcome.request.pk] == 1


def test_another_familys_request_is_404_and_not_marked_read(client, municipality, agent):
    stranger = factories.FamilyFactory(municipality=municipality, name="Durand")
    child = factories.ChildFactory(family=stranger)
    other_account = factories.UserFactory(username="durand@example.org")
    factories.SubscriptionFactory(user=other_account, family=stranger)
    change = change_class(stranger, other_account, child)
    dossier.refuse(change, agent=agent, message="Non.")

    response = client.get(request_url(change.pk))

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert not RequestRead.objects.exists()
    assert client.get(requests_url(stranger)).status_code == 404


def test_me_counts_the_unread_messages_of_every_family(
    client, parent, family, other_municipality, agent, decided
):
    second = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    factories.SubscriptionFactory(user=parent, family=second)
    other_agent = factories.AgentFactory(username="agent2", municipality=other_municipality)
    child = factories.ChildFactory(family=second)
    dossier.refuse(change_class(second, parent, child), agent=other_agent, message="Non.")
    # A message in a family the account is not linked to is not counted.
    stranger = factories.FamilyFactory(municipality=family.municipality, name="Durand")
    stranger_child = factories.ChildFactory(family=stranger)
    stranger_account = factories.UserFactory(username="durand@example.org")
    factories.SubscriptionFactory(user=stranger_account, family=stranger)
    change = change_class(stranger, stranger_account, stranger_child)
    dossier.refuse(change, agent=agent, message="Non.")

    assert client.get(ME_URL).json()["unread_messages"] == 3


# me/notifications/


def test_the_preference_is_a_digest_by_default(client, parent):
    response = client.get(NOTIFICATIONS_URL)

    assert response.status_code == 200
    assert response.json() == {"decision_emails": "digest"}
    assert AccountProfile.objects.get(user=parent).decision_emails == "digest"


def test_put_saves_the_preference_and_get_reads_it(client, parent):
    response = client.put(NOTIFICATIONS_URL, {"decision_emails": "none"}, format="json")

    assert (response.status_code, response.json()) == (200, {"decision_emails": "none"})
    assert AccountProfile.objects.get(user=parent).decision_emails == "none"
    assert client.get(NOTIFICATIONS_URL).json() == {"decision_emails": "none"}


def test_patch_changes_an_existing_profile(client, parent):
    AccountProfile.objects.filter(user=parent).update(
        phone="06 12 34 56 78", decision_emails="none"
    )

    changed = client.patch(NOTIFICATIONS_URL, {"decision_emails": "digest"}, format="json")
    unchanged = client.patch(NOTIFICATIONS_URL, {}, format="json")

    assert changed.json() == unchanged.json() == {"decision_emails": "digest"}
    profile = AccountProfile.objects.get(user=parent)
    assert (profile.decision_emails, profile.phone) == ("digest", "06 12 34 56 78")


@pytest.mark.parametrize("value", ["weekly", "", None, 3, ["none"]])
@pytest.mark.parametrize("method", ["put", "patch"])
def test_a_wrong_preference_is_400_in_french(client, parent, method, value):
    response = getattr(client, method)(NOTIFICATIONS_URL, {"decision_emails": value}, format="json")

    assert response.status_code == 400
    assert response.json() == {"decision_emails": [CHOOSE]}
    assert AccountProfile.objects.get(user=parent).decision_emails == "digest"


def test_put_without_the_preference_is_400(client):
    response = client.put(NOTIFICATIONS_URL, {}, format="json")

    assert response.status_code == 400
    # DRF's own message, in the site's French (the package does not reword it).
    required = str(serializers.Field.default_error_messages["required"])
    assert response.json() == {"decision_emails": [required]}


def test_the_preference_with_a_session_needs_the_csrf_token(parent):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(parent)

    response = client.put(NOTIFICATIONS_URL, {"decision_emails": "none"}, format="json")

    assert response.status_code == 403
    assert AccountProfile.objects.get(user=parent).decision_emails == "digest"


# Anonymous


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "families/{family}/requests/"),
        ("get", "requests/{request}/"),
        ("get", "me/notifications/"),
        ("put", "me/notifications/"),
        ("patch", "me/notifications/"),
    ],
)
def test_anonymous_requests_are_401(family, parent, hugo, method, path):
    change = change_class(family, parent, hugo)

    response = getattr(APIClient(), method)(
        BASE + path.format(family=family.pk, request=change.pk), {}, format="json"
    )

    assert response.status_code == 401
    assert "detail" in response.json()
    assert not RequestRead.objects.exists()


# Schema


def test_the_schema_documents_the_new_fields(db):
    schema = APIClient().get(BASE + "schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    paths = schema["paths"]

    summary = components["RequestSummary"]["properties"]
    assert {"topic", "topic_label", "unread_messages"} <= set(summary)
    for name in ("BookingRequest", "Request"):
        assert {"topic", "topic_label", "messages"} <= set(components[name]["properties"])
    assert set(components["Message"]["properties"]) == {"at", "by", "text", "new"}
    assert "unread_messages" in components["Account"]["properties"]
    parameters = paths[BASE + "families/{family_id}/requests/"]["get"]["parameters"]
    assert "topic" in {parameter["name"] for parameter in parameters}
    notifications = paths[NOTIFICATIONS_URL]
    assert set(notifications) >= {"get", "put", "patch"}
    assert {"200", "400", "401"} <= set(notifications["put"]["responses"])
