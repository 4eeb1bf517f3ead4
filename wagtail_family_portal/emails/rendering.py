"""Rendering of an e-mail: the editors' wording in the portal's HTML and plain-text layout.

Both layouts are rendered from the same ``context`` (paragraphs, table, messages, common text,
button, signature, municipality, footer), so the two parts of a message always say the same.
``EmailRenderer`` loads a site's templates, settings and municipality once and renders any
number of e-mails with them (the digest job renders thousands per run).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

from .kinds import KINDS
from .placeholders import fill


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    from_email: str
    to: tuple[str, ...]
    headers: dict = field(default_factory=dict)

    def message(self, connection=None) -> EmailMultiAlternatives:
        message = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text,
            from_email=self.from_email,
            to=list(self.to),
            headers=self.headers or None,
            connection=connection,
        )
        message.attach_alternative(self.html, "text/html")
        return message

    def send(self, connection=None) -> int:
        """Send through Django's mail API, so that any backend (django-anymail…) delivers it."""
        return self.message(connection).send()


@dataclass(frozen=True)
class Table:
    """A table of the e-mail (the days of a receipt or a digest): headers and rows of text."""

    headers: tuple
    rows: list


def email_address(user) -> str:
    """The e-mail address of an account ("" for none, or no account)."""
    return getattr(user, user.get_email_field_name(), "") if user is not None else ""


def account_values(user) -> dict:
    """The placeholders every e-mail gets from the account it goes to."""
    first, last = user.first_name, user.last_name
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip() or user.get_username(),
    }


def days_headers(*, last=None, decision=False) -> tuple[str, ...]:
    """The columns of the table of days of a receipt or a digest."""
    headers = [
        gettext("Day"),
        pgettext("family portal", "Time"),
        gettext("Type of request"),
        gettext("Child"),
        str(last) if last else gettext("Activity"),
    ]
    if decision:
        headers.append(gettext("Decision"))
    return tuple(headers)


_TH = '<th scope="col" style="text-align:left;border-bottom:2px solid #d1d5db;">'
_TD = '<td style="border-bottom:1px solid #e5e7eb;vertical-align:top;">'


def _table_parts(table: Table) -> tuple[str, str]:
    """The table as HTML rows (escaped here) and as plain-text lines: written in Python, not by
    template loops, because a digest has tens of rows and a run thousands of digests."""
    headers = [str(cell) for cell in table.headers]
    rows = [[str(cell) for cell in row] for row in table.rows]
    html = (
        "<thead><tr>"
        + "".join(f"{_TH}{escape(cell)}</th>" for cell in headers)
        + "</tr></thead><tbody>"
        + "".join(
            "<tr>" + "".join(f"{_TD}{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
        )
        + "</tbody>"
    )
    text = "\n".join(" | ".join(line) for line in [headers, *rows])
    return mark_safe(html), text  # noqa: S308  (every cell escaped above)


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]


class EmailRenderer:
    """Renders the e-mails of one site (``site`` may be None: default wording, no municipality)."""

    def __init__(self, site, *, templates=None):
        from ..models import FamilyPortalSettings, Municipality
        from ..models.notifications import EmailTemplate

        self.site = site
        self.municipality = Municipality.objects.filter(site=site).first() if site else None
        self.settings = FamilyPortalSettings.for_site(site) if site else None
        if templates is None:
            templates = {t.kind: t for t in EmailTemplate.objects.filter(site=site)} if site else {}
        self.templates = templates
        self.html_layout = get_template("wagtail_family_portal/emails/message.html")
        self.text_layout = get_template("wagtail_family_portal/emails/message.txt")
        municipality = self.municipality
        if municipality and municipality.sender_email:
            self.from_email = f'"{municipality.name}" <{municipality.sender_email}>'
        else:
            self.from_email = settings.DEFAULT_FROM_EMAIL

    def _text(self, custom, kind, name: str) -> str:
        value = getattr(custom, name, "") if custom is not None else ""
        if value and value.strip():
            return value
        if name in ("signature", "footer"):
            return getattr(self.settings, f"email_{name}", "") if self.settings else ""
        return str(getattr(kind, name))

    def render(
        self,
        kind_key: str,
        *,
        to: str,
        values: dict,
        action_url: str = "",
        table: Table | None = None,
        messages=(),
        headers=None,
        custom=False,
    ) -> RenderedEmail:
        """Render the e-mail ``kind_key`` to ``to``.

        ``values`` fill the placeholders; ``action_url`` is shown as a button and as a plain
        link (some mail clients hide buttons); ``table`` and ``messages`` (pairs of a title and
        a text) come between the introduction and the common text. ``custom`` replaces the
        site's saved template (the admin's preview of unsaved changes).
        """
        kind = KINDS[kind_key]
        template = self.templates.get(kind_key) if custom is False else custom
        values = {"municipality": self.municipality.name if self.municipality else "", **values}

        def text(name):
            return fill(self._text(template, kind, name), values)

        subject = text("subject")
        table_html = table_text = ""
        if table is not None:
            table_html, table_text = _table_parts(table)
        context = {
            "subject": subject,
            "paragraphs": paragraphs(text("intro")),
            "table_html": table_html,
            "table_text": table_text,
            "agent_messages": list(messages),
            "common_paragraphs": paragraphs(
                fill(self._text(template, kind, "common_text"), values)
            ),
            "action_url": action_url,
            "button_label": text("button_label"),
            "municipality": self.municipality,
            "signature": text("signature"),
            "footer": text("footer"),
        }
        return RenderedEmail(
            subject=" ".join(subject.split()),  # a header: no line breaks
            text=self.text_layout.render(context).strip() + "\n",
            html=self.html_layout.render(context),
            from_email=self.from_email,
            to=(to,),
            headers=headers or {},
        )


def render_email(
    kind_key: str, *, to: str, site, values: dict, action_url: str = "", **extra
) -> RenderedEmail:
    """Render one e-mail of ``site`` (see ``EmailRenderer.render``)."""
    return EmailRenderer(site).render(
        kind_key, to=to, values=values, action_url=action_url, **extra
    )
