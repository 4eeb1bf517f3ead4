"""Reading requests ("Mes demandes"): the family's list, what each request concerns, its
history, messages and what each account has read. Pages and API both read requests here.

A *message* is what the municipality wrote to the family: a ``RequestEvent`` with text, by an
agent (a decision's answer or a message on its own). Each account has its own read mark per
request (``RequestRead.last_event_id``): opening the request marks everything up to its latest
event as read for that account only; the other accounts of the family still see "N nouveau(x)
message(s)".

A request *concerns* a child when it has a day of that child, or changes the child's record,
its health information or its authorised contacts (an added contact names its child as
``target_id``; a changed or removed one is found through the contact).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import ngettext

from ..models import AuthorisedContact, Request, RequestEvent
from ..models.bookings import BookingLine
from ..models.requests import FileChange, RequestRead

LineState = BookingLine.State
Target = FileChange.Target
Change = FileChange.Operation
# The targets of a file change that are about one child.
CHILD_TARGETS = (Target.CHILD, Target.HEALTH, Target.CONTACT)


# The family's list


def family_requests(family, *, child_ids=None, states=None, kinds=None, topics=None):
    """The family's requests, newest first: those concerning one of ``child_ids``, in one of
    ``states``, ``kinds`` and ``topics`` (each filter left out when empty)."""
    requests = Request.objects.filter(family=family)
    if states:
        requests = requests.filter(state__in=states)
    if kinds:
        requests = requests.filter(kind__in=kinds)
    if topics:
        requests = requests.filter(topic__in=topics)
    if child_ids:
        requests = requests.filter(concerning_children(child_ids))
    return requests.order_by("-created_at", "-pk")


def concerning_children(child_ids) -> Q:
    """A filter of requests: those concerning one of ``child_ids`` (a day of the child, or a
    change to its record, its health information or its authorised contacts)."""
    lines = BookingLine.objects.filter(request=OuterRef("pk"), child_id__in=child_ids)
    contacts = AuthorisedContact.objects.filter(child_id__in=child_ids).values("pk")
    changes = FileChange.objects.filter(request=OuterRef("pk")).filter(
        Q(target_type__in=[Target.CHILD, Target.HEALTH], target_id__in=child_ids)
        | Q(target_type=Target.CONTACT, operation=Change.ADD, target_id__in=child_ids)
        | (Q(target_type=Target.CONTACT, target_id__in=contacts) & ~Q(operation=Change.ADD))
    )
    return Q(Exists(lines)) | Q(Exists(changes))


@dataclass(frozen=True)
class ActivitySummary:
    id: int
    name: str
    establishment: str


@dataclass
class RequestSummary:
    """What the list shows of a request's lines: the children it concerns (its days' children,
    then those its changes are about), its activities, its first and last day (days only)."""

    child_ids: list = field(default_factory=list)
    activities: list = field(default_factory=list)
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def summaries(request_ids) -> dict[int, RequestSummary]:
    """The ``RequestSummary`` of each request: two queries (the days, the changes) whatever the
    number of requests and lines."""
    found = {pk: RequestSummary() for pk in request_ids}
    if not found:
        return found
    days = (
        BookingLine.objects.filter(request_id__in=found)
        .values(
            "request_id",
            "child_id",
            "activity_id",
            "activity__name",
            "activity__establishment__name",
        )
        .annotate(first_day=Min("date"), last_day=Max("date"))
        .order_by("request_id", "first_day", "child_id", "activity_id")
    )
    for row in days:
        summary = found[row["request_id"]]
        if row["child_id"] not in summary.child_ids:
            summary.child_ids.append(row["child_id"])
        activity = ActivitySummary(
            row["activity_id"], row["activity__name"], row["activity__establishment__name"]
        )
        if activity not in summary.activities:
            summary.activities.append(activity)
        first, last = row["first_day"], row["last_day"]
        summary.first_day = min(summary.first_day or first, first)
        summary.last_day = max(summary.last_day or last, last)
    for request_id, child_ids in changed_children(found).items():
        summary = found[request_id]
        summary.child_ids += [pk for pk in child_ids if pk not in summary.child_ids]
    return found


def changed_children(request_ids) -> dict[int, list[int]]:
    """The children whose record, health information or authorised contacts each file change
    is about, in the order of its lines: one query (a contact's child read in it). A child to
    add is no child of the family yet; a contact that no longer exists names no child."""
    contact_child = (
        AuthorisedContact.objects.filter(pk=OuterRef("target_id")).order_by().values("child_id")
    )
    lines = (
        FileChange.objects.filter(request_id__in=list(request_ids), target_type__in=CHILD_TARGETS)
        .annotate(contact_child=Subquery(contact_child[:1]))
        .order_by("pk")
        .values_list("request_id", "target_type", "target_id", "operation", "contact_child")
    )
    found = defaultdict(list)
    for request_id, target_type, target_id, operation, contact_child_id in lines:
        if target_type == Target.CHILD and operation == Change.ADD:
            continue
        if target_type == Target.CONTACT and operation != Change.ADD:
            target_id = contact_child_id
        if target_id is not None and target_id not in found[request_id]:
            found[request_id].append(target_id)
    return dict(found)


# Messages and read marks


def unread_counts(user, request_ids) -> dict[int, int]:
    """Unread messages per request for ``user``: one query."""
    rows = (
        RequestEvent.objects.filter(request_id__in=list(request_ids))
        .unread_by(user)
        .values("request_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["request_id"]: row["count"] for row in rows}


def unread_total(user, families) -> int:
    """Unread messages of ``user`` in the requests of ``families`` (a queryset or ids)."""
    return RequestEvent.objects.filter(request__family__in=families).unread_by(user).count()


def unread_event_ids(request, user) -> set[int]:
    return set(
        RequestEvent.objects.filter(request=request).unread_by(user).values_list("pk", flat=True)
    )


def mark_read(request, user, *, up_to: int | None = None) -> None:
    """``request``'s history is read by ``user`` up to the event ``up_to`` (by default the latest
    one): pass the last event shown, so that a message written meanwhile stays unread."""
    if not getattr(user, "is_authenticated", False):
        return
    last = up_to
    if last is None:
        last = RequestEvent.objects.filter(request=request).aggregate(last=Max("pk"))["last"]
    if last is None:
        return
    read, created = RequestRead.objects.get_or_create(
        request=request, user=user, defaults={"last_event_id": last}
    )
    if not created and read.last_event_id < last:
        RequestRead.objects.filter(pk=read.pk).update(last_event_id=last, read_at=timezone.now())


# History


@dataclass
class HistoryEntry:
    """One step of a request's history: of the request itself (no ``line_ids``) or of some of
    its days changed together."""

    at: dt.datetime
    by: str  # RequestEvent.Actor: family, agent or system
    action: str  # a RequestEvent.Action, or the days' new line state
    state: str  # the request's new state, or the state of the days (DESIGN.md §3)
    message: str = ""
    line_ids: list = field(default_factory=list)
    dates: list = field(default_factory=list)
    event_id: int | None = None  # the request event carrying the message, if any
    new: bool = False  # a message the account had not read

    @property
    def by_label(self) -> str:
        return str(RequestEvent.Actor(self.by).label)

    @property
    def label(self) -> str:
        if not self.line_ids:
            return str(RequestEvent.Action(self.action).label)
        count = len(self.line_ids)
        texts = {
            LineState.PENDING: ngettext("%(count)d day asked", "%(count)d days asked", count),
            LineState.ACCEPTED: ngettext(
                "%(count)d day accepted", "%(count)d days accepted", count
            ),
            LineState.REFUSED: ngettext("%(count)d day refused", "%(count)d days refused", count),
            LineState.WAITING_LIST: ngettext(
                "%(count)d day on the waiting list", "%(count)d days on the waiting list", count
            ),
            LineState.WITHDRAWN: ngettext(
                "%(count)d day withdrawn", "%(count)d days withdrawn", count
            ),
        }
        return texts.get(self.action, self.action) % {"count": count}


# Events of lines changed within this time by the same person are one step of the history.
SAME_STEP = dt.timedelta(seconds=1)
# An agent's message is written on the days it decides and in the request's history (what
# "N nouveau(x) message(s)" counts); within this time they are one step.
SAME_MESSAGE = dt.timedelta(seconds=5)


def _line_actor(event) -> str:
    if event.user_id is None:
        return RequestEvent.Actor.SYSTEM
    if event.by_agent_for_family or event.to_state not in (LineState.PENDING, LineState.WITHDRAWN):
        return RequestEvent.Actor.AGENT
    return RequestEvent.Actor.FAMILY


def history(request: Request, lines=None, *, unread=frozenset()) -> list[HistoryEntry]:
    """The request's history, oldest first: its own events and its days' events, the days
    changed together (same person, same change, same message, within a second) in one entry.

    ``lines`` may come with their ``events`` prefetched (and the request with its ``events``);
    otherwise they are read here. ``unread`` are the ids of the request events the account has
    not read, marked ``new``.
    """
    from .bookings import day_state

    if lines is None:
        lines = list(request.booking_lines.prefetch_related("events").order_by("date", "pk"))
    entries = []
    messages = []  # request events with an agent's text, to match with their days
    for event in request.events.all():
        entry = HistoryEntry(
            at=event.created_at,
            by=event.actor,
            action=event.action,
            state=event.to_state,
            message=event.message,
            event_id=event.pk,
            new=event.pk in unread,
        )
        if event.message:
            messages.append(entry)
        if event.action != RequestEvent.Action.MESSAGE:
            entries.append((event.created_at, 0, event.pk, entry))
    events = sorted(
        ((event, line) for line in lines for event in line.events.all()),
        key=lambda pair: (pair[0].created_at, pair[0].pk),
    )
    group, first, key = None, None, None
    for event, line in events:
        event_key = (
            event.from_state,
            event.to_state,
            event.user_id,
            event.by_agent_for_family,
            event.message,
        )
        if group is None or event_key != key or event.created_at - first.created_at > SAME_STEP:
            first, key = event, event_key
            group = HistoryEntry(
                at=event.created_at,
                by=_line_actor(event),
                action=event.to_state,
                state=day_state(line.operation, event.to_state),
                message=event.message,
            )
            entries.append((event.created_at, 1, event.pk, group))
        group.line_ids.append(line.pk)
        group.dates.append(line.date)
    # The agent's text is written on the days it decides and in the request's history (what
    # "N nouveau(x) message(s)" counts): shown once, with the days of the same moment.
    for message in messages:
        twin = next(
            (
                entry
                for _at, _order, _pk, entry in entries
                if entry.line_ids
                and entry.message == message.message
                and entry.event_id is None
                and abs(entry.at - message.at) <= SAME_MESSAGE
            ),
            None,
        )
        if twin is None:
            if message.action == RequestEvent.Action.MESSAGE:
                entries.append((message.at, 0, message.event_id, message))
            continue
        twin.event_id, twin.new = message.event_id, message.new
        message.message, message.new = "", False
    entries.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in entries]
