"""The planning and the booking and absence requests through the API."""

import datetime as dt

import pytest
from django.db import connection
from django.middleware.csrf import _get_new_csrf_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from wagtail_family_portal.models import BookingLine, ChildDay, Request
from wagtail_family_portal.models.activities import Activity
from wagtail_family_portal.services import bookings, dossier
from wagtail_family_portal.services.bookings import capacity

from . import factories

BASE = "/api/family-portal/v1/"
NOW = factories.NOW
MON, TUE, WED, THU, FRI = (dt.date(2026, 12, day) for day in (7, 8, 9, 10, 11))
NEXT_MON, NEXT_THU = dt.date(2026, 12, 14), dt.date(2026, 12, 17)

pytestmark = pytest.mark.usefixtures("fixed_now")


def iso(*days):
    return [day.isoformat() for day in days]


def planning_url(family):
    return f"{BASE}families/{family.pk}/planning/"


def requests_url(family):
    return f"{BASE}families/{family.pk}/requests/"


def request_url(pk):
    return f"{BASE}requests/{pk}/"


def withdraw_url(pk):
    return f"{BASE}requests/{pk}/withdraw/"


@pytest.fixture
def client(parent):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(parent)
    return client


@pytest.fixture
def canteen(canteen, hugo):
    """conftest's canteen (validated by an agent, Monday, Tuesday, Thursday and Friday), with
    both children enrolled: the planning and the requests of this module show two children."""
    factories.enrol(hugo, canteen)
    return canteen


@pytest.fixture
def morning(school, lea):
    """Accepted automatically; Léa only."""
    care = factories.ActivityFactory(
        establishment=school,
        name="Périscolaire matin",
        start_time=dt.time(7, 30),
        end_time=dt.time(8, 20),
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )
    factories.enrol(lea, care)
    return care


@pytest.fixture
def stranger_family(municipality):
    """A family of the same town the account is not linked to, with a child enrolled."""
    family = factories.FamilyFactory(municipality=municipality, name="Durand")
    family.child = factories.ChildFactory(family=family, first_name="Jade")
    return family


def ask(client, family, **body):
    return client.post(requests_url(family), body, format="json")


book = factories.book


def cells_of(body, **match):
    return [
        cell for cell in body["cells"] if all(cell[key] == value for key, value in match.items())
    ]


# GET families/{family_id}/planning/


def test_the_planning_of_a_week(client, family, lea, hugo, canteen, morning):
    response = client.get(planning_url(family), {"start": "2026-12-07", "end": "2026-12-13"})

    assert response.status_code == 200
    body = response.json()
    assert (body["start"], body["end"]) == ("2026-12-07", "2026-12-13")
    assert [(child["id"], child["name"], child["colour"]) for child in body["children"]] == [
        (lea.pk, "Léa", "#1f77b4"),
        (hugo.pk, "Hugo", "#d62728"),
    ]
    assert {activity["id"]: activity["name"] for activity in body["activities"]} == {
        canteen.pk: "Repas école",
        morning.pk: "Périscolaire matin",
    }
    # Léa: 2 activities, Hugo: the canteen; 4 days each (no Wednesday, no weekend).
    assert len(body["cells"]) == 12
    monday = cells_of(body, date="2026-12-07", child_id=lea.pk, activity_id=canteen.pk)
    assert monday == [
        {
            "date": "2026-12-07",
            "child_id": lea.pk,
            "activity_id": canteen.pk,
            "state": "enrolled",
            "start_time": "11:45",
            "end_time": "13:30",
            "actions": ["book"],
            "reason": None,
            "rank": None,
            "request_id": None,
            "line_id": None,
        }
    ]
    assert not cells_of(body, date="2026-12-09")
    legend = {entry["state"]: entry for entry in body["legend"]}
    assert set(legend) == {
        "enrolled",
        "booking_requested",
        "booked",
        "absence_requested",
        "absent",
        "refused",
        "waiting_list",
        "closed",
    }
    assert all(entry["label"] and entry["colour"].startswith("#") for entry in legend.values())


def test_the_planning_shows_requests_deadlines_and_closures(
    client, family, parent, lea, canteen, municipality
):
    outcome = book(family, lea, canteen, [MON], user=parent)
    factories.ClosureFactory(municipality=municipality, start_date=FRI, end_date=FRI, label="Pont")

    body = client.get(
        planning_url(family), {"start": "2026-12-03", "end": "2026-12-11", "child": lea.pk}
    ).json()

    by_date = {cell["date"]: cell for cell in body["cells"]}
    assert by_date["2026-12-03"]["state"] == "enrolled"
    assert by_date["2026-12-03"]["actions"] == []
    assert by_date["2026-12-03"]["reason"] == "deadline_passed"
    assert by_date["2026-12-07"]["state"] == "booking_requested"
    assert by_date["2026-12-07"]["actions"] == ["withdraw"]
    assert by_date["2026-12-07"]["request_id"] == outcome.request.pk
    assert by_date["2026-12-07"]["line_id"] == outcome.lines[0].pk
    assert by_date["2026-12-11"]["state"] == "closed"
    assert by_date["2026-12-11"]["reason"] == "closed"


