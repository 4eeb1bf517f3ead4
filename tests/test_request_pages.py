"""The family's requests ("Mes demandes"): the list of every request, each request with its
lines and history, the read marks per account, the dashboard's count of new messages and the
choice of e-mails about decisions, through the test client, in French."""

import datetime as dt
import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail_family_portal.models import (
    AccountProfile,
    BookingLine,
    Request,
)
from wagtail_family_portal.services import bookings, dossier
from wagtail_family_portal.services import requests as request_reads

from . import factories

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
SETTINGS_URL = f"{PORTAL_URL}compte/notifications/"
PARIS = ZoneInfo("Europe/Paris")

NOW = factories.NOW
# The canteen runs Monday, Tuesday, Thursday and Friday; booking deadline: 2 days before, 10:00.
MON, TUE, THU, FRI = (
    dt.date(2026, 12, 7),
    dt.date(2026, 12, 8),
    dt.date(2026, 12, 10),
    dt.date(2026, 12, 11),
)
WED = dt.date(2026, 12, 9)

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def second_parent(family):
    """Another account of the same family: it reads the requests on its own."""
    user = factories.UserFactory(username="papa@example.org", email="papa@example.org")
    factories.SubscriptionFactory(user=user, family=family)
    return user


def url(family, rest="", **query):
    base = f"{PORTAL_URL}famille/{family.pk}/{rest}"
    if not query:
        return base
    from django.utils.http import urlencode

    return f"{base}?{urlencode(query, doseq=True)}"


def clean(html: str) -> str:
    """The text of some HTML, as read: tags out, spaces collapsed, entities decoded."""
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    return unescape(re.sub(r" ([,.])", r"\1", words))


def text(response) -> str:
    return clean(response.content.decode())


def rows(response) -> list[str]:
    """The text of each row of the list of requests, in page order."""
    found = re.findall(r'<tr id="wfp-request-\d+"[^>]*>(.*?)</tr>', response.content.decode(), re.S)
    return [clean(row) for row in found]


def history(response) -> list[str]:
    """The text of each step of a request's history, oldest first."""
    found = re.findall(
        r'<tr class="wfp-history__entry[^"]*"[^>]*>(.*?)</tr>', response.content.decode(), re.S
    )
    return [clean(row) for row in found]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def book(family, child, activity, dates, user, operation="booking"):
    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=activity.pk,
        operation=operation,
        dates=dates,
        user=user,
        now=NOW,
    )


def sent_at(request, hour, minute, day=3):
    """Say ``request`` was sent on ``day`` December 2026 at hour:minute, Paris time."""
    at = dt.datetime(2026, 12, day, hour, minute, tzinfo=PARIS)
    Request.objects.filter(pk=request.pk).update(created_at=at)


def change(family, user, target_type, target_id, **fields):
    return dossier.propose_change(
        family=family,
        user=user,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        rules=None,
    )


# Logging in and scoping


