"""The package's settings: every ``WAGTAIL_FAMILY_PORTAL_*`` setting, with its default and what
it does, read here and nowhere else.

Each is read when it is used (not at import time), so a test's ``override_settings`` and a
host's settings module both take effect. Python settings hold deployment matters only; what a
town's editors choose (texts, colours, digest times, modules) lives in the CMS.

========================================  ================================================
setting                                   default
========================================  ================================================
``ACTIVATION_TIMEOUT``                    3 days (seconds an activation link stays valid)
``API_THROTTLE_RATES``                    ``{"auth": "10/minute", "user": "300/minute",
                                          "anon": "60/minute"}``; each scope overridable,
                                          ``None`` switches it off
``BASE_TEMPLATE``                         ``"wagtail_family_portal/layout.html"`` (the page
                                          frame the portal's pages extend)
``ATTESTATION_RENDERER``                  ``"wagtail_family_portal.pdf.attestation.``
                                          ``AttestationRenderer"``: the class (dotted path)
                                          that draws the yearly attestation's PDF
``CSP``                                   ``{}``: directives replacing the portal's own;
                                          ``None`` switches the policy off
``INVOICE_RENDERER``                      ``"wagtail_family_portal.pdf.invoice.``
                                          ``InvoiceRenderer"``: the class (dotted path) that
                                          draws invoices and credit notes (docs/billing.md)
``LOGIN_LIMITS``                          ``{"account": 10, "ip": 100}`` failed logins per
                                          cool-off (one account from one IP; one IP)
``MAX_PHOTO_BYTES``                       5 MB (largest child photo accepted)
``PRIVATE_ROOT``                          ``MEDIA_ROOT`` + ``-private`` (local private files)
``PRIVATE_STORAGE``                       ``None``: an alias of ``STORAGES`` for private files
``SUBSCRIPTION_ATTEMPTS_RETENTION``       one year (a ``timedelta`` or a number of days)
``SUBSCRIPTION_LIMITS``                   ``{"account": 5, "ip": 20}`` wrong codes per hour
``TEST_PAYMENTS``                         ``DEBUG``: whether a régie on the test backend
                                          ("dummy", no money moves) may take payments
                                          through the local test bank
``TIME_ZONE``                             ``"Europe/Paris"``: the portal's clock (deadlines,
                                          "today", the digests' times; ``clock.py``)
========================================  ================================================
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.module_loading import import_string

PREFIX = "WAGTAIL_FAMILY_PORTAL_"

DEFAULT_ACTIVATION_TIMEOUT = 3 * 24 * 3600
DEFAULT_THROTTLE_RATES = {
    # Attempts to get a token, sign up, activate, log in or reset a password, per IP address.
    "auth": "10/minute",
    # Every other request, per account, or per IP address for anonymous requests.
    "user": "300/minute",
    "anon": "60/minute",
}
DEFAULT_BASE_TEMPLATE = "wagtail_family_portal/layout.html"
DEFAULT_INVOICE_RENDERER = "wagtail_family_portal.pdf.invoice.InvoiceRenderer"
DEFAULT_ATTESTATION_RENDERER = "wagtail_family_portal.pdf.attestation.AttestationRenderer"
DEFAULT_LOGIN_LIMITS = {"account": 10, "ip": 100}
DEFAULT_MAX_PHOTO_BYTES = 5 * 1024 * 1024
DEFAULT_SUBSCRIPTION_ATTEMPTS_RETENTION = dt.timedelta(days=365)
DEFAULT_SUBSCRIPTION_LIMITS = {"account": 5, "ip": 20}
DEFAULT_TIME_ZONE = "Europe/Paris"

_MISSING = object()


def setting_name(name: str) -> str:
    """The full name of one of the package's settings, for messages: ``WAGTAIL_FAMILY_PORTAL_…``."""
    return PREFIX + name


def get(name: str, default=None):
    """The host's value of ``WAGTAIL_FAMILY_PORTAL_<name>``, or ``default`` when it is not set."""
    value = getattr(settings, PREFIX + name, _MISSING)
    return default if value is _MISSING else value


def activation_timeout() -> int:
    """Seconds an activation link stays valid."""
    return int(get("ACTIVATION_TIMEOUT") or 0) or DEFAULT_ACTIVATION_TIMEOUT


def throttle_rates() -> dict:
    """The API's (and the login-like pages') rate per scope."""
    return {**DEFAULT_THROTTLE_RATES, **(get("API_THROTTLE_RATES") or {})}


def base_template() -> str:
    """The template the portal's ``base.html`` extends."""
    return get("BASE_TEMPLATE") or DEFAULT_BASE_TEMPLATE


def csp_overrides() -> dict | None:
    """Directives replacing the portal's own Content-Security-Policy; None switches it off."""
    return get("CSP", {})


def invoice_renderer() -> type:
    """The class that draws invoices and credit notes: a subclass of
    ``pdf.invoice.InvoiceRenderer`` named by its dotted path."""
    return import_string(get("INVOICE_RENDERER") or DEFAULT_INVOICE_RENDERER)


def attestation_renderer() -> type:
    """The class that draws the yearly attestation (``pdf.attestation.AttestationRenderer``)."""
    return import_string(get("ATTESTATION_RENDERER") or DEFAULT_ATTESTATION_RENDERER)


def login_limits() -> dict[str, int]:
    """Failed logins allowed per cool-off: ``account`` (one account from one IP address) and
    ``ip`` (one IP address, whatever the accounts)."""
    limits = {**DEFAULT_LOGIN_LIMITS, **(get("LOGIN_LIMITS") or {})}
    return {key: int(value) for key, value in limits.items()}


def max_photo_bytes() -> int:
    return get("MAX_PHOTO_BYTES", DEFAULT_MAX_PHOTO_BYTES)


def private_storage_alias() -> str | None:
    return get("PRIVATE_STORAGE")


def private_root_setting() -> str | None:
    return get("PRIVATE_ROOT")


def subscription_attempts_retention() -> dt.timedelta:
    """How long subscriber-code attempts are kept (a ``timedelta`` or a number of days)."""
    value = get("SUBSCRIPTION_ATTEMPTS_RETENTION")
    if value is None:
        return DEFAULT_SUBSCRIPTION_ATTEMPTS_RETENTION
    return value if isinstance(value, dt.timedelta) else dt.timedelta(days=value)


def subscription_limits() -> dict[str, int]:
    """Wrong subscriber codes allowed per hour, per account and per IP address."""
    return {**DEFAULT_SUBSCRIPTION_LIMITS, **get("SUBSCRIPTION_LIMITS", {})}


def test_payments() -> bool:
    """Whether the test payment backend works: in development (``DEBUG``) unless set. In
    production a régie left on it takes no payment, rather than marking invoices paid for
    whoever clicks."""
    allowed = get("TEST_PAYMENTS")
    return settings.DEBUG if allowed is None else bool(allowed)


def time_zone() -> ZoneInfo:
    """The portal's time zone: the clock of deadlines, of "today" and of the digests."""
    return ZoneInfo(get("TIME_ZONE") or DEFAULT_TIME_ZONE)
