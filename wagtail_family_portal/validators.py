"""Field validators shared by the models, forms and API."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# What no text of the portal may contain: PostgreSQL refuses to store a NUL character, and a
# lone UTF-16 surrogate (a JSON escape such as \ud800 makes one) cannot be encoded in UTF-8.
FORBIDDEN_CHARACTERS_RE = re.compile("[\x00\ud800-\udfff]")
FORBIDDEN_CHARACTERS_MESSAGE = _(
    "This text contains a character that is not allowed (a NUL character or an unpaired surrogate)."
)


def has_forbidden_characters(value: str) -> bool:
    """True when ``value`` contains a character no database column can hold."""
    return FORBIDDEN_CHARACTERS_RE.search(value) is not None


def validate_text_characters(value) -> None:
    """Reject a text with a NUL character or an unpaired surrogate."""
    if isinstance(value, str) and has_forbidden_characters(value):
        raise ValidationError(FORBIDDEN_CHARACTERS_MESSAGE, code="forbidden_characters")


OUT_OF_RANGE = _("Give a date between %(first)d and %(last)d.")
# The plausible dates, far enough from the calendar's limits for any computation: the days of
# activities (the API's bookings and plannings), and the dates of the family file (birth
# dates: people born since 1900). The same rule for the pages, the API and the services.
ACTIVITY_DAYS = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))
FILE_DATES = (dt.date(1900, 1, 1), dt.date(2099, 12, 31))


def validate_plausible_date(day: dt.date, bounds=ACTIVITY_DAYS) -> None:
    """Reject a date outside ``bounds`` (first, last), years given in the message."""
    first, last = bounds
    if not first <= day <= last:
        raise ValidationError(
            OUT_OF_RANGE, code="date_out_of_range", params={"first": first.year, "last": last.year}
        )


def _check_bank_code(parse, value: str, message, code: str) -> None:
    """Reject ``value`` when ``parse`` (schwifty's ``IBAN`` or ``BIC``) finds it wrong."""
    if not value:
        return
    try:
        parse(value)
    except SchwiftyException as exc:
        raise ValidationError(message, code=code, params={"value": value}) from exc


def validate_iban(value: str) -> None:
    """Reject an IBAN whose country format, length or checksum is wrong."""
    _check_bank_code(IBAN, value, _("“%(value)s” is not a valid IBAN."), "invalid_iban")


def validate_bic(value: str) -> None:
    _check_bank_code(BIC, value, _("“%(value)s” is not a valid BIC."), "invalid_bic")


def validate_hex_colour(value: str) -> None:
    if not HEX_COLOUR_RE.match(value or ""):
        raise ValidationError(
            _("Enter a colour as #RRGGBB, for example #1f77b4."), code="invalid_colour"
        )


def normalise_iban(value: str) -> str:
    """Store IBANs compact and upper-case, as banks print them without spaces."""
    return re.sub(r"\s+", "", value or "").upper()


IBAN_MASK = "••••"


def mask_iban(value: str) -> str:
    """An IBAN showing only its last 4 characters, in groups as printed:
    ``•••• •••• •••• •••• •••• •••• 0189``. Pages and API never show more of it."""
    iban = normalise_iban(value or "")
    if not iban:
        return ""
    if len(iban) <= 4:
        return IBAN_MASK
    hidden_groups = -(-(len(iban) - 4) // 4)
    return " ".join([IBAN_MASK] * hidden_groups + [iban[-4:]])


_TIME = re.compile(r"^([01]?\d|2[0-3])(?:[:hH]([0-5]\d)?)?$")


def parse_digest_times(value: str) -> list[dt.time]:
    """ "13:00, 18h00" → [13:00, 18:00], sorted and without repeats; ValueError names a bad one."""
    times = set()
    for part in (value or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        match = _TIME.match(part)
        if match is None:
            raise ValueError(part)
        times.add(dt.time(int(match.group(1)), int(match.group(2) or 0)))
    return sorted(times)


def validate_digest_times(value: str) -> None:
    try:
        times = parse_digest_times(value)
    except ValueError as error:
        raise ValidationError(
            _("“%(value)s” is not a time: write hours and minutes, e.g. 13:00, 18:00."),
            code="invalid",
            params={"value": str(error)},
        ) from None
    if not times:
        raise ValidationError(_("Give at least one time, e.g. 13:00, 18:00."), code="required")