@pytest.mark.parametrize("rest", ["demandes/", "demandes/1/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, portal_page, family, rest):
    response = client.get(url(family, rest))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL + "?next=")


def test_another_familys_requests_are_not_found(
    parent_client, portal_page, family, lea, canteen, parent, neighbour_family
):
    mine = book(family, lea, canteen, [MON], parent)
    other_request = book(family, lea, canteen, [TUE], parent)
    other, zoe = neighbour_family
    factories.enrol(zoe, canteen)
    theirs = book(other, zoe, canteen, [MON], None)

    assert parent_client.get(url(other, "demandes/")).status_code == 404
    # Another family's request, under this family's address or under its own.
    assert parent_client.get(url(family, f"demandes/{theirs.request.pk}/")).status_code == 404
    assert parent_client.get(url(other, f"demandes/{theirs.request.pk}/")).status_code == 404
    assert parent_client.get(url(family, "demandes/999999/")).status_code == 404
    # A day of another request, or not an id, is not one this request can withdraw.
    address = url(family, f"demandes/{mine.request.pk}/")
    posted = {"lines": [other_request.lines[0].pk], "action": "chosen"}
    assert parent_client.post(address, posted).status_code == 404
    assert parent_client.post(address, {"lines": ["x"]}).status_code == 404
    assert set(BookingLine.objects.values_list("state", flat=True)) == {"pending"}
    # Nothing of the other family was read by this account.
    assert not theirs.request.reads.exists()


def test_a_request_of_one_family_is_not_found_under_another_family_of_the_account(
    parent_client, portal_page, family, lea, canteen, parent, neighbour_family
):
    other, zoe = neighbour_family
    factories.SubscriptionFactory(user=parent, family=other)
    factories.enrol(zoe, canteen)
    theirs = book(other, zoe, canteen, [MON], parent)

    assert parent_client.get(url(other, f"demandes/{theirs.request.pk}/")).status_code == 200
    assert parent_client.get(url(family, f"demandes/{theirs.request.pk}/")).status_code == 404


# The list


def test_the_list_shows_every_kind_of_request_with_its_time_type_child_and_state(
    parent_client, portal_page, family, lea, hugo, claire, canteen, centre, parent, agent
):
    booking = book(family, lea, canteen, [MON, TUE, THU], parent)
    sent_at(booking.request, 8, 5)
    bookings.decide_lines(booking.lines[:1], agent=agent, accept=True)
    bookings.decide_lines(booking.lines[1:], agent=agent, accept=False, message="Complet")
    centre_booking = book(family, lea, centre, [WED], parent)  # booked at once, then the absence:
    sent_at(centre_booking.request, 8, 0)
    absence = book(family, lea, centre, [WED], parent, operation="absence")
    sent_at(absence.request, 8, 30)
    guardian = change(family, parent, "guardian", claire.pk, mobile_phone="07 81 23 45 01")
    sent_at(guardian, 9, 14)
    health = change(family, parent, "health", hugo.pk, allergies="arachide")
    sent_at(health, 10, 2)

    response = parent_client.get(url(family, "demandes/"))

    assert response.status_code == 200
    listed = [row.request for row in response.context["rows"]]
    assert listed == [health, guardian, absence.request, booking.request, centre_booking.request]
    table = rows(response)
    assert table[0] == (
        "03/12/2026 10:02 Modification des données sanitaires Hugo "
        f"{health.summary} En cours – Historique – {health.summary}"
    )
    assert health.summary == "Données sanitaires de Hugo Martin : allergies"
    assert table[1].startswith(
        "03/12/2026 09:14 Modification du responsable – Mme Claire Martin : téléphone portable"
    )
    assert table[2].startswith("03/12/2026 08:30 Déclaration d’absence Léa Absence")
    assert table[3].startswith("03/12/2026 08:05 Ajout de réservation Léa Réservation Repas école")
    assert "Partiellement acceptée 1 nouveau message Historique" in table[3]
    html = response.content.decode()
    assert '<time datetime="2026-12-03T08:05:00+01:00">' in html
    assert f'href="{url(family, f"demandes/{booking.request.pk}/")}"' in html
    assert '<th scope="col">Type de la demande</th>' in html


def test_the_unread_marker_counts_the_services_messages_until_the_request_is_opened(
    client, portal_page, family, lea, canteen, parent, second_parent, agent
):
    outcome = book(family, lea, canteen, [MON, TUE, THU], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=False, message="Complet")
    bookings.decide_lines(outcome.lines[1:2], agent=agent, accept=True, message="Bon appétit")
    client.force_login(parent)

    before = rows(client.get(url(family, "demandes/")))[0]
    client.get(url(family, f"demandes/{outcome.request.pk}/"))
    after = rows(client.get(url(family, "demandes/")))[0]
    client.force_login(second_parent)
    other_account = rows(client.get(url(family, "demandes/")))[0]

    assert "2 nouveaux messages" in before
    assert "nouveau" not in after
    # The other account of the family has not read them.
    assert "2 nouveaux messages" in other_account
    # A new message after the opening is new again.
    bookings.decide_lines(outcome.lines[2:], agent=agent, accept=True, message="C’est noté")
    client.force_login(parent)
    assert "1 nouveau message" in rows(client.get(url(family, "demandes/")))[0]


def test_the_list_is_filtered_by_child(
    parent_client, portal_page, family, lea, hugo, canteen, parent
):
    factories.enrol(hugo, canteen)
    leas = book(family, lea, canteen, [MON], parent)
    hugos = book(family, hugo, canteen, [MON], parent)
    hugo_health = change(family, parent, "health", hugo.pk, allergies="gluten")
    contact = factories.AuthorisedContactFactory(child=hugo)
    hugo_contact = change(family, parent, "contact", contact.pk, phone="06 00 00 00 02")
    new_contact = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="contact",
        fields={"last_name": "Petit", "first_name": "Paul", "phone": "0611223344"},
        rules=None,
        parent_id=hugo.pk,
    )
    lea_change = change(family, parent, "child", lea.pk, first_name="Léane")

    by_hugo = parent_client.get(url(family, "demandes/", enfant=hugo.pk))
    by_lea = parent_client.get(url(family, "demandes/", enfant=lea.pk))

    assert [row.request for row in by_hugo.context["rows"]] == [
        new_contact,
        hugo_contact,
        hugo_health,
        hugos.request,
    ]
    assert [row.request for row in by_lea.context["rows"]] == [lea_change, leas.request]
    assert [row.children for row in by_hugo.context["rows"]] == [["Hugo"]] * 4


