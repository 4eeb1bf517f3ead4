"""Agents' processing of bookings and absences: the queue of days asked, one day's detail with
its history, decisions one by one or in bulk, and booking or cancelling days for a family.

Every line is fetched through ``for_agent`` (another municipality's line is a 404) and every
decision goes through ``services.bookings``, which checks the capacity on accept: a day found
full goes to the waiting list (when the activity has one) or stays pending with its reason.
"""

from collections import defaultdict

from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton

from ..fields import WEEKDAY_CHOICES
from ..models import Activity, BookingLine, Child, ChildDay, Enrolment, Family, Request
from ..models.bookings import line_state_label
from ..services import bookings
from .forms import AcceptDecisionForm, RefuseDecisionForm
from .policies import PermissionCheckedMixin, policy_for
from .requests import LinkColumn, SubmittedColumn, local_datetime, user_name
from .scoping import for_agent
from .views import ScopedIndexView, ScopedInspectView
from .widgets import DateInput

EMPTY = "—"
LineState = BookingLine.State
Operation = BookingLine.Operation
TO_DECIDE = (LineState.PENDING, LineState.WAITING_LIST)
FAMILY_URL_NAME = "family_portal_families:edit"
LINE_URL_NAME = "family_portal_bookings:inspect"
REQUEST_URL_NAME = "family_portal_bookings:request"
BOOK_URL_NAME = "family_portal_bookings:book"
BOOK_FAMILY_URL_NAME = "family_portal_bookings:book_family"
ATTENDANCE_URL_NAME = "family_portal_attendance:index"
SHEET_URL_NAME = "family_portal_attendance:sheet"


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


def day_label(day) -> str:
    """ "Thu 12/03/2026": agents read the weekday before the date."""
    return f"{formats.date_format(day, 'D')} {formats.date_format(day, 'SHORT_DATE_FORMAT')}"


def line_label(line: BookingLine) -> str:
    return f"{line.child} — {line.activity.name} — {day_label(line.date)}"


def sheet_url(activity_id, day) -> str:
    return reverse(SHEET_URL_NAME, args=[activity_id, day.isoformat()])


# What a decision did


def counts_text(*, accepted=0, waiting=0, refused=0) -> str:
    """ "2 days accepted, 1 day on the waiting list, 1 day refused" (the non-zero parts)."""
    parts = []
    if accepted:
        parts.append(
            ngettext("%(count)d day accepted", "%(count)d days accepted", accepted)
            % {"count": accepted}
        )
    if waiting:
        parts.append(
            ngettext(
                "%(count)d day on the waiting list", "%(count)d days on the waiting list", waiting
            )
            % {"count": waiting}
        )
    if refused:
        parts.append(
            ngettext("%(count)d day refused", "%(count)d days refused", refused)
            % {"count": refused}
        )
    return ", ".join(parts)


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


class BookingLineIndexView(ScopedIndexView):
    """Days to decide, by date then submission; checkboxes for the bulk decisions."""

    template_name = "wagtail_family_portal/admin/bookings/index.html"
    default_ordering = "date"
    page_title = _("Bookings to process")

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

    @cached_property
    def may_edit_families(self) -> bool:
        # The lines listed are of the user's families: no check per row is needed.
        return policy_for(Family).user_has_permission(self.request.user, "change")

    def get_family_url(self, line: BookingLine) -> str | None:
        if self.may_edit_families:
            return reverse(FAMILY_URL_NAME, args=[quote(line.request.family_id)])
        return None

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