def test_the_planning_shows_the_rank_on_the_waiting_list(client, family, lea, school):
    centre = factories.ActivityFactory(
        establishment=school,
        weekdays=[2],
        capacity=0,
        waiting_list=True,
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )
    factories.enrol(lea, centre)
    book(family, lea, centre, [WED])

    body = client.get(planning_url(family), {"start": "2026-12-07", "end": "2026-12-13"}).json()

    assert [(cell["state"], cell["rank"]) for cell in body["cells"]] == [("waiting_list", 1)]


def test_the_planning_defaults_to_the_current_week(client, family, lea, canteen):
    body = client.get(planning_url(family)).json()

    # NOW is Thursday 3 December: Monday 30 November to Sunday 6 December.
    assert (body["start"], body["end"]) == ("2026-11-30", "2026-12-06")
    assert sorted({cell["date"] for cell in body["cells"]}) == iso(
        dt.date(2026, 11, 30), dt.date(2026, 12, 1), dt.date(2026, 12, 3), dt.date(2026, 12, 4)
    )


def test_the_planning_with_one_end_is_a_week_long(client, family, lea, canteen):
    from_start = client.get(planning_url(family), {"start": "2026-12-09"}).json()
    to_end = client.get(planning_url(family), {"end": "2026-12-09"}).json()

    assert (from_start["start"], from_start["end"]) == ("2026-12-09", "2026-12-15")
    assert (to_end["start"], to_end["end"]) == ("2026-12-03", "2026-12-09")


def test_the_planning_filters_children_and_activities(client, family, lea, hugo, canteen, morning):
    week = {"start": "2026-12-07", "end": "2026-12-13"}

    only_hugo = client.get(planning_url(family), {**week, "child": hugo.pk}).json()
    both = client.get(planning_url(family), {**week, "child": f"{lea.pk},{hugo.pk}"}).json()
    repeated = client.get(
        planning_url(family) + f"?start=2026-12-07&end=2026-12-13&child={lea.pk}&child={hugo.pk}"
    ).json()
    morning_only = client.get(planning_url(family), {**week, "activity": morning.pk}).json()

    assert [child["id"] for child in only_hugo["children"]] == [hugo.pk]
    assert {cell["child_id"] for cell in only_hugo["cells"]} == {hugo.pk}
    assert len(both["cells"]) == len(repeated["cells"]) == 12
    assert {(cell["child_id"], cell["activity_id"]) for cell in morning_only["cells"]} == {
        (lea.pk, morning.pk)
    }


def test_the_planning_legend_uses_the_sites_settings(
    client, family, lea, canteen, portal_page, portal_settings
):
    portal_settings.legend_booked_label = "Réservé !"
    portal_settings.legend_booked_colour = "#00AA00"
    portal_settings.save()

    body = client.get(planning_url(family)).json()

    booked = next(entry for entry in body["legend"] if entry["state"] == "booked")
    assert (booked["label"], booked["colour"]) == ("Réservé !", "#00AA00")


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "07/12/2026"}, "start"),
        ({"start": "2026-02-30"}, "start"),
        ({"end": "demain"}, "end"),
        ({"start": "0001-01-01"}, "start"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "2026-12-10", "end": "2026-12-09"}, "end"),
        ({"start": "2026-12-01", "end": "2027-02-01"}, "end"),
        ({"child": "abc"}, "child"),
        ({"child": "1;2"}, "child"),
        ({"child": "-3"}, "child"),
        ({"activity": "1.5"}, "activity"),
    ],
)
def test_the_planning_refuses_bad_input(client, family, lea, canteen, query, field):
    response = client.get(planning_url(family), query)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)


def test_the_planning_covers_at_most_62_days(client, family, lea, canteen):
    longest = client.get(planning_url(family), {"start": "2026-12-01", "end": "2027-01-31"})
    too_long = client.get(planning_url(family), {"start": "2026-12-01", "end": "2027-02-01"})

    assert longest.status_code == 200
    assert too_long.json() == {"end": ["A planning covers at most 62 days."]}


def test_the_planning_of_another_familys_ids_is_404(
    client, family, lea, canteen, stranger_family, other_municipality
):
    foreign = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=other_municipality)
    )

    assert client.get(planning_url(stranger_family)).status_code == 404
    assert client.get(f"{BASE}families/999999/planning/").status_code == 404
    assert client.get(planning_url(family), {"child": stranger_family.child.pk}).status_code == 404
    assert client.get(planning_url(family), {"child": f"{lea.pk},999999"}).status_code == 404
    assert client.get(planning_url(family), {"activity": foreign.pk}).status_code == 404
    assert client.get(planning_url(family), {"activity": canteen.pk}).status_code == 200


