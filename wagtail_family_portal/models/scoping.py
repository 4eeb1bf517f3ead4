"""Agent-side scoping: a member of staff sees and edits only the data of their municipalities.

One rule, whoever asks: a row is visible to a user if it belongs to a municipality returned by
``Municipality.objects.for_agent(user)`` (``ScopedQuerySet.for_agent`` follows each model's path
to its municipality). The admin's lists, views, exports, form choices and filters, and Wagtail's
own permission checks (``admin/scoping.py``'s policies) go through ``for_agent``.

The editors' per-site configuration (e-mail texts, the portal's site settings) follows the same
rule through the site: a non-superuser edits it only for the sites of their municipalities
(``sites_for_agent``, ``MunicipalitySitePermissionPolicy``, which the site settings of
``models/`` name as their permission policy).

This module is part of ``models/`` rather than of ``admin/``, so that the site settings can
name the policy without importing the admin, and without a circle through the models' package
(the family side's rule is ``Family.objects.for_account``).
"""

from django.db import models
from wagtail.models import Site
from wagtail.permission_policies.sites import SitePermissionPolicy

from .municipality import Municipality


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
