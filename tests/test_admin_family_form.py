"""The family and child forms agents use, with their inlines: several guardians, children and
authorised contacts added (or changed) in one save, through the real admin create and edit views.

django-modelcluster keeps the rows of an inline in memory until the parent is saved; code run
while they are committed (``Child.save``) must not query that in-memory relation as if it were
SQL. These tests post what the browser posts (the inline formsets' management data included).
"""

import datetime as dt

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from wagtail_family_portal import models
from wagtail_family_portal.models.families import CHILD_COLOURS

from . import factories
from .admin_login import login
from .test_admin import guardian_data

pytestmark = pytest.mark.django_db


def url(viewset, view, *args):
    return reverse(f"family_portal_{viewset}:{view}", args=args)


def family_form_data(municipality, *, name="Bernard", guardians=(), children=(), initial=None):
    """The family form's POST; ``initial`` counts, per inline, the rows already saved (they come
    first, with their ``id``; a saved row left out of the POST is deleted)."""
    initial = initial or {}
    return nested_form_data(
        {
            "municipality": municipality.pk,
            "name": name,
            "subscriber_code": "",
            "address_line1": "1 place de la Mairie",
            "address_line2": "",
            "postcode": "44000",
            "city": "Nantes",
            "family_quotient": "",
            "quotient_year": "",
            "caf_number": "",
            "guardians": inline_formset(list(guardians), initial=initial.get("guardians", 0)),
            "children": inline_formset(list(children), initial=initial.get("children", 0)),
        }
    )


def child_data(first_name, *, school=None, **overrides):
    data = {
        "first_name": first_name,
        "last_name": "Bernard",
        "birth_date": "2018-05-14",
        "sex": models.Child.Sex.FEMALE,
        "establishment": school.pk if school else "",
        "class_level": "CE1" if school else "",
        "photo_rights": "on",
        "may_leave_alone": "",
        "transport_allowed": "",
        "emergency_care_allowed": "",
    }
    return {**data, **overrides}


def saved(response):
    """The admin saved the form: it redirects (a form shown again carries its errors)."""
    errors = response.context and response.context.get("form") and response.context["form"].errors
    assert response.status_code == 302, (response.status_code, errors)


def test_agent_creates_a_family_with_several_children_and_guardians_at_once(
    agent_client, municipality, school
):
    response = agent_client.post(
        url("families", "add"),
        family_form_data(
            municipality,
            guardians=[guardian_data(), guardian_data(first_name="Paul", relation="father")],
            children=[
                child_data("Léa", school=school),
                child_data("Hugo", sex=models.Child.Sex.MALE),
                child_data("Jade", school=school),
            ],
        ),
    )

    saved(response)
    family = models.Family.objects.get(name="Bernard")
    assert sorted(family.guardians.values_list("first_name", flat=True)) == ["Claire", "Paul"]
    children = list(family.children.order_by("pk"))
    assert [child.first_name for child in children] == ["Léa", "Hugo", "Jade"]
    assert children[0].establishment == school
    # Each child gets its own planning colour, in order.
    assert [child.colour for child in children] == CHILD_COLOURS[:3]


def test_agent_adds_children_to_an_existing_family_and_edits_the_others(
    agent_client, family, school
):
    lea = factories.ChildFactory(family=family, first_name="Léa")
    guardian = factories.GuardianFactory(family=family, first_name="Claire")
    lea_data = child_data("Léa", school=school, id=lea.pk, last_name=family.name)
    response = agent_client.post(
        url("families", "edit", family.pk),
        family_form_data(
            family.municipality,
            name=family.name,
            guardians=[guardian_data(id=guardian.pk, first_name="Claire-Marie")],
            children=[lea_data, child_data("Hugo"), child_data("Jade")],
            initial={"guardians": 1, "children": 1},
        ),
    )

    saved(response)
    lea.refresh_from_db()
    assert lea.establishment == school and lea.colour == CHILD_COLOURS[0]
    assert family.guardians.get().first_name == "Claire-Marie"
    colours = dict(family.children.values_list("first_name", "colour"))
    assert colours == {"Léa": CHILD_COLOURS[0], "Hugo": CHILD_COLOURS[1], "Jade": CHILD_COLOURS[2]}