def planning_family(municipality, user, children, activities, days):
    """A family of ``children`` enrolled in ``activities`` (every day), each child with a booked
    day, a day on the waiting list and a day closed, within a planning of ``days`` days."""
    family = factories.FamilyFactory(municipality=municipality)
    factories.SubscriptionFactory(user=user, family=family)
    school = factories.EstablishmentFactory(municipality=municipality)
    acts = [
        factories.ActivityFactory(
            establishment=school, weekdays=list(range(7)), capacity=10, waiting_list=True
        )
        for _ in range(activities)
    ]
    for _ in range(children):
        child = factories.ChildFactory(family=family)
        for act in acts:
            factories.enrol(child, act)
            ChildDay.objects.create(child=child, activity=act, date=MON, state="booked")
            ChildDay.objects.create(
                child=child,
                activity=act,
                date=TUE,
                state="waiting_list",
                queued_at=timezone.make_aware(NOW),
            )
    factories.ClosureFactory(municipality=municipality, start_date=THU, end_date=THU, label="Grève")
    return family, MON, MON + dt.timedelta(days=days - 1)


def test_the_planning_takes_the_same_number_of_queries_whatever_its_size(parent, municipality):
    token = Token.objects.create(user=parent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    small, small_start, small_end = planning_family(municipality, parent, 1, 1, 7)
    large, large_start, large_end = planning_family(municipality, parent, 4, 6, 31)

    counts = []
    for family, start, end in [(small, small_start, small_end), (large, large_start, large_end)]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(planning_url(family), {"start": start, "end": end})
        assert response.status_code == 200
        counts.append((len(queries), len(response.json()["cells"])))

    (small_queries, small_cells), (large_queries, large_cells) = counts
    assert (small_cells, large_cells) == (7, 4 * 6 * 31)
    # The token's account, the family, the request's site (this town has none of its own), the
    # legend, then the planning's own four.
    assert small_queries == large_queries == 8


# POST families/{family_id}/requests/


def test_booking_listed_days(client, family, lea, canteen):
    response = ask(
        client,
        family,
        kind="booking",
        child_id=lea.pk,
        activity_id=canteen.pk,
        dates=iso(TUE, MON),
    )

    assert response.status_code == 201
    body = response.json()
    request = Request.objects.get()
    assert (body["id"], body["kind"], body["state"]) == (request.pk, "booking", "pending")
    assert [
        {key: line[key] for key in ("date", "child_id", "activity_id", "state")}
        for line in body["lines"]
    ] == [
        {
            "date": "2026-12-07",
            "child_id": lea.pk,
            "activity_id": canteen.pk,
            "state": "booking_requested",
        },
        {
            "date": "2026-12-08",
            "child_id": lea.pk,
            "activity_id": canteen.pk,
            "state": "booking_requested",
        },
    ]
    assert body["skipped"] == []
    assert body["summary"] and body["created_at"]
    assert ChildDay.objects.get(child=lea, activity=canteen, date=MON).state == "booking_requested"


def test_booking_an_automatic_activity_is_booked_at_once(client, family, lea, morning):
    response = ask(
        client, family, kind="booking", child_id=lea.pk, activity_id=morning.pk, dates=iso(MON)
    )

    body = response.json()
    assert response.status_code == 201
    assert body["state"] == "accepted"
    assert [(line["state"], line["line_state"]) for line in body["lines"]] == [
        ("booked", "accepted")
    ]


def test_absences_over_a_period_with_weekdays(client, family, parent, lea, morning):
    book(family, lea, morning, [MON, THU, NEXT_MON, NEXT_THU], user=parent)

    response = ask(
        client,
        family,
        kind="absence",
        child_id=lea.pk,
        activity_id=morning.pk,
        start="2026-12-07",
        end="2026-12-18",
        weekdays=[0],
    )

    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "absence"
    assert [(line["date"], line["state"]) for line in body["lines"]] == [
        ("2026-12-07", "absent"),
        ("2026-12-14", "absent"),
    ]
    assert ChildDay.objects.get(child=lea, activity=morning, date=THU).state == "booked"


def test_a_period_books_its_weekdays(client, family, lea, canteen):
    response = ask(
        client,
        family,
        kind="booking",
        child_id=lea.pk,
        activity_id=canteen.pk,
        start="2026-12-07",
        end="2026-12-18",
        weekdays=[0, 3],
    )

    assert response.status_code == 201
    assert [line["date"] for line in response.json()["lines"]] == iso(MON, THU, NEXT_MON, NEXT_THU)


def test_days_that_cannot_be_requested_are_shown_before_anything_is_saved(
    client, family, lea, canteen
):
    body = {
        "kind": "booking",
        "child_id": lea.pk,
        "activity_id": canteen.pk,
        "dates": iso(dt.date(2026, 12, 3), MON, WED),
    }

    preview = client.post(requests_url(family), body, format="json")

    assert preview.status_code == 409
    assert preview.json() == {
        "detail": "2 days cannot be requested: check the list and confirm.",
        "code": "confirm_skipped",
        "dates": ["2026-12-07"],
        "skipped": [
            {
                "date": "2026-12-03",
                "reason": "deadline_passed",
                "message": "The deadline for that day has passed.",
            },
            {
                "date": "2026-12-09",
                "reason": "not_running",
                "message": "The activity does not take place that day.",
            },
        ],
    }
    assert not Request.objects.exists() and not ChildDay.objects.exists()

    confirmed = client.post(requests_url(family), {**body, "confirm_skipped": True}, format="json")

    assert confirmed.status_code == 201
    assert [line["date"] for line in confirmed.json()["lines"]] == ["2026-12-07"]
    assert [(item["date"], item["reason"]) for item in confirmed.json()["skipped"]] == [
        ("2026-12-03", "deadline_passed"),
        ("2026-12-09", "not_running"),
    ]
    assert BookingLine.objects.count() == 1


def test_nothing_to_request_is_a_409_with_the_reasons(client, family, parent, lea, canteen):
    book(family, lea, canteen, [MON], user=parent)

    response = ask(
        client,
        family,
        kind="booking",
        child_id=lea.pk,
        activity_id=canteen.pk,
        dates=iso(MON, WED),
        confirm_skipped=True,
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "None of these days can be requested.",
        "code": "nothing_to_request",
        "skipped": [
            {
                "date": "2026-12-07",
                "reason": "already_requested",
                "message": "A request for that day is already waiting.",
            },
            {
                "date": "2026-12-09",
                "reason": "not_running",
                "message": "The activity does not take place that day.",
            },
        ],
    }
    assert Request.objects.count() == 1


def test_an_absence_on_a_day_not_booked_is_a_409(client, family, lea, canteen):
    response = ask(
        client, family, kind="absence", child_id=lea.pk, activity_id=canteen.pk, dates=iso(MON)
    )

    assert response.status_code == 409
    assert [item["reason"] for item in response.json()["skipped"]] == ["not_booked"]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"kind": None}, "kind"),
        ({"kind": "holiday"}, "kind"),
        ({"child_id": "Léa"}, "child_id"),
        ({"child_id": None}, "child_id"),
        ({"activity_id": 0}, "activity_id"),
        ({"dates": "2026-12-07"}, "dates"),
        ({"dates": ["07/12/2026"]}, "dates"),
        ({"dates": ["2026-02-30"]}, "dates"),
        ({"dates": [20261207]}, "dates"),
        ({"dates": []}, "dates"),
        ({"dates": ["0001-01-05"]}, "dates"),
        ({"dates": ["2026-09-01", "2027-09-02"]}, "dates"),
        ({"dates": ["2026-12-07"] * 400}, "dates"),
        ({"confirm_skipped": "perhaps"}, "confirm_skipped"),
    ],
)
def test_bad_request_bodies_are_400_on_the_field(client, family, lea, canteen, changes, field):
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": canteen.pk, "dates": iso(MON)}
    body.update(changes)
    body = {key: value for key, value in body.items() if value is not None}

    response = client.post(requests_url(family), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Request.objects.exists()


@pytest.mark.parametrize(
    "period, errors",
    [
        ({"start": "2026-12-07"}, {"end", "weekdays"}),
        ({"start": "2026-12-07", "end": "2026-12-18"}, {"weekdays"}),
        ({"start": "2026-12-18", "end": "2026-12-07", "weekdays": [0]}, {"end"}),
        ({"start": "2026-09-01", "end": "2027-09-02", "weekdays": [0]}, {"end"}),
        ({"start": "2026-12-07", "end": "2026-12-18", "weekdays": []}, {"weekdays"}),
        ({"start": "2026-12-07", "end": "2026-12-18", "weekdays": [7]}, {"weekdays"}),
        ({"start": "2026-12-07", "end": "2026-12-18", "weekdays": [True]}, {"weekdays"}),
        ({"start": "2026-12-07", "end": "2026-12-18", "weekdays": "0"}, {"weekdays"}),
        ({"start": "2026-12-12", "end": "2026-12-13", "weekdays": [0]}, {"weekdays"}),
        ({"start": "le 7", "end": "2026-12-18", "weekdays": [0]}, {"start"}),
        ({"start": "1999-12-31", "end": "2000-01-01", "weekdays": [4, 5]}, {"start"}),
        ({}, {"detail"}),
        ({"dates": ["2026-12-07"], "start": "2026-12-07"}, {"detail"}),
    ],
)
def test_bad_periods_are_400(client, family, lea, canteen, period, errors):
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": canteen.pk, **period}

    response = client.post(requests_url(family), body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == errors
    assert not Request.objects.exists()


def test_a_period_longer_than_a_school_year_says_so(client, family, lea, canteen):
    response = ask(
        client,
        family,
        kind="booking",
        child_id=lea.pk,
        activity_id=canteen.pk,
        start="2026-09-01",
        end="2027-09-02",
        weekdays=[0],
    )

    assert response.json() == {"end": ["A request covers at most one school year."]}


def test_a_request_for_another_familys_ids_is_404(
    client, family, lea, canteen, stranger_family, other_municipality
):
    foreign = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=other_municipality)
    )
    factories.enrol(lea, foreign)
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": canteen.pk, "dates": iso(MON)}

    answers = [
        client.post(requests_url(stranger_family), body, format="json"),
        client.post(
            requests_url(family), {**body, "child_id": stranger_family.child.pk}, format="json"
        ),
        client.post(requests_url(family), {**body, "activity_id": foreign.pk}, format="json"),
        client.post(requests_url(family), {**body, "activity_id": 999999}, format="json"),
    ]

    assert [answer.status_code for answer in answers] == [404, 404, 404, 404]
    assert all("detail" in answer.json() for answer in answers)
    assert not Request.objects.exists()


