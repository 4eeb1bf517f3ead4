"""Field rules: which fields of the family file families see and may change, per site."""

import dataclasses

import pytest
from django.db.models import BooleanField
from wagtail.models import Page, Site
from wagtail.users.models import UserProfile

from wagtail_family_portal import models
from wagtail_family_portal.file_fields import TARGETS, FieldMode, FieldRules
from wagtail_family_portal.models.field_rules import FamilyFileRules, rule_field_name

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOT_CHANGEABLE = "This field cannot be changed online. Contact the service."
REQUIRED = "This field is required."
UNKNOWN = "This field does not exist."

MODELS = {
    "family": models.Family,
    "guardian": models.Guardian,
    "child": models.Child,
    "health": models.ChildHealth,
    "contact": models.AuthorisedContact,
}
# Fields families never see: keys, links to the parent record, the subscriber code, internal
# stamps, the planning colour, and the family file's name (set by the service).
NEVER_SHOWN = {
    "family": {
        "id",
        "municipality",
        "name",
        "subscriber_code",
        "subscriber_key",
        "calendar_token",
        "created_at",
        "updated_at",
        # Set by agents for billing; a family reads it on its invoices ("hors commune").
        "lives_outside",
    },
    "guardian": {"id", "family"},
    "child": {"id", "family", "colour"},
    "health": {"id", "child"},
    "contact": {"id", "child"},
}


@pytest.fixture(autouse=True)
def default_locale(db):
    """The content locale Wagtail's migrations create (these tests may run without them)."""
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale

    code = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    Locale.objects.get_or_create(language_code=code)


@pytest.fixture
def other_site(portal_site):
    root = Page.get_first_root_node()
    home = root.add_child(title="Autreville", slug="autreville")
    return Site.objects.create(hostname="autreville.example.org", port=80, root_page=home)


@pytest.fixture
def superuser(superuser):
    """conftest's superuser, with the admin in English."""
    profile = UserProfile.get_for_user(superuser)
    profile.preferred_language = "en"
    profile.save()
    return superuser


def settings_url(site):
    return f"/admin/settings/wagtail_family_portal/familyfilerules/{site.pk}/"


def form_errors(response, field):
    """The errors of one field of the settings form, in English."""
    from django.utils import translation

    with translation.override("en"):
        return [str(error) for error in response.context["form"].errors.get(field, [])]


def form_data(**modes):
    """Every select of the settings form at its default mode, except ``modes``
    (``guardian__iban="hidden"``)."""
    defaults = FieldRules.defaults()
    data = {
        rule_field_name(target.name, spec.name): defaults.mode(target.name, spec.name).value
        for target in TARGETS.values()
        for spec in target.fields
    }
    data.update({f"rule__{key}": value for key, value in modes.items()})
    return data


# The catalogue


def test_catalogue_lists_every_field_a_family_may_see_and_no_other():
    for target, model in MODELS.items():
        concrete = {field.name for field in model._meta.concrete_fields}
        listed = [spec.name for spec in TARGETS[target].fields]
        assert len(listed) == len(set(listed)), target
        assert set(listed) == concrete - NEVER_SHOWN[target], target


def test_fields_the_model_requires_are_never_merely_editable():
    for target, model in MODELS.items():
        for spec in TARGETS[target].fields:
            field = model._meta.get_field(spec.name)
            # A box left unticked is an answer: a boolean is never "missing".
            needed = not field.blank and not isinstance(field, BooleanField)
            assert spec.mandatory == needed, (target, spec.name)
            if spec.mandatory:
                assert FieldMode.EDITABLE not in spec.allowed_modes


def test_field_labels_are_the_models_verbose_names():
    assert str(TARGETS["guardian"].field_label("iban")) == "IBAN"
    assert str(TARGETS["child"].field_label("establishment")) == "School"
    assert str(TARGETS["health"].field_label("has_care_plan")) == "Individual care plan (PAI)"


# Defaults


