"""The portal's login-like forms over their rate (``throttling.throttle_wait``): the form back
with the wait, HTTP 429, before anything the form guards runs."""

from django.forms.utils import ErrorDict

from ..throttling import set_retry_after, throttle_wait, too_many_attempts_message
from .errors import drop_autofocus


def show_form_error(form, message) -> None:
    """Show only ``message`` above a bound form, without validating it (again).

    Validating would run what the form guards (a login form authenticates): a refused request
    must not do that. The fields keep what was typed; password inputs never render a value.
    """
    form._errors = ErrorDict()
    form.cleaned_data = {}
    form.add_error(None, message)
    drop_autofocus(form)


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
