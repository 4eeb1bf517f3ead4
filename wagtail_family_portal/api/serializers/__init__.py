"""Request and response bodies of the API, one module per domain.

``common`` (errors, a town's summary), ``fields`` (ids, dates, weekdays), ``accounts``,
``family_file``, ``file_changes``, ``requests`` (what every request shows, the family's list),
``bookings`` and ``planning``. The names below were importable from ``api.serializers`` when it
was one module; the modules of the API import from the domain modules themselves.
"""

from .accounts import (
    ACTIVATION_ERROR_CODES,
    DECISION_EMAILS_CHOICE,
    TERMS_REQUIRED,
    AccountSerializer,
    ActivationErrorSerializer,
    ActivationRequestSerializer,
    EmailRequestSerializer,
    LinkedSubscriptionSerializer,
    NotificationPreferencesSerializer,
    SignUpRequestSerializer,
    SubscribeRequestSerializer,
    SubscriptionSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .common import DetailSerializer, ErrorSerializer, MunicipalitySummarySerializer

__all__ = [
    "ACTIVATION_ERROR_CODES",
    "DECISION_EMAILS_CHOICE",
    "TERMS_REQUIRED",
    "AccountSerializer",
    "ActivationErrorSerializer",
    "ActivationRequestSerializer",
    "DetailSerializer",
    "EmailRequestSerializer",
    "ErrorSerializer",
    "LinkedSubscriptionSerializer",
    "MunicipalitySummarySerializer",
    "NotificationPreferencesSerializer",
    "SignUpRequestSerializer",
    "SubscribeRequestSerializer",
    "SubscriptionSerializer",
    "TokenRequestSerializer",
    "TokenSerializer",
]