class BookingLineDetailView(ScopedInspectView):
    """One day asked: what, for whom, the places left, its history, and "Accept" / "Refuse"."""

    template_name = "wagtail_family_portal/admin/bookings/detail.html"
    any_permission_required = ["view", "change"]
    page_title = _("Day to process")
    accept_url_name = None
    refuse_url_name = None

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

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": BookingLineIndexView.page_title},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

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
        return [{"label": capfirst(label), "value": value or EMPTY} for label, value in rows]

    def get_context_data(self, accept_form=None, refuse_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        line, user = self.object, self.request.user
        can_decide = line.state in TO_DECIDE and may_decide(user)
        events = list(line.events.select_related("user"))
        for event in events:
            # The history reads in the words of the queue and of the family's pages.
            event.from_label = (
                line_state_label(line.operation, event.from_state) if event.from_state else ""
            )
            event.to_label = line_state_label(line.operation, event.to_state)
        context.update(
            events=events,
            can_decide=can_decide,
            sheet_url=sheet_url(line.activity_id, line.date) if may_read_attendance(user) else "",
            book_url=(
                reverse(BOOK_FAMILY_URL_NAME, args=[line.request.family_id])
                if may_decide(user)
                else ""
            ),
        )
        if can_decide:
            context.update(
                accept_form=accept_form or AcceptDecisionForm(prefix="accept"),
                refuse_form=refuse_form or RefuseForm(prefix="refuse"),
                accept_url=reverse(self.accept_url_name, args=[quote(line.pk)]),
                refuse_url=reverse(self.refuse_url_name, args=[quote(line.pk)]),
            )
        return context


# One request of days


def booking_requests(user) -> models.QuerySet:
    """The booking and absence requests ``user`` may see."""
    kinds = (Request.Kind.BOOKING, Request.Kind.ABSENCE)
    return for_agent(Request.objects.filter(kind__in=kinds), user)


class BookingRequestView(ScopedInspectView):
    """A booking or absence request as a whole: who asked, its days (each leading to its own
    detail, where it is decided) and its history. Wagtail's links to such a request lead here
    (``RequestAdminURLFinder``)."""

    template_name = "wagtail_family_portal/admin/bookings/request.html"
    any_permission_required = ["view", "change"]
    page_title = _("Booking request")  # the request's own topic, see get_page_title

    def get_object(self, queryset=None):
        queryset = booking_requests(self.request.user).select_related(
            "family__municipality", "created_by", "decided_by"
        )
        return get_object_or_404(queryset, pk=str(self.pk))

    def get_page_title(self):
        return self.object.get_topic_display()

    def get_page_subtitle(self):
        return self.object.summary

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": BookingLineIndexView.page_title},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_fields_context(self):
        request = self.object
        rows = [
            (_("family"), request.family.name),
            (_("municipality"), request.family.municipality.name),
            (_("submitted at"), local_datetime(request.created_at)),
            (_("submitted by"), user_name(request.created_by)),
            (_("state"), request.get_state_display()),
        ]
        return [{"label": capfirst(label), "value": value or EMPTY} for label, value in rows]

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
            events=self.object.events.select_related("user"),
            family_url=AdminURLFinder(self.request.user).get_edit_url(self.object.family),
        )
        return context


class DecideLineView(BookingLineDetailView):
    """POST only: accept or refuse one day; an error shows the detail again."""

    http_method_names = ["post"]
    permission_required = "change"
    any_permission_required = None
    decision = None  # "accept" or "refuse"
    index_url_name = None

    def post(self, request, *args, **kwargs):
        accept = self.decision == "accept"
        form = (AcceptDecisionForm if accept else RefuseForm)(request.POST, prefix=self.decision)
        if not form.is_valid():
            messages.error(request, _("The day was not decided: correct the message."))
            return self.render_detail(form, status=400)
        try:
            decision = bookings.decide_lines(
                [self.object], agent=request.user, accept=accept, **form.cleaned_data
            )
        except bookings.BookingError as error:
            form.add_error("message", error.message)
            return self.render_detail(form, status=400)
        report_decision(request, decision)
        if decision.failed:
            self.object = self.get_object()  # as it is now, e.g. decided by a colleague
            return self.render_detail(form, status=409)
        return redirect(get_valid_next_url_from_request(request) or reverse(self.index_url_name))

    def render_detail(self, form, *, status):
        response = self.render_to_response(self.get_context_data(**{f"{self.decision}_form": form}))
        response.status_code = status
        return response