def test_defaults_keep_tax_data_read_only():
    rules = FieldRules.defaults()
    for field in ("family_quotient", "quotient_year", "caf_number"):
        assert rules.mode("family", field) == FieldMode.READ_ONLY
        assert field in rules.visible_fields("family")
        assert field not in rules.editable_fields("family")


def test_defaults_require_names_and_let_families_change_identity_and_bank_data():
    rules = FieldRules.defaults()
    for target in ("guardian", "child", "contact"):
        assert {"first_name", "last_name"} <= set(rules.required_fields(target))
    assert "phone" in rules.required_fields("contact")
    assert rules.mode("guardian", "birth_date") == FieldMode.EDITABLE
    assert rules.mode("guardian", "iban") == FieldMode.EDITABLE
    assert rules.mode("guardian", "bic") == FieldMode.EDITABLE
    assert rules.mode("family", "city") == FieldMode.EDITABLE
    assert rules.mode("health", "allergies") == FieldMode.EDITABLE
    assert {"birth_date", "last_name"} <= set(rules.editable_fields("child"))


def test_defaults_leave_the_school_and_class_to_the_service():
    rules = FieldRules.defaults()
    assert rules.mode("child", "establishment") == FieldMode.READ_ONLY
    assert rules.mode("child", "class_level") == FieldMode.READ_ONLY
    assert "establishment" not in rules.editable_fields("child")


def test_nothing_is_hidden_by_default_and_fields_keep_the_catalogue_order():
    rules = FieldRules.defaults()
    for target in TARGETS.values():
        assert rules.visible_fields(target.name) == [spec.name for spec in target.fields]
    assert rules.editable_fields("child")[:4] == ["first_name", "last_name", "birth_date", "sex"]
    assert rules.overrides() == {}


def test_rules_cannot_be_changed_once_built():
    rules = FieldRules.defaults()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.modes = {}
    with pytest.raises(TypeError):
        rules.modes["guardian"] = {}
    with pytest.raises(TypeError):
        rules.modes["guardian"]["iban"] = FieldMode.HIDDEN


def test_unknown_target_or_field_is_a_key_error():
    rules = FieldRules.defaults()
    with pytest.raises(KeyError):
        rules.mode("pet", "name")
    with pytest.raises(KeyError):
        rules.mode("guardian", "shoe_size")
    with pytest.raises(KeyError):
        rules.visible_fields("pet")


# A site's choices


def test_a_sites_choices_apply_to_it_only(portal_site, other_site):
    FamilyFileRules.objects.create(
        site=portal_site,
        rules={"guardian": {"iban": "hidden", "bic": "read_only"}, "health": {"diet": "required"}},
    )
    rules = FamilyFileRules.rules_for(portal_site)
    assert rules.mode("guardian", "iban") == FieldMode.HIDDEN
    assert "iban" not in rules.visible_fields("guardian")
    assert rules.mode("guardian", "bic") == FieldMode.READ_ONLY
    assert "bic" not in rules.editable_fields("guardian")
    assert rules.required_fields("health") == ["diet"]
    assert rules.mode("guardian", "email") == FieldMode.EDITABLE

    other = FamilyFileRules.rules_for(other_site)
    assert other == FieldRules.defaults()
    assert other.mode("guardian", "iban") == FieldMode.EDITABLE


def test_unknown_or_disallowed_stored_values_are_ignored(portal_site):
    FamilyFileRules.objects.create(
        site=portal_site,
        rules={
            "pet": {"name": "required"},
            "guardian": {"shoe_size": "hidden", "iban": "secret", "bic": "hidden"},
            "family": {"family_quotient": "editable", "caf_number": "required"},
            "child": {"birth_date": "editable"},
            "contact": ["phone"],
        },
    )
    rules = FamilyFileRules.rules_for(portal_site)
    assert rules.mode("guardian", "bic") == FieldMode.HIDDEN
    assert rules.mode("guardian", "iban") == FieldMode.EDITABLE
    assert rules.mode("family", "family_quotient") == FieldMode.READ_ONLY
    assert rules.mode("family", "caf_number") == FieldMode.READ_ONLY
    assert rules.mode("child", "birth_date") == FieldMode.REQUIRED
    assert rules.mode("contact", "phone") == FieldMode.REQUIRED
    assert rules.overrides() == {"guardian": {"bic": "hidden"}}