def test_the_list_is_filtered_by_type_and_state(
    parent_client, portal_page, family, lea, claire, canteen, centre, parent
):
    leas = book(family, lea, canteen, [MON], parent)
    accepted = book(family, lea, centre, [WED], parent)
    absence = book(family, lea, centre, [WED], parent, operation="absence")
    guardian = change(family, parent, "guardian", claire.pk, mobile_phone="07 81 23 45 01")

    def listed(**query):
        response = parent_client.get(url(family, "demandes/", **query))
        return [row.request for row in response.context["rows"]]

    assert listed(type="booking") == [accepted.request, leas.request]
    assert listed(type="absence") == [absence.request]
    assert listed(type="guardian") == [guardian]
    assert listed(etat="accepted") == [absence.request, accepted.request]
    assert listed(type="booking", etat="pending") == [leas.request]
    assert listed(enfant=lea.pk, type="guardian") == []
    empty = parent_client.get(url(family, "demandes/", etat="refused"))
    assert "Aucune demande ne correspond à ces filtres." in text(empty)
    html = empty.content.decode()
    assert re.search(r'<label for="id_type">Type de la demande\W*</label>', html)
    assert '<option value="absence">Déclaration d’absence</option>' in html


@pytest.mark.parametrize(
    "query", [{"enfant": "x"}, {"enfant": "999999"}, {"type": "lost"}, {"etat": "lost"}]
)
def test_the_list_with_bad_filters_is_not_found(parent_client, portal_page, family, lea, query):
    assert parent_client.get(url(family, "demandes/", **query)).status_code == 404


def test_another_familys_child_does_not_filter_the_list(
    parent_client, portal_page, family, lea, neighbour_family
):
    _other, zoe = neighbour_family

    assert parent_client.get(url(family, "demandes/", enfant=zoe.pk)).status_code == 404


def test_the_list_shows_20_requests_a_page_and_keeps_the_filters(
    parent_client, portal_page, family, lea
):
    for n in range(25):
        Request.objects.create(family=family, kind="booking", topic="booking", summary=f"D{n}")
    Request.objects.create(family=family, kind="absence", topic="absence", summary="Absence")

    first = parent_client.get(url(family, "demandes/", type="booking"))
    second = parent_client.get(url(family, "demandes/", type="booking", page=2))

    assert len(rows(first)) == 20 and len(rows(second)) == 5
    assert [row.request.summary for row in second.context["rows"]] == [
        f"D{n}" for n in range(4, -1, -1)
    ]
    assert "Page 1 sur 2" in text(first)
    assert first.context["next_url"] == url(family, "demandes/", type="booking", page=2)
    assert second.context["next_url"] is None
    assert parent_client.get(url(family, "demandes/", page=3)).status_code == 404
    assert parent_client.get(url(family, "demandes/", page="x")).status_code == 404


def test_the_list_of_a_family_without_request_says_so(parent_client, portal_page, family):
    response = parent_client.get(url(family, "demandes/"))

    assert "Vous n'avez encore envoyé aucune demande." in text(response)


