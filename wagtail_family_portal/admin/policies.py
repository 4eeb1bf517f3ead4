"""Which permission policy answers for a model, on Wagtail 7.4 and on Wagtail 8.

Wagtail 8 keeps one registry of the models' policies (``wagtail.permissions.policy_registry``)
that its own views, menus, URL finders and bulk actions ask. Wagtail 7.4 has none: each viewset
holds its policy (``ModelViewSet.permission_policy``) and passes it to its views. The package
registers its policies here once, in both versions, and asks them through ``policy_for``; its
viewsets hand the same policies to Wagtail 7.4's views.
"""

from wagtail.admin.views.generic.permissions import (
    PermissionCheckedMixin as WagtailPermissionCheckedMixin,
)
from wagtail.permission_policies import ModelPermissionPolicy

try:  # Wagtail 8
    from wagtail.permissions import policy_registry, register_permission_policy
except ImportError:  # Wagtail 7.4
    policy_registry = register_permission_policy = None

_policies = {}


def register_policy(model, policy) -> None:
    """Make ``policy`` the one of ``model`` (for this exact class, not its subclasses).

    On Wagtail 8 it must run before anything asks for the model's policy (Wagtail refuses one
    once it has fallen back to its default): ``wagtail_hooks`` calls it first.
    """
    _policies[model] = policy
    if register_permission_policy is not None:
        register_permission_policy(model, policy, exact_class=True)


def policy_for(model):
    """The permission policy of ``model``: the one registered here, else Wagtail's."""
    if policy_registry is not None:
        return policy_registry.get_by_type(model)
    if model not in _policies:
        get_policy = getattr(model, "get_permission_policy", None)  # site settings
        _policies[model] = get_policy() if get_policy else ModelPermissionPolicy(model)
    return _policies[model]


class PermissionCheckedMixin(WagtailPermissionCheckedMixin):
    """Wagtail's ``PermissionCheckedMixin``, with the policy of the view's ``model`` when no
    viewset gave one.

    Wagtail 8's mixin finds that policy by itself; Wagtail 7.4's would check nothing.
    """

    permission_policy = None

    def dispatch(self, request, *args, **kwargs):
        if self.permission_policy is None and getattr(self, "model", None) is not None:
            self.permission_policy = policy_for(self.model)
        return super().dispatch(request, *args, **kwargs)