def test_a_new_child_takes_a_colour_no_sibling_has(agent_client, family):
    """Colours stay distinct after a child left the family, and a chosen colour is kept."""
    first = factories.ChildFactory(family=family, first_name="Léa")
    second = factories.ChildFactory(family=family, first_name="Hugo")
    assert (first.colour, second.colour) == tuple(CHILD_COLOURS[:2])
    first.delete()
    response = agent_client.post(
        url("families", "edit", family.pk),
        family_form_data(
            family.municipality,
            name=family.name,
            children=[
                child_data("Hugo", id=second.pk),
                child_data("Jade"),
                child_data("Louis", colour="#000000"),
            ],
            initial={"children": 1},
        ),
    )

    saved(response)
    colours = dict(family.children.values_list("first_name", "colour"))
    assert colours["Hugo"] == CHILD_COLOURS[1]
    assert colours["Jade"] not in {CHILD_COLOURS[1], "#000000"}


def test_a_school_of_another_municipality_is_refused_for_a_new_family(
    client, municipality, other_municipality
):
    """The check of ``Child.clean`` also holds while the family is not saved yet (an agent of
    both towns sees both towns' schools)."""
    agent = factories.AgentFactory(username="agent2", municipality=municipality)
    other_municipality.agents.add(agent)
    other_school = factories.EstablishmentFactory(municipality=other_municipality)

    response = login(client, agent).post(
        url("families", "add"),
        family_form_data(municipality, children=[child_data("Léa", school=other_school)]),
    )

    assert response.status_code == 200
    child_form = response.context["form"].formsets["children"].forms[0]
    assert "establishment" in child_form.errors
    assert not models.Family.objects.filter(name="Bernard").exists()


def contact_data(first_name, **overrides):
    data = {
        "first_name": first_name,
        "last_name": "Durand",
        "phone": "06 98 76 54 32",
        "relation": "grand-parent",
        "may_pick_up": "on",
    }
    return {**data, **overrides}


def child_form_data(child, *, contacts=(), initial=0):
    return nested_form_data(
        {
            "family": child.family_id,
            "first_name": child.first_name,
            "last_name": child.last_name,
            "birth_date": child.birth_date.isoformat(),
            "sex": child.sex,
            "establishment": "",
            "class_level": "",
            "colour": child.colour,
            "photo_rights": "",
            "may_leave_alone": "",
            "transport_allowed": "",
            "emergency_care_allowed": "",
            "authorised_contacts": inline_formset(list(contacts), initial=initial),
        }
    )


def test_agent_adds_several_authorised_contacts_to_a_child(agent_client, family):
    child = factories.ChildFactory(family=family, first_name="Léa")
    kept = factories.AuthorisedContactFactory(child=child, first_name="Michel")

    response = agent_client.post(
        url("children", "edit", child.pk),
        child_form_data(
            child,
            contacts=[
                contact_data("Michel", id=kept.pk, phone="06 11 11 11 11"),
                contact_data("Annie"),
                contact_data("Bruno", may_pick_up=""),
            ],
            initial=1,
        ),
    )

    saved(response)
    contacts = {c.first_name: c for c in child.authorised_contacts.all()}
    assert set(contacts) == {"Michel", "Annie", "Bruno"}
    assert contacts["Michel"].phone == "06 11 11 11 11"
    assert contacts["Bruno"].may_pick_up is False


def test_agent_creates_a_child_with_authorised_contacts(agent_client, family):
    template = models.Child(
        family=family,
        first_name="Jade",
        last_name=family.name,
        birth_date=dt.date(2019, 1, 2),
        sex=models.Child.Sex.FEMALE,
    )
    response = agent_client.post(
        url("children", "add"),
        child_form_data(template, contacts=[contact_data("Annie"), contact_data("Bruno")]),
    )

    saved(response)
    child = family.children.get(first_name="Jade")
    assert sorted(child.authorised_contacts.values_list("first_name", flat=True)) == [
        "Annie",
        "Bruno",
    ]
    assert child.colour == CHILD_COLOURS[0]
