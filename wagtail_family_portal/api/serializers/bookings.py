"""Bodies and answers of the booking and absence requests, and how such a request is shown to
its family.

A booking line has a state of its own (pending, accepted…); families read the state of the day
it gives (DESIGN.md §3): ``services.bookings.day_state`` maps one to the other. The history of a
request merges its own events and the events of its lines, the lines changed together shown as
one entry.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ...models import Request
from ...models.bookings import BookingLine, DayState
from ...services import bookings
from ...services import requests as requests_service
from .fields import (
    AT_MOST_A_YEAR,
    MAX_ID,
    NO_DAY,
    REQUIRED,
    DateListField,
    WeekdayListField,
    check_in_range,
)
from .requests import ACTORS, RequestDetailSerializer

Operation = BookingLine.Operation
LineState = BookingLine.State

DATES_OR_PERIOD = _("Send either dates, or start, end and weekdays.")


# Body


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


class BookingRequestSerializer(RequestDetailSerializer):
    """A booking or absence request, with its days, its history and the municipality's
    messages (``context["unread"]``: the ids of the events the account has not read)."""

    # booking or absence: the same values as the lines' operation.
    kind = serializers.ChoiceField(choices=Operation.choices, read_only=True)
    lines = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    @extend_schema_field(BookingLineSerializer(many=True))
    def get_lines(self, family_request) -> list[dict]:
        return BookingLineSerializer(self._lines(family_request), many=True).data

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, family_request) -> list[dict]:
        unread = self.context.get("unread", frozenset())
        entries = booking_history(family_request, self._lines(family_request), unread)
        return HistoryEntrySerializer(entries, many=True).data

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
