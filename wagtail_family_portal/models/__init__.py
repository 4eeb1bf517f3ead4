"""Domain models, one module per domain (see docs/architecture.md)."""

from .activities import Activity, Closure, Enrolment, Establishment
from .families import AuthorisedContact, Child, ChildHealth, Family, Guardian, Subscription
from .municipality import Municipality
from .pages import FamilyPortalPage
from .settings import FamilyPortalSettings

__all__ = [
    "Activity",
    "AuthorisedContact",
    "Child",
    "ChildHealth",
    "Closure",
    "Enrolment",
    "Establishment",
    "Family",
    "FamilyPortalPage",
    "FamilyPortalSettings",
    "Guardian",
    "Municipality",
    "Subscription",
]
