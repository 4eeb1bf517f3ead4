"""Bodies and answers of the planning, booking and absence endpoints, and how a booking request
is shown to its family.

A booking line has a state of its own (pending, accepted…); families read the state of the day
it gives (DESIGN.md §3): ``services.bookings.day_state`` maps one to the other. The history of a
request merges its own events and the events of its lines, the lines changed together shown as
one entry.
"""

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

from ..models import Request
from ..models.bookings import BookingLine, DayState
from ..services import bookings
from ..services import requests as requests_service
from ..validators import ACTIVITY_DAYS, validate_plausible_date
from .base import MAX_ID
from .messages import (
    REQUEST_FIELDS,
    MessageSerializer,
    get_topic_label,
    request_messages,
    topic_field,
    topic_label_field,
)

Operation = BookingLine.Operation
LineState = BookingLine.State

REQUIRED = pgettext_lazy("family portal", "This field is required.")
INVALID_IDS = _("Give ids as whole numbers, repeated or separated by commas.")
INVALID_DATES = _("Give a list of dates written as YYYY-MM-DD.")
INVALID_DATE = _("“%(value)s” is not a date written as YYYY-MM-DD.")
# The service's own words (one message to translate).
NO_DAY = _("Choose at least one day.")
AT_MOST_A_YEAR = _("A request covers at most one school year.")
END_BEFORE_START = _("The last day cannot be before the first day.")
CHOOSE_WEEKDAYS = _("Choose at least one weekday (0 = Monday to 6).")
DATES_OR_PERIOD = _("Send either dates, or start, end and weekdays.")
PLANNING_TOO_LONG = _("A planning covers at most %(days)d days.")

# At most this many days in one planning answer (two months, whole weeks included).
MAX_PLANNING_DAYS = 62
_ID = re.compile(r"[0-9]{1,18}")
# Dates the API accepts for activities' days (validators.ACTIVITY_DAYS).
FIRST_DAY, LAST_DAY = ACTIVITY_DAYS

WAITING = (LineState.PENDING, LineState.WAITING_LIST)
ACTORS = ["family", "agent", "system"]


def check_in_range(day: dt.date) -> dt.date:
    try:
        validate_plausible_date(day, ACTIVITY_DAYS)
    except DjangoValidationError as error:
        raise ValidationError(list(error.messages)) from None
    return day


# Input fields


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


# Bodies


class DaysRequestBodySerializer(serializers.Serializer):
    """``POST families/{family_id}/requests/``: listed ``dates``, or ``start``, ``end`` and
    ``weekdays``."""

    kind = serializers.ChoiceField(
        choices=Operation.choices,
        help_text=_("booking: book the days; absence: cancel booked days."),
    )
    child_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    activity_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    dates = DateListField(
        required=False, help_text=_("The days, YYYY-MM-DD; or give start, end and weekdays.")
    )
    start = serializers.DateField(
        required=False, validators=[check_in_range], help_text=_("First day of the period.")
    )
    end = serializers.DateField(
        required=False,
        validators=[check_in_range],
        help_text=_("Last day of the period (included)."),
    )
    weekdays = WeekdayListField(
        required=False, help_text=_("The weekdays of the period to request, 0 = Monday.")
    )
    confirm_skipped = serializers.BooleanField(
        default=False,
        help_text=_(
            "true once the family has seen the days that cannot be requested: the others are "
            "then saved. Otherwise such a request answers 409 with code confirm_skipped."
        ),
    )

    def validate(self, data):
        period = [name for name in ("start", "end", "weekdays") if name in data]
        if "dates" in data:
            if period:
                raise ValidationError({"detail": DATES_OR_PERIOD})
            days = sorted(set(data["dates"]))
            if not days:
                raise ValidationError({"dates": [NO_DAY]})
            if (days[-1] - days[0]).days >= bookings.MAX_PERIOD_DAYS:
                raise ValidationError({"dates": [AT_MOST_A_YEAR]})
            data["dates"] = days
            return data
        if not period:
            raise ValidationError({"detail": DATES_OR_PERIOD})
        missing = {name: [REQUIRED] for name in ("start", "end", "weekdays") if name not in data}
        if missing:
            raise ValidationError(missing)
        start, end = data["start"], data["end"]
        try:
            days = bookings.dates_in_period(start, end, data["weekdays"])
        except bookings.BookingError as error:
            wrong_period = end < start or (end - start).days >= bookings.MAX_PERIOD_DAYS
            field = "end" if wrong_period else "weekdays"
            raise ValidationError({field: [error.message]}) from None
        if not days:
            raise ValidationError({"weekdays": [NO_DAY]})
        data["dates"] = days
        return data


