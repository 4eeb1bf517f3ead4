"""Domain models, one module per domain (see docs/architecture.md)."""

from .accounts import AccountProfile, SubscriptionAttempt
from .activities import Activity, Closure, Enrolment, Establishment
from .bookings import ActivityDay, BookingLine, BookingLineEvent, ChildDay, DayState
from .families import AuthorisedContact, Child, ChildHealth, Family, Guardian, Subscription
from .field_rules import FamilyFileRules
from .municipality import Municipality
from .notifications import EmailTemplate
from .pages import FamilyPortalPage
from .requests import FileChange, Request, RequestEvent
from .settings import FamilyPortalSettings

__all__ = [
    "AccountProfile",
    "Activity",
    "ActivityDay",
    "AuthorisedContact",
    "BookingLine",
    "BookingLineEvent",
    "Child",
    "ChildDay",
    "ChildHealth",
    "Closure",
    "DayState",
    "EmailTemplate",
    "Enrolment",
    "Establishment",
    "Family",
    "FamilyFileRules",
    "FamilyPortalPage",
    "FamilyPortalSettings",
    "FileChange",
    "Guardian",
    "Municipality",
    "Request",
    "RequestEvent",
    "Subscription",
    "SubscriptionAttempt",
]
