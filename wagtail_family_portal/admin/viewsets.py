"""The "Family portal" menu: every screen of the package, in the order agents read them, and
the permission policy of each (``wagtail_hooks`` registers both).

Each viewset lives with its domain (``families``, ``accounts``, ``requests``, ``bookings``,
``attendance``, ``activities``, ``municipalities``, ``emails``); they are importable from here
too, as before.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSetGroup

from ..models import EmailTemplate
from .accounts import AccountProfileViewSet, SubscriptionAttemptViewSet, SubscriptionViewSet
from .activities import (
    ActivityViewSet,
    ClosureForm,
    ClosureViewSet,
    EnrolmentViewSet,
    EstablishmentViewSet,
)
from .attendance import AttendanceViewSet
from .base import MunicipalityScopedViewSet, PendingCountMenuItem, ReadOnlyViewSetMixin
from .bookings import BookingLineViewSet
from .decisions import DecisionViewSetMixin
from .emails import DigestDeliveryViewSet, EmailTemplateViewSet
from .families import (
    ADDRESS_PANELS,
    CHILD_AUTHORISATION_PANELS,
    CHILD_IDENTITY_PANELS,
    GUARDIAN_PANELS,
    ChildHealthViewSet,
    ChildViewSet,
    FamilyViewSet,
)
from .municipalities import MunicipalityViewSet
from .requests import RequestAdminURLFinder, RequestViewSet
from .scoping import MunicipalityScopedPermissionPolicy

__all__ = [
    "ADDRESS_PANELS",
    "CHILD_AUTHORISATION_PANELS",
    "CHILD_IDENTITY_PANELS",
    "GUARDIAN_PANELS",
    "AccountProfileViewSet",
    "ActivityViewSet",
    "AttendanceViewSet",
    "BookingLineViewSet",
    "ChildHealthViewSet",
    "ChildViewSet",
    "ClosureForm",
    "ClosureViewSet",
    "DecisionViewSetMixin",
    "DigestDeliveryViewSet",
    "EmailTemplateViewSet",
    "EnrolmentViewSet",
    "EstablishmentViewSet",
    "FamilyPortalViewSetGroup",
    "FamilyViewSet",
    "MunicipalityScopedViewSet",
    "MunicipalityViewSet",
    "PendingCountMenuItem",
    "ReadOnlyViewSetMixin",
    "RequestAdminURLFinder",
    "RequestViewSet",
    "SubscriptionAttemptViewSet",
    "SubscriptionViewSet",
    "permission_policies",
]


class FamilyPortalViewSetGroup(ViewSetGroup):
    menu_label = _("Family portal")
    menu_icon = "group"
    menu_order = 150
    items = (
        RequestViewSet,
        BookingLineViewSet,
        AttendanceViewSet,
        FamilyViewSet,
        ChildViewSet,
        EnrolmentViewSet,
        ActivityViewSet,
        EstablishmentViewSet,
        ClosureViewSet,
        SubscriptionViewSet,
        AccountProfileViewSet,
        SubscriptionAttemptViewSet,
        DigestDeliveryViewSet,
        ChildHealthViewSet,
        MunicipalityViewSet,
    )


def permission_policies():
    """``(model, policy)`` for every screen, to register before Wagtail needs them."""
    for viewset_class in FamilyPortalViewSetGroup.items:
        yield viewset_class.model, viewset_class.permission_policy_class(viewset_class.model)
    # E-mail texts: the editor's sites only, as the agents' rows (EmailTemplate.objects).
    yield EmailTemplate, MunicipalityScopedPermissionPolicy(EmailTemplate)
