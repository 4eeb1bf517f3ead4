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
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext_lazy, pgettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, TitleColumn, UserColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic.base import BaseObjectMixin

from ..models import Child, ChildHealth, Family, FileChange, Request
from ..services import dossier, file_changes
from ..storage import private_file_response
from .audit import log_health_viewed, may_view_health
from .forms import AcceptDecisionForm, RefuseDecisionForm
from .policies import PermissionCheckedMixin, policy_for
from .scoping import for_agent
from .views import ScopedIndexView, ScopedInspectView

EMPTY = "—"
Target = FileChange.Target
Operation = FileChange.Operation
PHOTO_FIELD = dossier.PHOTO_FIELD
CHILD_PHOTO_URL_NAME = "family_portal_children:photo"
FAMILY_URL_NAME = "family_portal_families:edit"
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


class SubmittedColumn(Column):
    """When the family submitted the request, and how long it has been waiting."""

    cell_template_name = "wagtail_family_portal/admin/requests/submitted_cell.html"


class LinkColumn(Column):
    """A value linking to ``get_url(instance)`` when it gives a URL."""

    cell_template_name = "wagtail_family_portal/admin/requests/link_cell.html"

    def __init__(self, name, get_url, **kwargs):
        super().__init__(name, **kwargs)
        self.get_url = get_url

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["url"] = self.get_url(instance)
        return context


class RequestIndexView(ScopedIndexView):
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

    @cached_property
    def may_edit_families(self) -> bool:
        # The requests listed are of the user's families: no check per row is needed.
        return policy_for(Family).user_has_permission(self.request.user, "change")

    def get_family_url(self, request: Request) -> str | None:
        if self.may_edit_families:
            return reverse(FAMILY_URL_NAME, args=[quote(request.family_id)])
        return None


# One request


class RefuseForm(RefuseDecisionForm):
    refusal_help = _("Say why the change is refused; the family reads it with the decision.")


