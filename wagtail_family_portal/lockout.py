"""Login throttling with django-axes: what is locked, for how long, and how a lockout is answered.

django-axes records failed logins and refuses the next ones for a while (settings in
docs/install.md). The package decides what a failure counts against:

- **one account from one IP address**: ``WAGTAIL_FAMILY_PORTAL_LOGIN_LIMITS["account"]`` failures
  (10 by default) lock that account *from that address only*. Somebody who knows a family's
  e-mail address cannot lock the family out from its own connection, and the failures of one
  account do not lock the others behind a shared address (a school, a town hall, a proxy);
- **one IP address, whatever the accounts**: a higher ceiling, ``…["ip"]`` failures (100 by
  default), locks every login from that address, so that a script trying many accounts from one
  address is stopped too.

Both count the failures of the last ``AXES_COOLOFF_TIME``. django-axes applies them through
``AXES_LOCKOUT_PARAMETERS = "wagtail_family_portal.lockout.lockout_parameters"`` and
``AXES_FAILURE_LIMIT = "wagtail_family_portal.lockout.failure_limit"``; the per-IP count reads
the records of django-axes' database handler (its default).

The portal's own pages show the lockout in their form (``views.portal``), the API answers 429 in
JSON, other login forms (the Wagtail admin's) get a plain page: all say how long is left to wait.
"""

import math
from dataclasses import dataclass

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import conf

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


def login_limits() -> dict[str, int]:
    """Failed logins allowed per cool-off: ``account`` (one account from one IP address) and
    ``ip`` (one IP address, whatever the accounts); the setting overrides either."""
    return conf.login_limits()


def failure_limit(request=None, credentials=None) -> int:
    """``AXES_FAILURE_LIMIT``: failures of one account from one IP address before it is locked."""
    return login_limits()["account"]


def ip_failure_limit(request=None, credentials=None) -> int:
    """Failures from one IP address, all accounts together, before the address is locked.

    Never below django-axes' own limit: the address's count includes the account's.
    """
    from axes.helpers import get_failure_limit

    return max(login_limits()["ip"], get_failure_limit(request, credentials))


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    """``AXES_LOCKOUT_PARAMETERS``: the account and the IP address together, or the IP address
    alone once it has reached its own ceiling.

    django-axes counts the failures of the records matching each group it is given, and locks
    when the count reaches ``AXES_FAILURE_LIMIT``; the address's count is over that limit as
    soon as it is over its ceiling, so answering "IP address" then locks it for everyone.
    django-axes also calls this with a stored record (no request): the combination then.
    """
    if isinstance(request_or_attempt, HttpRequest):
        request = request_or_attempt
        if ip_failures(request) >= ip_failure_limit(request, credentials):
            return ["ip_address"]
    return [["username", "ip_address"]]


def _ip_address(request) -> str | None:
    from .http import client_ip

    return getattr(request, "axes_ip_address", None) or client_ip(request)


def _recent(attempts, request):
    """The records of the current cool-off (all of them when there is no cool-off)."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    if cool_off is None:
        return attempts
    moment = getattr(request, "axes_attempt_time", None) or timezone.now()
    return attempts.filter(attempt_time__gte=moment - cool_off)


def ip_failures(request) -> int:
    """Failed logins from the request's IP address during the cool-off, all accounts together."""
    from axes.models import AccessAttempt

    ip_address = _ip_address(request)
    if not ip_address:
        return 0
    attempts = _recent(AccessAttempt.objects.filter(ip_address=ip_address), request)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


@dataclass(frozen=True)
class Lockout:
    """A refused login: the seconds left to wait (0: no cool-off, until an agent unlocks it) and
    whether the whole IP address is locked rather than one account from it."""

    seconds: int
    by_ip: bool = False

    @property
    def message(self) -> str:
        return lockout_message(self.seconds, by_ip=self.by_ip)


def _unlocks_at(attempts, limit: int, cool_off):
    """When the count of ``attempts`` falls under ``limit``: the newest records leave last, so
    the lock ends when the record that brought the count to ``limit`` is older than the
    cool-off. None when the records do not reach the limit."""
    total = 0
    for moment, failures in attempts.order_by("-attempt_time").values_list(
        "attempt_time", "failures_since_start"
    ):
        total += failures
        if total >= limit:
            return moment + cool_off
    return None


def current_lockout(request, credentials=None) -> Lockout:
    """How long the lockout of ``request`` lasts from now, and what it locks."""
    from axes.helpers import get_client_username, get_cool_off, get_failure_limit
    from axes.models import AccessAttempt

    credentials = credentials or getattr(request, "axes_credentials", None)
    cool_off = get_cool_off(request)
    by_ip = "ip_address" in lockout_parameters(request, credentials)
    if not cool_off:
        return Lockout(seconds=0, by_ip=by_ip)
    full = max(1, math.ceil(cool_off.total_seconds()))
    ip_address = _ip_address(request)
    username = get_client_username(request, credentials)
    ends = [
        _unlocks_at(
            _recent(AccessAttempt.objects.filter(ip_address=ip_address), request),
            ip_failure_limit(request, credentials),
            cool_off,
        ),
        _unlocks_at(
            _recent(
                AccessAttempt.objects.filter(ip_address=ip_address, username=username), request
            ),
            get_failure_limit(request, credentials),
            cool_off,
        ),
    ]
    ends = [end for end in ends if end is not None]
    if not ends:  # records kept elsewhere (another django-axes handler): the whole cool-off
        return Lockout(seconds=full, by_ip=by_ip)
    left = (max(ends) - timezone.now()).total_seconds()
    return Lockout(seconds=min(full, max(1, math.ceil(left))), by_ip=by_ip)


def lockout_message(seconds: int, *, by_ip: bool = False) -> str:
    if not seconds:
        return _("Too many failed attempts: this account is blocked. Contact the service.")
    minutes = max(1, math.ceil(seconds / 60))
    if by_ip:
        return ngettext(
            "Too many failed logins from your connection. For your security, logging in from "
            "it is blocked for %(minutes)d more minute, whatever the account.",
            "Too many failed logins from your connection. For your security, logging in from "
            "it is blocked for %(minutes)d more minutes, whatever the account.",
            minutes,
        ) % {"minutes": minutes}
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
    if getattr(original_response, "wfp_lockout_shown", False):
        return original_response
    lockout = current_lockout(request, credentials)
    if request.path.startswith(API_PREFIX_MARKER) or "/api/" in request.path:
        response = JsonResponse({"detail": lockout.message}, status=429)
    else:
        response = HttpResponse(lockout.message, status=429, content_type="text/plain")
    if lockout.seconds:
        response["Retry-After"] = str(lockout.seconds)
    return response
