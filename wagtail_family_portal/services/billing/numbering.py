"""Numbers of invoices and payments: unique per régie and year, never reused, gap-free.

A number is taken from the régie's ``InvoiceSequence`` row for the year, locked with
``SELECT … FOR NO KEY UPDATE`` in the caller's transaction: two issues at once wait for each
other, and a transaction that rolls back gives its numbers back, so the sequence has no gap.
(``no_key``: the lock does not conflict with the key-share locks PostgreSQL takes on a row that
a new row references, so recording a payment while a run is issued cannot deadlock.) Credit
notes share the invoices' sequence (one continuous series per régie and year, as French rules
on invoicing ask); payments have their own.
"""

from django.db import IntegrityError, transaction

from ...models import InvoiceSequence

Kind = InvoiceSequence.Kind


def format_number(kind: str, year: int, sequence: int) -> str:
    """``2026-000123`` for an invoice or a credit note, ``P2026-000045`` for a payment."""
    prefix = "P" if kind == Kind.PAYMENT else ""
    return f"{prefix}{year}-{sequence:06d}"


def _locked_sequence(office, kind: str, year: int) -> InvoiceSequence:
    rows = InvoiceSequence.objects.select_for_update(no_key=True).filter(
        billing_office=office, kind=kind, year=year
    )
    row = rows.first()
    if row is None:
        try:
            with transaction.atomic():
                InvoiceSequence.objects.create(billing_office=office, kind=kind, year=year)
        except IntegrityError:
            pass  # another transaction created it first: lock that one
        row = rows.get()
    return row


def take_numbers(office, kind: str, year: int, count: int) -> list[int]:
    """``count`` consecutive sequence numbers of ``office`` for ``year``; must run inside the
    transaction that writes them."""
    if count <= 0:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_numbers() must run inside the transaction that uses them.")
    row = _locked_sequence(office, kind, year)
    first = row.last_number + 1
    row.last_number += count
    row.save(update_fields=["last_number"])
    return list(range(first, first + count))
