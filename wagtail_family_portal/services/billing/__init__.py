"""Billing: every change of a price, a run, an invoice, a payment or a mandate.

Pages, API, admin and tasks call these functions; none of them changes billing data itself.
One module per domain word:

- ``errors.py`` — ``BillingError``, the one exception of the domain;
- ``numbering.py`` — gap-free numbers per régie and year, under a row lock;
- ``payments.py`` — recording a payment, its allocation to invoices, the family's credit,
  a rejected payment;
- ``pricing.py`` — the price of a child's day (bands, effort rate, residence, rank);
- ``runs.py`` — computing a run's drafts, recomputing, issuing, credit notes;
- ``online.py`` — online payment through eopayment (start, return, notification);
- ``sepa.py`` — direct-debit mandates and pain.008 files (sepaxml);
- ``attestations.py`` — the yearly amounts paid per child.
"""

from .errors import BillingError

__all__ = ["BillingError"]
