"""The family file's changes as people read them, written once (``services.file_changes``):
what a family may see of a change, and how a stored value is written out for a family and for
an agent, with the records values point to read once for all of them."""

import datetime as dt

import pytest

from wagtail_family_portal.file_fields import FieldRules
from wagtail_family_portal.models import Child, Guardian
from wagtail_family_portal.services import dossier
from wagtail_family_portal.services import file_changes as fc
from wagtail_family_portal.validators import mask_iban

from . import factories

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

IBAN = "FR7630006000011234567890189"
MASKED = "•••• •••• •••• •••• •••• •••• 0189"


def update(family, parent, target_type, target_id, **fields):
    request = dossier.propose_change(
        family=family,
        user=parent,
        target_type=target_type,
        target_id=target_id,
        fields=fields,
        rules=None,
    )
    return list(request.file_changes.order_by("pk"))


def field(model, name):
    return model._meta.get_field(name)


# What a family may see


def test_a_family_sees_an_iban_masked_and_never_a_photos_file(family, parent, claire):
    [iban] = update(family, parent, "guardian", claire.pk, iban=IBAN)
    photo = dossier.FileChange(
        request=iban.request, target_type="child", target_id=1, field="photo", new_value="x.jpg"
    )

    seen = fc.family_line(iban, FieldRules.defaults())
    assert (seen.old_value, seen.new_value) == ("", MASKED)
    seen = fc.family_line(photo, FieldRules.defaults())
    assert (seen.old_value, seen.new_value) == (None, None)


def test_a_family_does_not_see_a_field_the_rules_hide_nor_in_an_addition(family, parent, claire):
    hidden = FieldRules.from_overrides({"guardian": {"profession": "hidden"}})
    [job] = update(family, parent, "guardian", claire.pk, profession="Pilote")
    added = dossier.propose_addition(
        family=family,
        user=parent,
        target_type="guardian",
        fields={
            "civility": "MME",
            "last_name": "Martin",
            "first_name": "Anne",
            "relation": "mother",
            "profession": "Pilote",
            "iban": IBAN,
        },
        rules=None,
    ).file_changes.get()

    assert fc.family_line(job, hidden) is None
    assert fc.family_line(job, FieldRules.defaults()).new_value == "Pilote"
    values = fc.family_line(added, hidden).new_value
    assert "profession" not in values and values["iban"] == MASKED
    assert values["first_name"] == "Anne"


def test_masking_an_iban_twice_changes_nothing():
    for iban in (IBAN, "DE89370400440532013000", "1234", "AB"):
        assert fc.family_value("iban", mask_iban(iban)) == mask_iban(iban)
    assert fc.family_value("iban", "") == "" and fc.family_value("iban", None) is None
    assert fc.family_value("profession", IBAN) == IBAN


# How a value is written out


def test_a_value_written_out_for_a_family_and_for_an_agent():
    family, agent = fc.ValueDisplay(fc.FAMILY), fc.ValueDisplay(fc.AGENT)
    relation = field(Guardian, "relation")
    assert (family.text(relation, "mother"), agent.text(relation, "mother")) == ("Mother", "mother")
    rights = field(Child, "photo_rights")
    assert family.text(rights, "True") == agent.text(rights, "True") == "Yes"
    assert family.value(rights, False) == "No"
    born = field(Child, "birth_date")
    assert family.text(born, "2019-04-02") == agent.text(born, "2019-04-02") == "04/02/2019"
    assert family.value(born, dt.date(2019, 4, 2)) == "04/02/2019"
    iban = field(Guardian, "iban")
    assert (family.text(iban, IBAN), agent.text(iban, IBAN)) == (MASKED, IBAN)
    assert family.text(iban, None) == agent.text(iban, "") == ""
    assert family.text(None, "as is") == "as is"


def test_the_schools_values_name_are_read_once_and_a_lost_one_is_named_by_agents_only(
    municipality, django_assert_num_queries
):
    schools = [factories.EstablishmentFactory(municipality=municipality) for _ in range(3)]
    school = field(Child, "establishment")
    values = [(school, str(item.pk)) for item in schools] + [(school, "999999"), (school, None)]

    with django_assert_num_queries(1):
        family = fc.ValueDisplay(fc.FAMILY, values)
    with django_assert_num_queries(0):
        assert [family.text(school, str(item.pk)) for item in schools] == [
            item.name for item in schools
        ]
        assert family.text(school, "999999") == ""
        assert family.value(school, schools[0]) == schools[0].name
    agent = fc.ValueDisplay(fc.AGENT, values)
    assert agent.text(school, "999999") == "999999"
    assert agent.text(school, str(schools[1].pk)) == schools[1].name


def test_the_records_lines_name_one_query_per_kind_within_the_family(
    family, municipality, django_assert_num_queries
):
    lea = factories.ChildFactory(family=family, first_name="Léa")
    hugo = factories.ChildFactory(family=family, first_name="Hugo")
    factories.ChildHealthFactory(child=lea)
    claire = factories.GuardianFactory(family=family, first_name="Claire")
    contact = factories.AuthorisedContactFactory(child=hugo)
    stranger = factories.ChildFactory(family__municipality=municipality)
    keys = [
        ("child", hugo.pk),
        ("health", lea.pk),
        ("health", hugo.pk),
        ("guardian", claire.pk),
        ("contact", contact.pk),
        ("family", family.pk),
        ("child", stranger.pk),
        ("guardian", None),
    ]

    with django_assert_num_queries(3):
        found = fc.line_records(family, keys)

    assert found["child", hugo.pk] == hugo and found["guardian", claire.pk] == claire
    assert found["health", lea.pk].pk is not None
    assert found["health", hugo.pk].pk is None  # none yet: the defaults
    assert fc.record_name(found["health", hugo.pk]) == str(hugo)
    assert found["contact", contact.pk] == contact and found["family", family.pk] == family
    assert ("child", stranger.pk) not in found
