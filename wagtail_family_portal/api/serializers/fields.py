"""Input fields of the API's bodies and query strings: ids, dates, weekdays."""

import datetime as dt
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty

from ...services import bookings
from ...validators import ACTIVITY_DAYS, validate_plausible_date

# The largest id a database's integer column holds: an id sent above it is invalid input.
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,18}")

REQUIRED = pgettext_lazy("family portal", "This field is required.")
INVALID_IDS = _("Give ids as whole numbers, repeated or separated by commas.")
INVALID_DATES = _("Give a list of dates written as YYYY-MM-DD.")
INVALID_DATE = _("“%(value)s” is not a date written as YYYY-MM-DD.")
# The service's own words (one message to translate).
NO_DAY = _("Choose at least one day.")
AT_MOST_A_YEAR = _("A request covers at most one school year.")
CHOOSE_WEEKDAYS = _("Choose at least one weekday (0 = Monday to 6).")
# How the schema describes an IdListField of the query string: IDS_HELP.format(name).
IDS_HELP = "Ids, repeated (?{0}=1&{0}=2) or separated by commas (?{0}=1,2)."


def check_in_range(day: dt.date) -> dt.date:
    try:
        validate_plausible_date(day, ACTIVITY_DAYS)
    except DjangoValidationError as error:
        raise ValidationError(list(error.messages)) from None
    return day


@extend_schema_field({"type": "array", "items": {"type": "integer"}})
class IdListField(serializers.Field):
    """Ids, repeated (``?child=1&child=2``) or separated by commas (``?child=1,2``)."""

    default_error_messages = {"invalid": INVALID_IDS}

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):
            return dictionary.getlist(self.field_name) or empty
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        if isinstance(data, (str, int)) and not isinstance(data, bool):
            data = [data]
        if not isinstance(data, list):
            self.fail("invalid")
        ids = []
        for value in data:
            if isinstance(value, bool):
                self.fail("invalid")
            parts = [value] if isinstance(value, int) else str(value).split(",")
            for part in parts:
                part = str(part).strip()
                if not part:
                    continue
                if not _ID.fullmatch(part) or int(part) == 0:
                    self.fail("invalid")
                if int(part) not in ids:
                    ids.append(int(part))
        return ids

    def to_representation(self, value):
        return value


@extend_schema_field({"type": "array", "items": {"type": "string", "format": "date"}})
class DateListField(serializers.Field):
    """A list of ISO dates (``YYYY-MM-DD``), each checked; errors are one flat list."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise ValidationError([INVALID_DATES])
        if len(data) > bookings.MAX_PERIOD_DAYS:
            raise ValidationError([AT_MOST_A_YEAR])
        days = []
        for value in data:
            day = None
            if isinstance(value, str):
                try:
                    day = parse_date(value.strip())
                except ValueError:
                    day = None
            if day is None:
                raise ValidationError([INVALID_DATE % {"value": str(value)[:20]}])
            days.append(check_in_range(day))
        return days

    def to_representation(self, value):
        return [day.isoformat() for day in value]


@extend_schema_field(
    {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}, "minItems": 1}
)
class WeekdayListField(serializers.Field):
    """Weekdays as numbers, 0 = Monday to 6 = Sunday; at least one."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or not data:
            raise ValidationError([CHOOSE_WEEKDAYS])
        for value in data:
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
                raise ValidationError([CHOOSE_WEEKDAYS])
        return sorted(set(data))

    def to_representation(self, value):
        return value
