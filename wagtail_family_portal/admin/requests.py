"""Agents' validation of changes to the family file: the queue, the detail where a request is
accepted or refused, the photos waiting for validation, and the decisions in bulk.

Every request is fetched through ``for_agent`` (another municipality's request is a 404) and
every decision goes through ``services.dossier``, which applies a request atomically and fails
with a message when the file changed in the meantime.

Health information: the lines of a request about a child's health are shown only to users with
``view_childhealth``, and each showing is logged (``audit``). Others see that the request holds
health information, and cannot decide it.
"""

from dataclasses import dataclass, field

from django.contrib.admin.utils import quote, unquote
from django.db import models
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, ngettext_lazy, pgettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import (
    AdminURLFinder,
    ModelAdminURLFinder,
    register_admin_url_finder,
)
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, TitleColumn, UserColumn
from wagtail.admin.views.generic.base import BaseObjectMixin

from ..models import BookingLine, Child, ChildHealth, FileChange, Request
from ..services import dossier, file_changes
from ..storage import private_file_response
from . import filters
from .audit import log_health_viewed, may_view_health
from .base import (
    EMPTY,
    FamilyLinksMixin,
    LinkColumn,
    MunicipalityScopedViewSet,
    PendingCountViewSetMixin,
    QueueItemMixin,
    ReadOnlyViewSetMixin,
    ScopedIndexView,
    ScopedInspectView,
    SubmittedColumn,
    detail_fields,
    local_datetime,
    user_name,
)
from .bookings import REQUEST_URL_NAME as BOOKING_REQUEST_URL_NAME
from .decisions import (
    AcceptBulkActionMixin,
    DecideViewMixin,
    DecisionBulkAction,
    DecisionDetailMixin,
    DecisionViewSetMixin,
    RefuseBulkActionMixin,
    request_history,
)
from .forms import RefuseDecisionForm
from .policies import PermissionCheckedMixin, policy_for
from .scoping import RequestPermissionPolicy, for_agent

Target = FileChange.Target
Operation = FileChange.Operation
PHOTO_FIELD = dossier.PHOTO_FIELD
CHILD_PHOTO_URL_NAME = "family_portal_children:photo"
REQUEST_URL_NAME = "family_portal_file_changes:inspect"

HEALTH_RESTRICTED = _(
    "This request changes a child's health information, which you are not allowed to see: a "
    "colleague given access to health information must decide it."
)


def file_change_requests(user) -> models.QuerySet:
    """The family-file change requests ``user`` may see, with whether each touches health."""
    health_lines = FileChange.objects.filter(request=OuterRef("pk"), target_type=Target.HEALTH)
    return for_agent(Request.objects.filter(kind=Request.Kind.FILE_CHANGE), user).annotate(
        has_health=Exists(health_lines)
    )


def pending_count(user) -> int:
    """How many family-file changes wait for ``user`` (the menu shows it)."""
    queryset = Request.objects.filter(kind=Request.Kind.FILE_CHANGE, state=Request.State.PENDING)
    return for_agent(queryset, user).count()


def may_decide(user, request: Request) -> bool:
    """Whether ``user`` may accept or refuse ``request`` (annotated by ``file_change_requests``):
    the ``change`` permission, and the health permission when the request touches health."""
    policy = policy_for(Request)
    return policy.user_has_permission(user, "change") and (
        not request.has_health or may_view_health(user)
    )


# How a line of a request is shown


def text_value(record, model_field_) -> str | None:
    """A record's value as the lines store it (``Field.value_to_string``)."""
    if model_field_.value_from_object(record) is None:
        return None
    return model_field_.value_to_string(record)


@dataclass
class ChangeRow:
    """One line of the side-by-side table."""

    record: str
    label: str = ""
    current: str = EMPTY
    old: str = EMPTY
    new: str = EMPTY
    added: list = field(default_factory=list)  # (label, value) of a record to add
    conflict: bool = False  # the file no longer holds what the family saw
    restricted: bool = False  # health information the user may not see
    current_photo_url: str = ""
    new_photo_url: str = ""


