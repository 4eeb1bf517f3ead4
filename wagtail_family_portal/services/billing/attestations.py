"""The yearly attestation: what a family paid a régie in a calendar year, per child.

Parents use it for the childcare tax credit (frais de garde des enfants de moins de 6 ans).
A payment counts in the year of its date, when it was not rejected. Its part allocated to an
invoice is split between the invoice's children in proportion to their lines (each share
rounded half-up to the cent, the last child taking what rounding left, so that the shares add
up to the payment). A credit note is not money paid and does not count. Credit not yet
allocated to an invoice belongs to no child and is left out. An attestation of a year can be
downloaded once the year is over (from 1 January after it).
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum

from ... import clock
from ...models import InvoiceLine, Payment, PaymentAllocation
from ...models.billing import ZERO, money


@dataclass
class ChildShare:
    child_id: int | None
    name: str
    birth_date: dt.date | None
    amount: Decimal

    def under_six_on(self, day: dt.date) -> bool:
        if self.birth_date is None:
            return False
        return (day.year - self.birth_date.year) - (
            (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        ) < 6


@dataclass
class Attestation:
    family: object
    billing_office: object
    year: int
    children: list[ChildShare] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((child.amount for child in self.children), ZERO)

    @property
    def per_child(self) -> list[tuple[str, Decimal]]:
        return [(child.name, child.amount) for child in self.children]


def available_years(today: dt.date | None = None) -> range:
    """The years whose attestation may be downloaded: the past ones."""
    today = today or clock.today()
    return range(2000, today.year)


def for_family(family, office, year: int) -> Attestation:
    """What ``family`` paid ``office`` in ``year``, per child, in three queries."""
    allocations = list(
        PaymentAllocation.objects.filter(
            payment__family=family,
            payment__billing_office=office,
            payment__rejected=False,
            payment__date__year=year,
        )
        .exclude(payment__method=Payment.Method.CREDIT)
        .values_list("invoice_id", "amount")
    )
    invoice_ids = {invoice_id for invoice_id, _amount in allocations}
    lines = (
        InvoiceLine.objects.filter(invoice_id__in=invoice_ids)
        .values("invoice_id", "child_id", "child_name", "child__birth_date")
        .annotate(amount=Sum("amount"))
        .order_by("invoice_id", "child_name", "child_id")
    )
    by_invoice = defaultdict(list)
    for row in lines:
        by_invoice[row["invoice_id"]].append(row)
    shares: dict = {}
    for invoice_id, paid in allocations:
        rows = [row for row in by_invoice[invoice_id] if row["amount"] > 0]
        whole = sum((row["amount"] for row in rows), ZERO)
        left = paid
        for index, row in enumerate(rows):
            part = left if index == len(rows) - 1 else money(paid * row["amount"] / whole)
            left -= part
            key = row["child_id"] or row["child_name"]
            share = shares.setdefault(
                key, ChildShare(row["child_id"], row["child_name"], row["child__birth_date"], ZERO)
            )
            share.amount += part
    children = sorted(shares.values(), key=lambda share: share.name)
    return Attestation(family=family, billing_office=office, year=year, children=children)