# Decisions in bulk


class LineDecisionBulkAction(BulkAction):
    """Decide several days with one message to the families; the service decides each day on
    its own within the capacity, so that a full day does not stop the others."""

    models = [BookingLine]
    template_name = "wagtail_family_portal/admin/bookings/confirm_bulk_decision.html"
    decision = None
    confirm_label = None

    def dispatch(self, request, *args, **kwargs):
        if not may_decide(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def _objects(self):
        """The selected lines in the user's scope; one unknown to the user is a 404."""
        ids = {value for value in self.request.GET.getlist("id") if value.isdigit()}
        if not ids:
            raise Http404
        lines = list(
            booking_lines(self.request.user)
            .filter(pk__in=ids)
            .select_related("child", "activity", "request__family")
            .order_by("date", "created_at", "pk")
        )
        if len(lines) != len(ids):
            raise Http404
        return lines, {"items_with_no_access": []}

    def get_actionable_objects(self):
        return self._objects

    def object_context(self, line):
        return {
            "item": line,
            "label": line_label(line),
            "family": line.request.family,
            "url": reverse(LINE_URL_NAME, args=[quote(line.pk)]),
        }

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "decision": self.decision,
            "confirm_label": self.confirm_label,
            "decision_button_class": "serious" if self.decision == "refuse" else "",
            "header_icon": "calendar",
        }

    def form_valid(self, form):
        lines, _without_access = self.get_actionable_objects()
        decision = bookings.decide_lines(
            lines,
            agent=self.request.user,
            accept=self.decision == "accept",
            message=form.cleaned_data["message"],
        )
        report_decision(self.request, decision)
        return redirect(self.next_url)


class AcceptLinesBulkAction(LineDecisionBulkAction):
    display_name = _("Accept")
    action_type = "accept_booking_lines"
    aria_label = _("Accept the selected days")
    action_priority = 10
    form_class = AcceptDecisionForm
    decision = "accept"
    confirm_label = _("Accept")


class RefuseLinesBulkAction(LineDecisionBulkAction):
    display_name = _("Refuse")
    action_type = "refuse_booking_lines"
    aria_label = _("Refuse the selected days")
    action_priority = 20
    classes = {"serious"}
    form_class = RefuseForm
    decision = "refuse"
    confirm_label = _("Refuse")


# Booking or cancelling for a family


