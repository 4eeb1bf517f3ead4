"""The admin's side of municipality scoping: Wagtail's permission policies and the filters'
choices, built on the one rule of ``wagtail_family_portal/models/scoping.py``.

An agent sees and edits only the data of their own municipalities: lists, edit/delete/inspect
views, exports, form choices and filters call ``for_agent``, and Wagtail itself checks
instances through ``MunicipalityScopedPermissionPolicy``. ``for_agent``, ``is_scoped``,
``sites_for_agent`` and ``MunicipalitySitePermissionPolicy`` are importable from here too.
"""

from django.db import models
from wagtail.permission_policies import ModelPermissionPolicy

from ..models.scoping import (
    MunicipalitySitePermissionPolicy,
    for_agent,
    is_scoped,
    sites_for_agent,
)

__all__ = [
    "AccountPermissionPolicy",
    "BookingLinePermissionPolicy",
    "ChildDayPermissionPolicy",
    "ListAndDeletePermissionPolicy",
    "ListOnlyPermissionPolicy",
    "MunicipalityScopedPermissionPolicy",
    "MunicipalitySitePermissionPolicy",
    "RequestPermissionPolicy",
    "ViewAndChangePermissionPolicy",
    "for_agent",
    "is_scoped",
    "scoped_choices",
    "site_choices",
    "sites_for_agent",
]


def site_choices(request):
    """A django-filter ``queryset`` callable: the sites the requesting user may configure."""
    return sites_for_agent(getattr(request, "user", None))


def scoped_choices(model: type[models.Model]):
    """A django-filter ``queryset`` callable: the rows of ``model`` the requesting user may see."""

    def queryset(request):
        return for_agent(model._default_manager.all(), getattr(request, "user", None))

    return queryset


class MunicipalityScopedPermissionPolicy(ModelPermissionPolicy):
    """Django's model permissions, limited to the instances of the user's municipalities.

    Registered for every model of the admin, so that Wagtail's own instance checks (delete button,
    copy view, actions) agree with the scoped querysets of our views.
    """

    def _in_scope(self, user, instance) -> bool:
        if instance.pk is None:
            return True
        return for_agent(self.model._default_manager.filter(pk=instance.pk), user).exists()

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and self._in_scope(user, instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and self._in_scope(user, instance)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return for_agent(self.model._default_manager.all(), user)


class ListAndDeletePermissionPolicy(MunicipalityScopedPermissionPolicy):
    """For rows the admin may list, inspect and delete, but never create or edit.

    Subscriptions are created by families with their subscriber code; an agent can only unlink.
    """

    read_only_actions = {"add", "change"}

    def user_has_permission(self, user, action):
        return action not in self.read_only_actions and super().user_has_permission(user, action)


class ViewAndChangePermissionPolicy(ListAndDeletePermissionPolicy):
    """For rows families create and nobody deletes from the admin; ``change`` is an operation of
    the screen rather than an edit form."""

    read_only_actions = {"add", "delete"}


class AccountPermissionPolicy(ViewAndChangePermissionPolicy):
    """Family accounts: listed and inspected; ``change`` only resends the activation e-mail.

    Families create their accounts themselves and nobody deletes one from these screens.
    """


class RequestPermissionPolicy(ViewAndChangePermissionPolicy):
    """Families' requests: listed and inspected (``view``); ``change`` accepts or refuses one."""


class BookingLinePermissionPolicy(ViewAndChangePermissionPolicy):
    """Booking and absence lines: listed and inspected (``view``); ``change`` accepts or refuses
    them, and books or cancels days for a family. Lines come from requests, never from a form."""


class ChildDayPermissionPolicy(ViewAndChangePermissionPolicy):
    """Children's days, read on the attendance sheet (``view``); ``change`` marks presence."""


class ListOnlyPermissionPolicy(ListAndDeletePermissionPolicy):
    """For logs an agent reads but never writes (the subscriber code attempts)."""

    read_only_actions = {"add", "change", "delete"}