# GET families/{family_id}/requests/


@pytest.fixture
def three_requests(family, parent, lea, hugo, canteen, morning):
    """Oldest first: Léa's canteen booking, Hugo's file change, Léa's automatic booking."""
    first = book(family, lea, canteen, [MON, NEXT_THU], user=parent).request
    second = dossier.propose_change(
        family=family,
        user=parent,
        target_type="child",
        target_id=hugo.pk,
        fields={"class_level": "GS"},
        rules=None,
    )
    third = book(family, lea, morning, [TUE], user=parent).request
    return first, second, third


def test_the_list_of_requests_newest_first(client, family, lea, hugo, three_requests):
    first, second, third = three_requests

    response = client.get(requests_url(family))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["next"] is None and body["previous"] is None
    assert [item["id"] for item in body["results"]] == [third.pk, second.pk, first.pk]
    oldest = body["results"][2]
    assert {key: oldest[key] for key in oldest if key not in ("summary", "created_at")} == {
        "id": first.pk,
        "kind": "booking",
        "topic": "booking",
        "topic_label": "Booking request",
        "state": "pending",
        "child_ids": [lea.pk],
        "activities": [
            {
                "id": first.booking_lines.first().activity_id,
                "name": "Repas école",
                "establishment": "École Jules Ferry",
            }
        ],
        "first_date": "2026-12-07",
        "last_date": "2026-12-17",
        "unread_messages": 0,
    }
    assert oldest["summary"]
    assert oldest["created_at"] == client.get(request_url(first.pk)).json()["created_at"]
    change = body["results"][1]
    assert (change["kind"], change["child_ids"], change["first_date"]) == (
        "file_change",
        [hugo.pk],
        None,
    )
    assert body["results"][0]["state"] == "accepted"


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"kind": "booking"}, [2, 0]),
        ({"kind": "file_change,absence"}, [1]),
        ({"state": "pending"}, [1, 0]),
        ({"state": "accepted", "kind": "booking"}, [2]),
        ({"child": "lea"}, [2, 0]),
        ({"child": "hugo"}, [1]),
        ({"child": "lea,hugo", "state": "pending"}, [1, 0]),
    ],
)
def test_the_list_of_requests_is_filtered(
    client, family, lea, hugo, three_requests, query, expected
):
    children = {"lea": str(lea.pk), "hugo": str(hugo.pk)}
    if "child" in query:
        query = {
            **query,
            "child": ",".join(children[name] for name in query["child"].split(",")),
        }

    body = client.get(requests_url(family), query).json()

    assert [item["id"] for item in body["results"]] == [three_requests[i].pk for i in expected]


