"""Rate limits of the API and of the portal's login-like forms, read from package defaults and
the host's settings at request time.

The host overrides any rate with ``WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES``, e.g.
``{"auth": "20/hour"}``; ``None`` switches a scope off. The counters live in Django's default
cache, so several app servers share them when that cache is shared (Redis, Memcached).

The pages (login, sign-up, new activation link, password reset) count against the API's
``auth`` scope in the same cache entries: a script gains nothing by switching between the pages
and the API. This slows guessing down before django-axes blocks an account or an address.
"""

import math

from django.utils.translation import ngettext
from rest_framework.throttling import SimpleRateThrottle

from . import conf


def get_throttle_rates() -> dict:
    return conf.throttle_rates()


class PortalRateThrottle(SimpleRateThrottle):
    """A throttle whose rate comes from :func:`get_throttle_rates` instead of DRF's settings."""

    cache_format = "wfp-throttle_%(scope)s_%(ident)s"

    def get_rate(self):
        # Throttles are built for each request, so a changed setting applies at once.
        return get_throttle_rates().get(self.scope)

    def get_ident(self, request):
        """The client's address as django-axes reads it, so that every limit counts the same IP."""
        from .http import client_ip

        return client_ip(getattr(request, "_request", request)) or super().get_ident(request)


class AuthRateThrottle(PortalRateThrottle):
    """Login-like endpoints: counted per IP address, whether or not the client is logged in."""

    scope = "auth"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserRateThrottle(PortalRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(PortalRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def throttle_wait(request) -> int | None:
    """Count this request; the seconds to wait when its IP address is over the ``auth`` rate,
    else None."""
    throttle = AuthRateThrottle()
    if throttle.allow_request(request, None):
        return None
    return max(1, math.ceil(throttle.wait() or 1))


def too_many_attempts_message(seconds: int) -> str:
    return ngettext(
        "Too many attempts from your connection. For your security, try again in %(seconds)d "
        "second.",
        "Too many attempts from your connection. For your security, try again in %(seconds)d "
        "seconds.",
        seconds,
    ) % {"seconds": seconds}


def set_retry_after(response, seconds: int):
    response["Retry-After"] = str(seconds)
    return response