class WithdrawBodySerializer(serializers.Serializer):
    lines = IdListField(
        required=False,
        help_text=_(
            "Booking and absence requests: the lines to withdraw; every line still waiting "
            "when left out."
        ),
    )

    def validate_lines(self, ids):
        if not ids:
            raise ValidationError([NO_DAY])
        return ids


class PlanningQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, validators=[check_in_range])
    end = serializers.DateField(required=False, validators=[check_in_range])
    child = IdListField(required=False)
    activity = IdListField(required=False)

    def validate(self, data):
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError({"end": [END_BEFORE_START]})
            if (end - start).days >= MAX_PLANNING_DAYS:
                raise ValidationError({"end": [PLANNING_TOO_LONG % {"days": MAX_PLANNING_DAYS}]})
        return data


class RequestListQuerySerializer(serializers.Serializer):
    child = IdListField(required=False)
    state = serializers.MultipleChoiceField(choices=Request.State.choices, required=False)
    kind = serializers.MultipleChoiceField(choices=Request.Kind.choices, required=False)
    topic = serializers.MultipleChoiceField(choices=Request.Topic.choices, required=False)

    def to_internal_value(self, data):
        # ``?state=pending,refused`` as well as ``?state=pending&state=refused``.
        if hasattr(data, "getlist"):
            data = data.copy()
            for name in ("state", "kind", "topic"):
                values = [v.strip() for value in data.getlist(name) for v in value.split(",")]
                data.setlist(name, [value for value in values if value])
        return super().to_internal_value(data)


# Answers


class SkippedDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    reason = serializers.ChoiceField(
        choices=list(bookings.REASONS),
        help_text=_("Why the day cannot be requested (a code, for the app)."),
    )
    message = serializers.CharField(help_text=_("The reason, in the request's language."))


def skipped_data(skipped) -> list[dict]:
    return [
        {"date": item.date.isoformat(), "reason": item.reason, "message": item.message}
        for item in skipped
    ]


class BookingLineSerializer(serializers.ModelSerializer):
    """One day of a booking or absence request."""

    state = serializers.SerializerMethodField(help_text=_("The state this line gives the day."))
    line_state = serializers.ChoiceField(source="state", choices=LineState.choices, read_only=True)

    class Meta:
        model = BookingLine
        fields = [
            "id",
            "date",
            "child_id",
            "activity_id",
            "operation",
            "state",
            "line_state",
            "message",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=DayState.choices))
    def get_state(self, line) -> str:
        return bookings.day_state(line.operation, line.state)


class HistoryEntrySerializer(serializers.Serializer):
    """One step of a request: of the request itself (``line_ids`` empty) or of some of its days."""

    at = serializers.DateTimeField()
    by = serializers.ChoiceField(choices=ACTORS)
    action = serializers.CharField(
        help_text=_(
            "For the request: submitted, accepted, refused or withdrawn; for days: the new "
            "state of their lines (pending, accepted, refused, waiting_list, withdrawn)."
        )
    )
    state = serializers.CharField(
        help_text=_("The request's new state, or the state the days now have.")
    )
    message = serializers.CharField(allow_blank=True)
    line_ids = serializers.ListField(child=serializers.IntegerField())
    dates = serializers.ListField(child=serializers.DateField())
    new = serializers.BooleanField(
        help_text=_("A message of the municipality this account had not read before this answer.")
    )


def booking_history(family_request: Request, lines, unread=frozenset()) -> list[dict]:
    """The request's history (``services.requests.history``) in the API's words; ``unread``
    are the ids of the request's events the account has not read."""
    return [
        {
            "at": entry.at,
            "by": entry.by,
            "action": entry.action,
            "state": entry.state,
            "message": entry.message,
            "line_ids": entry.line_ids,
            "dates": entry.dates,
            "new": entry.new,
        }
        for entry in requests_service.history(family_request, lines, unread=unread)
    ]


class BookingRequestSerializer(serializers.ModelSerializer):
    """A booking or absence request, with its days, its history and the municipality's
    messages (``context["unread"]``: the ids of the events the account has not read)."""

    # booking or absence: the same values as the lines' operation.
    kind = serializers.ChoiceField(choices=Operation.choices, read_only=True)
    topic = topic_field()
    topic_label = topic_label_field()
    lines = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()
    get_topic_label = get_topic_label

    class Meta:
        model = Request
        fields = REQUEST_FIELDS
        read_only_fields = fields

    @extend_schema_field(BookingLineSerializer(many=True))
    def get_lines(self, family_request) -> list[dict]:
        return BookingLineSerializer(self._lines(family_request), many=True).data

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, family_request) -> list[dict]:
        unread = self.context.get("unread", frozenset())
        entries = booking_history(family_request, self._lines(family_request), unread)
        return HistoryEntrySerializer(entries, many=True).data

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, family_request) -> list[dict]:
        unread = self.context.get("unread", frozenset())
        return MessageSerializer(request_messages(family_request, unread), many=True).data

    @staticmethod
    def _lines(family_request):
        return sorted(family_request.booking_lines.all(), key=lambda line: (line.date, line.pk))


