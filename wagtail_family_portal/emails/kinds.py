"""Every e-mail the portal sends, with its default wording.

Editors override the subject, the text and the button label per site with an ``EmailTemplate``
(Settings → E-mail texts); what they leave empty keeps the default below. The text may use the
placeholders listed for its kind, e.g. ``{first_name}``.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COMMON_PLACEHOLDERS = ("first_name", "last_name", "full_name", "municipality", "portal_url")


@dataclass(frozen=True)
class EmailKind:
    key: str
    label: Promise
    subject: Promise
    body: Promise
    button_label: Promise | str = ""
    placeholders: tuple[str, ...] = COMMON_PLACEHOLDERS


ACTIVATION = EmailKind(
    key="account_activation",
    label=_("Account activation"),
    subject=_("Citizen portal: account creation confirmation"),
    body=_(
        "Hello {full_name},\n\n"
        "Your account on the family portal of {municipality} has been created. To confirm your "
        "e-mail address and activate it, click the button below.\n\n"
        "This link can be used once and expires in {expiry_days} days. If you did not create "
        "this account, ignore this message: it will not be activated."
    ),
    button_label=_("Activate my account"),
    placeholders=COMMON_PLACEHOLDERS + ("expiry_days",),
)

ALREADY_REGISTERED = EmailKind(
    key="already_registered",
    label=_("Sign-up with an address already registered"),
    subject=_("Citizen portal: you already have an account"),
    body=_(
        "Hello {full_name},\n\n"
        "Someone tried to create an account on the family portal of {municipality} with this "
        "e-mail address, which already has one. If it was you, log in with your password, or "
        "choose a new one with the button below.\n\n"
        "If it was not you, ignore this message: nothing has changed."
    ),
    button_label=_("Choose a new password"),
)

PASSWORD_RESET = EmailKind(
    key="password_reset",
    label=_("Password reset"),
    subject=_("Citizen portal: choose a new password"),
    body=_(
        "Hello {full_name},\n\n"
        "A new password was requested for your account on the family portal of {municipality}. "
        "Click the button below to choose it.\n\n"
        "If you did not ask for it, ignore this message: your password stays the same."
    ),
    button_label=_("Choose a new password"),
)

KINDS: dict[str, EmailKind] = {
    kind.key: kind for kind in (ACTIVATION, ALREADY_REGISTERED, PASSWORD_RESET)
}


def kind_choices() -> list[tuple[str, Promise]]:
    return [(kind.key, kind.label) for kind in KINDS.values()]