@pytest.mark.parametrize("stored", [[], "hidden", {"guardian": None}, {"guardian": "hidden"}])
def test_a_stored_value_of_the_wrong_shape_gives_the_defaults(portal_site, stored):
    FamilyFileRules.objects.create(site=portal_site, rules=stored)
    assert FamilyFileRules.rules_for(portal_site) == FieldRules.defaults()


def test_reading_the_rules_creates_no_setting_row(portal_site):
    assert FamilyFileRules.rules_for(portal_site) == FieldRules.defaults()
    assert FamilyFileRules.rules_for(None) == FieldRules.defaults()
    assert not FamilyFileRules.objects.exists()


# Checking a family's change


def test_editable_and_required_fields_may_be_changed():
    rules = FieldRules.defaults()
    assert (
        rules.check_change("guardian", {"mobile_phone": "06 00 00 00 00", "first_name": "Ana"})
        == {}
    )
    assert rules.check_change("guardian", {"work_phone": ""}) == {}
    assert rules.check_change("health", {"has_care_plan": False, "allergies": ""}) == {}


def test_read_only_hidden_and_unknown_fields_are_refused(portal_site):
    FamilyFileRules.objects.create(site=portal_site, rules={"guardian": {"iban": "hidden"}})
    rules = FamilyFileRules.rules_for(portal_site)
    errors = rules.check_change(
        "family", {"family_quotient": "100", "city": "Nantes", "colour": "#000000"}
    )
    assert errors == {"family_quotient": [NOT_CHANGEABLE], "colour": [UNKNOWN]}
    # A hidden field gets the very words of a read-only one.
    assert rules.check_change("guardian", {"iban": "FR7630006000011234567890189"}) == {
        "iban": [NOT_CHANGEABLE]
    }
    assert rules.check_change("child", {"class_level": "CP", "id": 3}) == {
        "class_level": [NOT_CHANGEABLE],
        "id": [UNKNOWN],
    }


@pytest.mark.parametrize("empty", ["", "   ", None])
def test_a_required_field_cannot_be_emptied(empty):
    rules = FieldRules.defaults()
    assert rules.check_change("child", {"first_name": empty, "photo_rights": True}) == {
        "first_name": [REQUIRED]
    }
    assert rules.check_change("contact", {"phone": empty}) == {"phone": [REQUIRED]}


def test_adding_a_record_needs_every_required_field():
    rules = FieldRules.defaults()
    errors = rules.check_change("contact", {"first_name": "Michel", "phone": ""}, adding=True)
    assert errors == {"last_name": [REQUIRED], "phone": [REQUIRED]}
    complete = {"first_name": "Michel", "last_name": "Durand", "phone": "06 98 76 54 32"}
    assert rules.check_change("contact", complete, adding=True) == {}
    # The same partial values on an existing contact are a valid change.
    assert rules.check_change("contact", {"first_name": "Michel"}) == {}


def test_adding_a_child_cannot_choose_its_school():
    rules = FieldRules.defaults()
    child = {"first_name": "Jade", "last_name": "Martin", "birth_date": "2020-01-02", "sex": "F"}
    assert rules.check_change("child", child, adding=True) == {}
    assert rules.check_change("child", {**child, "class_level": "CP"}, adding=True) == {
        "class_level": [NOT_CHANGEABLE]
    }
    assert rules.check_change("child", {"first_name": "Jade"}, adding=True) == {
        "last_name": [REQUIRED],
        "birth_date": [REQUIRED],
        "sex": [REQUIRED],
    }


def test_a_field_the_site_makes_required_is_needed_when_adding(portal_site):
    FamilyFileRules.objects.create(site=portal_site, rules={"contact": {"relation": "required"}})
    rules = FamilyFileRules.rules_for(portal_site)
    complete = {"first_name": "Michel", "last_name": "Durand", "phone": "06 98 76 54 32"}
    assert rules.check_change("contact", complete, adding=True) == {"relation": [REQUIRED]}