class ChangeTable:
    """Builds the rows of a request's lines. The records the lines are about, and those their
    values point to (a school), are read once for all the lines: one query per kind of record
    and one per related model, whatever the number of lines and values."""

    def __init__(self, request: Request, *, show_health: bool, photo_url):
        self.request = request
        self.show_health = show_health
        self.photo_url = photo_url  # line -> URL of its pending photo
        self.records = {}
        self.display = file_changes.ValueDisplay(file_changes.AGENT)

    def rows(self, lines) -> list[ChangeRow]:
        shown = [line for line in lines if line.target_type != Target.HEALTH or self.show_health]
        self.records = file_changes.line_records(self.request.family, map(_record_key, shown))
        self.display = file_changes.ValueDisplay(file_changes.AGENT, self._values(shown))
        return [self.row(line) for line in lines]

    def _values(self, lines) -> list:
        """Every value the rows show: asked, seen by the family, and in the file now."""
        values = file_changes.asked_values(lines)
        for line in lines:
            if line.operation != Operation.UPDATE:
                continue
            model_field_ = file_changes.field_of(line.target_type, line.field)
            values.append((model_field_, line.old_value))
            record = self.record(line.target_type, line.target_id)
            if model_field_ is not None and record is not None:
                values.append((model_field_, text_value(record, model_field_)))
        return values

    def record(self, target_type: str, target_id):
        """The record as it is now in the family's file; ``None`` if it no longer exists."""
        return self.records.get((target_type, target_id))

    def text(self, model_field_, text) -> str:
        """A stored value as an agent reads it: choice labels, yes/no, dates, the related
        record (``file_changes.ValueDisplay``), a dash when empty."""
        return self.display.text(model_field_, text) or EMPTY

    def row(self, line: FileChange) -> ChangeRow:
        if line.target_type == Target.HEALTH and not self.show_health:
            return ChangeRow(record=gettext("Health information (restricted)"), restricted=True)
        if line.operation == Operation.ADD:
            return self.addition(line)
        record = self.record(line.target_type, line.target_id)
        if line.operation == Operation.REMOVE:
            return self.removal(line, record)
        return self.update(line, record)

    def record_name(self, line, record) -> str:
        kind = str(capfirst(line.get_target_type_display()))
        if record is None:
            return kind
        return f"{kind}: {file_changes.record_name(record)}"

    def update(self, line, record) -> ChangeRow:
        model_field_ = file_changes.field_of(line.target_type, line.field)
        row = ChangeRow(
            record=self.record_name(line, record),
            label=str(capfirst(model_field_.verbose_name)) if model_field_ else line.field,
            old=self.text(model_field_, line.old_value),
            new=self.text(model_field_, line.new_value),
        )
        if record is None:
            row.current = gettext("This record no longer exists.")
            row.conflict = self.request.is_pending
        elif model_field_ is not None:
            current = text_value(record, model_field_)
            row.current = self.text(model_field_, current)
            row.conflict = self.request.is_pending and (current or "") != (line.old_value or "")
        if line.field == PHOTO_FIELD and line.target_type == Target.CHILD:
            self.photos(row, line, record)
        return row

    def photos(self, row, line, record):
        """A photo is shown, not named: the current one, and the one waiting."""
        row.old = gettext("A photo") if line.old_value else EMPTY
        if record is not None and record.photo:
            row.current_photo_url = reverse(CHILD_PHOTO_URL_NAME, args=[quote(record.pk)])
        if line.new_value and self.request.is_pending:
            row.new_photo_url = self.photo_url(line)

    def addition(self, line) -> ChangeRow:
        record = gettext("New %(record)s") % {"record": line.get_target_type_display()}
        if line.target_type == Target.CONTACT:
            child = self.record(Target.CHILD, line.target_id)
            if child is not None:
                record = gettext("New authorised contact of %(child)s") % {"child": child}
        added = []
        for name, value in (line.new_value or {}).items():
            model_field_ = file_changes.field_of(line.target_type, name)
            label = str(capfirst(model_field_.verbose_name)) if model_field_ else name
            added.append((label, self.text(model_field_, value)))
        return ChangeRow(record=record, label=pgettext("family portal", "Addition"), added=added)

    def removal(self, line, record) -> ChangeRow:
        name = (line.old_value or {}).get("name", "")
        return ChangeRow(
            record=self.record_name(line, record),
            label=gettext("Removal"),
            current=str(record) if record is not None else gettext("Already removed."),
            old=name or EMPTY,
            new=gettext("Removed"),
            conflict=self.request.is_pending and record is None,
        )


