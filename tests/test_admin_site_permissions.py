"""Editors configure only their own town: the e-mail texts and the portal's site settings of a
site are editable by a non-superuser only when the site belongs to one of their municipalities
(``Municipality.agents``), with Wagtail's model permissions on top. Two towns, two sites."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from wagtail.models import Page, Site

from wagtail_family_portal.emails import kinds
from wagtail_family_portal.models import EmailTemplate, FamilyFileRules, FamilyPortalSettings

from . import factories
from .admin_login import login
from .test_field_rules import form_data as field_rules_data

pytestmark = pytest.mark.django_db

EMAIL_TEXTS = "wagtailsnippets_wagtail_family_portal_emailtemplate"
EDITOR_PERMISSIONS = [
    *(f"{action}_emailtemplate" for action in ("add", "change", "delete", "view")),
    "change_familyportalsettings",
    "change_familyfilerules",
]


def texts_url(view, *args):
    return reverse(f"{EMAIL_TEXTS}:{view}", args=args)


def settings_url(model, site=None):
    args = ["wagtail_family_portal", model._meta.model_name]
    return reverse("wagtailsettings:edit", args=[*args, site.pk] if site else args)


def make_site(hostname):
    root = Page.get_first_root_node()
    home = root.add_child(title=hostname, slug=hostname.split(".")[0])
    return Site.objects.create(hostname=hostname, port=443, root_page=home)


@pytest.fixture
def towns(municipality, other_municipality):
    """Belleville on its site, Autreville on another."""
    municipality.site = make_site("belleville.example")
    municipality.save()
    other_municipality.site = make_site("autreville.example")
    other_municipality.save()
    return municipality, other_municipality


@pytest.fixture
def site_a(towns):
    return towns[0].site


@pytest.fixture
def site_b(towns):
    return towns[1].site


def make_editor(*municipalities, username="editor"):
    """A staff user outside any group, with the editors' permissions (not a superuser)."""
    user = factories.UserFactory(username=username, is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="wagtail_family_portal", codename__in=EDITOR_PERMISSIONS
        ),
    )
    for municipality in municipalities:
        municipality.agents.add(user)
    return user


@pytest.fixture
def editor_client(client, towns):
    """An editor of Belleville only."""
    return login(client, make_editor(towns[0]))


@pytest.fixture
def texts(site_a, site_b):
    return (
        EmailTemplate.objects.create(
            site=site_a, kind=kinds.ACTIVATION.key, subject="À Belleville"
        ),
        EmailTemplate.objects.create(
            site=site_b, kind=kinds.ACTIVATION.key, subject="À Autreville"
        ),
    )


def assert_denied(response):
    """A 404, or Wagtail's answer to a permission error (403, or a redirect to the dashboard)."""
    assert response.status_code in (302, 403, 404), response.status_code
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


def text_form(site, **fields):
    data = {
        "site": site.pk,
        "kind": kinds.ACTIVATION.key,
        "subject": "Bienvenue {{ first_name }}",
        "intro": "",
        "common_text": "",
        "signature": "",
        "footer": "",
        "button_label": "",
    }
    return {**data, **fields}


# E-mail texts


def test_editor_lists_and_filters_only_the_texts_of_their_town(editor_client, texts, site_a):
    response = editor_client.get(texts_url("list"))

    assert response.status_code == 200
    assert [text.subject for text in response.context["object_list"]] == ["À Belleville"]
    site_filter = response.context["filters"].form.fields["site"]
    assert list(site_filter.queryset) == [site_a]


def test_editor_edits_their_towns_text_but_not_another_towns(editor_client, texts, site_a, site_b):
    mine, theirs = texts

    assert editor_client.get(texts_url("edit", mine.pk)).status_code == 200
    response = editor_client.post(texts_url("edit", mine.pk), text_form(site_a, subject="Bonjour"))
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.subject == "Bonjour"

    assert editor_client.get(texts_url("edit", theirs.pk)).status_code == 404
    response = editor_client.post(texts_url("edit", theirs.pk), text_form(site_b, subject="Pirate"))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.subject == "À Autreville"
    for view in ("delete", "history", "usage"):
        assert editor_client.get(texts_url(view, theirs.pk)).status_code == 404, view
    assert editor_client.post(texts_url("delete", theirs.pk)).status_code == 404
    assert EmailTemplate.objects.filter(pk=theirs.pk).exists()


