"""Online payment of invoices through eopayment (PayFiP, Systempay, PayZen, Paybox, Mollie,
and eopayment's dummy backend for the demo).

``start_payment`` asks the régie's payment service for a transaction covering what the chosen
invoices still owe (several invoices of one régie at once) and records it as an
``OnlinePayment``. ``handle_response`` reads what the service answers — the family's browser
coming back (``source="return"``) or the service's server-to-server notification
(``source="notification"``) — through eopayment's own check of the signature, and records the
payment once: the ``OnlinePayment`` row is locked while an answer is handled, so a notification
replayed, or arriving after the return, finds the payment already made. Every answer, whatever
it says, is kept as an ``OnlinePaymentEvent`` (the log agents read).

A régie's options come from two places: ``BillingOffice.payment_options`` (not secret, in the
database) merged with the JSON object held by the environment variable that
``payment_secrets_env`` names (the secrets, never stored in the database).

The dummy backend signs nothing: a notification saying ``signed`` is believed. It exists for
demonstrations and tests only and moves no money; never configure it for a real régie.
"""

import json
import logging
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import eopayment
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ... import clock, conf
from ...models import BillingOffice, Invoice, OnlinePayment, OnlinePaymentEvent
from ...models.billing import ZERO, money
from . import payments
from .errors import BillingError

logger = logging.getLogger(__name__)

Backend = BillingOffice.PaymentBackend
State = OnlinePayment.State


class Source:
    REQUEST = "request"
    RETURN = "return"
    NOTIFICATION = "notification"


class Outcome:
    """What an answer of the payment service was found to say (``OnlinePaymentEvent.outcome``)."""

    STARTED = "started"
    PAID = "paid"
    REFUSED = "refused"
    CANCELLED = "cancelled"
    PENDING = "pending"
    REPLAY = "replay"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_TRANSACTION = "unknown_transaction"
    AMOUNT_MISMATCH = "amount_mismatch"
    UNREADABLE = "unreadable"
    NOT_RECORDED = "not_recorded"


# How each backend gives back the amount paid: (field of bank_data, unit).
AMOUNT_FIELDS = {
    Backend.DUMMY: ("amount", "euros"),
    Backend.SYSTEMPAY: ("vads_amount", "cents"),
    Backend.PAYZEN: ("vads_amount", "cents"),
    Backend.TIPI: ("montant", "cents"),
    Backend.PAYBOX: ("montant", "cents"),
}


@dataclass
class Handled:
    """What ``handle_answer`` made of one answer: the transaction (None if unknown), the
    outcome logged, and what to answer the service (eopayment's ``return_content``)."""

    online_payment: OnlinePayment | None
    outcome: str
    return_content: str | None = None


# Options


def backend_options(office: BillingOffice, **extra) -> dict:
    """The régie's options for eopayment: its plain options, then its secrets from the
    environment, then ``extra`` (the return and notification URLs of this payment)."""
    options = dict(office.payment_options or {})
    if office.payment_secrets_env:
        raw = os.environ.get(office.payment_secrets_env)
        if raw is None:
            logger.error(
                "Régie %s: the environment variable %s is not set.",
                office.pk,
                office.payment_secrets_env,
            )
            raise BillingError(_not_configured(office), "not_configured")
        try:
            secrets = json.loads(raw)
        except ValueError:
            secrets = None
        if not isinstance(secrets, dict):
            logger.error(
                "Régie %s: %s does not hold a JSON object.", office.pk, office.payment_secrets_env
            )
            raise BillingError(_not_configured(office), "not_configured")
        options.update(secrets)
    options.update({key: value for key, value in extra.items() if value})
    return options


def _not_configured(office) -> str:
    return _("The online payment of %(office)s is not available at the moment; contact it.") % {
        "office": office.name
    }


