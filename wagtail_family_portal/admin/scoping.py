"""Municipality scoping: an agent sees and edits only the data of their own municipalities.

One rule, used everywhere in the admin (lists, edit/delete/inspect views, exports, form choices,
filters) and by Wagtail itself through ``MunicipalityScopedPermissionPolicy``: a row is visible to
a user if it belongs to a municipality returned by ``Municipality.objects.for_agent(user)``.

The editors' per-site configuration (e-mail texts, the portal's site settings) follows the same
rule through the site: a non-superuser edits it only for the sites of their municipalities
(``sites_for_agent``, ``MunicipalitySitePermissionPolicy``).
"""

from django.db import models
from wagtail.models import Site
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.sites import SitePermissionPolicy

from ..models.municipality import Municipality


def is_scoped(model: type[models.Model]) -> bool:
    """Whether rows of ``model`` belong to a municipality (and so must be scoped)."""
    return hasattr(model._default_manager.none(), "for_agent")


def for_agent(queryset: models.QuerySet, user) -> models.QuerySet:
    """Restrict ``queryset`` to the rows of the municipalities ``user`` is an agent of.

    Superusers see everything; anonymous or inactive users see nothing. Raises ``TypeError`` for a
    model that is not municipality data, so that a new screen cannot forget to declare its scope.
    """
    if user is None:
        return queryset.none()
    if not hasattr(queryset, "for_agent"):
        raise TypeError(f"{queryset.model.__name__} has no municipality scope.")
    return queryset.for_agent(user)


def sites_for_agent(user) -> models.QuerySet:
    """The sites of the municipalities ``user`` is an agent of (every site for superusers)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    return Site.objects.filter(family_portal_municipality__in=Municipality.objects.for_agent(user))


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


class MunicipalitySitePermissionPolicy(SitePermissionPolicy):
    """Wagtail's permissions of a site setting (global, or per site through the groups' site
    permissions), limited to the sites of the user's municipalities.

    Used by the portal's site settings (``get_permission_policy``), so that Wagtail's settings
    views, their site switcher and the settings menu only offer those sites.
    """

    def user_has_any_permission(self, user, actions):
        if not super().user_has_any_permission(user, actions):
            return False
        return user.is_superuser or sites_for_agent(user).exists()

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not super().user_has_any_permission_for_instance(user, actions, instance):
            return False
        site_id = instance.pk if isinstance(instance, Site) else instance.site_id
        return user.is_superuser or sites_for_agent(user).filter(pk=site_id).exists()

    def sites_user_has_any_permission_for(self, user, actions):
        sites = super().sites_user_has_any_permission_for(user, actions)
        return sites if user.is_superuser else sites.filter(pk__in=sites_for_agent(user))