def _many_requests(family, children, activity, parent, agent, weeks):
    """Per week of ``weeks``, a booking and two changes of the family file of one of
    ``children``, each answered with a message of the service."""
    for week in weeks:
        child = children[week % len(children)]
        day = MON + dt.timedelta(weeks=week)
        outcome = book(family, child, activity, [day], parent)
        bookings.decide_lines(outcome.lines, agent=agent, accept=True, message=f"Vu {week}")
        for target, values in (
            ("health", {"allergies": f"allergie {week}"}),
            ("child", {"first_name": f"Prénom {week}"}),
        ):
            item = change(family, parent, target, child.pk, **values)
            dossier.refuse(item, agent=agent, message=f"Non {week}")


def test_the_list_runs_the_same_queries_whatever_the_number_of_requests(
    parent_client, portal_page, family, lea, hugo, canteen, parent, agent, django_assert_num_queries
):
    factories.enrol(hugo, canteen)
    contact = factories.AuthorisedContactFactory(child=hugo)
    change(family, parent, "contact", contact.pk, phone="06 00 00 00 02")
    _many_requests(family, [lea, hugo], canteen, parent, agent, range(1))
    address = url(family, "demandes/")
    parent_client.get(address)  # warm up caches (content types, site root paths)
    with CaptureQueriesContext(connection) as small:
        assert len(rows(parent_client.get(address))) == 4

    # The page grows to 20 requests: bookings and changes of both children, with messages.
    _many_requests(family, [lea, hugo], canteen, parent, agent, range(1, 7))
    # Wagtail finds the site and the page (5), then the session and the user, the settings, the
    # municipality, the family, its children, the count, the page, its days, its changes'
    # children and the unread messages; the Wagtail userbar checks the account's permissions (2).
    with django_assert_num_queries(18):
        response = parent_client.get(address, {"enfant": hugo.pk})
    with CaptureQueriesContext(connection) as large:
        response = parent_client.get(address)

    assert len(rows(response)) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


# One request


def test_a_booking_shows_its_days_and_its_history_with_who_did_what(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    outcome = book(family, lea, canteen, [MON, TUE, THU], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=False, message="Plus de place")
    bookings.decide_lines(outcome.lines[1:2], agent=agent, accept=True)

    response = parent_client.get(url(family, f"demandes/{outcome.request.pk}/"))

    assert response.status_code == 200
    page = text(response)
    assert "Réservation Repas école pour Léa : 3 jours" in page
    assert "Type de la demande Ajout de réservation" in page
    html = response.content.decode()
    monday = html[html.index(f'id="wfp-line-{outcome.lines[0].pk}"') :]
    assert "Refusée" in monday[:1500] and "Plus de place" in monday[:1500]
    # Only the day still waiting can be withdrawn.
    assert re.findall(r'name="lines" value="(\d+)"', html) == [str(outcome.lines[2].pk)]
    assert "Retirer tous les jours en attente" in page
    steps = history(response)
    assert [re.sub(r"^\d\d/\d\d/\d{4} \d\d:\d\d ", "", step) for step in steps] == [
        "La famille Envoyée –",
        "La famille 3 jours demandés 07/12/2026, 08/12/2026, 10/12/2026 –",
        "Le service 1 jour refusé 07/12/2026 Nouveau message Plus de place",
        "Le service 1 jour accepté 08/12/2026 –",
    ]
    assert "1 nouveau message" in page
    assert 'role="status"' in html


def test_opening_a_request_marks_its_messages_read_for_this_account_only(
    client, portal_page, family, lea, canteen, parent, second_parent, agent
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines, agent=agent, accept=False, message="Complet")
    address = url(family, f"demandes/{outcome.request.pk}/")
    client.force_login(parent)

    first = client.get(address)
    again = client.get(address)

    assert "Nouveau message" in text(first)
    assert "Nouveau message" not in text(again)
    assert "Complet" in text(again)
    ids = [outcome.request.pk]
    assert request_reads.unread_counts(parent, ids) == {}
    assert request_reads.unread_counts(second_parent, ids) == {outcome.request.pk: 1}


def test_a_withdrawal_that_fails_does_not_mark_the_messages_read(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=False, message="Complet")

    response = parent_client.post(
        url(family, f"demandes/{outcome.request.pk}/"), {"action": "chosen"}
    )

    assert response.status_code == 400
    assert "Choisissez au moins un jour à retirer." in text(response)
    assert request_reads.unread_counts(parent, [outcome.request.pk]) == {outcome.request.pk: 1}


def test_chosen_days_of_a_request_are_withdrawn(
    parent_client, portal_page, family, lea, canteen, parent
):
    outcome = book(family, lea, canteen, [MON, TUE, THU], parent)
    address = url(family, f"demandes/{outcome.request.pk}/")

    response = parent_client.post(
        address, {"lines": [outcome.lines[1].pk], "action": "chosen"}, follow=True
    )

    states = dict(BookingLine.objects.values_list("date", "state"))
    assert states == {MON: "pending", TUE: "withdrawn", THU: "pending"}
    assert messages_of(response) == ["1 jour retiré."]
    assert response.redirect_chain[-1][0] == address
    assert "La famille 1 jour retiré 08/12/2026" in " ".join(history(response))


def test_every_waiting_day_of_a_request_is_withdrawn(
    parent_client, portal_page, family, lea, canteen, parent
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)

    response = parent_client.post(
        url(family, f"demandes/{outcome.request.pk}/"), {"action": "all"}, follow=True
    )

    assert set(BookingLine.objects.values_list("state", flat=True)) == {"withdrawn"}
    outcome.request.refresh_from_db()
    assert outcome.request.state == "withdrawn"
    assert messages_of(response) == ["2 jours retirés."]
    assert "Retirer tous les jours en attente" not in text(response)


def test_a_decided_day_is_not_withdrawn(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=True)

    response = parent_client.post(
        url(family, f"demandes/{outcome.request.pk}/"),
        {"lines": [outcome.lines[0].pk], "action": "chosen"},
    )

    assert response.status_code == 400
    assert BookingLine.objects.get(pk=outcome.lines[0].pk).state == "accepted"


# A change to the family file


def change_rows(response) -> list[str]:
    html = response.content.decode()
    table = html[html.index('class="wfp-table wfp-changes"') :]
    table = table[: table.index("</table>")]
    return [clean(row) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)][1:]


