"""Audit of the agents' reads of children's health information.

Changes to a family file leave their trace where they happen: Wagtail's generic views log every
edit made in the admin (``wagtail.edit`` on the family, child or health record), and
``services.dossier`` logs each decision on a family's change request on the family. A read
leaves no trace by itself, so every screen that shows health information logs
``wagtail_family_portal.health_viewed``: who, when, which child, and on which screen. The entries
are in the record's history and in Reports → Site history.

The entry is written on the child's ``ChildHealth`` when it exists (the record that was read),
otherwise on the child (a request may ask for the health information of a child who has none
yet).
"""

from collections.abc import Iterable

from wagtail.log_actions import log

from ..models import Child, ChildHealth
from ..permissions import HEALTH_PERMISSION
from .base import ScopedEditView, ScopedIndexView, ScopedInspectView

HEALTH_VIEWED = "wagtail_family_portal.health_viewed"


def may_view_health(user) -> bool:
    """Health information is for users given ``view_childhealth`` on purpose."""
    return user.has_perm(HEALTH_PERMISSION)


def log_health_viewed(user, records: Iterable[ChildHealth | Child], *, screen: str, **data):
    """Record that ``user`` saw the health information of each record's child on ``screen``
    (``list``, ``inspect``, ``edit`` or ``request``)."""
    for record in records:
        child = record.child if isinstance(record, ChildHealth) else record
        instance = record if isinstance(record, ChildHealth) and record.pk else child
        log(
            instance,
            HEALTH_VIEWED,
            user=user,
            data={"child": str(child), "child_id": child.pk, "screen": screen, **data},
        )


class HealthIndexView(ScopedIndexView):
    """The health information list: each row shown is a read of that child's information."""

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        log_health_viewed(self.request.user, context["object_list"], screen="list")
        return context


class HealthInspectView(ScopedInspectView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        log_health_viewed(request.user, [self.object], screen="inspect")
        return response


class HealthEditView(ScopedEditView):
    """The form shows the current values on GET, and again after an invalid POST."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        log_health_viewed(request.user, [self.object], screen="edit")
        return response

    def form_invalid(self, form):
        log_health_viewed(self.request.user, [self.object], screen="edit")
        return super().form_invalid(form)