def _record_key(line: FileChange) -> tuple[str, int | None]:
    """The record a line's row names: an added contact's child, the record of any other line
    (an added child or guardian names none)."""
    if line.operation == Operation.ADD:
        return (Target.CHILD, line.target_id) if line.target_type == Target.CONTACT else ("", None)
    return (line.target_type, line.target_id)


def health_records(request: Request, lines) -> list:
    """The health information (or, when it has none yet, the child) each health line is about."""
    child_ids = {line.target_id for line in lines if line.target_type == Target.HEALTH}
    if not child_ids:
        return []
    children = Child.objects.filter(family=request.family, pk__in=child_ids)
    healths = {health.child_id: health for health in ChildHealth.objects.filter(child__in=children)}
    return [healths.get(child.pk, child) for child in children]


# The queue


class RequestIndexView(FamilyLinksMixin, ScopedIndexView):
    """The queue: pending requests, oldest first; checkboxes for the bulk decisions."""

    template_name = "wagtail_family_portal/admin/requests/index.html"
    default_ordering = "created_at"
    page_title = _("Changes to validate")

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .filter(kind=Request.Kind.FILE_CHANGE)
            .select_related("family__municipality", "created_by")
        )

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="request"),
            SubmittedColumn("created_at", label=_("submitted at"), sort_key="created_at"),
            LinkColumn(
                "family", get_url=self.get_family_url, label=_("family"), sort_key="family__name"
            ),
            TitleColumn(
                "summary",
                label=_("summary"),
                get_url=self.get_inspect_url,
                get_title_id=lambda request: f"request_{quote(request.pk)}_title",
            ),
            UserColumn("created_by", label=_("submitted by")),
            Column("state", label=_("state"), accessor="get_state_display", sort_key="state"),
        ]


# One request


class RefuseForm(RefuseDecisionForm):
    refusal_help = _("Say why the change is refused; the family reads it with the decision.")


