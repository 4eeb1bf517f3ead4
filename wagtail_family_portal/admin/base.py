"""What every admin screen of the package shares.

- ``MunicipalityScopedViewSet``, the base of every ``ModelViewSet``: rows, forms and filters
  limited to the agent's municipalities; ``ReadOnlyViewSetMixin`` for screens with a list (and
  a detail) only; ``PendingCountViewSetMixin`` (its ``PendingCountMenuItem``) for
  menu entries that count what waits;
- Wagtail's generic views, scoped: each fetches its rows from a different hook of Wagtail's
  views, and every one of them goes through ``for_agent``, so an object of another
  municipality is a 404 and never listed or exported. ``ScopedPhotoView`` streams a row's
  private photo the same way, and ``PrivatePhotoInput`` shows that photo in forms (a private
  file has no URL of its own);
- the pieces of the queues and details of what agents decide (requests, booking days): the
  columns, the breadcrumbs, the rows of a detail.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.admin_url_finder import ModelAdminURLFinder, register_admin_url_finder
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.viewsets.model import ModelViewSet

from ..models import Family
from ..storage import photo_response
from .forms import MunicipalityScopedForm
from .policies import PermissionCheckedMixin, policy_for
from .scoping import MunicipalityScopedPermissionPolicy, for_agent

EMPTY = "—"
FAMILY_URL_NAME = "family_portal_families:edit"


def permissions_to_register(model, actions):
    """The permissions of ``model`` a screen uses (``view``, ``change``…), offered in the group
    settings."""
    content_type = ContentType.objects.get_for_model(model)
    codenames = [get_permission_codename(action, model._meta) for action in actions]
    return Permission.objects.filter(content_type=content_type, codename__in=codenames)


# Wagtail's generic views, scoped


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


# Viewsets


class MunicipalityScopedViewSet(ModelViewSet):
    """Base of every screen: rows, forms and filters limited to the agent's municipalities.

    Subclasses set ``panels`` (the form), ``select_related`` (for lists and exports) and the
    usual listing options; the scoping itself is inherited and never repeated.
    """

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    permission_policy_class = MunicipalityScopedPermissionPolicy
    base_form_class = MunicipalityScopedForm
    select_related = ()
    panels = ()

    @cached_property
    def permission_policy(self):
        """The policy registered for the model (``permission_policies``), on Wagtail 7.4 too."""
        return policy_for(self.model)

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=self.base_form_class).bind_to_model(
            self.model
        )

    def get_index_view_kwargs(self, **kwargs):
        queryset = self.model._default_manager.select_related(*self.select_related)
        return super().get_index_view_kwargs(queryset=queryset, **kwargs)


class ReadOnlyViewSetMixin:
    """Screens with a list (and a detail) only: no add, edit, copy, delete, history or usage
    view, for rows that families create and the admin only reads.

    ``actions`` are the permissions the screen uses, offered in the group settings.
    """

    actions = ("view",)
    copy_view_enabled = False

    def get_common_view_kwargs(self, **kwargs):
        absent = ("add", "edit", "delete", "history", "usage")
        return super().get_common_view_kwargs(
            **{f"{name}_url_name": None for name in absent}, **kwargs
        )

    def get_urlpatterns(self):
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            conv = self.pk_path_converter
            urlpatterns.append(path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"))
        return urlpatterns

    def register_admin_url_finder(self):
        # Links to a row (e.g. from logs) go to its detail, if it has one.
        if self.inspect_view_enabled:
            finder = type(
                "_InspectURLFinder",
                (ModelAdminURLFinder,),
                {
                    "edit_url_name": self.get_url_name("inspect"),
                    "permission_policy": self.permission_policy,  # Wagtail 7.4 asks it
                },
            )
            register_admin_url_finder(self.model, finder)

    def get_permissions_to_register(self):
        return permissions_to_register(self.model, self.actions)


class PendingCountMenuItem(MenuItem):
    """The menu entry says how many items wait for the agent: "Changes to validate (3)".

    Subclasses set ``pending_count``, a function of the user.
    """

    pending_count = None

    def render_component(self, request):
        component = super().render_component(request)
        count = self.pending_count(request.user)
        if count:
            component.label = f"{self.label} ({count})"
        return component


class PendingCountViewSetMixin:
    """A screen whose menu entry counts what waits for the agent (``PendingCountMenuItem``).

    Subclasses set ``pending_count``, a function of the user (as a ``staticmethod``).
    """

    pending_count = None

    @cached_property
    def menu_item_class(self):
        return type(
            f"{self.model.__name__}MenuItem",
            (PendingCountMenuItem, super().menu_item_class),
            {"pending_count": staticmethod(type(self).pending_count)},
        )


# Queues and details of what agents decide


def local_datetime(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else ""


def day_label(day) -> str:
    """ "Thu 12/03/2026": agents read the weekday before the date."""
    return f"{formats.date_format(day, 'D')} {formats.date_format(day, 'SHORT_DATE_FORMAT')}"


def user_name(user) -> str:
    return (user.get_full_name().strip() or user.get_username()) if user is not None else ""


def detail_fields(rows) -> list[dict]:
    """``(label, value)`` pairs as a detail lists them: capitalised, a dash when empty."""
    return [{"label": capfirst(label), "value": value or EMPTY} for label, value in rows]


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


class FamilyLinksMixin:
    """An index whose rows link to their family's form, for users who may change families."""

    def family_id(self, obj) -> int:
        return obj.family_id

    @cached_property
    def may_edit_families(self) -> bool:
        # The rows listed are of the user's families: no check per row is needed.
        return policy_for(Family).user_has_permission(self.request.user, "change")

    def get_family_url(self, obj) -> str | None:
        if self.may_edit_families:
            return reverse(FAMILY_URL_NAME, args=[quote(self.family_id(obj))])
        return None


class QueueItemMixin:
    """A page about one item of a queue: its breadcrumbs lead back to the queue."""

    queue_title = None
    index_url_name = None

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": self.queue_title},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]
