"""Wagtail's generic admin views, restricted to the agent's municipalities.

Each view fetches its rows from a different hook of Wagtail's generic views; every one of them
goes through ``for_agent``, so an object of another municipality is a 404 and never listed or
exported. ``ScopedPhotoView`` streams a row's private photo the same way, and
``PrivatePhotoInput`` shows that photo in forms (a private file has no URL of its own).
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView

from ..storage import photo_response
from .policies import PermissionCheckedMixin
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


class ActivityEditView(ScopedEditView):
    """Saving an activity may free places (a higher capacity): the waiting list moves at once."""

    def save_instance(self):
        from ..services import bookings

        instance = super().save_instance()
        promoted = bookings.capacity_changed(instance)
        if promoted:
            messages.success(
                self.request,
                ngettext(
                    "%(count)d day on the waiting list got a place.",
                    "%(count)d days on the waiting list got a place.",
                    len(promoted),
                )
                % {"count": len(promoted)},
            )
        return instance


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


class ScopedPhotoView(PermissionCheckedMixin, BaseObjectMixin, View):
    """Stream the private photo of a row the user may see (a child's photo has no public URL)."""

    any_permission_required = ["add", "change", "delete", "view"]
    field_name = "photo"

    def get_base_object_queryset(self):
        return for_agent(super().get_base_object_queryset(), self.request.user)

    def get(self, request, *args, **kwargs):
        return photo_response(getattr(self.object, self.field_name))


class PrivatePhoto:
    """A stored photo as Django's file input shows it, with the admin view as its URL."""

    def __init__(self, name: str, url: str):
        self.name = name
        self.url = url

    def __str__(self):
        return self.name.rsplit("/", 1)[-1]


class PrivatePhotoInput(forms.ClearableFileInput):
    """The file input of a photo in a private storage, shown through ``ScopedPhotoView``.

    Django's input would call the file's ``url``, which a private storage does not have.
    """

    class Media:
        css = {"all": ["wagtail_family_portal/admin.css"]}

    def __init__(self, url_name: str, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name

    def photo(self, value):
        instance = getattr(value, "instance", None)
        if not value or not getattr(value, "name", None) or getattr(instance, "pk", None) is None:
            return None
        return PrivatePhoto(value.name, reverse(self.url_name, args=[quote(instance.pk)]))

    def is_initial(self, value):
        return isinstance(value, PrivatePhoto)

    def render(self, name, value, attrs=None, renderer=None):
        photo = self.photo(value)
        html = super().render(name, photo or value, attrs, renderer)
        if photo is None:
            return html
        thumbnail = format_html(
            '<p><img class="wfp-admin-photo" src="{}" alt="{}" width="160"></p>',
            photo.url,
            _("Current photo"),
        )
        return thumbnail + html
