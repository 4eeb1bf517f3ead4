"""SEPA direct debit (prélèvement): mandates, and the pain.008 file of a run's invoices.

A family opts in with a ``DirectDebitMandate``: its guardian's account (IBAN, BIC, holder,
copied when the mandate is signed, so that a later change of the file does not change what was
signed), a unique reference (RUM) and the date of signature. When a run is issued, the invoices
of families with an active mandate of the run's régie are marked ``direct_debit`` with their
``debit_date``; ``batch_for_run`` then gathers those that still owe into one pain.008 file made
and validated against its XSD by ``sepaxml``, stored in the private storage as a
``DirectDebitBatch``, and records a ``Payment`` of method direct debit per invoice: the invoice
is paid unless the bank rejects the debit (``record_rejection``: the invoice owes again and the
mandate counts the rejection).

A mandate's first debit is sent with the sequence type ``FRST``, the next ones ``RCUR``
(``first_debit_done``).
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ... import clock
from ...models import BillingRun, DirectDebitBatch, DirectDebitMandate, Invoice, Payment
from ...models.billing import ZERO
from ...validators import normalise_iban, validate_bic, validate_iban
from . import payments
from .errors import BillingError

# pain.008.001.02 is what French banks and the DGFiP take; it needs the creditor's BIC, and
# the later version (without a compulsory BIC) is used for a régie that has none.
SCHEMA_WITH_BIC = "pain.008.001.02"
SCHEMA_WITHOUT_BIC = "pain.008.001.08"
HOLDER_LENGTH = 70  # the debtor's name in a pain.008 file


# Mandates


def _validation_message(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _next_reference(office, family) -> str:
    """``<régie code>-<family id>-<n>``, the first ``n`` not taken."""
    number = DirectDebitMandate.objects.filter(family=family, billing_office=office).count() + 1
    while True:
        reference = f"{office.code}-{family.pk}-{number}"[:35]
        if not DirectDebitMandate.objects.filter(reference=reference).exists():
            return reference
        number += 1


def create_mandate(
    family, guardian, office, *, signed_on: dt.date, reference: str | None = None, user=None
) -> DirectDebitMandate:
    """The family's mandate for ``office``, with ``guardian``'s account.

    Refused (``BillingError``): a guardian of another family, a régie of another town, no IBAN
    or an invalid one, a signature in the future, a reference already used, or an active
    mandate of the family at that régie already (revoke it first).
    """
    if guardian.family_id != family.pk:
        raise BillingError(_("The guardian must belong to the family."), "guardian")
    if office.municipality_id != family.municipality_id:
        raise BillingError(_("The family does not belong to the régie's municipality."), "family")
    iban = normalise_iban(guardian.iban)
    if not iban:
        raise BillingError(
            _(
                "A mandate without IBAN cannot be signed: enter the IBAN of %(guardian)s in the "
                "family file first."
            )
            % {"guardian": guardian},
            "iban",
        )
    bic = (guardian.bic or "").replace(" ", "").upper()
    try:
        validate_iban(iban)
        if bic:
            validate_bic(bic)
    except ValidationError as error:
        raise BillingError(_validation_message(error), "iban") from None
    if signed_on > clock.today():
        raise BillingError(_("A mandate cannot be signed in the future."), "signed_on")
    holder = (guardian.account_holder or f"{guardian.first_name} {guardian.last_name}").strip()
    with transaction.atomic():
        # One mandate created at a time per family: the reference and the "already active"
        # check hold under concurrency.
        type(family).objects.select_for_update(no_key=True).filter(pk=family.pk).first()
        if (
            DirectDebitMandate.objects.active()
            .filter(family=family, billing_office=office)
            .exists()
        ):
            raise BillingError(
                _(
                    "The family already has an active mandate with this régie: revoke it before "
                    "signing a new one."
                ),
                "active_mandate",
            )
        if reference:
            reference = reference.strip()
            if DirectDebitMandate.objects.filter(reference=reference).exists():
                raise BillingError(
                    _("The mandate reference %(reference)s is already used.")
                    % {"reference": reference},
                    "reference",
                )
        else:
            reference = _next_reference(office, family)
        mandate = DirectDebitMandate(
            family=family,
            guardian=guardian,
            billing_office=office,
            reference=reference,
            signed_on=signed_on,
            iban=iban,
            bic=bic,
            account_holder=holder[:HOLDER_LENGTH],
        )
        try:
            mandate.full_clean()
        except ValidationError as error:
            raise BillingError(_validation_message(error), "invalid") from None
        mandate.save()
        log(
            family,
            "wagtail_family_portal.mandate_signed",
            user=user,
            data={"reference": reference, "office": office.name},
        )
    return mandate


def revoke_mandate(mandate: DirectDebitMandate, *, on: dt.date | None = None, user=None):
    """End ``mandate`` on ``on`` (today by default): the family's next invoices are no longer
    debited. Revoking a revoked mandate changes nothing."""
    on = on or clock.today()
    with transaction.atomic():
        mandate = DirectDebitMandate.objects.select_for_update(no_key=True).get(pk=mandate.pk)
        if mandate.revoked_on is not None:
            return mandate
        if on < mandate.signed_on:
            raise BillingError(
                _("A mandate cannot be revoked before the date it was signed."), "revoked_on"
            )
        mandate.revoked_on = on
        mandate.save(update_fields=["revoked_on"])
        log(
            mandate.family,
            "wagtail_family_portal.mandate_revoked",
            user=user,
            data={"reference": mandate.reference, "on": on.isoformat()},
        )
    return mandate


def record_rejection(payment: Payment, reason: str, user=None) -> Payment:
    """The bank rejected a direct debit: the invoice owes again and the mandate counts it."""
    if payment.method != Payment.Method.DIRECT_DEBIT:
        raise BillingError(_("This payment is not a direct debit."), "method")
    return payments.reject_payment(payment, reason=reason, user=user)


# The pain.008 file of a run


def _debtor(mandate: DirectDebitMandate, invoice: Invoice, office, collection_date) -> dict:
    debit = {
        "name": mandate.account_holder,
        "IBAN": mandate.iban,
        "amount": int(invoice.balance * 100),
        "type": "RCUR" if mandate.first_debit_done else "FRST",
        "collection_date": collection_date,
        "mandate_id": mandate.reference,
        "mandate_date": mandate.signed_on,
        "description": _("Invoice %(number)s, %(office)s")
        % {"number": invoice.number, "office": office.name},
        "endtoend_id": f"{office.code}-{invoice.number}"[:35],
    }
    if mandate.bic:
        debit["BIC"] = mandate.bic
    return debit


def _document(office, debits):
    from sepaxml import SepaDD

    config = {
        "name": office.creditor_name,
        "IBAN": office.creditor_iban,
        "batch": True,
        "creditor_id": office.creditor_identifier,
        "currency": "EUR",
    }
    schema = SCHEMA_WITHOUT_BIC
    if office.creditor_bic:
        config["BIC"] = office.creditor_bic
        schema = SCHEMA_WITH_BIC
    document = SepaDD(config, schema=schema)
    for debit in debits:
        document.add_payment(dict(debit))
    return document


def render_file(office, debits) -> tuple[str, bytes]:
    """``(message id, XML)`` of a pain.008 file of ``debits``, validated against its XSD."""
    from sepaxml.validation import ValidationError as SepaValidationError

    document = _document(office, debits)
    try:
        xml = document.export(validate=True, pretty_print=True)
    except SepaValidationError as error:
        raise BillingError(
            _("The direct debit file does not follow the SEPA format: %(error)s")
            % {"error": error.__cause__ or error},
            "sepa_format",
        ) from None
    return document.msg_id, xml


def _debited_invoices(run):
    """The run's issued invoices paid by direct debit that still owe, with the family's active
    mandate of the run's régie: ``[(invoice, mandate)]`` (locked, oldest first)."""
    invoices = list(
        Invoice.objects.select_for_update(of=("self",), no_key=True)
        .filter(
            run=run,
            state=Invoice.State.ISSUED,
            kind=Invoice.Kind.INVOICE,
            direct_debit=True,
        )
        .select_related("family")
        .order_by("pk")
    )
    invoices = [invoice for invoice in invoices if invoice.balance > 0]
    mandates = {}
    for mandate in (
        DirectDebitMandate.objects.select_for_update(no_key=True)
        .active()
        .filter(billing_office=run.billing_office_id, family__in=[i.family_id for i in invoices])
        .order_by("signed_on", "pk")
    ):
        mandates[mandate.family_id] = mandate  # the latest signed wins
    return [
        (invoice, mandates[invoice.family_id])
        for invoice in invoices
        if invoice.family_id in mandates
    ]


