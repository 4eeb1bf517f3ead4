"""Phone numbers: checked and normalised with ``phonenumbers`` (django-phonenumber-field).

A number is read as French when it has no international prefix (``06 12 34 56 78``) and as its
country's otherwise (``+44 20 7946 0958``); it is stored in the E.164 format (``+33612345678``)
and shown as its country writes it: French numbers in the national format (``06 12 34 56 78``),
others in the international one. None of this needs a ``PHONENUMBER_*`` setting in the host.
A stored value that is not a number (written before numbers were checked) is kept and shown as
it was typed.
"""

import phonenumbers
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

# Numbers without an international prefix are French.
PHONE_REGION = "FR"
INVALID_PHONE = _(
    "Enter a valid phone number, such as 06 12 34 56 78, or with its country code, such as "
    "+32 2 555 12 12."
)


class PortalPhoneNumber(PhoneNumber):
    """django-phonenumber-field's number, shown as :func:`format_phone` says."""

    def __str__(self):
        return format_phone(self)

    def __eq__(self, other):
        # A text is read as the field reads it: French without an international prefix.
        if isinstance(other, str) and other:
            other = to_phone(other)
        return super().__eq__(other)

    __hash__ = PhoneNumber.__hash__


def to_phone(value, region: str = PHONE_REGION):
    """``value`` (text, or a number) as a :class:`PortalPhoneNumber`; empty stays empty."""
    if value in validators.EMPTY_VALUES:
        return value
    if isinstance(value, PortalPhoneNumber):
        return value
    if isinstance(value, phonenumbers.PhoneNumber):
        number = PortalPhoneNumber()
        number.merge_from(value)
        return number
    if isinstance(value, str):
        try:
            return PortalPhoneNumber.from_string(phone_number=value, region=region)
        except phonenumbers.NumberParseException:
            return PortalPhoneNumber(raw_input=value)
    raise TypeError(f"Can't convert {type(value).__name__} to a phone number.")


def format_phone(value) -> str:
    """A number as its country writes it: national for French numbers, else international;
    what is not a valid number as it was typed."""
    number = to_phone(value)
    if not isinstance(number, PhoneNumber):
        return ""
    if not number.is_valid():
        return number.raw_input or ""
    if phonenumbers.region_code_for_number(number) == PHONE_REGION:
        return number.as_national
    return number.as_international


def normalise_phone(value: str) -> str:
    """The E.164 form of a valid number (``+33612345678``), anything else unchanged."""
    number = to_phone(value)
    if isinstance(number, PhoneNumber) and number.is_valid():
        return number.as_e164
    return value


def validate_phone(value) -> None:
    """Refuse what is not a valid number (``hello``, ``0612``); empty is left to ``blank``."""
    if value in validators.EMPTY_VALUES:
        return
    number = to_phone(value)
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        raise ValidationError(INVALID_PHONE, code="invalid_phone")
