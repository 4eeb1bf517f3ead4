"""Domain models, one module per domain (see docs/architecture.md)."""

from .accounts import AccountProfile, SubscriptionAttempt
from .activities import Activity, Closure, Enrolment, Establishment
from .billing import (
    BillingOffice,
    BillingRun,
    DirectDebitBatch,
    DirectDebitMandate,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    OnlinePayment,
    OnlinePaymentEvent,
    Payment,
    PaymentAllocation,
    PriceBand,
    PriceGrid,
)
from .bookings import (
    ActivityDay,
    BookingLine,
    BookingLineEvent,
    ChildDay,
    DayState,
    UnbookedPresence,
)
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
    "BillingOffice",
    "BillingRun",
    "BookingLine",
    "BookingLineEvent",
    "Child",
    "ChildDay",
    "ChildHealth",
    "Closure",
    "DayState",
    "DirectDebitBatch",
    "DirectDebitMandate",
    "EmailTemplate",
    "Enrolment",
    "Establishment",
    "Family",
    "FamilyFileRules",
    "FamilyPortalPage",
    "FamilyPortalSettings",
    "FileChange",
    "Guardian",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "Municipality",
    "OnlinePayment",
    "OnlinePaymentEvent",
    "Payment",
    "PaymentAllocation",
    "PriceBand",
    "PriceGrid",
    "Request",
    "RequestEvent",
    "Subscription",
    "SubscriptionAttempt",
    "UnbookedPresence",
]
