"""“Mes abonnements”: the families linked to the account, and linking one with its subscriber code.

Linking takes two steps, as on paper: "Rechercher" shows the family a code designates (its name
and town, nothing more) and asks to confirm; "Confirmer" links it. Both steps go through
``services.subscriptions``, which logs every code tried and enforces the brute-force limits, so
that posting the confirmation directly gains nothing.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ..http import client_ip, municipality_for_request
from ..models import Subscription
from ..models.accounts import SubscriptionAttempt
from ..services import subscriptions
from .portal import portal_context, subpage_url

TEMPLATES = "wagtail_family_portal/subscriptions/"
SEARCH, CONFIRM = "search", "confirm"


class SubscriberCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Subscriber code"),
        max_length=64,
        help_text=_(
            "Printed on the paperwork the municipality sends you (enrolment letter, invoice). "
            "Capitals, spaces and dashes do not matter."
        ),
        error_messages={"required": _("Enter your subscriber code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


def _login_redirect(request, page):
    return redirect_to_login(request.get_full_path(), subpage_url(page, "login", request))


def _render(request, page, template: str, context: dict, status: int = 200):
    context = {
        **portal_context(request, page),
        "subscriptions_url": subpage_url(page, "subscriptions", request),
        **context,
    }
    return TemplateResponse(request, TEMPLATES + template, context, status=status)


def subscription_list(request, page):
    """The family files linked to the account, whatever their town, and the way to add one."""
    if not request.user.is_authenticated:
        return _login_redirect(request, page)
    linked = Subscription.objects.for_account(request.user).listed()
    return _render(request, page, "list.html", {"subscriptions": linked})


def subscribe(request, page):
    """ "M'abonner": search a family by its code, then confirm to link it."""
    if not request.user.is_authenticated:
        return _login_redirect(request, page)
    if request.method != "POST":
        return _render(request, page, "search.html", {"form": SubscriberCodeForm()})

    form = SubscriberCodeForm(request.POST)
    if not form.is_valid():
        return _render(request, page, "search.html", {"form": form})
    step = CONFIRM if request.POST.get("step") == CONFIRM else SEARCH
    attempt = {
        "code": form.cleaned_data["code"],
        "user": request.user,
        "municipality": municipality_for_request(request),
        "ip_address": client_ip(request),
        "channel": SubscriptionAttempt.Channel.PORTAL,
    }
    try:
        if step == SEARCH:
            family = subscriptions.find_family(**attempt)
        else:
            subscription = subscriptions.subscribe(**attempt)
    except subscriptions.SubscriptionError as error:
        form.add_error("code", error.message)
        if not isinstance(error, subscriptions.TooManyAttempts):
            return _render(request, page, "search.html", {"form": form})
        response = _render(request, page, "search.html", {"form": form}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response

    if step == SEARCH:
        return _render(request, page, "confirm.html", {"form": form, "family": family})
    messages.success(
        request,
        _("Your account is now linked to the %(family)s family.")
        % {"family": subscription.family.name},
    )
    return redirect(page.get_url(request))