class RequestDetailView(ScopedInspectView):
    """The request side by side with the file, its history, and the "Accept" and "Refuse"
    forms."""

    template_name = "wagtail_family_portal/admin/requests/detail.html"
    any_permission_required = ["view", "change"]
    page_title = _("Change to validate")
    accept_url_name = None
    refuse_url_name = None
    photo_url_name = None

    def get_object(self, queryset=None):
        queryset = file_change_requests(self.request.user).select_related(
            "family__municipality", "created_by", "decided_by"
        )
        return get_object_or_404(queryset, pk=unquote(str(self.pk)))

    def get_page_subtitle(self):
        return self.object.summary

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": RequestIndexView.page_title},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

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
        return [{"label": capfirst(label), "value": value or EMPTY} for label, value in rows]

    def get_context_data(self, accept_form=None, refuse_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        request, user = self.object, self.request.user
        show_health = may_view_health(user)
        lines = list(request.file_changes.all())
        rows = ChangeTable(request, show_health=show_health, photo_url=self.photo_url).rows(lines)
        if show_health:
            records = health_records(request, lines)
            log_health_viewed(user, records, screen="request", request=request.pk)
        can_decide = request.is_pending and may_decide(user, request)
        context.update(
            rows=rows,
            has_conflicts=any(row.conflict for row in rows),
            health_restricted=request.has_health and not show_health,
            health_restricted_message=HEALTH_RESTRICTED,
            events=request.events.select_related("user"),
            can_decide=can_decide,
            family_url=AdminURLFinder(user).get_edit_url(request.family),
        )
        if can_decide:
            context.update(
                accept_form=accept_form or AcceptDecisionForm(prefix="accept"),
                refuse_form=refuse_form or RefuseForm(prefix="refuse"),
                accept_url=reverse(self.accept_url_name, args=[quote(request.pk)]),
                refuse_url=reverse(self.refuse_url_name, args=[quote(request.pk)]),
            )
        return context


class DecideRequestView(RequestDetailView):
    """POST only: accept or refuse one request; an error shows the detail again, unchanged."""

    http_method_names = ["post"]
    permission_required = "change"
    any_permission_required = None
    decision = None  # "accept" or "refuse"
    index_url_name = None

    def post(self, request, *args, **kwargs):
        if not may_decide(request.user, self.object):
            messages.error(request, HEALTH_RESTRICTED)
            return self.render_detail(status=403)
        form_class = AcceptDecisionForm if self.decision == "accept" else RefuseForm
        form = form_class(request.POST, prefix=self.decision)
        if not form.is_valid():
            messages.error(request, _("The request was not decided: correct the message."))
            return self.render_detail(form, status=400)
        try:
            decide(self.object, self.decision, agent=request.user, **form.cleaned_data)
        except dossier.DossierError as error:
            messages.error(request, error.message)
            for message in error.errors.get("message", []):
                form.add_error("message", message)
            self.object = self.get_object()  # as it is now, e.g. decided by a colleague
            return self.render_detail(form, status=400 if error.code == "invalid" else 409)
        messages.success(request, decided_message(self.object, self.decision))
        return redirect(get_valid_next_url_from_request(request) or reverse(self.index_url_name))

    def render_detail(self, form=None, *, status):
        forms_ = {f"{self.decision}_form": form} if form is not None else {}
        response = self.render_to_response(self.get_context_data(**forms_))
        response.status_code = status
        return response


def local_datetime(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def user_name(user) -> str:
    return (user.get_full_name().strip() or user.get_username()) if user is not None else ""


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


class DecisionBulkAction(BulkAction):
    """Decide several requests with one message; each is decided on its own, so that one
    request that cannot be (a conflict, already processed) does not stop the others."""

    models = [Request]
    template_name = "wagtail_family_portal/admin/requests/confirm_bulk_decision.html"
    decision = None
    confirm_label = None

    def dispatch(self, request, *args, **kwargs):
        if not policy_for(Request).user_has_permission(request.user, "change"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def _objects(self):
        """The selected requests in the user's scope; one unknown to the user is a 404."""
        ids = {value for value in self.request.GET.getlist("id") if value.isdigit()}
        if not ids:
            raise Http404
        requests = list(
            file_change_requests(self.request.user)
            .filter(pk__in=ids)
            .select_related("family")
            .order_by("created_at", "pk")
        )
        if len(requests) != len(ids):
            raise Http404
        allowed = [request for request in requests if may_decide(self.request.user, request)]
        refused = [request for request in requests if request not in allowed]
        return allowed, {"items_with_no_access": refused}

    def get_actionable_objects(self):
        return self._objects

    def object_context(self, request):
        url = reverse(REQUEST_URL_NAME, args=[quote(request.pk)])
        return {"item": request, "family": request.family, "url": url}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "decision": self.decision,
            "confirm_label": self.confirm_label,
            "decision_button_class": "serious" if self.decision == "refuse" else "",
            "health_restricted_message": HEALTH_RESTRICTED,
            "header_icon": "tasks",
        }

    def form_valid(self, form):
        requests, without_access = self.get_actionable_objects()
        failures = [
            (request, HEALTH_RESTRICTED) for request in without_access["items_with_no_access"]
        ]
        decided = 0
        for request in requests:
            try:
                decide(request, self.decision, agent=self.request.user, **form.cleaned_data)
            except dossier.DossierError as error:
                failures.append((request, error.message))
            else:
                decided += 1
        if decided:
            messages.success(self.request, self.success_message % {"count": decided})
        for request, message in failures:
            messages.error(
                self.request,
                _("“%(summary)s” (%(family)s) was not decided: %(message)s")
                % {"summary": request.summary, "family": request.family, "message": message},
            )
        return redirect(self.next_url)

    # "%(count)d change accepted." and its plural, set by each action.
    success_message = None


class AcceptRequestsBulkAction(DecisionBulkAction):
    display_name = _("Accept")
    action_type = "accept_file_changes"
    aria_label = _("Accept the selected changes")
    action_priority = 10
    form_class = AcceptDecisionForm
    decision = "accept"
    confirm_label = _("Accept")

    success_message = ngettext_lazy(
        "%(count)d change accepted.", "%(count)d changes accepted.", "count"
    )


class RefuseRequestsBulkAction(DecisionBulkAction):
    display_name = _("Refuse")
    action_type = "refuse_file_changes"
    aria_label = _("Refuse the selected changes")
    action_priority = 20
    classes = {"serious"}
    form_class = RefuseForm
    decision = "refuse"
    confirm_label = _("Refuse")

    success_message = ngettext_lazy(
        "%(count)d change refused.", "%(count)d changes refused.", "count"
    )