def _backend(office: BillingOffice, **extra) -> eopayment.Payment:
    if not office.payment_backend:
        raise BillingError(
            _("%(office)s does not take payments online.") % {"office": office.name},
            "no_online_payment",
        )
    if office.payment_backend == BillingOffice.PaymentBackend.DUMMY and not conf.test_payments():
        logger.error(
            "Régie %s is on the test payment backend, which this site does not allow "
            "(WAGTAIL_FAMILY_PORTAL_TEST_PAYMENTS).",
            office.pk,
        )
        raise BillingError(_not_configured(office), "not_configured")
    try:
        return eopayment.Payment(office.payment_backend, backend_options(office, **extra))
    except BillingError:
        raise
    except Exception:
        logger.exception("Régie %s: eopayment refused the options.", office.pk)
        raise BillingError(_not_configured(office), "not_configured") from None


# Start


def payable_invoices(family, invoice_ids, user) -> list[Invoice]:
    """The invoices ``invoice_ids`` of ``family`` that ``user`` may pay online now, all of one
    régie; ``BillingError`` otherwise (code ``not_found`` for an id that is not the family's)."""
    try:
        ids = {int(pk) for pk in invoice_ids}
    except (TypeError, ValueError):
        raise BillingError(_("Unknown invoice."), "not_found") from None
    if not ids:
        raise BillingError(_("Choose at least one invoice to pay."), "no_invoice")
    invoices = list(
        Invoice.objects.for_account(user)
        .filter(family=family, pk__in=ids)
        .select_related("billing_office")
        .order_by("due_date", "pk")
    )
    if len(invoices) != len(ids):
        raise BillingError(_("Unknown invoice."), "not_found")
    offices = {invoice.billing_office for invoice in invoices}
    if len(offices) > 1:
        raise BillingError(
            _(
                "These invoices were issued by different régies (%(offices)s): pay the "
                "invoices of one régie at a time."
            )
            % {"offices": ", ".join(sorted(office.name for office in offices))},
            "several_offices",
        )
    for invoice in invoices:
        if invoice.kind != Invoice.Kind.INVOICE or invoice.balance <= 0:
            raise BillingError(
                _("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number},
                "nothing_to_pay",
            )
        if invoice.direct_debit and invoice.debit_date and invoice.debit_date >= clock.today():
            raise BillingError(
                _("Invoice %(number)s will be paid by direct debit on %(date)s.")
                % {"number": invoice.number, "date": invoice.debit_date.strftime("%d/%m/%Y")},
                "direct_debit",
            )
    return invoices


def start_payment(
    *, family, invoice_ids, user, return_url, notify_url, test_bank_url=None, form_url=None
):
    """Start paying ``invoice_ids`` of ``family`` online: ``(OnlinePayment, url)``, the url
    being where to send the family's browser.

    ``return_url`` is where the service sends the family back, ``notify_url`` where it notifies
    the result. ``test_bank_url`` is the local test bank the dummy backend sends the family
    to. A service that answers with a form to post (Systempay, PayZen…) needs ``form_url``, a
    function of the ``OnlinePayment`` giving the page that posts it (``payment_form``).
    """
    invoices = payable_invoices(family, invoice_ids, user)
    office = invoices[0].billing_office
    amount = sum((invoice.balance for invoice in invoices), ZERO)
    extra = {"normal_return_url": return_url, "automatic_return_url": notify_url}
    if office.payment_backend == Backend.DUMMY:
        extra["dummy_service_url"] = test_bank_url
        extra["origin"] = office.name
    backend = _backend(office, **extra)
    details = {"email": getattr(user, "email", "") or None}
    numbers = ", ".join(invoice.number for invoice in invoices)
    if office.payment_backend == Backend.DUMMY:
        details["subject"] = numbers
    try:
        transaction_id, kind, data = backend.request(amount, **details)
    except Exception as error:
        logger.exception("Régie %s: the payment service refused the request.", office.pk)
        raise BillingError(
            _("The payment service refused the payment; try again later or contact %(office)s.")
            % {"office": office.name},
            "refused",
        ) from error
    request_data = {"kind": kind, "invoices": numbers, "amount": str(amount)}
    if kind == eopayment.FORM:
        request_data.update(
            url=data.url,
            method=data.method,
            fields=[{"name": f["name"], "value": f["value"]} for f in data.fields],
        )
    else:
        url = str(data)
        if office.payment_backend == Backend.DUMMY:
            url = _dummy_url(url, backend)
        request_data["url"] = url
    with transaction.atomic():
        online_payment = OnlinePayment.objects.create(
            billing_office=office,
            family=family,
            user=user if getattr(user, "is_authenticated", False) else None,
            amount=amount,
            backend=office.payment_backend,
            transaction_id=str(transaction_id)[:100],
        )
        online_payment.invoices.set(invoices)
        OnlinePaymentEvent.objects.create(
            online_payment=online_payment,
            source=Source.REQUEST,
            outcome=Outcome.STARTED,
            data=request_data,
        )
    if kind == eopayment.FORM:
        if form_url is None:
            raise BillingError(_not_configured(office), "not_configured")
        return online_payment, form_url(online_payment)
    return online_payment, request_data["url"]


def _dummy_url(url: str, backend) -> str:
    """eopayment's dummy backend builds its URL on its own service whatever its
    ``dummy_service_url`` option says: point it at the option's address."""
    wanted = getattr(backend.backend, "dummy_service_url", "") or ""
    default = eopayment.dummy.SERVICE_URL
    if wanted and url.startswith(default):
        return wanted + url[len(default) :]
    return url


def payment_form(online_payment: OnlinePayment) -> dict | None:
    """The form to post to the payment service for ``online_payment`` (``url``, ``method``,
    ``fields``), for the services that answer with one; None otherwise."""
    event = (
        online_payment.events.filter(source=Source.REQUEST, data__kind=eopayment.FORM)
        .order_by("pk")
        .first()
    )
    return event.data if event else None


# Answers


def handle_response(data, *, source: str, office=None) -> OnlinePayment | None:
    """Handle an answer of the payment service (a query string or a form body); the
    ``OnlinePayment`` it is about, or None when it is about no known transaction."""
    return handle_answer(data, source=source, office=office).online_payment


def handle_answer(data, *, source: str, office=None) -> Handled:
    """``handle_response`` with the outcome and what to answer the service."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    data = data or ""
    log = {"raw": data[:4000]}
    if office is None:
        office = _guess_office(data)
        if office is None:
            return _log(None, source, Outcome.UNREADABLE, log, _("No payment service reads it."))
    try:
        response = _backend(office).response(data)
    except BillingError as error:
        return _log(None, source, Outcome.UNREADABLE, log, str(error.message))
    except Exception as error:
        return _log(None, source, Outcome.UNREADABLE, log, repr(error)[:500])
    log["bank_data"] = _plain(response.bank_data)
    log["result"] = eopayment.STATUS_NAME.get(response.result, str(response.result))
    content = response.return_content
    with transaction.atomic():
        rows = OnlinePayment.objects.filter(
            billing_office=office, transaction_id=str(response.transaction_id or "")
        )
        # A write first: on SQLite (no SELECT … FOR UPDATE) it takes the database's write
        # lock before anything is read, so two answers handled at once wait for each other
        # there too; on PostgreSQL the row lock below is what counts.
        rows.update(transaction_id=F("transaction_id"))
        online_payment = rows.select_for_update(no_key=True).first()
        if online_payment is None:
            return _log(None, source, Outcome.UNKNOWN_TRANSACTION, log, content=content)
        if not response.signed:
            outcome = (
                Outcome.UNSIGNED
                if office.payment_backend == Backend.DUMMY and source == Source.RETURN
                else Outcome.BAD_SIGNATURE
            )
            return _log(online_payment, source, outcome, log, str(response.bank_status or ""))
        if online_payment.state == State.PAID:
            return _log(online_payment, source, Outcome.REPLAY, log, content=content)
        if response.result == eopayment.PAID:
            paid = _amount_paid(office.payment_backend, response.bank_data)
            if paid != online_payment.amount:
                _finish(online_payment, State.FAILED)
                return _log(
                    online_payment,
                    source,
                    Outcome.AMOUNT_MISMATCH,
                    log,
                    _("%(paid)s € paid for %(amount)s € asked.")
                    % {"paid": paid if paid is not None else "?", "amount": online_payment.amount},
                    content=content,
                )
            try:
                with transaction.atomic():
                    _record(online_payment)
            except BillingError as error:
                logger.exception("Online payment %s: not recorded.", online_payment.pk)
                return _log(online_payment, source, Outcome.NOT_RECORDED, log, str(error))
            return _log(online_payment, source, Outcome.PAID, log, content=content)
        if response.result in (eopayment.CANCELLED,):
            outcome, state = Outcome.CANCELLED, State.CANCELLED
        elif response.result in (eopayment.DENIED, eopayment.ERROR, eopayment.EXPIRED):
            outcome, state = Outcome.REFUSED, State.FAILED
        else:
            outcome, state = Outcome.PENDING, None
        if state and online_payment.state == State.STARTED:
            _finish(online_payment, state)
        return _log(
            online_payment, source, outcome, log, str(response.bank_status or ""), content=content
        )


def _guess_office(data: str):
    """The régie of the transaction an answer names, when the caller does not know it."""
    kinds = set(
        BillingOffice.objects.exclude(payment_backend="").values_list("payment_backend", flat=True)
    )
    try:
        kind, transaction_id = eopayment.Payment.guess(
            method="POST", query_string=data, body=data.encode(), backends=tuple(kinds)
        )
    except Exception:
        return None
    online_payment = (
        OnlinePayment.objects.filter(backend=kind, transaction_id=str(transaction_id))
        .select_related("billing_office")
        .first()
    )
    return online_payment.billing_office if online_payment else None


def _amount_paid(kind: str, bank_data) -> Decimal | None:
    """The amount the service says was paid, in euros (None when it says none)."""
    field, unit = AMOUNT_FIELDS.get(kind, (None, None))
    if kind == Backend.MOLLIE:
        value = (bank_data or {}).get("amount", {})
        value = value.get("value") if isinstance(value, dict) else None
        unit = "euros"
    else:
        value = (bank_data or {}).get(field) if field else None
    if isinstance(value, list):
        value = value[0] if value else None
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        return None
    if unit == "cents":
        amount = amount / 100
    return money(amount)


def _record(online_payment: OnlinePayment) -> None:
    """The payment of a transaction the service says is paid, under the row's lock: each
    invoice gets what it still owes; what other payments settled meanwhile becomes the
    family's credit (the family did pay it)."""
    # Locked in the order ``payments.record_payment`` locks them, so that neither waits for
    # the other in a circle.
    invoices = list(
        Invoice.objects.select_for_update(no_key=True)
        .filter(pk__in=list(online_payment.invoices.values_list("pk", flat=True)))
        .order_by("due_date", "sequence", "pk")
    )
    allocations = {invoice.pk: invoice.balance for invoice in invoices if invoice.balance > 0}
    owed = sum(allocations.values(), ZERO)
    payment = payments.record_payment(
        office=online_payment.billing_office,
        family=online_payment.family,
        method="online",
        amount=online_payment.amount,
        allocations=allocations,
        reference=online_payment.transaction_id,
        allow_credit=owed < online_payment.amount,
    )
    online_payment.payment = payment
    _finish(online_payment, State.PAID)


def _finish(online_payment: OnlinePayment, state: str) -> None:
    online_payment.state = state
    online_payment.completed_at = timezone.now()
    online_payment.save(update_fields=["state", "completed_at", "payment"])


def _log(online_payment, source, outcome, data, detail="", content=None) -> Handled:
    OnlinePaymentEvent.objects.create(
        online_payment=online_payment,
        source=source[:20],
        outcome=outcome,
        detail=detail,
        data=data,
    )
    if outcome not in (Outcome.PAID, Outcome.PENDING, Outcome.REPLAY, Outcome.UNSIGNED):
        logger.warning("Online payment answer (%s): %s %s", source, outcome, detail)
    return Handled(online_payment, outcome, content)


def _plain(value):
    """``bank_data`` as JSON can hold it."""
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))