def test_the_list_of_requests_filters_repeated_states(client, family, three_requests):
    url = requests_url(family) + "?state=accepted&state=pending"

    assert client.get(url).json()["count"] == 3


def test_the_list_of_requests_is_paginated(client, family, three_requests):
    first_page = client.get(requests_url(family), {"page_size": 2}).json()
    second_page = client.get(first_page["next"]).json()

    assert first_page["count"] == 3 and len(first_page["results"]) == 2
    assert first_page["previous"] is None
    assert [item["id"] for item in second_page["results"]] == [three_requests[0].pk]
    assert second_page["next"] is None and second_page["previous"]
    assert client.get(requests_url(family), {"page": 9}).status_code == 404


def test_the_list_of_requests_takes_the_same_number_of_queries_whatever_its_length(
    client, family, parent, lea, hugo, canteen, morning, three_requests
):
    with CaptureQueriesContext(connection) as few:
        client.get(requests_url(family))
    for day in (NEXT_MON, NEXT_THU, dt.date(2027, 1, 4)):
        book(family, hugo, canteen, [day], user=parent)
    contact = factories.AuthorisedContactFactory(child=lea)
    dossier.propose_removal(family=family, user=parent, target_type="contact", target_id=contact.pk)

    with CaptureQueriesContext(connection) as more:
        body = client.get(requests_url(family)).json()

    assert body["count"] == 7
    assert body["results"][0]["child_ids"] == [lea.pk]
    # The removed contact's child is read in the same query as the changes.
    assert len(more) == len(few)


