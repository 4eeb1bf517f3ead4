"""What every request of "Mes demandes" shows, whatever its kind: its type, who acted, the
municipality's messages with what this account has not read yet (``services.requests``); the
family's list of requests, and the body that withdraws one.

A *message* is a ``RequestEvent`` with text written by the municipality (an agent, or the
rules): the same ones ``RequestEvent.objects.messages()`` selects and the unread counts count.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ...models import Request, RequestEvent
from ...services import requests as requests_service
from .fields import NO_DAY, IdListField

Actor = RequestEvent.Actor
# Who acted, in a request's history.
ACTORS = ["family", "agent", "system"]


# The fields of a request in the API, whatever its kind (its lines differ).
REQUEST_FIELDS = [
    "id",
    "kind",
    "topic",
    "topic_label",
    "state",
    "summary",
    "created_at",
    "answer",
    "lines",
    "history",
    "messages",
]


def topic_label(topic: str, kind: str) -> str:
    """The type of a request as families read it ("Booking request"…), as "Mes demandes" shows
    it: its kind's words for a request without a type."""
    if topic in Request.Topic.values:
        return capfirst(str(Request.Topic(topic).label))
    return capfirst(str(Request.Kind(kind).label)) if kind in Request.Kind.values else ""


def topic_field():
    """``topic``: the type of a request, as a code."""
    return serializers.ChoiceField(
        choices=Request.Topic.choices,
        read_only=True,
        help_text=_("The type of the request (a code, for the app)."),
    )


def topic_label_field():
    """``topic_label``: its words; the serializer's ``get_topic_label`` is the one below."""
    return serializers.SerializerMethodField(
        help_text=_("The type of the request, in the request's language.")
    )


def get_topic_label(serializer, family_request) -> str:
    """``get_topic_label`` of a serializer of requests or of the list's items (dicts)."""
    if isinstance(family_request, dict):
        return topic_label(family_request["topic"], family_request["kind"])
    return topic_label(family_request.topic, family_request.kind)


class MessageSerializer(serializers.Serializer):
    """A message of the municipality to the family."""

    at = serializers.DateTimeField()
    by = serializers.ChoiceField(
        # The history's choices (one enum in the schema); a message is never the family's.
        choices=Actor.values,
        help_text=_("agent (an agent of the municipality) or system (the rules)."),
    )
    text = serializers.CharField()
    new = serializers.BooleanField(
        help_text=_("Not read by this account before this answer (opening the request reads it).")
    )


def is_message(event: RequestEvent) -> bool:
    """What ``RequestEvent.objects.messages()`` selects, for events already loaded."""
    return bool(event.message) and event.actor != Actor.FAMILY


def request_messages(family_request: Request, unread=frozenset()) -> list[dict]:
    """The municipality's messages of ``family_request``, oldest first (its ``events`` may be
    prefetched); ``unread`` are the ids of the events the account has not read."""
    events = sorted(family_request.events.all(), key=lambda event: (event.created_at, event.pk))
    return [
        {
            "at": event.created_at,
            "by": event.actor,
            "text": event.message,
            "new": event.pk in unread,
        }
        for event in events
        if is_message(event)
    ]


class RequestDetailSerializer(serializers.ModelSerializer):
    """What a request shows whatever its kind: its type and the municipality's messages
    (``context["unread"]``: the ids of the events the account has not read). Each kind's
    serializer adds its ``lines`` and ``history``."""

    topic = topic_field()
    topic_label = topic_label_field()
    messages = serializers.SerializerMethodField()
    get_topic_label = get_topic_label

    class Meta:
        model = Request
        fields = REQUEST_FIELDS
        read_only_fields = fields

    @extend_schema_field(MessageSerializer(many=True))
    def get_messages(self, family_request) -> list[dict]:
        unread = self.context.get("unread", frozenset())
        return MessageSerializer(request_messages(family_request, unread), many=True).data


# Bodies


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


# The family's list


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
