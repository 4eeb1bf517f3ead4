"""Account pages under the portal page: sign-up, activation, new activation link, passwords,
the choice of e-mails about decisions.

Each route of ``FamilyPortalPage`` named like a function below is a ``base.portal_view``. The
views validate the form, call ``services.accounts`` (or Django's password views) and render;
the services decide and change everything. The login-like forms are rate limited per IP
address (``throttling``, ``views.throttling``) before anything else runs.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from ..http import absolute_portal_url, client_ip, request_site
from ..models import AccountProfile
from ..services import accounts
from ..throttling import set_retry_after, throttle_wait, too_many_attempts_message
from .account_forms import (
    EmailForm,
    NotificationSettingsForm,
    PortalPasswordResetForm,
    SignUpForm,
)
from .base import TEMPLATES as PORTAL_TEMPLATES
from .base import portal_context, portal_view, subpage_url
from .errors import drop_autofocus
from .throttling import ThrottledPostMixin, show_form_error

TEMPLATES = "accounts/"


def _throttled(pages, template: str, form, context: dict | None = None):
    """The page of ``form`` with the rate limit's message, form kept as typed, HTTP 429."""
    wait = throttle_wait(pages.request)
    if wait is None:
        return None
    show_form_error(form, too_many_attempts_message(wait))
    response = pages.render(TEMPLATES + template, {**(context or {}), "form": form}, status=429)
    return set_retry_after(response, wait)


def _expiry_days() -> int:
    return max(1, round(accounts.activation_timeout() / 86400))


# Sign-up