@pytest.mark.parametrize(
    "query, field",
    [({"state": "lost"}, "state"), ({"kind": "invoice"}, "kind"), ({"child": "x"}, "child")],
)
def test_the_list_of_requests_refuses_bad_filters(client, family, three_requests, query, field):
    response = client.get(requests_url(family), query)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_list_of_requests_of_another_family_is_404(
    client, family, stranger_family, three_requests
):
    bookings_of_stranger = client.get(requests_url(stranger_family))
    stranger_child = client.get(requests_url(family), {"child": stranger_family.child.pk})

    assert (bookings_of_stranger.status_code, stranger_child.status_code) == (404, 404)


# GET requests/{id}/ and POST requests/{id}/withdraw/


@pytest.fixture
def pending(family, parent, lea, canteen):
    return book(family, lea, canteen, [MON, TUE, THU], user=parent)


def test_a_booking_request_with_its_lines_and_history(client, pending, agent, lea, canteen):
    monday, tuesday, thursday = pending.lines
    bookings.decide_lines([tuesday], agent=agent, accept=False, message="Sortie scolaire.")
    bookings.decide_lines([monday], agent=agent, accept=True)

    response = client.get(request_url(pending.request.pk))

    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["state"]) == ("booking", "pending")
    assert [
        (
            line["id"],
            line["date"],
            line["child_id"],
            line["activity_id"],
            line["state"],
            line["message"],
        )
        for line in body["lines"]
    ] == [
        (monday.pk, "2026-12-07", lea.pk, canteen.pk, "booked", ""),
        (tuesday.pk, "2026-12-08", lea.pk, canteen.pk, "refused", "Sortie scolaire."),
        (thursday.pk, "2026-12-10", lea.pk, canteen.pk, "booking_requested", ""),
    ]
    history = [
        (entry["by"], entry["action"], entry["state"], entry["dates"], entry["message"])
        for entry in body["history"]
    ]
    assert history == [
        ("family", "submitted", "pending", [], ""),
        ("family", "pending", "booking_requested", iso(MON, TUE, THU), ""),
        ("agent", "refused", "refused", iso(TUE), "Sortie scolaire."),
        ("agent", "accepted", "booked", iso(MON), ""),
    ]
    assert body["history"][2]["line_ids"] == [tuesday.pk]
    assert all(entry["at"] for entry in body["history"])


def test_an_automatic_booking_is_decided_by_the_system(client, family, parent, lea, morning):
    outcome = book(family, lea, morning, [MON], user=parent)

    history = client.get(request_url(outcome.request.pk)).json()["history"]

    assert [(entry["by"], entry["action"]) for entry in history] == [
        ("family", "submitted"),
        ("family", "pending"),
        ("system", "accepted"),
        ("system", "accepted"),
    ]


def test_a_file_change_request_says_who_acted(client, family, parent, hugo, agent):
    change = dossier.propose_change(
        family=family,
        user=parent,
        target_type="child",
        target_id=hugo.pk,
        fields={"class_level": "GS"},
        rules=None,
    )
    dossier.refuse(change, agent=agent, message="Voir avec l’école.")

    body = client.get(request_url(change.pk)).json()

    assert [(entry["by"], entry["action"]) for entry in body["history"]] == [
        ("family", "submitted"),
        ("agent", "refused"),
    ]
    assert body["lines"][0]["field"] == "class_level"


