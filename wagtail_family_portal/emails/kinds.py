"""Every e-mail the portal sends, with its default wording and the placeholders it offers.

Editors override the subject, introduction, common text, signature, footer and button label
per site with an ``EmailTemplate`` (Settings → E-mail texts); what they leave empty keeps the
default below. Texts may use the placeholders listed for their kind, written
``{{ first_name }}``; ``SAMPLE_VALUES`` fills them in the admin's preview and test e-mail.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

COMMON_PLACEHOLDERS = ("first_name", "last_name", "full_name", "municipality", "portal_url")

# The fields of an ``EmailTemplate`` that editors write in, with placeholders.
TEMPLATE_TEXT_FIELDS = ("subject", "intro", "common_text", "signature", "footer", "button_label")


@dataclass(frozen=True)
class EmailKind:
    key: str
    label: Promise
    subject: Promise
    intro: Promise
    common_text: Promise | str = ""
    button_label: Promise | str = ""
    placeholders: tuple[str, ...] = COMMON_PLACEHOLDERS
    # What each placeholder holds, shown to editors next to the form.
    descriptions: dict = field(default_factory=dict)


COMMON_DESCRIPTIONS = {
    "first_name": _("first name of the account"),
    "last_name": _("last name of the account"),
    "full_name": _("first and last name of the account"),
    "municipality": _("name of the municipality"),
    "portal_url": _("address of the family portal"),
}

ACTIVATION = EmailKind(
    key="account_activation",
    label=_("Account activation"),
    subject=_("Citizen portal: account creation confirmation"),
    intro=_(
        "Hello {{ full_name }},\n\n"
        "Your account on the family portal of {{ municipality }} has been created. To confirm "
        "your e-mail address and activate it, click the button below.\n\n"
        "This link can be used once and expires in {{ expiry_days }} days. If you did not "
        "create this account, ignore this message: it will not be activated."
    ),
    button_label=_("Activate my account"),
    placeholders=COMMON_PLACEHOLDERS + ("expiry_days",),
    descriptions={"expiry_days": _("days the activation link stays valid")},
)

ALREADY_REGISTERED = EmailKind(
    key="already_registered",
    label=_("Sign-up with an address already registered"),
    subject=_("Citizen portal: you already have an account"),
    intro=_(
        "Hello {{ full_name }},\n\n"
        "Someone tried to create an account on the family portal of {{ municipality }} with "
        "this e-mail address, which already has one. If it was you, log in with your password, "
        "or choose a new one with the button below.\n\n"
        "If it was not you, ignore this message: nothing has changed."
    ),
    button_label=_("Choose a new password"),
)

PASSWORD_RESET = EmailKind(
    key="password_reset",
    label=pgettext_lazy("family portal", "Password reset"),
    subject=_("Citizen portal: choose a new password"),
    intro=_(
        "Hello {{ full_name }},\n\n"
        "A new password was requested for your account on the family portal of "
        "{{ municipality }}. Click the button below to choose it.\n\n"
        "If you did not ask for it, ignore this message: your password stays the same."
    ),
    button_label=_("Choose a new password"),
)

REQUEST_DESCRIPTIONS = {
    "family_name": _("name of the family"),
    "count": _("number of requests (days) in the e-mail"),
    "summary": _("the sentence saying what was received or processed"),
}

RECEIPT = EmailKind(
    key="request_receipt",
    label=_("Receipt of a request"),
    subject=_("Electronic acknowledgement of receipt"),
    intro=_("Hello {{ full_name }},\n\n{{ summary }}"),
    common_text=_(
        "We will keep you informed of their processing.\n\n"
        "You can also follow your requests in your citizen space, in the menu Mes demandes."
    ),
    button_label=_("My requests"),
    placeholders=COMMON_PLACEHOLDERS
    + ("family_name", "count", "summary", "request_type", "activity", "date", "time"),
    descriptions={
        **REQUEST_DESCRIPTIONS,
        "request_type": _("type of the request, e.g. booking request"),
        "activity": _("activity of the days asked (empty for a change to the family file)"),
        "date": _("date the request was made"),
        "time": _("time the request was made"),
    },
)

DIGEST = EmailKind(
    key="decision_digest",
    label=_("Processing of requests (digest)"),
    subject=_("Acknowledgement of processing"),
    intro=_("Hello {{ full_name }},\n\n{{ summary }}"),
    common_text=_("You can find more information in your citizen space, in the menu Mes demandes."),
    button_label=_("My requests"),
    placeholders=COMMON_PLACEHOLDERS
    + ("family_name", "count", "summary", "slot_date", "slot_time"),
    descriptions={
        **REQUEST_DESCRIPTIONS,
        "slot_date": _("date of this e-mail's sending time"),
        "slot_time": _("this e-mail's sending time, e.g. 13:00"),
    },
)

PAYMENT_REMINDER = EmailKind(
    key="payment_reminder",
    label=_("Reminder of an unpaid invoice"),
    subject=_("Reminder: invoice {{ number }} is still to be paid"),
    intro=_(
        "Hello {{ full_name }},\n\n"
        "Unless we are mistaken, invoice {{ number }} of {{ office }} for the {{ family_name }} "
        "family, of {{ amount }} €, was due on {{ due_date }} ({{ days_overdue }} days ago). "
        "{{ balance }} € are still to be paid."
    ),
    common_text=_(
        "You can pay it online in your citizen space, in the menu Mes factures, or at the "
        "régie's desk. If you have paid it in the meantime, please ignore this message."
    ),
    button_label=_("My invoices"),
    placeholders=COMMON_PLACEHOLDERS
    + ("family_name", "number", "amount", "balance", "due_date", "days_overdue", "office"),
    descriptions={
        "family_name": _("name of the family"),
        "number": _("number of the invoice"),
        "amount": _("amount of the invoice, e.g. 42,50"),
        "balance": _("what is still to be paid, e.g. 12,50"),
        "due_date": _("due date of the invoice"),
        "days_overdue": _("days since the due date"),
        "office": _("name of the régie that issued the invoice"),
    },
)

INVOICE_AVAILABLE = EmailKind(
    key="invoice_available",
    label=_("New invoice available"),
    subject=_("Your invoice {{ number }} is available"),
    intro=_(
        "Hello {{ full_name }},\n\n"
        "The invoice {{ number }} of the {{ family_name }} family for {{ period }}, of "
        "{{ amount }} €, is available in your citizen space. {{ summary }}"
    ),
    common_text=_(
        "You can see it, download it and pay it online in your citizen space, in the menu "
        "Mes factures."
    ),
    button_label=_("See my invoice"),
    placeholders=COMMON_PLACEHOLDERS
    + ("family_name", "number", "amount", "balance", "due_date", "period", "summary"),
    descriptions={
        "family_name": _("name of the family"),
        "number": _("number of the invoice"),
        "amount": _("amount of the invoice, e.g. 42,50"),
        "balance": _("what is still to be paid, e.g. 12,50"),
        "due_date": _("due date of the invoice"),
        "period": _("period the invoice bills"),
        "summary": _("the sentence saying how and when to pay (or the direct debit's date)"),
    },
)

KINDS: dict[str, EmailKind] = {
    kind.key: kind
    for kind in (
        ACTIVATION,
        ALREADY_REGISTERED,
        PASSWORD_RESET,
        RECEIPT,
        DIGEST,
        PAYMENT_REMINDER,
        INVOICE_AVAILABLE,
    )
}

# Sample values for the admin's preview and "send me a test".
SAMPLE_VALUES = {
    "first_name": "Camille",
    "last_name": "Martin",
    "full_name": "Camille Martin",
    "family_name": "Martin",
    "portal_url": "https://www.example.org/espace-famille/",
    "expiry_days": 3,
    "count": 4,
    "request_type": _("Booking request"),
    "activity": "Périscolaire matin",
    "date": "04/04/2027",
    "time": "09:14",
    "slot_date": "05/04/2027",
    "slot_time": "13:00",
    "number": "2026-000123",
    "amount": "42,50",
    "balance": "12,50",
    "due_date": "31/12/2026",
    "days_overdue": 10,
    "office": "Régie enfance-restauration",
    "period": "01/12 – 31/12/2026",
}


def kind_choices() -> list[tuple[str, Promise]]:
    return [(kind.key, kind.label) for kind in KINDS.values()]


def descriptions(kind: EmailKind) -> dict:
    return {
        name: (kind.descriptions.get(name) or COMMON_DESCRIPTIONS.get(name, ""))
        for name in kind.placeholders
    }
