"""Wagtail's generic admin views, restricted to the agent's municipalities.

Each view fetches its rows from a different hook of Wagtail's generic views; every one of them
goes through ``for_agent``, so an object of another municipality is a 404 and never listed or
exported.
"""

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views import generic
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView

from .scoping import for_agent


class ScopedIndexView(generic.IndexView):
    """List and CSV/XLSX export."""

    def get_base_queryset(self):
        return for_agent(super().get_base_queryset(), self.request.user)


class ScopedSingleObjectMixin:
    """Edit and delete views (Django's ``SingleObjectMixin.get_queryset``)."""

    def get_queryset(self):
        return for_agent(super().get_queryset(), self.request.user)


class ScopedEditView(ScopedSingleObjectMixin, generic.EditView):
    pass


class ScopedDeleteView(ScopedSingleObjectMixin, generic.DeleteView):
    def get_delete_url(self):
        """Keep ``next`` through the confirmation form, e.g. back to the family after "Unlink"."""
        url = super().get_delete_url()
        next_url = get_valid_next_url_from_request(self.request)
        return f"{url}?{urlencode({'next': next_url})}" if next_url else url

    def form_valid(self, form):
        """Refuse with a message, not a server error, when other records protect the object."""
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except ProtectedError as error:
            used_by = sorted(str(obj) for obj in error.protected_objects)
            messages.error(
                self.request,
                _("“%(object)s” cannot be deleted: it is still used by %(used_by)s.")
                % {"object": self.object, "used_by": ", ".join(used_by[:5])},
            )
            return redirect(self.index_url_name)


class ScopedInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        queryset = for_agent(self.model._default_manager.all(), self.request.user)
        return get_object_or_404(queryset, pk=unquote(str(self.pk)))


class ScopedObjectMixin:
    """History and usage views (Wagtail's ``BaseObjectMixin``)."""

    def get_base_object_queryset(self):
        return for_agent(super().get_base_object_queryset(), self.request.user)


class ScopedHistoryView(ScopedObjectMixin, HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, UsageView):
    pass