@portal_view()
def signup(request, pages):
    """Create an account: an inactive one, activated from the link e-mailed to its address.

    An address that already has an account gets the same answer (and an e-mail saying so), so
    that the form does not tell who is registered; a subscriber code too, whether it exists or
    not: the activation e-mail tells what it gave.
    """
    if request.user.is_authenticated:
        return redirect(pages.base_url)
    status = 200
    if request.method == "POST":
        form = SignUpForm(request.POST)
        throttled = _throttled(pages, "signup.html", form)
        if throttled:
            return throttled
        if form.is_valid():
            try:
                accounts.sign_up(
                    **form.service_arguments(),
                    **pages.portal,
                    ip_address=client_ip(request),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return redirect(pages.subpage_url("signup_done"))
    else:
        form = SignUpForm()
    return pages.render(TEMPLATES + "signup.html", {"form": form}, status=status)


@portal_view()
def signup_done(request, pages):
    return pages.render(TEMPLATES + "signup_done.html", {"expiry_days": _expiry_days()})


# Activation


@portal_view()
def activate(request, pages, token: str):
    """The link of the activation e-mail.

    GET only shows a button: mail scanners and link previews follow links, and must not
    activate the account (nor spend the link). The POST of that button activates it.
    """
    if request.method == "POST":
        try:
            activation = accounts.activate(token)
        except accounts.AccountError as error:
            if error.code == "already_active":
                messages.info(request, error.message)
                return redirect(pages.subpage_url("login"))
            return _activation_error(pages, error, status=400)
        messages.success(request, _("Your account is activated. You can now log in."))
        notice = accounts.activation_notice(activation)
        if notice:
            messages.info(request, notice)
        return redirect(pages.subpage_url("login"))
    try:
        user = accounts.check_activation_token(token)
    except accounts.AccountError as error:
        return _activation_error(pages, error)
    return pages.render(TEMPLATES + "activate.html", {"account": user})


def _activation_error(pages, error, status: int = 200):
    context = {"error": error.message, "error_code": error.code, "resend_form": EmailForm()}
    return pages.render(TEMPLATES + "activate.html", context, status=status)


@portal_view()
def resend_activation(request, pages):
    """Ask for a new activation link. The answer is the same whatever the address."""
    if request.method == "POST":
        form = EmailForm(request.POST)
        throttled = _throttled(pages, "resend_activation.html", form)
        if throttled:
            return throttled
        if form.is_valid():
            accounts.resend_activation(
                email=form.cleaned_data["email"],
                **pages.portal,
            )
            context = {"sent": True, "expiry_days": _expiry_days()}
            return pages.render(TEMPLATES + "resend_activation.html", context)
    else:
        form = EmailForm()
    return pages.render(TEMPLATES + "resend_activation.html", {"form": form})


# Passwords: Django's views, in the portal's pages.


class PortalPageMixin:
    """Gives a Django class-based view the portal page's context and URLs."""

    page = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(portal_context(self.request, self.page))
        return context

    def subpage_url(self, name: str) -> str:
        return subpage_url(self.page, name, self.request)

    def form_invalid(self, form):
        drop_autofocus(form)
        return super().form_invalid(form)


class PasswordChangeView(PortalPageMixin, auth_views.PasswordChangeView):
    """Change the password; the session stays logged in (Django updates its hash)."""

    template_name = PORTAL_TEMPLATES + TEMPLATES + "password_change.html"

    def get_success_url(self):
        return self.page.get_url(self.request)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetView(ThrottledPostMixin, PortalPageMixin, auth_views.PasswordResetView):
    """Ask for a password-reset link; the answer is the same whatever the address.

    An account never activated has no password to reset yet: it gets a new activation link
    instead (``services.accounts.resend_activation``, silent in every other case).
    """

    template_name = PORTAL_TEMPLATES + TEMPLATES + "password_reset.html"
    form_class = PortalPasswordResetForm

    def get_success_url(self):
        return self.subpage_url("password_reset_done")

    def form_valid(self, form):
        # Read by PortalPasswordResetForm.send_mail, to build the link and queue the e-mail.
        site = request_site(self.request)
        portal_url = absolute_portal_url(self.request, self.page)
        self.extra_email_context = {
            "portal_page": self.page,
            "portal_url": portal_url,
            "site_id": site.pk if site else None,
        }
        accounts.resend_activation(
            email=form.cleaned_data["email"], site=site, portal_url=portal_url
        )
        return super().form_valid(form)


class PasswordResetDoneView(PortalPageMixin, auth_views.PasswordResetDoneView):
    template_name = PORTAL_TEMPLATES + TEMPLATES + "password_reset_done.html"


class PasswordResetConfirmView(PortalPageMixin, auth_views.PasswordResetConfirmView):
    template_name = PORTAL_TEMPLATES + TEMPLATES + "password_reset_confirm.html"

    def get_success_url(self):
        return self.subpage_url("password_reset_complete")


class PasswordResetCompleteView(PortalPageMixin, auth_views.PasswordResetCompleteView):
    template_name = PORTAL_TEMPLATES + TEMPLATES + "password_reset_complete.html"


@portal_view(login=True)
def password_change(request, pages):
    return PasswordChangeView.as_view(page=pages.page)(request)


@portal_view()
def password_reset(request, pages):
    return PasswordResetView.as_view(page=pages.page)(request)


@portal_view()
def password_reset_done(request, pages):
    return PasswordResetDoneView.as_view(page=pages.page)(request)


@portal_view()
def password_reset_confirm(request, pages, uidb64: str, token: str):
    return PasswordResetConfirmView.as_view(page=pages.page)(request, uidb64=uidb64, token=token)


@portal_view()
def password_reset_complete(request, pages):
    return PasswordResetCompleteView.as_view(page=pages.page)(request)


# E-mails about decisions


@portal_view(login=True)
def notification_settings(request, pages):
    """The account's choice: the digest of decisions at set times (default), or no e-mail.

    Every account gets a profile when created (``signals.py``); one that still has none (rows
    inserted in bulk, bypassing signals) sees the default, and saving creates the profile.
    """
    profile = AccountProfile.objects.filter(user=request.user).first()
    if request.method == "POST":
        form = NotificationSettingsForm(request.POST, instance=profile or AccountProfile())
        if form.is_valid():
            accounts.set_decision_emails(request.user, form.cleaned_data["decision_emails"])
            messages.success(request, _("Your choice of e-mails has been saved."))
            return redirect(pages.subpage_url("notification_settings"))
    else:
        form = NotificationSettingsForm(instance=profile or AccountProfile())
    return pages.render(
        TEMPLATES + "notification_settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