class FamilyChoiceForm(forms.Form):
    family = forms.ModelChoiceField(label=_("family"), queryset=Family.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["family"]
        field.queryset = for_agent(Family.objects.order_by("name", "pk"), user)
        field.label_from_instance = lambda family: f"{family.name} ({family.subscriber_code})"


class AgentBookingForm(forms.Form):
    """What to book or cancel: one child, one activity, a period and its weekdays."""

    child = forms.ModelChoiceField(label=_("child"), queryset=Child.objects.none())
    activity = forms.ModelChoiceField(
        label=_("activity"),
        queryset=Activity.objects.none(),
        help_text=_("The activities the family's children are enrolled in."),
    )
    operation = forms.ChoiceField(
        label=_("operation"),
        choices=Operation.choices,
        initial=Operation.BOOKING,
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(label=_("first day"), widget=DateInput)
    end_date = forms.DateField(label=_("last day"), widget=DateInput)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=[0, 1, 2, 3, 4],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, family, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = family.children.order_by("first_name", "pk")
        enrolled = Enrolment.objects.filter(child__family=family).values("activity")
        self.fields["activity"].queryset = for_agent(
            Activity.objects.filter(pk__in=enrolled, is_active=True).select_related(
                "establishment"
            ),
            user,
        )

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors:
            try:
                cleaned_data["dates"] = bookings.dates_in_period(
                    cleaned_data["start_date"], cleaned_data["end_date"], cleaned_data["weekdays"]
                )
            except bookings.BookingError as error:
                raise ValidationError(error.message, code=error.code) from None
        return cleaned_data

    def preview_key(self) -> str:
        """What was previewed: confirming anything else needs a new preview."""
        data = self.cleaned_data
        return ":".join(
            [
                str(data["child"].pk),
                str(data["activity"].pk),
                data["operation"],
                ",".join(day.isoformat() for day in data["dates"]),
            ]
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "child_id": data["child"].pk,
            "activity_id": data["activity"].pk,
            "operation": data["operation"],
            "dates": data["dates"],
        }


class AgentBookingView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """An agent books or cancels days for a family: choose the family, fill in the period, see
    the days that would be requested and those skipped (with why), then confirm.

    The request is recorded as made by the agent for the family; deadlines do not apply, the
    capacity does.
    """

    model = BookingLine
    permission_required = "change"
    template_name = "wagtail_family_portal/admin/bookings/book.html"
    page_title = _("Book or cancel for a family")
    header_icon = "calendar"
    index_url_name = None

    @cached_property
    def family(self) -> Family | None:
        family_id = self.kwargs.get("family_id")
        if family_id is None:
            return None
        families = for_agent(Family.objects.select_related("municipality"), self.request.user)
        return get_object_or_404(families, pk=family_id)

    def get_page_subtitle(self):
        return self.family.name if self.family else ""

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": BookingLineIndexView.page_title},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get(self, request, *args, **kwargs):
        if self.family is None:
            choice = FamilyChoiceForm(request.GET or None, user=request.user)
            if choice.is_valid():
                return redirect(BOOK_FAMILY_URL_NAME, choice.cleaned_data["family"].pk)
            return self.render_to_response(self.get_context_data(choice_form=choice))
        form = AgentBookingForm(family=self.family, user=request.user)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if self.family is None:
            raise Http404
        form = AgentBookingForm(request.POST, family=self.family, user=request.user)
        if not form.is_valid():
            return self.render(form, status=400)
        if request.POST.get("action") == "confirm":
            if request.POST.get("previewed") == form.preview_key():
                return self.submit(form)
            messages.warning(request, _("The form changed since the preview: check it again."))
        return self.preview(form)

    def preview(self, form):
        try:
            dates, skipped = bookings.preview_days(
                family=self.family, by_agent=True, **form.service_kwargs()
            )
        except bookings.BookingError as error:
            form.add_error(None, error.message)
            return self.render(form, status=400)
        return self.render(form, preview={"dates": dates, "skipped": skipped})

    def submit(self, form):
        try:
            outcome = bookings.request_days(
                family=self.family,
                user=self.request.user,
                by_agent=True,
                confirm_skipped=True,
                **form.service_kwargs(),
            )
        except bookings.BookingError as error:
            form.add_error(None, error.message)
            preview = {"dates": [], "skipped": error.skipped} if error.skipped else None
            status = 400 if error.code in ("invalid", "not_found") else 409
            return self.render(form, preview=preview, status=status)
        states = [line.state for line in outcome.lines]
        text = counts_text(
            accepted=states.count(LineState.ACCEPTED),
            waiting=states.count(LineState.WAITING_LIST),
            refused=states.count(LineState.REFUSED),
        )
        messages.success(
            self.request,
            gettext("%(summary)s — %(result)s.")
            % {"summary": outcome.request.summary, "result": text},
        )
        return redirect(BOOK_FAMILY_URL_NAME, self.family.pk)

    def render(self, form, *, preview=None, status=200) -> TemplateResponse:
        context = self.get_context_data(form=form, preview=preview)
        if preview is not None and preview["dates"]:
            context["preview_key"] = form.preview_key()
        response = self.render_to_response(context)
        response.status_code = status
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.family is not None:
            context["family"] = self.family
            context["change_family_url"] = reverse(BOOK_URL_NAME)
        preview = context.get("preview")
        if preview:
            preview["days"] = [day_label(day) for day in preview["dates"]]
            preview["skipped_days"] = [
                (day_label(skip.date), skip.message) for skip in preview["skipped"]
            ]
        return context
