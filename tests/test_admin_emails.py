"""E-mail texts in the admin: the placeholders next to the editor, the preview with sample data
(saved texts and unsaved changes), "send me a test", the checks at save, and who may use them."""

import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from playwright.sync_api import expect

from wagtail_family_portal.admin.policies import policy_for
from wagtail_family_portal.emails import kinds
from wagtail_family_portal.models import EmailTemplate

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db

EMAIL_TEXTS = "wagtailsnippets_wagtail_family_portal_emailtemplate"


def url(view, *args):
    return reverse(f"{EMAIL_TEXTS}:{view}", args=args)


def messages_of(response):
    # Not response.context["messages"]: the e-mails rendered have "messages" of their own.
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def form_data(template=None, **fields):
    """What the edit form posts: a saved text's fields, changed by ``fields``."""
    data = {
        name: getattr(template, name, "") or ""
        for name in (
            "kind",
            "subject",
            "intro",
            "common_text",
            "signature",
            "footer",
            "button_label",
        )
    }
    data["site"] = template.site_id if template else ""
    data.update(fields)
    return data


def iframe_html(content: str) -> str:
    """The e-mail's HTML, as the sandboxed frame of the preview holds it."""
    [srcdoc] = re.findall(r'<iframe sandbox="" srcdoc="([^"]*)"', content)
    return html.unescape(srcdoc)


def editor_with(*codenames, email="editor@belleville.example", municipality=None):
    """An editor outside any group: admin access and ``codenames`` on e-mail texts, for the
    sites of ``municipality`` (one of its ``agents``)."""
    user = factories.UserFactory(username="editor", email=email, is_staff=True)
    if municipality is not None:
        municipality.agents.add(user)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="wagtail_family_portal", codename__in=codenames
        ),
    )
    return user


