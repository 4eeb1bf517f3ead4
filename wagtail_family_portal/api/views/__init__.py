"""The API's views, one module per domain: ``auth`` (``auth/``), ``accounts`` (``me/``,
``subscriptions/``), ``family_file``, ``requests`` ("Mes demandes"), ``planning`` and
``unknown`` (the JSON 404 of every other address).

The names below were importable from ``api.views`` when it was one module (the error answers
now live in ``api.responses``).
"""

from ..responses import ERROR_400, ERROR_401, ERROR_429, error_response, too_many_attempts
from .accounts import MeView, NotificationsView, SubscriptionsView
from .auth import ActivateView, AuthEndpoint, ResendActivationView, SignUpView, TokenView
from .unknown import UnknownAddressView, is_api_endpoint

__all__ = [
    "ERROR_400",
    "ERROR_401",
    "ERROR_429",
    "ActivateView",
    "AuthEndpoint",
    "MeView",
    "NotificationsView",
    "ResendActivationView",
    "SignUpView",
    "SubscriptionsView",
    "TokenView",
    "UnknownAddressView",
    "error_response",
    "is_api_endpoint",
    "too_many_attempts",
]