# The settings form in the admin


def test_settings_form_shows_one_select_per_field_with_the_current_mode(
    client, superuser, portal_site
):
    FamilyFileRules.objects.create(site=portal_site, rules={"guardian": {"bic": "hidden"}})
    client.force_login(superuser)
    response = client.get(settings_url(portal_site))
    assert response.status_code == 200
    form = response.context["form"]
    html = response.content.decode()
    for heading in ("Family", "Guardians", "Children", "Health information", "Authorised contacts"):
        assert f"<span data-panel-heading-text>{heading}</span>" in html
    for target in TARGETS.values():
        for spec in target.fields:
            assert f'name="{rule_field_name(target.name, spec.name)}"' in html
    assert form["rule__guardian__bic"].value() == "hidden"
    assert form["rule__guardian__iban"].value() == "editable"
    assert form["rule__family__family_quotient"].value() == "read_only"
    assert form["rule__guardian__iban"].label == "IBAN"
    # Tax data offers only what families may have: no way to make it editable.
    tax_choices = [value for value, _label in form.fields["rule__family__caf_number"].choices]
    assert tax_choices == ["hidden", "read_only"]
    assert "editable" not in [v for v, _label in form.fields["rule__child__sex"].choices]


def test_saving_the_settings_stores_only_the_modes_that_differ(client, superuser, portal_site):
    client.force_login(superuser)
    response = client.post(settings_url(portal_site), form_data(guardian__iban="hidden"))
    assert response.status_code == 302
    assert FamilyFileRules.for_site(portal_site).rules == {"guardian": {"iban": "hidden"}}
    assert FamilyFileRules.rules_for(portal_site).mode("guardian", "iban") == FieldMode.HIDDEN

    # Back to the default: nothing stored any more, and stale keys are dropped.
    FamilyFileRules.objects.filter(site=portal_site).update(
        rules={"guardian": {"iban": "hidden"}, "pet": {"name": "required"}}
    )
    response = client.post(settings_url(portal_site), form_data())
    assert response.status_code == 302
    assert FamilyFileRules.for_site(portal_site).rules == {}


@pytest.mark.parametrize("mode", ["editable", "required"])
def test_tax_data_cannot_be_made_changeable(client, superuser, portal_site, mode):
    FamilyFileRules.objects.create(site=portal_site, rules={"guardian": {"bic": "hidden"}})
    client.force_login(superuser)
    response = client.post(
        settings_url(portal_site),
        form_data(family__family_quotient=mode, guardian__iban="hidden"),
    )
    assert response.status_code == 200
    assert form_errors(response, "rule__family__family_quotient") == [
        "Tax data is read-only for families."
    ]
    assert "Tax data is read-only for families." in response.content.decode()
    assert FamilyFileRules.for_site(portal_site).rules == {"guardian": {"bic": "hidden"}}


def test_a_field_the_file_cannot_do_without_cannot_be_made_optional(client, superuser, portal_site):
    client.force_login(superuser)
    response = client.post(settings_url(portal_site), form_data(child__birth_date="editable"))
    assert response.status_code == 200
    assert form_errors(response, "rule__child__birth_date") == [
        "The family file cannot do without this field: choose required, read-only or hidden."
    ]
    assert FamilyFileRules.for_site(portal_site).rules == {}


def test_a_missing_or_invalid_mode_is_refused(client, superuser, portal_site):
    client.force_login(superuser)
    data = form_data(guardian__iban="secret")
    del data["rule__guardian__bic"]
    response = client.post(settings_url(portal_site), data)
    assert response.status_code == 200
    assert form_errors(response, "rule__guardian__iban") == [
        "Select a valid choice. secret is not one of the available choices."
    ]
    assert form_errors(response, "rule__guardian__bic") == ["This field is required."]
    assert FamilyFileRules.for_site(portal_site).rules == {}
