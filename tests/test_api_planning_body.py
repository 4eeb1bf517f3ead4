"""The planning's body against the serializer that documents it, so that the schema cannot drift.

The API's planning answer is built by hand, for speed, by ``planning.Planning.to_json()``; the
OpenAPI schema describes it with ``api.serializers.planning.PlanningSerializer``, which never
sees the body. These tests take a real answer, for a family whose days have every state the
planning shows, and hold it to that serializer (every key it documents, no key it does not,
every value valid) and to the schema drf-spectacular generates from it.
"""

import datetime as dt

import jsonschema
import pytest
from rest_framework import serializers
from rest_framework.test import APIClient

from wagtail_family_portal.api.serializers.planning import PlanningSerializer
from wagtail_family_portal.models.activities import Activity
from wagtail_family_portal.models.bookings import DayState
from wagtail_family_portal.services import bookings

from . import factories

BASE = "/api/family-portal/v1/"
PLANNING_PATH = BASE + "families/{family_id}/planning/"
# Thursday 3 December 2026 at 09:00: the week after is open to requests, today is not.
NOW = factories.NOW
TODAY = dt.date(2026, 12, 3)
MON, TUE, WED, THU, FRI = (dt.date(2026, 12, day) for day in (7, 8, 9, 10, 11))
CLOSED = dt.date(2026, 12, 14)

pytestmark = pytest.mark.usefixtures("fixed_now")


book = factories.book


@pytest.fixture
def every_state(family, municipality, agent):
    """A family with a day in every state: enrolled, requested, booked, absence requested,
    absent, refused, on the waiting list and closed; days past their deadline; an activity
    without a short code and a child without a colour of its own."""
    school = factories.EstablishmentFactory(municipality=municipality, name="École Jules Ferry")
    lea = factories.ChildFactory(family=family, first_name="Léa", colour="#1f77b4")
    hugo = factories.ChildFactory(family=family, first_name="Hugo", colour="")
    canteen = factories.ActivityFactory(
        establishment=school, name="Repas école", booking_mode=Activity.BookingMode.AGENT
    )
    morning = factories.ActivityFactory(
        establishment=school,
        name="Périscolaire matin",
        short_code="",
        start_time=dt.time(7, 30),
        end_time=dt.time(8, 20),
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )
    centre = factories.ActivityFactory(
        establishment=school,
        name="Centre de loisirs",
        weekdays=[2],
        capacity=0,
        waiting_list=True,
        booking_mode=Activity.BookingMode.AUTOMATIC,
    )
    for child, activity in [(lea, canteen), (hugo, canteen), (lea, morning), (lea, centre)]:
        factories.enrol(child, activity)

    book(family, lea, canteen, [MON])  # booking requested
    accepted = book(family, lea, canteen, [TUE, THU])
    bookings.decide_lines(accepted.lines, agent=agent, accept=True)  # booked
    book(family, lea, canteen, [THU], operation="absence")  # absence requested
    refused = book(family, lea, canteen, [FRI])
    bookings.decide_lines(refused.lines, agent=agent, accept=False, message="Sortie scolaire.")
    book(family, lea, morning, [MON])  # booked at once
    book(family, lea, morning, [MON], operation="absence")  # absent at once
    book(family, lea, centre, [WED])  # full: on the waiting list
    factories.ClosureFactory(
        municipality=municipality, start_date=CLOSED, end_date=CLOSED, label="Pont"
    )
    return family


@pytest.fixture
def body(parent, every_state):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(parent)
    response = client.get(
        PLANNING_PATH.format(family_id=every_state.pk),
        {"start": TODAY.isoformat(), "end": CLOSED.isoformat()},
    )
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def schema(db):
    response = APIClient().get(BASE + "schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_body_shows_every_shape_of_day(body):
    cells = body["cells"]
    assert {cell["state"] for cell in cells} == set(DayState.values)
    assert {activity["short_code"] for activity in body["activities"]} >= {""}
    for key in ("reason", "rank", "request_id", "line_id"):
        values = [cell[key] for cell in cells]
        assert None in values and any(value is not None for value in values), key
    assert {action for cell in cells for action in cell["actions"]} == {
        "book",
        "cancel",
        "withdraw",
    }


def test_the_schema_documents_the_planning_with_this_serializer(schema):
    answer = schema["paths"][PLANNING_PATH]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Planning"
    }
    assert_documents(schema, "Planning", PlanningSerializer())


def assert_documents(schema, component: str, serializer: serializers.Serializer) -> None:
    """The schema's ``component`` has the serializer's fields, nested ones included."""
    properties = schema["components"]["schemas"][component]["properties"]
    assert set(properties) == set(serializer.fields), component
    for name, field in serializer.fields.items():
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.Serializer):
            ref = properties[name].get("items", properties[name])["$ref"]
            assert_documents(schema, ref.rsplit("/", 1)[1], nested)


def test_the_body_is_what_the_serializer_documents(body):
    serializer = PlanningSerializer(data=body)

    assert serializer.is_valid(), serializer.errors
    assert_same_keys(PlanningSerializer(), body, "body")


def assert_same_keys(serializer: serializers.Serializer, data: dict, where: str) -> None:
    """Every field of ``serializer`` is a key of ``data`` and every key a field, at every level
    (DRF's validation alone ignores unknown keys)."""
    assert set(data) == set(serializer.fields), where
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.ListSerializer):
            assert data[name], f"{where}.{name} is empty: nothing to check"
            for position, item in enumerate(data[name]):
                assert_same_keys(field.child, item, f"{where}.{name}.{position}")
        elif isinstance(field, serializers.Serializer):
            assert_same_keys(field, data[name], f"{where}.{name}")


def test_the_body_validates_against_the_generated_schema(body, schema):
    components = {
        name: strict(component) for name, component in schema["components"]["schemas"].items()
    }
    jsonschema.Draft7Validator(
        {"$ref": "#/components/schemas/Planning", "components": {"schemas": components}}
    ).validate(body)


def strict(schema):
    """An OpenAPI 3.0 schema as JSON Schema (``nullable`` as a null alternative) in which an
    object has no properties but those it documents."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items() if key != "nullable"}
    if "properties" in result:
        result["additionalProperties"] = False
    if schema.get("nullable"):
        return {"anyOf": [result, {"type": "null"}]}
    return result
