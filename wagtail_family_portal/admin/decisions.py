"""Accepting and refusing what families ask, one by one or in bulk: the one mechanism behind
the decisions on changes to the family file (``requests``) and on booking days (``bookings``).

- ``DecisionViewSetMixin`` gives a viewset its "accept" and "refuse" URLs (POST);
- ``DecisionDetailMixin`` puts the two forms on an item's detail, when the user may decide it;
- ``DecideViewMixin`` turns that detail into the view the forms post to: an error shows the
  detail again, with the message the agent wrote;
- ``DecisionBulkAction`` decides the items checked in a queue, with one message; with
  ``AcceptBulkActionMixin`` or ``RefuseBulkActionMixin`` it is a queue's "Accept" or "Refuse";
- ``request_history`` and ``line_history``: the rows of the one history table
  (``decisions/history.html``).

Each domain says how an item is decided (its service), who may decide it and how it is named;
the templates are under ``templates/wagtail_family_portal/admin/decisions/``.
"""

from dataclasses import dataclass

from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.bulk_action import BulkAction

from ..models.bookings import line_state_label
from .base import EMPTY, user_name
from .forms import AcceptDecisionForm, RefuseDecisionForm

ACCEPT = "accept"
REFUSE = "refuse"
CONFIRM_TEMPLATE = "wagtail_family_portal/admin/decisions/confirm_bulk_decision.html"


class DecisionViewSetMixin:
    """Accept and refuse views (POST) for rows that agents decide: requests, booking days;
    seeing them is the ``view`` permission, deciding them ``change``."""

    actions = ("view", "change")
    decide_view_class = None

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            accept_url_name=self.get_url_name(ACCEPT),
            refuse_url_name=self.get_url_name(REFUSE),
            **kwargs,
        )

    def decide_view(self, decision):
        return self.construct_view(self.decide_view_class, decision=decision)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("accept/<int:pk>/", self.decide_view(ACCEPT), name=ACCEPT),
            path("refuse/<int:pk>/", self.decide_view(REFUSE), name=REFUSE),
        ]


class DecisionDetailMixin:
    """The detail of an item agents decide, with its "Accept" and "Refuse" forms
    (``decisions/decision_forms.html``) when ``can_decide()``."""

    accept_url_name = None
    refuse_url_name = None
    refuse_form_class = RefuseDecisionForm

    def can_decide(self) -> bool:
        raise NotImplementedError

    def decision_context(self, accept_form=None, refuse_form=None) -> dict:
        can_decide = self.can_decide()
        context = {"can_decide": can_decide}
        if can_decide:
            args = [quote(self.object.pk)]
            context.update(
                accept_form=accept_form or AcceptDecisionForm(prefix=ACCEPT),
                refuse_form=refuse_form or self.refuse_form_class(prefix=REFUSE),
                accept_url=reverse(self.accept_url_name, args=args),
                refuse_url=reverse(self.refuse_url_name, args=args),
            )
        return context


class DecideViewMixin:
    """POST only: accept or refuse one item (``decision``) of a ``DecisionDetailMixin`` view;
    an error shows the detail again, with the form as posted.

    Subclasses say why the user may not decide the item (``denied_message``), what to say when
    the form is invalid (``invalid_message``), and decide it (``apply``).
    """

    http_method_names = ["post"]
    permission_required = "change"
    any_permission_required = None
    decision = None  # ACCEPT or REFUSE
    invalid_message = None

    def denied_message(self) -> str:
        """Why the user may not decide this item ("" when they may)."""
        return ""

    def apply(self, form) -> int | None:
        """Decide the item with the form's message and tell the user; the status of the detail
        shown again when it could not be decided, ``None`` when it was."""
        raise NotImplementedError

    def decision_form_class(self):
        return AcceptDecisionForm if self.decision == ACCEPT else self.refuse_form_class

    def post(self, request, *args, **kwargs):
        denied = self.denied_message()
        if denied:
            messages.error(request, denied)
            return self.render_detail(status=403)
        form = self.decision_form_class()(request.POST, prefix=self.decision)
        if not form.is_valid():
            messages.error(request, self.invalid_message)
            return self.render_detail(form, status=400)
        status = self.apply(form)
        if status is not None:
            return self.render_detail(form, status=status)
        return redirect(get_valid_next_url_from_request(request) or reverse(self.index_url_name))

    def render_detail(self, form=None, *, status):
        forms_ = {f"{self.decision}_form": form} if form is not None else {}
        response = self.render_to_response(self.get_context_data(**forms_))
        response.status_code = status
        return response


