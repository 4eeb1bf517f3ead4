"""The family's requests under the portal page ("Mes demandes").

One list of every request of the family, whatever its kind (bookings, absences, changes to the
family file): when it was sent, its type, the child, its state and the service's messages the
account has not read yet; filtered by child, type and state, 20 a page, in a fixed number of
queries whatever the page size. Each request shows its lines — the days of a booking or an
absence, with the withdrawal of those still waiting, or the fields of a change to the family
file — and its history (``services.requests.history``). Opening a request marks its messages as
read for the account that opened it only: the other accounts of the family still see them as
new.

Every route takes the family through ``base.portal_view``: another family's id, or a
request or line that is not the family's, is a 404. Nothing here changes a request:
``services.bookings`` withdraws days and ``services.requests`` keeps the read marks.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_safe

from ..http import request_site
from ..models import BookingLine, FamilyFileRules, FileChange, Request
from ..services import bookings, file_changes
from ..services import requests as request_reads
from .base import FamilyPages, checked_ids, portal_view
from .family_forms import PHOTO_FIELD
from .portal import new_messages_label
from .request_forms import RequestFilterForm, WithdrawForm

REQUESTS_PER_PAGE = 20

LineState = BookingLine.State
WAITING = (LineState.PENDING, LineState.WAITING_LIST)
Target = FileChange.Target
Change = FileChange.Operation


def request_type(item: Request) -> str:
    """ "Ajout de réservation", "Modification du responsable"…: what the family asked for."""
    return capfirst(item.get_topic_display() if item.topic else item.get_kind_display())


# The list


@dataclass
class RequestRow:
    request: Request
    url: str
    children: list = field(default_factory=list)
    establishment: str = ""
    activity: str = ""
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    unread: int = 0

    @property
    def type_label(self) -> str:
        return request_type(self.request)

    @property
    def unread_label(self) -> str:
        return new_messages_label(self.unread) if self.unread else ""


@portal_view(family=True)
@require_safe
def requests_list(request, pages: FamilyPages):
    """Every request of the family, newest first, filtered by child, type and state."""
    children = pages.children()
    checked_ids(request.GET.getlist("enfant"), [child.pk for child in children])
    form = RequestFilterForm(request.GET, children=children)
    if not form.is_valid():
        raise Http404
    child_id = form.cleaned_data["enfant"]
    topic, state = form.cleaned_data["type"], form.cleaned_data["etat"]
    queryset = request_reads.family_requests(
        pages.family,
        child_ids=[child_id] if child_id else None,
        topics=[topic] if topic else None,
        states=[state] if state else None,
    )
    paginator = Paginator(queryset, REQUESTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404 from None
    rows = _request_rows(pages, list(page.object_list), children)
    filters = {
        key: value
        for key, value in (("enfant", child_id), ("type", topic), ("etat", state))
        if value
    }
    return pages.render(
        "requests/list.html",
        {
            "form": form,
            "rows": rows,
            "page_obj": page,
            "filtered": bool(filters),
            "previous_url": (
                pages.url("requests_list", query={**filters, "page": page.previous_page_number()})
                if page.has_previous()
                else None
            ),
            "next_url": (
                pages.url("requests_list", query={**filters, "page": page.next_page_number()})
                if page.has_next()
                else None
            ),
        },
    )


def _request_rows(pages, requests, children) -> list[RequestRow]:
    """Each request with its children, activity, first and last day and unread messages: three
    queries for the page (``services.requests.summaries``: two), whatever its size."""
    if not requests:
        return []
    ids = [item.pk for item in requests]
    names = {child.pk: child.first_name for child in children}
    summaries = request_reads.summaries(ids)
    unread = request_reads.unread_counts(pages.request.user, ids)
    rows = []
    for item in requests:
        summary = summaries[item.pk]
        row = RequestRow(
            item,
            pages.url("request_detail", item.pk),
            children=_child_names(summary.child_ids, names),
            first_day=summary.first_day,
            last_day=summary.last_day,
            unread=unread.get(item.pk, 0),
        )
        if summary.activities:
            row.activity = summary.activities[0].name
            row.establishment = summary.activities[0].establishment
        rows.append(row)
    return rows


def _child_names(child_ids, names: dict) -> list[str]:
    """The first names of the family's children among ``child_ids``, each once."""
    found = []
    for child_id in child_ids:
        name = names.get(child_id)
        if name and name not in found:
            found.append(name)
    return found


# One request


@dataclass
class ChangeRow:
    """One line of a change to the family file as the family reads it."""

    record: str
    operation: str
    field: str = ""
    value: str = ""


