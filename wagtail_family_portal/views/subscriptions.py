"""“Mes abonnements”: the families linked to the account, and linking one with its subscriber code.

Linking takes two steps, as on paper: "Rechercher" shows the family a code designates (its name
and town, nothing more) and asks to confirm; "Confirmer" links it. Both steps go through
``services.subscriptions``, which logs every code tried and enforces the brute-force limits, so
that posting the confirmation directly gains nothing.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from ..http import client_ip, municipality_for_request
from ..models import Subscription
from ..models.accounts import SubscriptionAttempt
from ..services import subscriptions
from .base import portal_view

TEMPLATES = "subscriptions/"
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


def _subscriptions_page(pages, template: str, context: dict, status: int = 200):
    """A page of "Mes abonnements": every one links back to the list."""
    context = {"subscriptions_url": pages.subpage_url("subscriptions"), **context}
    return pages.render(TEMPLATES + template, context, status=status)


@portal_view(login=True)
def subscription_list(request, pages):
    """The family files linked to the account, whatever their town, and the way to add one."""
    linked = Subscription.objects.for_account(request.user).listed()
    return _subscriptions_page(pages, "list.html", {"subscriptions": linked})


@portal_view(login=True)
def subscribe(request, pages):
    """ "M'abonner": search a family by its code, then confirm to link it."""
    if request.method != "POST":
        return _subscriptions_page(pages, "search.html", {"form": SubscriberCodeForm()})

    form = SubscriberCodeForm(request.POST)
    if not form.is_valid():
        return _subscriptions_page(pages, "search.html", {"form": form})
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
            return _subscriptions_page(pages, "search.html", {"form": form})
        response = _subscriptions_page(pages, "search.html", {"form": form}, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response

    if step == SEARCH:
        return _subscriptions_page(pages, "confirm.html", {"form": form, "family": family})
    messages.success(
        request,
        _("Your account is now linked to the %(family)s family.")
        % {"family": subscription.family.name},
    )
    return redirect(pages.base_url)
