"""The read side of "Mes demandes" is written once (``services.requests``): which requests
concern a child, the children each change is about, a request's days in the list. The pages'
list and the API's list give the same answer because they ask the same functions."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from wagtail_family_portal.models import Activity
from wagtail_family_portal.services import bookings, dossier
from wagtail_family_portal.services import requests as request_reads

from . import factories

NOW = factories.NOW
MON, TUE = dt.date(2026, 12, 7), dt.date(2026, 12, 8)

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def shapes(family, parent, municipality):
    """One request of every shape a child can be concerned by, and two that concern none."""
    school = factories.EstablishmentFactory(municipality=municipality, name="École Jules Ferry")
    lea = factories.ChildFactory(family=family, first_name="Léa", establishment=school)
    hugo = factories.ChildFactory(family=family, first_name="Hugo")
    canteen = factories.ActivityFactory(
        establishment=school, name="Repas école", booking_mode=Activity.BookingMode.AGENT
    )
    factories.EnrolmentFactory(
        child=lea, activity=canteen, start_date=canteen.season_start, end_date=canteen.season_end
    )
    contact = factories.AuthorisedContactFactory(child=hugo, first_name="Michel")
    guardian = factories.GuardianFactory(family=family, first_name="Claire")
    common = {"family": family, "user": parent, "rules": None}
    made = {
        "days of Léa": bookings.request_days(
            family=family,
            child_id=lea.pk,
            activity_id=canteen.pk,
            operation="booking",
            dates=[MON, TUE],
            user=parent,
            now=NOW,
        ).request,
        "Hugo's record": dossier.propose_change(
            **common, target_type="child", target_id=hugo.pk, fields={"class_level": "GS"}
        ),
        "Hugo's health": dossier.propose_change(
            **common, target_type="health", target_id=hugo.pk, fields={"allergies": "kiwi"}
        ),
        "a contact for Léa": dossier.propose_addition(
            **common,
            target_type="contact",
            parent_id=lea.pk,
            fields={"last_name": "Durand", "first_name": "Anne", "phone": "06 12 34 56 78"},
        ),
        "Hugo's contact removed": dossier.propose_removal(
            family=family, user=parent, target_type="contact", target_id=contact.pk
        ),
        "a new child": dossier.propose_addition(
            **common,
            target_type="child",
            fields={
                "first_name": "Zoé",
                "last_name": "Martin",
                "birth_date": "2024-05-01",
                "sex": "F",
            },
        ),
        "a guardian's job": dossier.propose_change(
            **common, target_type="guardian", target_id=guardian.pk, fields={"profession": "Pilote"}
        ),
    }
    return {"lea": lea, "hugo": hugo, "canteen": canteen, "requests": made}


def names(shapes, requests) -> set[str]:
    by_pk = {item.pk: name for name, item in shapes["requests"].items()}
    return {by_pk[item if isinstance(item, int) else item.pk] for item in requests}


def test_the_requests_concerning_a_child(shapes, family):
    lea, hugo = shapes["lea"], shapes["hugo"]

    def concerning(*children):
        return names(
            shapes, request_reads.family_requests(family, child_ids=[c.pk for c in children])
        )

    assert concerning(lea) == {"days of Léa", "a contact for Léa"}
    assert concerning(hugo) == {"Hugo's record", "Hugo's health", "Hugo's contact removed"}
    assert concerning(lea, hugo) == concerning(lea) | concerning(hugo)
    assert len(request_reads.family_requests(family)) == len(shapes["requests"])


def test_the_children_and_days_of_each_request(shapes, django_assert_num_queries):
    lea, hugo, canteen = shapes["lea"], shapes["hugo"], shapes["canteen"]
    made = shapes["requests"]

    with django_assert_num_queries(2):
        found = request_reads.summaries([item.pk for item in made.values()])

    children = {name: found[item.pk].child_ids for name, item in made.items()}
    assert children == {
        "days of Léa": [lea.pk],
        "Hugo's record": [hugo.pk],
        "Hugo's health": [hugo.pk],
        "a contact for Léa": [lea.pk],
        "Hugo's contact removed": [hugo.pk],
        "a new child": [],
        "a guardian's job": [],
    }
    days = found[made["days of Léa"].pk]
    assert (days.first_day, days.last_day) == (MON, TUE)
    assert days.activities == [
        request_reads.ActivitySummary(canteen.pk, "Repas école", "École Jules Ferry")
    ]
    assert found[made["Hugo's record"].pk].first_day is None
    assert request_reads.summaries([]) == {}


def test_the_pages_and_the_api_list_the_same_requests_for_a_child(
    shapes, family, parent, parent_client, portal_page
):
    api = APIClient()
    api.force_authenticate(parent)
    page_url = f"{portal_page.url}famille/{family.pk}/demandes/"
    api_url = f"/api/family-portal/v1/families/{family.pk}/requests/"
    for child in (shapes["lea"], shapes["hugo"]):
        on_page = {
            row.request.pk
            for row in parent_client.get(page_url, {"enfant": child.pk}).context["rows"]
        }
        by_api = {item["id"] for item in api.get(api_url, {"child": child.pk}).json()["results"]}
        expected = request_reads.family_requests(family, child_ids=[child.pk])

        assert on_page == by_api == {item.pk for item in expected}
