"""Agents' processing of bookings and absences: the queue of days asked, one day's detail with
its history, a request of days as a whole, and the decisions one by one or in bulk; booking or
cancelling days for a family is in ``agent_bookings``.

Every line is fetched through ``for_agent`` (another municipality's line is a 404) and every
decision goes through ``services.bookings``, which checks the capacity on accept: a day found
full goes to the waiting list (when the activity has one) or stays pending with its reason.
"""

from collections import defaultdict

from django.contrib.admin.utils import quote
from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, TitleColumn
from wagtail.admin.widgets.button import HeaderButton

from ..models import BookingLine, ChildDay, Request
from ..services import bookings
from . import filters
from .agent_bookings import BOOK_FAMILY_URL_NAME, BOOK_URL_NAME, AgentBookingView
from .base import (
    FamilyLinksMixin,
    LinkColumn,
    MunicipalityScopedViewSet,
    PendingCountViewSetMixin,
    QueueItemMixin,
    ReadOnlyViewSetMixin,
    ScopedIndexView,
    ScopedInspectView,
    SubmittedColumn,
    day_label,
    detail_fields,
    local_datetime,
    user_name,
)
from .decisions import (
    ACCEPT,
    AcceptBulkActionMixin,
    DecideViewMixin,
    DecisionBulkAction,
    DecisionDetailMixin,
    DecisionViewSetMixin,
    RefuseBulkActionMixin,
    counts_text,
    line_history,
    request_history,
)
from .forms import RefuseDecisionForm
from .policies import policy_for
from .scoping import BookingLinePermissionPolicy, for_agent

LineState = BookingLine.State
TO_DECIDE = (LineState.PENDING, LineState.WAITING_LIST)
LINE_URL_NAME = "family_portal_bookings:inspect"
REQUEST_URL_NAME = "family_portal_bookings:request"
ATTENDANCE_URL_NAME = "family_portal_attendance:index"
SHEET_URL_NAME = "family_portal_attendance:sheet"
QUEUE_TITLE = _("Bookings to process")


def booking_lines(user) -> models.QuerySet:
    """The booking and absence lines ``user`` may see."""
    return for_agent(BookingLine.objects.all(), user)


def pending_count(user) -> int:
    """How many days wait for a decision of ``user`` (the menu shows it)."""
    return booking_lines(user).filter(state=LineState.PENDING).count()


def may_decide(user) -> bool:
    return policy_for(BookingLine).user_has_permission(user, "change")


def may_read_attendance(user) -> bool:
    return policy_for(ChildDay).user_has_permission(user, "view")


def line_label(line: BookingLine) -> str:
    return f"{line.child} — {line.activity.name} — {day_label(line.date)}"


def sheet_url(activity_id, day) -> str:
    return reverse(SHEET_URL_NAME, args=[activity_id, day.isoformat()])


def report_decision(request, decision: bookings.Decision) -> None:
    """One message with what was decided, and one error per reason for the days that were not."""
    text = counts_text(
        accepted=len(decision.accepted),
        waiting=len(decision.waiting),
        refused=len(decision.refused),
    )
    if text:
        messages.success(request, capfirst(text) + ".")
    failures = defaultdict(list)
    for line, reason in decision.failed:
        failures[reason].append(line)
    for reason, lines in failures.items():
        messages.error(
            request,
            gettext("Not decided (%(reason)s): %(days)s")
            % {"reason": reason.rstrip("."), "days": "; ".join(line_label(line) for line in lines)},
        )


# The queue


class BookingLineIndexView(FamilyLinksMixin, ScopedIndexView):
    """Days to decide, by date then submission; checkboxes for the bulk decisions."""

    template_name = "wagtail_family_portal/admin/bookings/index.html"
    default_ordering = "date"
    page_title = QUEUE_TITLE

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("child", "request__family", "activity__establishment")
        )

    def order_queryset(self, queryset):
        # Within the chosen order, first submitted first: the queue is fair.
        queryset = super().order_queryset(queryset)
        return queryset.order_by(*queryset.query.order_by, "created_at", "pk")

    def search_queryset(self, queryset):
        """Every word must match the child's first or last name or the family's name."""
        if not self.is_searching:
            return queryset
        for word in self.search_query.split():
            query = models.Q()
            for field in self.search_fields or []:
                query |= models.Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(query)
        return queryset

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="bookingline"),
            TitleColumn(
                "date",
                label=pgettext_lazy("family portal", "day"),
                accessor=lambda line: day_label(line.date),
                sort_key="date",
                get_url=self.get_inspect_url,
                get_title_id=lambda line: f"bookingline_{quote(line.pk)}_title",
            ),
            Column("child", label=_("child"), sort_key="child__last_name"),
            LinkColumn(
                "family",
                get_url=self.get_family_url,
                label=_("family"),
                accessor="request.family",
                sort_key="request__family__name",
            ),
            Column("activity", label=_("activity"), sort_key="activity__name"),
            Column(
                "operation",
                label=_("operation"),
                accessor="get_operation_display",
                sort_key="operation",
            ),
            Column("state", label=_("state"), accessor="state_label", sort_key="state"),
            SubmittedColumn("created_at", label=_("submitted at"), sort_key="created_at"),
        ]

    def family_id(self, line: BookingLine) -> int:
        return line.request.family_id

    @cached_property
    def header_buttons(self):
        buttons = []
        if may_decide(self.request.user):
            buttons.append(
                HeaderButton(
                    _("Book or cancel for a family"), url=reverse(BOOK_URL_NAME), icon_name="plus"
                )
            )
        if may_read_attendance(self.request.user):
            buttons.append(
                HeaderButton(
                    _("Attendance sheets"), url=reverse(ATTENDANCE_URL_NAME), icon_name="list-ul"
                )
            )
        return buttons