@portal_view(family=True)
@require_http_methods(["GET", "HEAD", "POST"])
def request_detail(request, pages: FamilyPages, request_id):
    """One request: its lines and its history; the days still waiting can be withdrawn (all,
    or the ones chosen). Opening it (GET) marks its messages read for this account."""
    item = (
        Request.objects.filter(family=pages.family, pk=request_id)
        .prefetch_related("events")
        .first()
    )
    if item is None:
        raise Http404
    if item.kind == Request.Kind.FILE_CHANGE:
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return _file_change_detail(pages, item)
    detail_url = pages.url("request_detail", item.pk)
    lines = list(
        item.booking_lines.select_related("child", "activity__establishment")
        .prefetch_related("events")
        .order_by("date", "pk")
    )
    waiting = [line for line in lines if line.state in WAITING]
    form = WithdrawForm(request.POST or None, lines=waiting)
    if request.method == "POST":
        checked_ids(request.POST.getlist("lines"), [line.pk for line in lines])
        chosen = _lines_to_withdraw(request, form, waiting)
        if chosen:
            try:
                bookings.withdraw_lines(chosen, user=request.user)
            except bookings.BookingError as error:
                messages.error(request, error.message)
            else:
                messages.success(
                    request,
                    ngettext("%(count)d day withdrawn.", "%(count)d days withdrawn.", len(chosen))
                    % {"count": len(chosen)},
                )
            return redirect(detail_url)
    return _render_detail(
        pages,
        item,
        lines,
        {
            "lines": lines,
            "waiting": {line.pk for line in waiting},
            "form": form,
            "child": lines[0].child if lines else None,
            "activity": lines[0].activity if lines else None,
        },
        status=400 if form.errors else 200,
    )


def _render_detail(pages, item, lines, context, status=200):
    """The request's page with its history, the messages the account had not read marked
    new; then, when the page is opened (GET), they are read."""
    user = pages.request.user
    unread = request_reads.unread_event_ids(item, user)
    entries = request_reads.history(item, lines, unread=unread)
    if pages.request.method == "GET":
        # Up to what this page shows: a message written meanwhile stays new.
        shown = [entry.event_id for entry in entries if entry.event_id]
        request_reads.mark_read(item, user, up_to=max(shown, default=None))
    new = sum(1 for entry in entries if entry.new)
    return pages.render(
        "requests/detail.html",
        {
            "item": item,
            "type_label": request_type(item),
            "history": entries,
            "new_messages": new_messages_label(new) if new else "",
            **context,
        },
        status=status,
    )


def _lines_to_withdraw(request, form, waiting) -> list:
    """The lines a withdrawal form asks for ("all", or the chosen ones), or [] with an error."""
    if not waiting:
        form.add_error(None, gettext("No day of this request is waiting any more."))
        return []
    if request.POST.get("action") == "all":
        return waiting
    if not form.is_valid():
        return []
    chosen = set(form.cleaned_data["lines"])
    if not chosen:
        form.add_error("lines", gettext("Choose at least one day to withdraw."))
        return []
    return [line for line in waiting if line.pk in chosen]


# A change to the family file


def _file_change_detail(pages: FamilyPages, item: Request):
    lines = list(item.file_changes.order_by("pk"))
    rows = FileChangeRows(pages, lines).rows()
    return _render_detail(
        pages,
        item,
        [],
        {
            "file_change": True,
            "change_rows": rows,
            "family_file_url": pages.url("family_file"),
            "withdraw_url": pages.url("withdraw_change", item.pk) if item.is_pending else "",
        },
    )


class FileChangeRows:
    """The lines of a change as the family file pages show them: what the family may see of
    each (``file_changes.family_line``: the fields the site's rules hide left out, an IBAN
    masked), written out for it (``file_changes.ValueDisplay``).

    Reads the records the lines name, and those their values point to (a school), one query
    per kind of record.
    """

    def __init__(self, pages: FamilyPages, lines):
        self.pages = pages
        self.lines = lines
        self.rules = FamilyFileRules.rules_for(request_site(pages.request))
        self.records = file_changes.line_records(
            pages.family,
            [(line.target_type, line.target_id) for line in lines if line.operation != Change.ADD],
        )
        self.display = file_changes.ValueDisplay(
            file_changes.FAMILY, file_changes.asked_values(lines)
        )

    def rows(self) -> list[ChangeRow]:
        rows = []
        for line in self.lines:
            seen = file_changes.family_line(line, self.rules)
            if seen is None:
                continue
            if line.operation == Change.ADD:
                rows += self.addition(seen)
            elif line.operation == Change.REMOVE:
                rows.append(
                    ChangeRow(
                        record=self.record(line),
                        operation=capfirst(line.get_operation_display()),
                    )
                )
            else:
                rows.append(self.update(seen))
        return rows

    def record(self, line) -> str:
        kind = capfirst(line.get_target_type_display())
        if line.target_type == Target.FAMILY:
            return gettext("%(name)s family") % {"name": self.pages.family.name}
        if line.operation == Change.ADD:
            return kind
        record = self.records.get((line.target_type, line.target_id))
        name = file_changes.record_name(record) if record is not None else ""
        return f"{kind} – {name}" if name else kind

    def update(self, seen) -> ChangeRow:
        line = seen.line
        model_field = file_changes.field_of(line.target_type, line.field)
        if line.field == PHOTO_FIELD:
            value = gettext("A new photo")
        else:
            value = self.display.text(model_field, seen.new_value)
        return ChangeRow(
            record=self.record(line),
            operation=capfirst(line.get_operation_display()),
            field=capfirst(model_field.verbose_name) if model_field else line.field,
            value=value,
        )

    def addition(self, seen) -> list[ChangeRow]:
        line = seen.line
        values = seen.new_value if isinstance(seen.new_value, dict) else {}
        rows = []
        for name in self.rules.visible_fields(line.target_type):
            model_field = file_changes.field_of(line.target_type, name)
            if model_field is None or name not in values:
                continue
            value = self.display.text(model_field, values[name])
            if value:
                rows.append(
                    ChangeRow(
                        record=self.record(line),
                        operation=capfirst(line.get_operation_display()),
                        field=capfirst(model_field.verbose_name),
                        value=value,
                    )
                )
        return rows