def test_editor_creates_texts_only_for_their_towns_site(editor_client, site_a, site_b):
    form = editor_client.get(texts_url("add")).context["form"]
    assert list(form.fields["site"].queryset) == [site_a]

    response = editor_client.post(texts_url("add"), text_form(site_b))
    assert response.status_code == 200
    assert "site" in response.context["form"].errors
    assert not EmailTemplate.objects.exists()

    assert editor_client.post(texts_url("add"), text_form(site_a)).status_code == 302
    assert EmailTemplate.objects.get().site == site_a


def test_bulk_deletion_leaves_another_towns_texts(editor_client, texts):
    mine, theirs = texts
    action = reverse(
        "wagtail_bulk_action", args=["wagtail_family_portal", "emailtemplate", "delete"]
    )

    response = editor_client.post(f"{action}?id={theirs.pk}")
    assert response.status_code == 404
    editor_client.post(f"{action}?id=all")
    assert list(EmailTemplate.objects.all()) == [theirs]


def test_superuser_edits_every_towns_texts(client, texts):
    login(client, factories.UserFactory(username="root", is_staff=True, is_superuser=True))

    listed = client.get(texts_url("list")).context["object_list"]
    assert {text.subject for text in listed} == {"À Belleville", "À Autreville"}
    assert client.get(texts_url("edit", texts[1].pk)).status_code == 200


# Site settings


@pytest.mark.parametrize("model", [FamilyPortalSettings, FamilyFileRules])
def test_editor_opens_their_towns_settings_only(editor_client, site_a, site_b, model, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, site_b.hostname]
    response = editor_client.get(settings_url(model, site_a))
    assert response.status_code == 200
    assert response.context["site_switcher"] is None

    assert_denied(editor_client.get(settings_url(model, site_b)))
    # The settings menu entry opens the editor's town, whatever the site of the request.
    response = editor_client.get(settings_url(model), HTTP_HOST=site_b.hostname)
    assert response.status_code == 302
    assert response["Location"] == settings_url(model, site_a)


def test_editor_cannot_save_another_towns_settings(editor_client, site_a, site_b):
    response = editor_client.post(
        settings_url(FamilyFileRules, site_b), field_rules_data(guardian__iban="hidden")
    )
    assert_denied(response)
    assert FamilyFileRules.for_site(site_b).rules == {}

    response = editor_client.post(
        settings_url(FamilyFileRules, site_a), field_rules_data(guardian__iban="hidden")
    )
    assert response.status_code == 302
    assert FamilyFileRules.for_site(site_a).rules == {"guardian": {"iban": "hidden"}}


def switcher_urls(response) -> set[str]:
    """The settings pages the site switcher offers (one per site)."""
    return {url for url, _label in response.context["site_switcher"].fields["site"].choices}


def test_site_switcher_offers_the_sites_of_the_editors_towns(client, towns, site_a, site_b):
    third = factories.MunicipalityFactory(name="Troisville", site=make_site("troisville.example"))
    login(client, make_editor(towns[0], third))

    response = client.get(settings_url(FamilyPortalSettings, site_a))
    assert switcher_urls(response) == {
        settings_url(FamilyPortalSettings, site) for site in (site_a, third.site)
    }


def test_an_editor_of_no_town_has_no_settings_to_edit(client, site_a):
    login(client, make_editor())

    assert_denied(client.get(settings_url(FamilyPortalSettings, site_a)))
    assert_denied(client.get(settings_url(FamilyPortalSettings)))
    # Nor a settings menu entry leading to a refusal.
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert settings_url(FamilyPortalSettings) not in menu


def test_the_settings_menu_offers_the_portal_settings_to_a_towns_editor(editor_client):
    menu = editor_client.get(reverse("wagtailadmin_home")).content.decode()
    assert settings_url(FamilyPortalSettings) in menu


def test_superuser_switches_between_every_site(client, site_a, site_b):
    login(client, factories.UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.get(settings_url(FamilyPortalSettings, site_b))
    assert response.status_code == 200
    assert {settings_url(FamilyPortalSettings, site) for site in (site_a, site_b)} <= (
        switcher_urls(response)
    )
