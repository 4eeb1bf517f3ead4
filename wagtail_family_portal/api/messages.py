"""What a request's answer says about "Mes demandes": its type, and the municipality's messages
with what this account has not read yet (``services.requests``).

A *message* is a ``RequestEvent`` with text written by the municipality (an agent, or the
rules): the same ones ``RequestEvent.objects.messages()`` selects and the unread counts count.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import Request, RequestEvent

Actor = RequestEvent.Actor


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
