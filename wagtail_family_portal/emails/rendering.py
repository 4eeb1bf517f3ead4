"""Rendering of an e-mail: the editors' wording in the portal's HTML and plain-text layout."""

import string
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .kinds import KINDS


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    from_email: str
    to: tuple[str, ...]

    def send(self) -> int:
        """Send through Django's mail API, so that any backend (django-anymail…) delivers it."""
        message = EmailMultiAlternatives(
            subject=self.subject, body=self.text, from_email=self.from_email, to=list(self.to)
        )
        message.attach_alternative(self.html, "text/html")
        return message.send()


class _Placeholders(string.Formatter):
    """``str.format`` for editors' texts: unknown or malformed placeholders are left as typed.

    Only plain names are replaced (no attribute or index access), so a text cannot reach into
    the objects behind the values.
    """

    def __init__(self, values: dict):
        self.values = values

    def fill(self, text: str) -> str:
        out = []
        try:
            parsed = list(self.parse(text))
        except ValueError:  # a lone "{" or "}": show the text as it was typed
            return text
        for literal, field, spec, conversion in parsed:
            out.append(literal)
            if field is None:
                continue
            if field in self.values and not spec and not conversion:
                out.append(str(self.values[field]))
            else:
                rebuilt = field + (f"!{conversion}" if conversion else "")
                rebuilt += f":{spec}" if spec else ""
                out.append("{" + rebuilt + "}")
        return "".join(out)


def email_template_for(site, kind_key: str):
    from ..models.notifications import EmailTemplate

    if site is None:
        return None
    return EmailTemplate.objects.filter(site=site, kind=kind_key).first()


def render_email(
    kind_key: str,
    *,
    to: str,
    site,
    values: dict,
    action_url: str = "",
) -> RenderedEmail:
    """Render the e-mail ``kind_key`` for ``site``.

    ``values`` fill the placeholders of the subject and text; ``action_url`` is shown as a
    button and as a plain link (some mail clients hide buttons). The municipality's contact
    details, the signature and the footer come from the site's settings.
    """
    from ..models import FamilyPortalSettings, Municipality

    kind = KINDS[kind_key]
    custom = email_template_for(site, kind_key)
    municipality = Municipality.objects.filter(site=site).first() if site else None
    portal_settings = FamilyPortalSettings.for_site(site) if site else None
    values = {"municipality": municipality.name if municipality else "", **values}
    fill = _Placeholders(values).fill

    subject = fill((custom and custom.subject) or str(kind.subject))
    body = fill((custom and custom.body) or str(kind.body))
    paragraphs = [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
    context = {
        "subject": subject,
        "paragraphs": paragraphs,
        "action_url": action_url,
        "button_label": (custom and custom.button_label) or str(kind.button_label),
        "municipality": municipality,
        "signature": portal_settings.email_signature if portal_settings else "",
        "footer": portal_settings.email_footer if portal_settings else "",
    }
    from_email = (municipality and municipality.sender_email) or settings.DEFAULT_FROM_EMAIL
    if municipality and municipality.sender_email:
        from_email = f'"{municipality.name}" <{municipality.sender_email}>'
    return RenderedEmail(
        subject=" ".join(subject.split()),  # a header: no line breaks
        text=render_to_string("wagtail_family_portal/emails/message.txt", context).strip() + "\n",
        html=render_to_string("wagtail_family_portal/emails/message.html", context),
        from_email=from_email,
        to=(to,),
    )
