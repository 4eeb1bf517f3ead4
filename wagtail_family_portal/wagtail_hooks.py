"""Wiring of the package into the Wagtail admin (the screens themselves live in ``admin/``)."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from .admin.viewsets import FamilyPortalViewSetGroup, permission_policies

# Registered first: Wagtail refuses a policy once it has fallen back to its default one.
for model, policy in permission_policies():
    register_permission_policy(model, policy, exact_class=True)


@hooks.register("register_admin_viewset")
def register_family_portal_viewsets():
    return FamilyPortalViewSetGroup()
