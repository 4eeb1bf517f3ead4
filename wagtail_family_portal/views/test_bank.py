"""The local test bank of the demo: the payment page of eopayment's dummy backend.

eopayment's dummy backend sends the family to an external test site, unreachable from most
servers; a régie whose backend is "dummy" sends it here instead (the backend's
``dummy_service_url``). The page shows the amount the database holds for the transaction and
two buttons. "Pay" hands the service's server-to-server notification (signed, as the dummy
backend's ``response()`` reads it) to ``online.handle_answer`` — what the notification
address does — then sends the family back to the return address given when the payment
started; "Cancel" does the same with a refusal. No money moves, and only transactions of a
dummy régie are shown: any other is a 404, and so is every one when the site does not allow
test payments (``conf.test_payments()``: ``DEBUG`` by default).
"""

from urllib.parse import parse_qs, urlencode, urlsplit

from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from .. import conf
from ..models import BillingOffice, OnlinePayment
from ..services.billing import online
from .base import portal_view


def _transaction(transaction_id) -> tuple[OnlinePayment, str]:
    """The dummy transaction and its return address (from the request the régie made)."""
    if not conf.test_payments():
        raise Http404
    found = (
        OnlinePayment.objects.filter(
            transaction_id=str(transaction_id or ""),
            backend=BillingOffice.PaymentBackend.DUMMY,
            billing_office__payment_backend=BillingOffice.PaymentBackend.DUMMY,
        )
        .select_related("billing_office")
        .prefetch_related("invoices")
        .first()
    )
    if found is None:
        raise Http404
    started = found.events.filter(source=online.Source.REQUEST).order_by("pk").first()
    url = (started.data or {}).get("url", "") if started else ""
    return_url = parse_qs(urlsplit(url).query).get("return_url", [""])[0]
    if not return_url:
        raise Http404
    return found, return_url


@portal_view()
@require_http_methods(["GET", "HEAD", "POST"])
def test_bank(request, pages):
    source = request.POST if request.method == "POST" else request.GET
    found, return_url = _transaction(source.get("transaction_id"))
    if request.method == "POST" and found.state == OnlinePayment.State.STARTED:
        answer = {"transaction_id": found.transaction_id, "amount": str(found.amount)}
        if request.POST.get("action") == "pay":
            answer["ok"] = "1"
        else:
            answer["reason"] = "cancelled"
        online.handle_answer(
            urlencode({**answer, "signed": "1"}),
            source=online.Source.NOTIFICATION,
            office=found.billing_office,
        )
        separator = "&" if "?" in return_url else "?"
        return redirect(return_url + separator + urlencode(answer))
    if request.method == "POST":
        return redirect(
            return_url
            + ("&" if "?" in return_url else "?")
            + urlencode({"transaction_id": found.transaction_id})
        )
    return pages.render(
        "billing/test_bank.html",
        {"online_payment": found, "invoices": list(found.invoices.all())},
    )