def assert_denied(response):
    """Wagtail answers a permission error with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


@pytest.fixture
def editor(municipality):
    return editor_with(
        "view_emailtemplate",
        "add_emailtemplate",
        "change_emailtemplate",
        municipality=municipality,
    )


@pytest.fixture
def editor_client(client, editor):
    return login(client, editor)


@pytest.fixture
def activation(site):
    return EmailTemplate.objects.create(
        site=site,
        kind=kinds.ACTIVATION.key,
        subject="Bienvenue {{ first_name }}",
        intro="Bonjour {{ full_name }},\n\nActivez votre compte à {{ municipality }}.",
        button_label="J'active",
    )


@pytest.fixture
def digest(site):
    return EmailTemplate.objects.create(
        site=site,
        kind=kinds.DIGEST.key,
        subject="{{ count }} demandes traitées pour la famille {{ family_name }}",
        common_text="Le service Enfance reste à votre écoute.",
    )


# The edit form


def test_edit_form_lists_the_placeholders_of_its_email_with_what_they_hold(
    editor_client, activation
):
    content = editor_client.get(url("edit", activation.pk)).content.decode()

    shown = re.search(r'<div data-wfp-placeholders="account_activation">(.*?)</div>', content, re.S)
    assert "{{ expiry_days }}</code> — days the activation link stays valid" in shown.group(1)
    assert "{{ full_name }}</code> — first and last name of the account" in shown.group(1)
    # The other e-mails' placeholders wait, hidden, until the e-mail chosen changes.
    assert '<div data-wfp-placeholders="decision_digest" hidden>' in content
    assert 'name="kind"' in content and "data-wfp-placeholders-panel" in content


def test_edit_form_posts_its_current_wording_to_the_preview_and_the_test(editor_client, activation):
    edit = editor_client.get(url("edit", activation.pk)).content.decode()
    add = editor_client.get(url("add")).content.decode()

    assert f'formaction="{url("email_preview", activation.pk)}" formtarget="_blank"' in edit
    assert f'formaction="{url("email_test", activation.pk)}" formtarget="_blank"' in edit
    assert "editor@belleville.example" in edit  # where the test goes
    assert f'formaction="{url("email_preview_new")}"' in add
    assert f'formaction="{url("email_test_new")}"' in add


def test_listing_offers_a_preview_of_each_text(editor_client, activation):
    content = editor_client.get(url("list")).content.decode()

    assert url("email_preview", activation.pk) in content


# The preview


def test_preview_of_a_saved_text_shows_subject_html_and_text_with_sample_values(
    editor_client, activation, mailoutbox
):
    response = editor_client.get(url("email_preview", activation.pk))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<dd data-wfp-subject>Bienvenue Camille</dd>" in content
    email_html = iframe_html(content)
    assert "Camille Martin" in email_html and "Belleville-sur-Loire" in email_html
    assert "J&#x27;active" in email_html or "J'active" in email_html
    assert 'href="https://www.example.org/espace-famille/"' in email_html
    text = re.search(r"<pre>(.*?)</pre>", content, re.S).group(1)
    assert "Activez votre compte à Belleville-sur-Loire." in html.unescape(text)
    assert "<script" not in email_html
    assert mailoutbox == []


def test_preview_of_unsaved_changes_shows_the_edited_wording_and_saves_nothing(
    editor_client, activation
):
    response = editor_client.post(
        url("email_preview", activation.pk),
        form_data(
            activation,
            subject="Votre espace, {{ first_name }}",
            intro="Cher {{ last_name }},\n\nUn nouveau paragraphe.",
        ),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<dd data-wfp-subject>Votre espace, Camille</dd>" in content
    assert "Cher Martin," in content and "Un nouveau paragraphe." in iframe_html(content)
    activation.refresh_from_db()
    assert activation.subject == "Bienvenue {{ first_name }}"
    # The test e-mail of this preview sends the same wording.
    assert 'name="subject" value="Votre espace, {{ first_name }}"' in content


def test_preview_from_the_creation_form_creates_nothing(editor_client, site):
    response = editor_client.post(
        url("email_preview_new"),
        form_data(site=site.pk, kind=kinds.PASSWORD_RESET.key, subject="Mot de passe oublié ?"),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<dd data-wfp-subject>Mot de passe oublié ?</dd>" in content
    # Empty fields keep the default wording, in the site's language.
    assert "Un nouveau mot de passe a été demandé" in iframe_html(content)
    assert not EmailTemplate.objects.exists()


def test_preview_of_the_digest_has_the_sample_table_and_messages(editor_client, digest):
    content = editor_client.get(url("email_preview", digest.pk)).content.decode()

    assert "<dd data-wfp-subject>4 demandes traitées pour la famille Martin</dd>" in content
    email_html = iframe_html(content)
    assert email_html.count("Léa Martin") == 4 and "Périscolaire matin" in email_html
    assert "Le 8 est complet" in email_html or "The 8th is full" in email_html
    assert "Le service Enfance reste à votre écoute." in email_html


def test_preview_shows_the_errors_saving_would_give_and_the_text_as_typed(
    editor_client, activation
):
    response = editor_client.post(
        url("email_preview", activation.pk),
        form_data(activation, intro="Bonjour {{ prenom }}, tarif {réduit}."),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "This text cannot be saved as it is:" in content
    assert "Unknown placeholder: {{ prenom }}." in content
    assert "Bonjour {{ prenom }}, tarif {réduit}." in iframe_html(content)


def test_preview_needs_a_site_and_an_email(editor_client):
    response = editor_client.post(url("email_preview_new"), form_data(kind="nope"))

    assert response.status_code == 200
    assert "<iframe" not in response.content.decode()
    assert "This text cannot be saved as it is:" in response.content.decode()


# Send me a test


def test_send_me_a_test_sends_the_sample_email_to_the_editor(
    editor_client, editor, digest, mailoutbox
):
    response = editor_client.post(
        url("email_test", digest.pk),
        form_data(digest, common_text="Texte modifié, pas encore enregistré."),
    )

    assert response.status_code == 200
    [message] = mailoutbox
    assert message.to == ["editor@belleville.example"]
    assert message.subject == "[Test] 4 demandes traitées pour la famille Martin"
    assert message.from_email == '"Belleville-sur-Loire" <ne-pas-repondre@example.org>'
    for part in (message.body, message.alternatives[0][0]):
        assert "Léa Martin" in part and "Périscolaire matin" in part  # the sample table
        assert "Texte modifié, pas encore enregistré." in part
    assert "A test e-mail was sent to editor@belleville.example." in messages_of(response)
    digest.refresh_from_db()
    assert digest.common_text == "Le service Enfance reste à votre écoute."


def test_send_me_a_test_from_the_creation_form(editor_client, site, mailoutbox):
    response = editor_client.post(
        url("email_test_new"), form_data(site=site.pk, kind=kinds.RECEIPT.key)
    )

    assert response.status_code == 200
    [message] = mailoutbox
    assert message.subject.startswith("[Test] ")
    assert "Vos 4 demandes de réservation pour Périscolaire matin" in message.body
    assert not EmailTemplate.objects.exists()


def test_the_preview_page_sends_a_test_of_what_it_shows(editor_client, activation, mailoutbox):
    changed = form_data(activation, intro="Premier paragraphe.\n\nSecond, {{ first_name }}.")
    preview = editor_client.post(url("email_preview", activation.pk), changed).content.decode()
    [form] = re.findall(
        rf'<form method="post" action="{url("email_test", activation.pk)}">(.*?)</form>',
        preview,
        re.S,
    )
    posted = {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(\w+)"(?: value="([^"]*)")?', form
        )
        if name != "csrfmiddlewaretoken"
    }

    assert posted == {**changed, "site": str(activation.site_id)}
    editor_client.post(url("email_test", activation.pk), posted)

    [message] = mailoutbox
    assert "Premier paragraphe.\n\nSecond, Camille." in message.body
    activation.refresh_from_db()
    assert activation.intro.startswith("Bonjour")


def test_send_me_a_test_without_an_address_says_so(client, activation, municipality, mailoutbox):
    editor = editor_with("change_emailtemplate", email="", municipality=municipality)
    login(client, editor)

    response = client.post(url("email_test", activation.pk), form_data(activation))

    assert response.status_code == 400
    assert mailoutbox == []
    [error] = messages_of(response)
    assert error.startswith("Your account has no e-mail address")


def test_send_me_a_test_refuses_a_text_that_cannot_be_saved(editor_client, activation, mailoutbox):
    response = editor_client.post(
        url("email_test", activation.pk), form_data(activation, subject="{{ first_name }}")
    )

    assert response.status_code == 400
    assert mailoutbox == []
    assert "The test e-mail was not sent: correct the text first." in messages_of(response)
    assert "The subject would be empty for some families" in response.content.decode()


def test_send_me_a_test_is_post_only(editor_client, activation):
    assert editor_client.get(url("email_test", activation.pk)).status_code == 405
    assert editor_client.get(url("email_preview_new")).status_code == 405


# Checks at save


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("intro", "Bonjour {{ prenom }}.", "Unknown placeholder: {{ prenom }}."),
        (
            "subject",
            "{{ first_name }}",
            "The subject would be empty for some families: write some words, or leave the field "
            "empty to keep the default wording.",
        ),
        ("intro", "Bonjour {first_name}.", "Write placeholders with double braces: "),
        ("footer", "Tarif { réduit", "A brace that is not part of a placeholder"),
    ],
)
def test_saving_a_text_that_cannot_be_sent_shows_why(
    editor_client, activation, site, field, value, error
):
    edit = editor_client.post(url("edit", activation.pk), form_data(activation, **{field: value}))
    add = editor_client.post(
        url("add"), form_data(site=site.pk, kind=kinds.PASSWORD_RESET.key, **{field: value})
    )

    for response in (edit, add):
        assert response.status_code == 200
        assert html.escape(error, quote=False) in response.content.decode()
        assert response.context["form"].errors[field]
    activation.refresh_from_db()
    assert getattr(activation, field) != value
    assert EmailTemplate.objects.count() == 1


def test_unknown_placeholder_message_names_the_placeholders_offered(editor_client, site):
    response = editor_client.post(
        url("add"), form_data(site=site.pk, kind=kinds.RECEIPT.key, intro="{{ enfant }} inscrit")
    )

    [message] = response.context["form"].errors["intro"]
    assert message.startswith("Unknown placeholder: {{ enfant }}. This e-mail offers ")
    assert "{{ summary }}" in message and "{{ activity }}" in message
    assert "{{ slot_time }}" not in message  # the digest's


# Who may preview and send tests


def test_agents_may_not_preview_or_send_tests(client, agent, activation, mailoutbox):
    login(client, agent)

    assert_denied(client.get(url("email_preview", activation.pk)))
    assert_denied(client.post(url("email_preview", activation.pk), form_data(activation)))
    assert_denied(client.post(url("email_preview_new"), form_data(activation)))
    assert_denied(client.post(url("email_test", activation.pk), form_data(activation)))
    assert mailoutbox == []


def test_reading_e_mail_texts_is_not_enough_to_preview_them(client, activation, mailoutbox):
    login(client, editor_with("view_emailtemplate"))

    assert_denied(client.get(url("email_preview", activation.pk)))
    assert_denied(client.post(url("email_test", activation.pk), form_data(activation)))
    assert mailoutbox == []


def test_creating_needs_the_add_permission(client, site, activation, municipality):
    login(client, editor_with("change_emailtemplate", municipality=municipality))

    assert client.get(url("email_preview", activation.pk)).status_code == 200
    assert_denied(client.post(url("email_preview_new"), form_data(activation)))


def test_a_text_the_permission_policy_does_not_give_is_not_found(
    editor_client, activation, site, monkeypatch
):
    from wagtail.models import Site

    other_site = Site.objects.create(hostname="autreville.example", root_page=site.root_page)
    other = EmailTemplate.objects.create(site=other_site, kind=kinds.ACTIVATION.key)
    policy = policy_for(EmailTemplate)
    everything = policy.instances_user_has_any_permission_for
    # A policy that gives editors the texts of their own site only.
    monkeypatch.setattr(
        policy,
        "instances_user_has_any_permission_for",
        lambda user, actions: everything(user, actions).filter(site=site),
    )

    assert editor_client.get(url("email_preview", activation.pk)).status_code == 200
    assert editor_client.get(url("email_preview", other.pk)).status_code == 404
    assert editor_client.post(url("email_test", other.pk), form_data(other)).status_code == 404
    assert editor_client.get(url("email_preview", 999999)).status_code == 404


# In a browser: the placeholders follow the e-mail chosen, the preview opens in a new tab


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_editor_previews_unsaved_changes_in_a_new_tab(browser_page, live_server, site):
    from .browser import DESKTOP_VIEWPORT, screenshot

    factories.UserFactory(
        username="root", email="root@belleville.example", is_staff=True, is_superuser=True
    )
    page = browser_page
    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "correct-horse-battery")
    page.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")

    page.goto(live_server.url + url("add"))
    digest_block = page.locator('[data-wfp-placeholders="decision_digest"]')
    activation_block = page.locator('[data-wfp-placeholders="account_activation"]')
    expect(digest_block).to_be_visible()
    page.select_option("select[name=site]", str(site.pk))
    page.select_option("select[name=kind]", kinds.DIGEST.key)
    expect(digest_block).to_be_visible()
    expect(activation_block).to_be_hidden()
    page.fill("input[name=subject]", "Vos {{ count }} demandes, famille {{ family_name }}")
    page.locator("[data-wfp-email-tools]").scroll_into_view_if_needed()
    screenshot(page, "email-text-form", full_page=False)

    with page.context.expect_page() as new_tab:
        page.locator("button[formaction$='email-preview/']").click()
    preview = new_tab.value
    preview.wait_for_load_state()
    preview.set_viewport_size(DESKTOP_VIEWPORT)
    expect(preview.locator("[data-wfp-subject]")).to_have_text("Vos 4 demandes, famille Martin")
    expect(preview.frame_locator("iframe").get_by_text("Périscolaire matin").first).to_be_visible()
    screenshot(preview, "email-text-preview")
    assert not EmailTemplate.objects.exists()
    # The form is still open with its changes, and still warns before leaving them.
    expect(page.locator("input[name=subject]")).to_have_value(
        "Vos {{ count }} demandes, famille {{ family_name }}"
    )
    assert (
        page.locator("form#w-editor-form").get_attribute("data-w-unsaved-confirmation-value")
        == "true"
    )
