"""Portal root: the families' dashboard, and the login and logout entry points for visitors."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from .. import clock, lockout
from ..fields import WEEKDAY_CHOICES
from ..models import Child, Enrolment, Family, Guardian
from ..services import accounts
from ..services import requests as request_reads
from ..throttling import set_retry_after
from .base import portal_context, portal_view
from .billing import dashboard_dues
from .errors import drop_autofocus
from .throttling import ThrottledPostMixin, show_form_error

WEEKDAY_NAMES = dict(WEEKDAY_CHOICES)
# The id of the login form's error box (login_form.html), which describes both fields.
LOGIN_ERRORS_ID = "wfp-login-errors"


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, asking for the e-mail address the ``EmailBackend`` expects."""

    error_messages = {
        "invalid_login": _(
            "The e-mail address or the password is incorrect. Check them and try again."
        ),
        "inactive": _("This account is not active yet."),
        "not_activated": _(
            "Your account is not activated yet: open the link we sent you by e-mail, or ask "
            "for a new one."
        ),
    }
    # Set when the right password was given for an account never activated: the template then
    # links to the page sending a new activation link.
    not_activated = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.label = _("E-mail address")
        field.widget = forms.EmailInput(
            attrs={**field.widget.attrs, "autocomplete": "email", "autocapitalize": "none"}
        )
        self.fields["password"].label = pgettext_lazy("family portal", "Password")

    def add_error(self, field, error):
        super().add_error(field, error)
        if field is None:
            self._tie_errors_to_fields()

    def _tie_errors_to_fields(self) -> None:
        """Mark both fields invalid and described by the error above them.

        A wrong address or password (or a lockout) is an error of the form, not of one field:
        saying which field would tell whether the address has an account. Screen readers still
        read it on each field.
        """
        for name in ("username", "password"):
            attrs = self.fields[name].widget.attrs
            if "aria-describedby" not in attrs:
                own = self[name].aria_describedby  # the field's help text and errors, if any
                attrs["aria-describedby"] = " ".join(filter(None, [LOGIN_ERRORS_ID, own]))
            attrs["aria-invalid"] = "true"

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login" and self._awaiting_activation():
                self.not_activated = True
                raise ValidationError(
                    self.error_messages["not_activated"], code="not_activated"
                ) from None
            raise

    def _awaiting_activation(self) -> bool:
        """Whether the right password was given for an account that was never activated.

        Only someone who knows the password learns it; during a lockout nobody does. The same
        hashing work is done whatever the case, so that timing does not tell either.
        """
        if lockout.is_locked_out(self.request):
            return False
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        return accounts.awaits_activation(email, password)


def families_for_dashboard(user, municipality=None):
    """The account's families with everything the dashboard shows, in a fixed number of queries.

    On a site tied to a municipality, only that municipality's families are shown: an account
    linked to families of two towns sees each on its own town's portal. Enrolments that have
    ended are left out: the dashboard shows what the children attend now and what is coming.
    """
    enrolments = (
        Enrolment.objects.filter(end_date__gte=clock.today())
        .select_related("activity__establishment")
        .order_by("activity__start_time", "activity__name", "start_date")
    )
    children = Child.objects.select_related("establishment").prefetch_related(
        Prefetch("enrolments", queryset=enrolments, to_attr="current_enrolments")
    )
    families = Family.objects.for_account(user).on_portal(municipality)
    return families.select_related("municipality").prefetch_related(
        Prefetch("guardians", queryset=Guardian.objects.order_by("pk")),
        Prefetch("children", queryset=children),
    )


def new_messages_label(count: int) -> str:
    """ "2 nouveaux messages": the service's messages an account has not read yet."""
    return ngettext("%(count)d new message", "%(count)d new messages", count) % {"count": count}


def weekday_names(days) -> list[str]:
    return [str(WEEKDAY_NAMES[day]) for day in days if day in WEEKDAY_NAMES]


@portal_view()
def dashboard(request, pages):
    context = pages.context
    if request.user.is_authenticated:
        families = list(families_for_dashboard(request.user, context["municipality"]))
        for family in families:
            for child in family.children.all():
                for enrolment in child.current_enrolments:
                    enrolment.weekday_names = weekday_names(enrolment.activity.weekdays)
        context["families"] = families
        # One query for what every family shown still owes (the invoices block).
        dues = dashboard_dues(request.user, families)
        for family in families:
            family.invoices_due = dues.get(family.pk)
        # One query for every family shown; none for an account without family.
        context["unread_messages"] = (
            request_reads.unread_total(request.user, [family.pk for family in families])
            if families
            else 0
        )
    else:
        form = EmailAuthenticationForm(request)
        # The intro comes first on this page: focusing the form would make screen readers skip it.
        form.fields["username"].widget.attrs.pop("autofocus", None)
        context["login_form"] = form
    return TemplateResponse(request, pages.page.template, context)


class PortalLoginView(ThrottledPostMixin, auth_views.LoginView):
    template_name = "wagtail_family_portal/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True
    page = None

    def get_default_redirect_url(self):
        return self.page.get_url(self.request)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(portal_context(self.request, self.page))
        return context

    def form_invalid(self, form):
        drop_autofocus(form)
        if not lockout.is_locked_out(self.request):
            return super().form_invalid(form)
        # django-axes refused the attempt (even a right password) or this failure reached the
        # limit: say so, and for how long, instead of "wrong password".
        refused = lockout.current_lockout(self.request)
        show_form_error(form, refused.message)
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response.wfp_lockout_shown = True  # the axes middleware keeps this page
        return set_retry_after(response, refused.seconds) if refused.seconds else response


@portal_view()
def login(request, pages):
    """Log in by e-mail; ``next`` is followed only when it stays on this site."""
    return PortalLoginView.as_view(page=pages.page)(request)


@portal_view()
def logout(request, pages):
    """Log out on POST only (a link could be followed by a prefetcher), then back to the portal."""
    if request.method != "POST":
        return redirect(pages.base_url)
    return auth_views.LogoutView.as_view(next_page=pages.base_url)(request)
