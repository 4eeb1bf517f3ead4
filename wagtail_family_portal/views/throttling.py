"""Rate limit of the portal's login-like forms (login, sign-up, new activation link, password
reset), per IP address.

The pages count against the API's ``auth`` scope (``api.throttling.AuthRateThrottle``), in the
same cache entries: a script gains nothing by switching between the pages and the API. This
slows guessing down before django-axes blocks an account or an address for a while.
"""

import math

from django.forms.utils import ErrorDict
from django.utils.translation import ngettext

from ..api.throttling import AuthRateThrottle
from .errors import drop_autofocus


def throttle_wait(request) -> int | None:
    """Count this request; the seconds to wait when its IP address is over the rate, else None."""
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


def show_form_error(form, message) -> None:
    """Show only ``message`` above a bound form, without validating it (again).

    Validating would run what the form guards (a login form authenticates): a refused request
    must not do that. The fields keep what was typed; password inputs never render a value.
    """
    form._errors = ErrorDict()
    form.cleaned_data = {}
    form.add_error(None, message)
    drop_autofocus(form)


def set_retry_after(response, seconds: int):
    response["Retry-After"] = str(seconds)
    return response


class ThrottledPostMixin:
    """For Django's form views: a POST over the rate gets its form back with the wait, HTTP 429,
    before the view runs anything the form guards (a login form would try the password)."""

    def post(self, request, *args, **kwargs):
        wait = throttle_wait(request)
        if wait is None:
            return super().post(request, *args, **kwargs)
        form = self.get_form()
        show_form_error(form, too_many_attempts_message(wait))
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        return set_retry_after(response, wait)