class DecisionBulkAction(BulkAction):
    """Decide the items checked in a queue with one message; one that cannot be decided does
    not stop the others.

    Subclasses set ``models``, ``decision``, ``confirm_label``, ``header_icon``, ``queue_title``
    and the form (accept or refuse), and say which items are selected (``selected``), who may
    decide (``may_decide``, ``may_decide_item``), how an item reads (``object_context``), what
    the confirmation asks (``intro``) and decide them (``decide``).
    """

    template_name = CONFIRM_TEMPLATE
    decision = None
    confirm_label = None
    header_icon = None
    queue_title = None
    no_access_message = ""  # why the items the user may not decide are not

    def may_decide(self, user) -> bool:
        raise NotImplementedError

    def may_decide_item(self, item) -> bool:
        return True

    def selected(self, ids):
        """The user's items with these ids, in the order they are decided."""
        raise NotImplementedError

    def intro(self, count: int) -> str:
        raise NotImplementedError

    def decide(self, items, without_access, message: str) -> None:
        raise NotImplementedError

    def object_context(self, item) -> dict:
        """``item``, its ``label``, its ``url`` and the ``details`` in brackets after it."""
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not self.may_decide(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def _objects(self):
        """The selected items in the user's scope; one unknown to the user is a 404."""
        ids = {value for value in self.request.GET.getlist("id") if value.isdigit()}
        if not ids:
            raise Http404
        items = list(self.selected(ids))
        if len(items) != len(ids):
            raise Http404
        allowed = [item for item in items if self.may_decide_item(item)]
        refused = [item for item in items if item not in allowed]
        return allowed, {"items_with_no_access": refused}

    def get_actionable_objects(self):
        return self._objects

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {
            **context,
            "decision": self.decision,
            "confirm_label": self.confirm_label,
            "decision_button_class": "serious" if self.decision == REFUSE else "",
            "header_icon": self.header_icon,
            "queue_title": self.queue_title,
            "intro": self.intro(len(context["items"])) if context["items"] else "",
            "no_access_message": self.no_access_message,
            "no_access": [self.object_context(item) for item in context["items_with_no_access"]],
        }

    def form_valid(self, form):
        items, without_access = self.get_actionable_objects()
        self.decide(items, without_access["items_with_no_access"], form.cleaned_data["message"])
        return redirect(self.next_url)


class AcceptBulkActionMixin:
    """The "Accept" of a queue's bulk actions (before a ``DecisionBulkAction``), first in the
    menu."""

    display_name = _("Accept")
    confirm_label = _("Accept")
    action_priority = 10
    form_class = AcceptDecisionForm
    decision = ACCEPT


class RefuseBulkActionMixin:
    """The "Refuse" of a queue's bulk actions (before a ``DecisionBulkAction``), after "Accept";
    the domain sets ``form_class``, its ``RefuseDecisionForm``."""

    display_name = _("Refuse")
    confirm_label = _("Refuse")
    action_priority = 20
    classes = {"serious"}
    decision = REFUSE


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


# The history of a request or of a day


@dataclass
class HistoryRow:
    """One line of the history table: when, by whom, what happened, with which message."""

    at: object
    by: str
    action: str
    message: str
    by_note: str = ""


def request_history(events) -> list[HistoryRow]:
    """A request's own history (``RequestEvent``): its actions."""
    return [
        HistoryRow(
            at=event.created_at,
            by=EMPTY if event.is_automatic else user_name(event.user),
            action=capfirst(event.get_action_display()),
            message=event.message,
        )
        for event in events
    ]


def line_history(line, events) -> list[HistoryRow]:
    """A day's history (``BookingLineEvent``), in the words of the queue and of the family's
    pages: "Booking requested → Booked"."""

    def label(state):
        return capfirst(line_state_label(line.operation, state))

    return [
        HistoryRow(
            at=event.created_at,
            by=gettext("automatic") if event.is_automatic else user_name(event.user),
            by_note=gettext("by an agent for the family") if event.by_agent_for_family else "",
            action=(
                f"{label(event.from_state)} → {label(event.to_state)}"
                if event.from_state
                else label(event.to_state)
            ),
            message=event.message,
        )
        for event in events
    ]