def test_a_file_change_shows_its_fields_and_new_values_and_can_be_withdrawn(
    parent_client, portal_page, family, claire, parent
):
    item = change(
        family,
        parent,
        "guardian",
        claire.pk,
        mobile_phone="07 81 23 45 01",
        iban="FR7630006000011234567890189",
        relation="father",
    )
    address = url(family, f"demandes/{item.pk}/")

    response = parent_client.get(address)

    assert response.status_code == 200
    assert change_rows(response) == [
        "Responsable – Mme Claire Martin Modification Téléphone portable 07 81 23 45 01",
        "Responsable – Mme Claire Martin Modification IBAN •••• •••• •••• •••• •••• •••• 0189",
        "Responsable – Mme Claire Martin Modification Lien avec les enfants Père",
    ]
    assert "Type de la demande Modification du responsable" in text(response)
    html = response.content.decode()
    withdraw = url(family, f"demandes/{item.pk}/retirer/")
    assert f'action="{withdraw}"' in html
    assert parent_client.post(address).status_code == 405

    withdrawn = parent_client.post(withdraw, {"next": address}, follow=True)

    assert withdrawn.redirect_chain[-1][0] == address
    item.refresh_from_db()
    assert item.state == "withdrawn"
    assert f'action="{withdraw}"' not in withdrawn.content.decode()
    assert history(withdrawn)[-1].endswith("La famille Retirée par la famille –")


def test_a_file_change_hides_the_fields_the_site_hides(
    parent_client, portal_page, family, claire, parent, rules
):
    item = change(family, parent, "guardian", claire.pk, mobile_phone="0781234501", profession="X")
    rules({"guardian": {"mobile_phone": "hidden"}})

    response = parent_client.get(url(family, f"demandes/{item.pk}/"))

    assert change_rows(response) == ["Responsable – Mme Claire Martin Modification Profession X"]
    assert "0781234501" not in response.content.decode()