class RequestDetailView(DecisionDetailMixin, QueueItemMixin, ScopedInspectView):
    """The request side by side with the file, its history, and the "Accept" and "Refuse"
    forms."""

    template_name = "wagtail_family_portal/admin/requests/detail.html"
    any_permission_required = ["view", "change"]
    page_title = _("Change to validate")
    queue_title = RequestIndexView.page_title
    refuse_form_class = RefuseForm
    photo_url_name = None

    def get_object(self, queryset=None):
        queryset = file_change_requests(self.request.user).select_related(
            "family__municipality", "created_by", "decided_by"
        )
        return get_object_or_404(queryset, pk=unquote(str(self.pk)))

    def get_page_subtitle(self):
        return self.object.summary

    def photo_url(self, line) -> str:
        return reverse(self.photo_url_name, args=[quote(self.object.pk), line.pk])

    def get_fields_context(self):
        request = self.object
        rows = [
            (_("family"), request.family.name),
            (_("municipality"), request.family.municipality.name),
            (_("submitted at"), local_datetime(request.created_at)),
            (_("submitted by"), user_name(request.created_by)),
            (_("state"), request.get_state_display()),
        ]
        if not request.is_pending:
            rows += [
                (_("decided at"), local_datetime(request.decided_at)),
                (_("decided by"), user_name(request.decided_by)),
                (_("answer to the family"), request.answer),
            ]
        return detail_fields(rows)

    def can_decide(self) -> bool:
        return self.object.is_pending and may_decide(self.request.user, self.object)

    def get_context_data(self, accept_form=None, refuse_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        request, user = self.object, self.request.user
        show_health = may_view_health(user)
        lines = list(request.file_changes.all())
        rows = ChangeTable(request, show_health=show_health, photo_url=self.photo_url).rows(lines)
        if show_health:
            records = health_records(request, lines)
            log_health_viewed(user, records, screen="request", request=request.pk)
        context.update(
            rows=rows,
            has_conflicts=any(row.conflict for row in rows),
            health_restricted=request.has_health and not show_health,
            health_restricted_message=HEALTH_RESTRICTED,
            history=request_history(request.events.select_related("user")),
            family_url=AdminURLFinder(user).get_edit_url(request.family),
            **self.decision_context(accept_form, refuse_form),
        )
        return context


class DecideRequestView(DecideViewMixin, RequestDetailView):
    """POST only: accept or refuse one request; an error shows the detail again, unchanged."""

    invalid_message = _("The request was not decided: correct the message.")

    def denied_message(self) -> str:
        return "" if may_decide(self.request.user, self.object) else HEALTH_RESTRICTED

    def apply(self, form) -> int | None:
        try:
            decide(self.object, self.decision, agent=self.request.user, **form.cleaned_data)
        except dossier.DossierError as error:
            messages.error(self.request, error.message)
            for message in error.errors.get("message", []):
                form.add_error("message", message)
            self.object = self.get_object()  # as it is now, e.g. decided by a colleague
            return 400 if error.code == "invalid" else 409
        messages.success(self.request, decided_message(self.object, self.decision))
        return None


def decide(request: Request, decision: str, *, agent, message: str = "") -> Request:
    if decision == "accept":
        return dossier.accept(request, agent=agent, message=message)
    return dossier.refuse(request, agent=agent, message=message)


def decided_message(request: Request, decision: str) -> str:
    if decision == "accept":
        text = _("“%(summary)s” accepted: the family file is updated.")
    else:
        text = _("“%(summary)s” refused; the family will read your message.")
    return text % {"summary": request.summary}


class PendingPhotoView(PermissionCheckedMixin, BaseObjectMixin, View):
    """The photo a family sent, waiting for validation (it has no public URL)."""

    model = Request
    any_permission_required = ["view", "change"]

    def get_base_object_queryset(self):
        return file_change_requests(self.request.user)

    def get(self, request, *args, line_pk, **kwargs):
        line = get_object_or_404(
            self.object.file_changes, pk=line_pk, target_type=Target.CHILD, field=PHOTO_FIELD
        )
        return private_file_response(line.new_value or "")


# Decisions in bulk


class RequestDecisionBulkAction(DecisionBulkAction):
    """Decide several requests with one message; each is decided on its own, so that one
    request that cannot be (a conflict, already processed) does not stop the others."""

    models = [Request]
    header_icon = "tasks"
    queue_title = RequestIndexView.page_title
    no_access_message = HEALTH_RESTRICTED

    def may_decide(self, user) -> bool:
        return policy_for(Request).user_has_permission(user, "change")

    def may_decide_item(self, request) -> bool:
        return may_decide(self.request.user, request)

    def selected(self, ids):
        return (
            file_change_requests(self.request.user)
            .filter(pk__in=ids)
            .select_related("family")
            .order_by("created_at", "pk")
        )

    def object_context(self, request):
        url = reverse(REQUEST_URL_NAME, args=[quote(request.pk)])
        return {
            "item": request,
            "label": request.summary,
            "details": [request.family.name],
            "url": url,
        }

    def decide(self, requests, without_access, message):
        failures = [(request, HEALTH_RESTRICTED) for request in without_access]
        decided = 0
        for request in requests:
            try:
                decide(request, self.decision, agent=self.request.user, message=message)
            except dossier.DossierError as error:
                failures.append((request, error.message))
            else:
                decided += 1
        if decided:
            messages.success(self.request, self.success_message % {"count": decided})
        for request, text in failures:
            messages.error(
                self.request,
                _("“%(summary)s” (%(family)s) was not decided: %(message)s")
                % {"summary": request.summary, "family": request.family, "message": text},
            )

    # "%(count)d change accepted." and its plural, set by each action.
    success_message = None


class AcceptRequestsBulkAction(AcceptBulkActionMixin, RequestDecisionBulkAction):
    action_type = "accept_file_changes"
    aria_label = _("Accept the selected changes")
    success_message = ngettext_lazy(
        "%(count)d change accepted.", "%(count)d changes accepted.", "count"
    )

    def intro(self, count: int) -> str:
        return ngettext(
            "Accept this change? The family file is updated at once.",
            "Accept these %(counter)s changes? Each one is applied on its own: one that cannot "
            "be applied does not stop the others.",
            count,
        ) % {"counter": count}


class RefuseRequestsBulkAction(RefuseBulkActionMixin, RequestDecisionBulkAction):
    action_type = "refuse_file_changes"
    aria_label = _("Refuse the selected changes")
    form_class = RefuseForm
    success_message = ngettext_lazy(
        "%(count)d change refused.", "%(count)d changes refused.", "count"
    )

    def intro(self, count: int) -> str:
        return ngettext(
            "Refuse this change? The family reads your message.",
            "Refuse these %(counter)s changes? Each family reads the same message.",
            count,
        ) % {"counter": count}


# The screen


class RequestAdminURLFinder(ModelAdminURLFinder):
    """Where Wagtail's generic links to a request lead (usage lists, reports, logs): a change to
    the family file to its detail, a booking or absence request to its days in the bookings'
    screens. ``None`` for a user who may not open that screen, or a request out of their scope.
    """

    def construct_edit_url(self, instance):
        if instance.kind == Request.Kind.FILE_CHANGE:
            url_name = REQUEST_URL_NAME
        else:
            url_name = BOOKING_REQUEST_URL_NAME
        return reverse(url_name, args=[quote(instance.pk)])

    def get_edit_url(self, instance):
        if self.user is not None:
            screen = Request if instance.kind == Request.Kind.FILE_CHANGE else BookingLine
            if not policy_for(screen).user_has_any_permission(self.user, ["view", "change"]):
                return None
            if not for_agent(Request.objects.filter(pk=instance.pk), self.user).exists():
                return None
        return self.construct_edit_url(instance)


class RequestViewSet(
    PendingCountViewSetMixin, DecisionViewSetMixin, ReadOnlyViewSetMixin, MunicipalityScopedViewSet
):
    """Changes to the family file asked by families, for agents to accept or refuse."""

    model = Request
    name = "family_portal_file_changes"
    url_prefix = "family-portal/file-changes"
    icon = "tasks"
    menu_label = _("Changes to validate")
    index_view_class = RequestIndexView
    inspect_view_class = RequestDetailView
    permission_policy_class = RequestPermissionPolicy
    filterset_class = filters.RequestFilterSet
    search_fields = ["summary", "family__name"]

    pending_count = staticmethod(pending_count)
    decide_view_class = DecideRequestView

    def register_admin_url_finder(self):
        # Requests of every kind: a booking or absence request opens the bookings' screen.
        register_admin_url_finder(Request, RequestAdminURLFinder)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(photo_url_name=self.get_url_name("photo"), **kwargs)

    @property
    def photo_view(self):
        return self.construct_view(PendingPhotoView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("photo/<int:pk>/<int:line_pk>/", self.photo_view, name="photo"),
        ]
