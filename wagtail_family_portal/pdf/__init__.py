"""PDF documents of the billing (reportlab), returned as bytes.

``render_invoice(invoice)`` and ``render_attestation(attestation)`` are the two entry points;
``InvoiceRenderer`` and ``AttestationRenderer`` (both ``DocumentRenderer`` subclasses, in
base.py) are what a town subclasses to change a header or a footer (docs/billing.md).
"""

from .documents import render_attestation, render_invoice

__all__ = ["render_attestation", "render_invoice"]