class CreatedBookingRequestSerializer(BookingRequestSerializer):
    """The new request, and the days left out with their reason (documentation only)."""

    skipped = SkippedDaySerializer(many=True, read_only=True)

    class Meta(BookingRequestSerializer.Meta):
        fields = [*BookingRequestSerializer.Meta.fields, "skipped"]


class NothingToRequestSerializer(serializers.Serializer):
    """409 when not one day can be requested (documentation only)."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["nothing_to_request"])
    skipped = SkippedDaySerializer(many=True)


class ConfirmSkippedSerializer(serializers.Serializer):
    """409 when some days cannot be requested and the family has not confirmed (documentation
    only): show ``dates`` and ``skipped``, then send the body again with ``confirm_skipped``."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["confirm_skipped"])
    dates = serializers.ListField(
        child=serializers.DateField(), help_text=_("The days that would be requested.")
    )
    skipped = SkippedDaySerializer(many=True)


class ActivitySummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    establishment = serializers.CharField()


class RequestSummarySerializer(serializers.Serializer):
    """One request in the family's list."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Request.Kind.choices)
    topic = topic_field()
    topic_label = topic_label_field()
    state = serializers.ChoiceField(choices=Request.State.choices)
    summary = serializers.CharField()
    created_at = serializers.DateTimeField()
    child_ids = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("The children the request concerns.")
    )
    activities = ActivitySummarySerializer(many=True)
    first_date = serializers.DateField(allow_null=True, help_text=_("Bookings and absences."))
    last_date = serializers.DateField(allow_null=True, help_text=_("Bookings and absences."))
    unread_messages = serializers.IntegerField(
        help_text=_(
            "Messages of the municipality this account has not read yet (opening the request "
            "reads them)."
        )
    )

    get_topic_label = get_topic_label


def request_summaries(page, user) -> list[dict]:
    """The list's items for ``page`` (requests of ``services.requests.family_requests``), with
    the number of messages ``user`` has not read: three queries (the unread counts, the days,
    the changes) whatever the number of requests and lines."""
    ids = [item.pk for item in page]
    unread = requests_service.unread_counts(user, ids) if ids else {}
    summaries = requests_service.summaries(ids)
    return [
        {
            "id": item.pk,
            "kind": item.kind,
            "topic": item.topic,
            "state": item.state,
            "summary": item.summary,
            "created_at": item.created_at,
            "child_ids": sorted(summaries[item.pk].child_ids),
            "activities": [
                {"id": activity.id, "name": activity.name, "establishment": activity.establishment}
                for activity in summaries[item.pk].activities
            ],
            "first_date": summaries[item.pk].first_day,
            "last_date": summaries[item.pk].last_day,
            "unread_messages": unread.get(item.pk, 0),
        }
        for item in page
    ]


# The planning (documentation only: the answer is ``Planning.to_json()``)


class PlanningChildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text=_("The child's colour, #RRGGBB."))


class PlanningActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_code = serializers.CharField()
    establishment = serializers.CharField()
    start_time = serializers.CharField(help_text=_("HH:MM"))
    end_time = serializers.CharField(help_text=_("HH:MM"))


class LegendEntrySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=DayState.choices)
    label = serializers.CharField()
    colour = serializers.CharField(help_text=_("#RRGGBB"))


class PlanningCellSerializer(serializers.Serializer):
    date = serializers.DateField()
    child_id = serializers.IntegerField()
    activity_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=DayState.choices)
    start_time = serializers.CharField(help_text=_("HH:MM"))
    end_time = serializers.CharField(help_text=_("HH:MM"))
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["book", "cancel", "withdraw"]),
        help_text=_(
            "What the family may do: book, cancel (ask for an absence on a booked day), "
            "withdraw (the request still waiting)."
        ),
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text=_("Why no action is possible: deadline_passed, closed, full…"),
    )
    rank = serializers.IntegerField(allow_null=True, help_text=_("Rank on the waiting list."))
    request_id = serializers.IntegerField(allow_null=True)
    line_id = serializers.IntegerField(allow_null=True)


class PlanningSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    children = PlanningChildSerializer(many=True)
    activities = PlanningActivitySerializer(many=True)
    legend = LegendEntrySerializer(many=True)
    cells = PlanningCellSerializer(many=True)
