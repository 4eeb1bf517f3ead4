"""Login throttling with django-axes: how the portal names an account and answers a lockout.

django-axes counts failed logins per account and per IP address and blocks them for a while
(settings in docs/install.md). The portal's own pages show the lockout in their form
(``views.accounts``), the API answers 429 in JSON; both say how long to wait.
"""

import math

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

API_PREFIX_MARKER = "/api/family-portal/"


def axes_username(request, credentials) -> str | None:
    """The account a login attempt targets: the e-mail address (lower-cased) or the username.

    The page's form posts ``username`` (holding an address), the API authenticates with
    ``email``; both count against the same account.
    """
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("username") or request.POST.get("email")
    return value.strip().lower() if isinstance(value, str) else value


def cool_off_seconds(request=None) -> int:
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_message(seconds: int) -> str:
    if not seconds:
        return _("Too many failed attempts: this account is blocked. Contact the service.")
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed attempts. For your security, logging in is blocked for %(minutes)d "
        "minute.",
        "Too many failed attempts. For your security, logging in is blocked for %(minutes)d "
        "minutes.",
        minutes,
    ) % {"minutes": minutes}


def is_locked_out(request) -> bool:
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: JSON 429 for the API, the page's own answer for the portal.

    The portal's login page already shows the lockout in its form (and marks its response);
    other login forms (the Wagtail admin's) get a plain translated page.
    """
    seconds = cool_off_seconds(request)
    if getattr(original_response, "wfp_lockout_shown", False):
        return original_response
    if request.path.startswith(API_PREFIX_MARKER) or "/api/" in request.path:
        response = JsonResponse({"detail": lockout_message(seconds)}, status=429)
    else:
        response = HttpResponse(lockout_message(seconds), status=429, content_type="text/plain")
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
