"""Sample e-mails for the admin: each kind filled with sample values, a table and a message."""

from django.utils.translation import gettext, ngettext

from .kinds import DIGEST, INVOICE_AVAILABLE, KINDS, RECEIPT, SAMPLE_VALUES
from .rendering import EmailRenderer, Table, days_headers


def sample_values(kind_key: str) -> dict:
    values = {key: str(value) for key, value in SAMPLE_VALUES.items()}
    count = int(SAMPLE_VALUES["count"])
    if kind_key == RECEIPT.key:
        values["summary"] = ngettext(
            "Your booking request for %(activity)s made on %(date)s at %(time)s is being "
            "processed:",
            "Your %(count)d booking requests for %(activity)s made on %(date)s at %(time)s are "
            "being processed:",
            count,
        ) % {
            "count": count,
            "activity": SAMPLE_VALUES["activity"],
            "date": SAMPLE_VALUES["date"],
            "time": SAMPLE_VALUES["time"],
        }
    elif kind_key == DIGEST.key:
        values["summary"] = ngettext(
            "%(count)d of your requests has been processed:",
            "%(count)d of your requests have been processed:",
            count,
        ) % {"count": count}
    elif kind_key == INVOICE_AVAILABLE.key:
        values["summary"] = gettext("%(amount)s is to be paid by %(date)s.") % {
            "amount": f"{SAMPLE_VALUES['amount']}\xa0€",
            "date": SAMPLE_VALUES["due_date"],
        }
    return values


def sample_table(kind_key: str) -> Table | None:
    days = ["05/04/2027", "06/04/2027", "08/04/2027", "09/04/2027"]
    activity = str(SAMPLE_VALUES["activity"])
    if kind_key == RECEIPT.key:
        rows = [(day, "07:30", gettext("Booking"), "Léa Martin", activity) for day in days]
        return Table(days_headers(), rows)
    if kind_key == DIGEST.key:
        decisions = [gettext("accepted"), gettext("accepted"), gettext("refused")]
        decisions.append(gettext("waiting list"))
        rows = [
            (day, "07:30", gettext("Booking"), "Léa Martin", activity, decision)
            for day, decision in zip(days, decisions, strict=True)
        ]
        return Table(days_headers(decision=True), rows)
    return None


def sample_email(kind_key: str, *, site, to: str, custom=False):
    """The e-mail ``kind_key`` of ``site`` with sample data; ``custom`` is an unsaved template."""
    kind = KINDS[kind_key]
    messages = []
    if kind_key == DIGEST.key:
        messages.append(
            (
                gettext("Booking of %(activity)s for Léa: 4 days")
                % {"activity": SAMPLE_VALUES["activity"]},
                gettext("The 8th is full: we will tell you if a place is freed."),
            )
        )
    return EmailRenderer(site).render(
        kind.key,
        to=to,
        values=sample_values(kind_key),
        action_url=str(SAMPLE_VALUES["portal_url"]) if kind.button_label else "",
        table=sample_table(kind_key),
        messages=messages,
        custom=custom,
    )