def test_withdrawing_every_day_still_waiting(client, family, pending, agent, lea, canteen):
    monday, tuesday, thursday = pending.lines
    bookings.decide_lines([monday], agent=agent, accept=True)

    response = client.post(withdraw_url(pending.request.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "accepted"
    assert [(line["state"], line["line_state"]) for line in body["lines"]] == [
        ("booked", "accepted"),
        ("enrolled", "withdrawn"),
        ("enrolled", "withdrawn"),
    ]
    assert body["history"][-2]["action"] == "withdrawn"
    assert body["history"][-2]["by"] == "family"
    planning = client.get(
        planning_url(family), {"start": "2026-12-07", "end": "2026-12-13", "child": lea.pk}
    )
    states = {cell["date"]: cell["state"] for cell in planning.json()["cells"]}
    assert states == {
        "2026-12-07": "booked",
        "2026-12-08": "enrolled",
        "2026-12-10": "enrolled",
        "2026-12-11": "enrolled",
    }


def test_withdrawing_some_days(client, pending):
    monday, tuesday, thursday = pending.lines

    response = client.post(withdraw_url(pending.request.pk), {"lines": [tuesday.pk]}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "pending"
    assert [line["line_state"] for line in body["lines"]] == ["pending", "withdrawn", "pending"]


def test_withdrawing_an_absence_gives_the_booked_day_back(
    client, family, parent, lea, canteen, agent
):
    booked = book(family, lea, canteen, [MON], user=parent)
    bookings.decide_lines(booked.lines, agent=agent, accept=True)
    absence = book(family, lea, canteen, [MON], user=parent, operation="absence")

    body = client.post(withdraw_url(absence.request.pk)).json()

    assert (body["state"], body["lines"][0]["state"]) == ("withdrawn", "booked")
    assert ChildDay.objects.get(child=lea, activity=canteen, date=MON).state == "booked"


def test_withdrawing_when_nothing_waits_is_a_409(client, family, parent, lea, morning, pending):
    accepted = book(family, lea, morning, [MON], user=parent)
    client.post(withdraw_url(pending.request.pk))

    answers = [
        client.post(withdraw_url(accepted.request.pk)),
        client.post(withdraw_url(pending.request.pk)),
        client.post(
            withdraw_url(accepted.request.pk), {"lines": [accepted.lines[0].pk]}, format="json"
        ),
    ]

    assert [answer.status_code for answer in answers] == [409, 409, 409]
    assert answers[0].json() == {
        "detail": "Nothing in this request is still waiting: it cannot be withdrawn."
    }
    assert "already been decided" in answers[2].json()["detail"]
    assert BookingLine.objects.get(pk=accepted.lines[0].pk).state == "accepted"


def test_withdrawing_lines_of_another_request_is_404(
    client, family, parent, lea, morning, pending, stranger_family
):
    other = book(family, lea, morning, [MON], user=parent, confirm_skipped=True)

    answer = client.post(
        withdraw_url(pending.request.pk),
        {"lines": [pending.lines[0].pk, other.lines[0].pk]},
        format="json",
    )

    assert answer.status_code == 404
    assert [line.state for line in BookingLine.objects.filter(request=pending.request)] == [
        "pending"
    ] * 3


@pytest.mark.parametrize("lines", ["abc", [True], {"id": 1}, []])
def test_withdrawing_bad_lines_is_400(client, pending, lines):
    answer = client.post(withdraw_url(pending.request.pk), {"lines": lines}, format="json")

    assert answer.status_code == 400
    assert list(answer.json()) == ["lines"]


def test_a_file_change_is_withdrawn_whole(client, family, parent, hugo):
    change = dossier.propose_change(
        family=family,
        user=parent,
        target_type="child",
        target_id=hugo.pk,
        fields={"class_level": "GS"},
        rules=None,
    )

    with_lines = client.post(withdraw_url(change.pk), {"lines": [1]}, format="json")
    whole = client.post(withdraw_url(change.pk))

    assert with_lines.status_code == 400
    assert (whole.status_code, whole.json()["state"]) == (200, "withdrawn")


def test_another_familys_booking_request_is_404(client, stranger_family, canteen):
    factories.enrol(stranger_family.child, canteen)
    other = book(stranger_family, stranger_family.child, canteen, [MON])

    assert client.get(request_url(other.request.pk)).status_code == 404
    assert client.post(withdraw_url(other.request.pk)).status_code == 404
    assert BookingLine.objects.get(request=other.request).state == "pending"


# Authentication


def test_token_authentication(parent, family, lea, canteen):
    token = Token.objects.create(user=parent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": canteen.pk, "dates": iso(MON)}

    created = client.post(requests_url(family), body, format="json")

    assert created.status_code == 201
    assert client.get(planning_url(family)).status_code == 200
    assert client.get(requests_url(family)).json()["count"] == 1
    assert client.get(request_url(created.json()["id"])).status_code == 200
    assert client.post(withdraw_url(created.json()["id"])).status_code == 200


def test_session_authentication_with_csrf(parent, family, lea, canteen):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(parent)
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": canteen.pk, "dates": iso(MON)}

    without_token = client.post(requests_url(family), body, format="json")
    csrf = _get_new_csrf_string()
    client.cookies["csrftoken"] = csrf
    with_token = client.post(requests_url(family), body, format="json", HTTP_X_CSRFTOKEN=csrf)

    assert client.get(planning_url(family)).status_code == 200
    assert without_token.status_code == 403
    assert with_token.status_code == 201


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "families/{family}/planning/"),
        ("get", "families/{family}/requests/"),
        ("post", "families/{family}/requests/"),
        ("get", "requests/1/"),
        ("post", "requests/1/withdraw/"),
    ],
)
def test_anonymous_requests_are_401(family, method, path):
    response = getattr(APIClient(), method)(BASE + path.format(family=family.pk))

    assert response.status_code == 401
    assert "detail" in response.json()


def test_an_account_without_the_family_gets_404(family, lea, canteen):
    stranger = factories.UserFactory(username="autre@example.org")
    client = APIClient()
    client.force_authenticate(stranger)

    assert client.get(planning_url(family)).status_code == 404
    assert client.get(requests_url(family)).status_code == 404


# Schema


def test_the_schema_documents_each_answer(db):
    paths = APIClient().get(BASE + "schema/", {"format": "json"}).json()["paths"]

    def statuses(path, method):
        return set(paths[BASE + path][method]["responses"])

    assert {"200", "400", "401", "404"} <= statuses("families/{family_id}/planning/", "get")
    assert {"200", "400", "401", "404"} <= statuses("families/{family_id}/requests/", "get")
    assert {"201", "400", "401", "404", "409"} <= statuses("families/{family_id}/requests/", "post")
    assert {"200", "400", "404", "409"} <= statuses("requests/{id}/withdraw/", "post")


# A full day: one answer, whether it was full before the request or filled up during it


@pytest.fixture
def full_thursday(school, stranger_family):
    """An automatic activity with one place a day, enrolled by Léa and by another family's Jade;
    ``fill()`` gives Thursday's place to Jade."""
    centre = factories.ActivityFactory(
        establishment=school,
        name="Accueil de loisirs",
        booking_mode=Activity.BookingMode.AUTOMATIC,
        capacity=1,
    )
    jade = stranger_family.child
    factories.enrol(jade, centre)

    def fill():
        ChildDay.objects.create(child=jade, activity=centre, date=THU, state="booked")

    centre.fill = fill
    return centre


def fill_while_processing(monkeypatch, activity):
    """Jade's booking commits just before this request locks the activity's days: the moment
    a concurrent request could take the last place (a real race: tests/test_concurrency.py)."""
    lock = capacity.lock_days

    def filled_then_lock(locked_activity, dates):
        if not ChildDay.objects.filter(activity=activity, date=THU).exists():
            activity.fill()
        return lock(locked_activity, dates)

    monkeypatch.setattr(capacity, "lock_days", filled_then_lock)


def answer_without_ids(response) -> dict:
    data = response.json()
    data.pop("id", None)
    for line in data.get("lines", []):
        line.pop("id", None)
    return {key: value for key, value in data.items() if key not in ("created_at", "history")}


@pytest.mark.parametrize("timing", ["full before", "fills up during the request"])
def test_booking_only_a_full_day_is_409_whatever_the_timing(
    client, family, lea, full_thursday, monkeypatch, timing
):
    factories.enrol(lea, full_thursday)
    if timing == "full before":
        full_thursday.fill()
    else:
        fill_while_processing(monkeypatch, full_thursday)

    response = ask(
        client,
        family,
        kind="booking",
        child_id=lea.pk,
        activity_id=full_thursday.pk,
        dates=iso(THU),
    )

    assert response.status_code == 409
    assert response.json()["code"] == "nothing_to_request"
    assert response.json()["skipped"] == [
        {"date": "2026-12-10", "reason": "full", "message": "No place left that day."}
    ]
    assert not Request.objects.filter(family=family).exists()
    assert not ChildDay.objects.filter(child=lea).exists()


@pytest.mark.parametrize("timing", ["full before", "fills up during the request"])
def test_a_full_day_among_others_is_skipped_whatever_the_timing(
    client, family, lea, full_thursday, monkeypatch, timing
):
    factories.enrol(lea, full_thursday)
    if timing == "full before":
        full_thursday.fill()
    else:
        fill_while_processing(monkeypatch, full_thursday)
    body = {"kind": "booking", "child_id": lea.pk, "activity_id": full_thursday.pk}

    unconfirmed = ask(client, family, **body, dates=iso(THU, FRI))
    confirmed = ask(client, family, **body, dates=iso(THU, FRI), confirm_skipped=True)

    assert unconfirmed.status_code == 409
    assert unconfirmed.json()["code"] == "confirm_skipped"
    assert unconfirmed.json()["dates"] == iso(FRI)
    assert confirmed.status_code == 201
    answer = answer_without_ids(confirmed)
    assert [(line["date"], line["state"]) for line in answer["lines"]] == [("2026-12-11", "booked")]
    assert answer["skipped"] == [
        {"date": "2026-12-10", "reason": "full", "message": "No place left that day."}
    ]
    assert answer["state"] == "accepted"
    assert not BookingLine.objects.filter(child=lea, state="refused").exists()