def collection_date(invoice: Invoice, office) -> dt.date:
    if invoice.debit_date:
        return invoice.debit_date
    return (invoice.issue_date or clock.today()) + dt.timedelta(days=office.debit_days_after_issue)


def batch_for_run(run: BillingRun) -> DirectDebitBatch | None:
    """The pain.008 file of ``run``'s invoices paid by direct debit, and a ``Payment`` per
    invoice; None when no invoice of the run is to debit.

    Idempotent: a run has at most one file, and a second call answers it without creating
    anything. ``BillingError`` for a run not issued or a régie without its creditor details.
    """
    with transaction.atomic():
        run = (
            BillingRun.objects.select_for_update(of=("self",), no_key=True)
            .select_related("billing_office")
            .get(pk=run.pk)
        )
        existing = DirectDebitBatch.objects.filter(run=run).first()
        if existing is not None:
            return existing
        if run.state != BillingRun.State.ISSUED:
            raise BillingError(
                _("A direct debit file is made for an issued run only."), "run_state"
            )
        office = run.billing_office
        if not office.accepts_direct_debit:
            raise BillingError(
                _(
                    "The régie %(office)s has no SEPA creditor details (name, creditor "
                    "identifier, IBAN): no direct debit file was made."
                )
                % {"office": office.name},
                "creditor",
            )
        rows = _debited_invoices(run)
        if not rows:
            return None
        debits = [
            _debtor(mandate, invoice, office, collection_date(invoice, office))
            for invoice, mandate in rows
        ]
        message_id, xml = render_file(office, debits)
        batch = DirectDebitBatch.objects.create(
            billing_office=office,
            run=run,
            collection_date=min(collection_date(invoice, office) for invoice, _m in rows),
            transaction_count=len(rows),
            total_amount=sum((invoice.balance for invoice, _m in rows), ZERO),
            message_id=message_id,
        )
        for invoice, mandate in rows:
            payments.record_payment(
                office=office,
                family=invoice.family,
                method=Payment.Method.DIRECT_DEBIT,
                amount=invoice.balance,
                date=collection_date(invoice, office),
                allocations={invoice.pk: invoice.balance},
                reference=mandate.reference,
                debit_batch=batch,
            )
        DirectDebitMandate.objects.filter(
            pk__in=[mandate.pk for _i, mandate in rows], first_debit_done=False
        ).update(first_debit_done=True)
        # Last, so that a failure above leaves no file behind.
        batch.file.save(f"{office.code}-{run.pk}-{message_id}.xml", ContentFile(xml), save=True)
    return batch