# One line


class RefuseForm(RefuseDecisionForm):
    refusal_help = _("Say why the day is refused; the family reads it with the decision.")


class BookingLineDetailView(DecisionDetailMixin, QueueItemMixin, ScopedInspectView):
    """One day asked: what, for whom, the places left, its history, and "Accept" / "Refuse"."""

    template_name = "wagtail_family_portal/admin/bookings/detail.html"
    any_permission_required = ["view", "change"]
    page_title = _("Day to process")
    queue_title = QUEUE_TITLE
    refuse_form_class = RefuseForm

    def get_object(self, queryset=None):
        queryset = booking_lines(self.request.user).select_related(
            "child",
            "activity__establishment",
            "request__family__municipality",
            "request__created_by",
            "decided_by",
        )
        return get_object_or_404(queryset, pk=str(self.pk))

    def get_page_subtitle(self):
        return line_label(self.object)

    def places_text(self) -> str:
        line = self.object
        taken = bookings.places_taken(line.activity, [line.date]).get(line.date, 0)
        if line.activity.capacity is None:
            return gettext("%(taken)d taken (no limit)") % {"taken": taken}
        return gettext("%(taken)d taken of %(capacity)d") % {
            "taken": taken,
            "capacity": line.activity.capacity,
        }

    def get_fields_context(self):
        line = self.object
        request = line.request
        rows = [
            (pgettext_lazy("family portal", "day"), day_label(line.date)),
            (_("child"), str(line.child)),
            (_("family"), request.family.name),
            (_("activity"), str(line.activity)),
            (_("operation"), line.get_operation_display()),
            (_("state"), line.state_label),
            (_("places that day"), self.places_text()),
            (_("request"), request.summary),
            (_("submitted at"), local_datetime(line.created_at)),
            (_("submitted by"), user_name(request.created_by)),
        ]
        if line.state not in TO_DECIDE:
            rows += [
                (_("decided at"), local_datetime(line.decided_at)),
                (_("decided by"), user_name(line.decided_by)),
                (_("message to the family"), line.message),
            ]
        return detail_fields(rows)

    def can_decide(self) -> bool:
        return self.object.state in TO_DECIDE and may_decide(self.request.user)

    def get_context_data(self, accept_form=None, refuse_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        line, user = self.object, self.request.user
        decision_context = self.decision_context(accept_form, refuse_form)
        context.update(
            # The history reads in the words of the queue and of the family's pages.
            history=line_history(line, line.events.select_related("user")),
            sheet_url=sheet_url(line.activity_id, line.date) if may_read_attendance(user) else "",
            book_url=(
                reverse(BOOK_FAMILY_URL_NAME, args=[line.request.family_id])
                if may_decide(user)
                else ""
            ),
            **decision_context,
        )
        return context


class DecideLineView(DecideViewMixin, BookingLineDetailView):
    """POST only: accept or refuse one day; an error shows the detail again."""

    invalid_message = _("The day was not decided: correct the message.")

    def apply(self, form) -> int | None:
        try:
            decision = bookings.decide_lines(
                [self.object],
                agent=self.request.user,
                accept=self.decision == ACCEPT,
                **form.cleaned_data,
            )
        except bookings.BookingError as error:
            form.add_error("message", error.message)
            return 400
        report_decision(self.request, decision)
        if decision.failed:
            self.object = self.get_object()  # as it is now, e.g. decided by a colleague
            return 409
        return None


# One request of days


def booking_requests(user) -> models.QuerySet:
    """The booking and absence requests ``user`` may see."""
    kinds = (Request.Kind.BOOKING, Request.Kind.ABSENCE)
    return for_agent(Request.objects.filter(kind__in=kinds), user)


class BookingRequestView(QueueItemMixin, ScopedInspectView):
    """A booking or absence request as a whole: who asked, its days (each leading to its own
    detail, where it is decided) and its history. Wagtail's links to such a request lead here
    (``RequestAdminURLFinder``)."""

    template_name = "wagtail_family_portal/admin/bookings/request.html"
    any_permission_required = ["view", "change"]
    page_title = _("Booking request")  # the request's own topic, see get_page_title
    queue_title = QUEUE_TITLE

    def get_object(self, queryset=None):
        queryset = booking_requests(self.request.user).select_related(
            "family__municipality", "created_by", "decided_by"
        )
        return get_object_or_404(queryset, pk=str(self.pk))

    def get_page_title(self):
        return self.object.get_topic_display()

    def get_page_subtitle(self):
        return self.object.summary

    def get_fields_context(self):
        request = self.object
        rows = [
            (_("family"), request.family.name),
            (_("municipality"), request.family.municipality.name),
            (_("submitted at"), local_datetime(request.created_at)),
            (_("submitted by"), user_name(request.created_by)),
            (_("state"), request.get_state_display()),
        ]
        return detail_fields(rows)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lines = self.object.booking_lines.select_related("child", "activity").order_by(
            "date", "child__first_name", "pk"
        )
        context.update(
            lines=[
                {
                    "line": line,
                    "day": day_label(line.date),
                    "url": reverse(LINE_URL_NAME, args=[quote(line.pk)]),
                }
                for line in lines
            ],
            history=request_history(self.object.events.select_related("user")),
            family_url=AdminURLFinder(self.request.user).get_edit_url(self.object.family),
        )
        return context


# Decisions in bulk


class LineDecisionBulkAction(DecisionBulkAction):
    """Decide several days with one message to the families; the service decides each day on
    its own within the capacity, so that a full day does not stop the others."""

    models = [BookingLine]
    header_icon = "calendar"
    queue_title = QUEUE_TITLE

    def may_decide(self, user) -> bool:
        return may_decide(user)

    def selected(self, ids):
        return (
            booking_lines(self.request.user)
            .filter(pk__in=ids)
            .select_related("child", "activity", "request__family")
            .order_by("date", "created_at", "pk")
        )

    def object_context(self, line):
        return {
            "item": line,
            "label": line_label(line),
            "details": [line.state_label, line.request.family.name],
            "url": reverse(LINE_URL_NAME, args=[quote(line.pk)]),
        }

    def decide(self, lines, without_access, message):
        decision = bookings.decide_lines(
            lines, agent=self.request.user, accept=self.decision == ACCEPT, message=message
        )
        report_decision(self.request, decision)


class AcceptLinesBulkAction(AcceptBulkActionMixin, LineDecisionBulkAction):
    action_type = "accept_booking_lines"
    aria_label = _("Accept the selected days")

    def intro(self, count: int) -> str:
        return ngettext(
            "Accept this day? The capacity is checked: a full day goes to the waiting list when "
            "the activity has one, otherwise it stays to process.",
            "Accept these %(counter)s days? The capacity is checked day by day: a full day goes "
            "to the waiting list when the activity has one, otherwise it stays to process.",
            count,
        ) % {"counter": count}


class RefuseLinesBulkAction(RefuseBulkActionMixin, LineDecisionBulkAction):
    action_type = "refuse_booking_lines"
    aria_label = _("Refuse the selected days")
    form_class = RefuseForm

    def intro(self, count: int) -> str:
        return ngettext(
            "Refuse this day? The family reads your message.",
            "Refuse these %(counter)s days? Each family reads the same message.",
            count,
        ) % {"counter": count}


# The screen


class BookingLineViewSet(
    PendingCountViewSetMixin, DecisionViewSetMixin, ReadOnlyViewSetMixin, MunicipalityScopedViewSet
):
    """Days of booking and absence requests, for agents to accept or refuse; and the form where
    an agent books or cancels days for a family."""

    model = BookingLine
    name = "family_portal_bookings"
    url_prefix = "family-portal/bookings"
    icon = "calendar-check"
    menu_label = _("Bookings to process")
    index_view_class = BookingLineIndexView
    inspect_view_class = BookingLineDetailView
    permission_policy_class = BookingLinePermissionPolicy
    filterset_class = filters.BookingLineFilterSet
    search_fields = ["child__first_name", "child__last_name", "request__family__name"]

    pending_count = staticmethod(pending_count)
    decide_view_class = DecideLineView

    @property
    def book_view(self):
        return self.construct_view(AgentBookingView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("book/", self.book_view, name="book"),
            path("book/<int:family_id>/", self.book_view, name="book_family"),
            path(
                "request/<int:pk>/",
                self.construct_view(BookingRequestView),
                name="request",
            ),
        ]