def test_a_health_change_shows_its_values_and_the_refusal_with_its_message(
    parent_client, portal_page, family, hugo, parent, agent
):
    item = change(family, parent, "health", hugo.pk, allergies="arachide", has_care_plan=True)
    dossier.refuse(item, agent=agent, message="Merci de fournir le certificat du médecin.")

    response = parent_client.get(url(family, f"demandes/{item.pk}/"))

    assert change_rows(response) == [
        "Données sanitaires – Hugo Martin Modification Allergies arachide",
        "Données sanitaires – Hugo Martin Modification Projet d'accueil individualisé (PAI) Oui",
    ]
    steps = history(response)
    assert steps[-1].endswith(
        "Le service Refusée Nouveau message Merci de fournir le certificat du médecin."
    )
    assert not response.context["withdraw_url"]


def test_an_addition_shows_the_values_of_the_new_record(
    parent_client, portal_page, family, parent, rules
):
    rules({"child": {"may_leave_alone": "hidden"}})
    item = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="child",
        fields={
            "first_name": "Jade",
            "last_name": "Martin",
            "birth_date": "2024-02-01",
            "sex": "F",
        },
        rules=None,
    )

    response = parent_client.get(url(family, f"demandes/{item.pk}/"))

    assert change_rows(response) == [
        "Enfant Ajout Prénom Jade",
        "Enfant Ajout Nom Martin",
        "Enfant Ajout Date de naissance 01/02/2024",
        "Enfant Ajout Sexe Fille",
    ]
    assert "Type de la demande Ajout d’un enfant" in text(response)


# The dashboard


def test_the_dashboard_counts_the_new_messages_until_they_are_read(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    outcome = book(family, lea, canteen, [MON, TUE], parent)
    bookings.decide_lines(outcome.lines[:1], agent=agent, accept=False, message="Complet")

    before = parent_client.get(PORTAL_URL)
    parent_client.get(url(family, f"demandes/{outcome.request.pk}/"))
    after = parent_client.get(PORTAL_URL)

    assert before.context["unread_messages"] == 1
    html = before.content.decode()
    notice = html[html.index('class="wfp-alert wfp-alert--new wfp-unread"') :]
    notice = clean(notice[: notice.index("</p>")])
    assert notice.endswith("Vous avez 1 nouveau message sur vos demandes. Voir mes demandes")
    assert f'<a href="{url(family, "demandes/")}">Voir mes demandes</a>' in html
    assert after.context["unread_messages"] == 0
    assert "wfp-unread" not in after.content.decode()


def test_the_dashboard_links_to_the_requests_and_the_choice_of_e_mails(
    parent_client, portal_page, family
):
    html = parent_client.get(PORTAL_URL).content.decode()

    assert f'href="{url(family, "demandes/")}"' in html
    assert f'href="{SETTINGS_URL}"' in html
    assert "wfp-unread" not in html


# E-mails about decisions


def test_an_account_without_profile_sees_the_digest_chosen_and_saving_creates_it(
    parent_client, portal_page, parent
):
    # Every account gets a profile when created; one may still lack it (rows bulk-inserted).
    AccountProfile.objects.filter(user=parent).delete()
    response = parent_client.get(SETTINGS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'value="digest"[^>]*checked', html)
    assert "Les accusés d’enregistrement des demandes sont toujours envoyés." in html
    assert not AccountProfile.objects.filter(user=parent).exists()

    saved = parent_client.post(SETTINGS_URL, {"decision_emails": "none"}, follow=True)

    assert saved.redirect_chain[-1][0] == SETTINGS_URL
    assert messages_of(saved) == ["Votre choix d’e-mails a été enregistré."]
    assert AccountProfile.objects.get(user=parent).decision_emails == "none"
    assert re.search(r'value="none"[^>]*checked', saved.content.decode())


def test_the_choice_of_e_mails_changes_the_existing_profile(parent_client, portal_page, parent):
    AccountProfile.objects.filter(user=parent).update(phone="0600000000", decision_emails="none")
    profile = AccountProfile.objects.get(user=parent)

    parent_client.post(SETTINGS_URL, {"decision_emails": "digest"})

    profile.refresh_from_db()
    assert (profile.decision_emails, profile.phone) == ("digest", "0600000000")


def test_a_bad_choice_of_e_mails_is_refused(parent_client, portal_page, parent):
    response = parent_client.post(SETTINGS_URL, {"decision_emails": "every minute"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert AccountProfile.objects.get(user=parent).decision_emails == "digest"


def test_the_choice_of_e_mails_needs_an_account(client, portal_page):
    response = client.get(SETTINGS_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL + "?next=")
