"""emails/: the editors' wording, the layout, the placeholders and the sender."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from wagtail_family_portal.emails import kinds
from wagtail_family_portal.emails.rendering import render_email
from wagtail_family_portal.models import EmailTemplate

VALUES = {"first_name": "Camille", "last_name": "Petit", "full_name": "Camille Petit"}
LINK = "https://belleville.example/espace-famille/activation/abc/"


@pytest.fixture
def site(site, municipality, portal_settings):
    """conftest's site, with the town's contact details and the e-mails' signature set."""
    municipality.phone = "02 02 02 02 02"
    municipality.contact_email = "enfance@belleville.example"
    municipality.sender_email = "ne-pas-repondre@belleville.example"
    municipality.save()
    portal_settings.email_signature = "Le service Enfance"
    portal_settings.save()
    return site


def render(site, kind=kinds.ACTIVATION.key, values=VALUES, **kwargs):
    return render_email(
        kind,
        to="camille@example.org",
        site=site,
        values={"expiry_days": 3, **values},
        action_url=LINK,
        **kwargs,
    )


def test_default_activation_email_in_french(site):
    with translation.override("fr"):
        email = render(site)

    assert email.subject == "Portail citoyen : confirmation de création de compte"
    assert email.from_email == '"Belleville-sur-Loire" <ne-pas-repondre@belleville.example>'
    assert email.to == ("camille@example.org",)
    for part in (email.text, email.html):
        assert "Camille Petit" in part
        assert LINK in part
        assert "02 02 02 02 02" in part and "enfance@belleville.example" in part
        assert "Le service Enfance" in part
        assert "automatique" in part  # the "do not reply" footer
    assert "3 jours" in email.text
    assert f'href="{LINK}"' in email.html


def test_editors_wording_replaces_the_default(site):
    EmailTemplate.objects.create(
        site=site,
        kind=kinds.ACTIVATION.key,
        subject="Bienvenue {{ first_name }} à {{municipality}}",
        intro=(
            "Bonjour {{ full_name }} !\n\nCliquez vite.\n\n"
            "{{ unknown }}, {{ first_name.__class__ }} et {first_name} restent."
        ),
        button_label="C'est parti",
    )

    email = render(site)

    assert email.subject == "Bienvenue Camille à Belleville-sur-Loire"
    assert "Bonjour Camille Petit !" in email.text
    # Only plain names of the e-mail are replaced: anything else stays as typed (and is refused
    # when an editor saves it, see test_admin_emails).
    assert "{{ unknown }}, {{ first_name.__class__ }} et {first_name} restent." in email.text
    assert "C&#x27;est parti" in email.html or "C'est parti" in email.html


def test_a_template_of_another_site_is_not_used(site, other_municipality):
    from wagtail.models import Site

    other_site = Site.objects.create(hostname="autreville.example", root_page=site.root_page)
    EmailTemplate.objects.create(site=other_site, kind=kinds.ACTIVATION.key, subject="Autre")

    assert render(site).subject != "Autre"


def test_empty_fields_keep_the_default(site):
    EmailTemplate.objects.create(site=site, kind=kinds.ACTIVATION.key, subject="Sujet seul")

    email = render(site)

    assert email.subject == "Sujet seul"
    assert "Camille Petit" in email.text


def test_values_are_escaped_in_html_and_subject_has_no_line_break(site):
    EmailTemplate.objects.create(
        site=site, kind=kinds.ACTIVATION.key, subject="Ligne un\nligne {{ first_name }}"
    )
    email = render(site, values={**VALUES, "first_name": "<b>Ca</b>", "full_name": "<b>Ca</b>"})

    assert email.subject == "Ligne un ligne <b>Ca</b>"
    assert "<b>Ca</b>" not in email.html
    assert "&lt;b&gt;Ca&lt;/b&gt;" in email.html
    assert "\n" not in email.subject


def test_a_lone_brace_shows_the_text_as_typed(site):
    # Refused at save (test_admin_emails); a text saved another way is still sent as typed.
    EmailTemplate.objects.create(
        site=site, kind=kinds.ACTIVATION.key, intro="Tarif {réduit} { ou pas }}"
    )

    assert "Tarif {réduit} { ou pas }}" in render(site).text


@pytest.mark.parametrize(
    "intro, message",
    [
        ("Bonjour {prenom}.", "Write placeholders with double braces: {{ prenom }}."),
        (
            "Tarif {réduit} { ou pas",
            "A brace that is not part of a placeholder: write placeholders as {{ first_name }}, "
            "without other braces.",
        ),
    ],
)
def test_a_lone_brace_is_refused_at_save(site, intro, message):
    template = EmailTemplate(site=site, kind=kinds.ACTIVATION.key, intro=intro)

    with translation.override("en"), pytest.raises(ValidationError) as error:
        template.full_clean()

    assert error.value.message_dict == {"intro": [message]}


def test_without_a_municipality_the_default_sender_is_used(portal_site, settings):
    email = render(portal_site)

    assert email.from_email == settings.DEFAULT_FROM_EMAIL


def test_send_goes_through_django_mail(site, mailoutbox):
    render(site).send()

    [message] = mailoutbox
    assert message.alternatives[0][1] == "text/html"
