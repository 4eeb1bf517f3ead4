"""PDF documents of the billing (reportlab), returned as bytes.

``render_invoice(invoice)`` and ``render_attestation(attestation)`` are the two entry points
pages, API, admin and tasks call.
"""

from .documents import render_attestation, render_invoice

__all__ = ["render_attestation", "render_invoice"]
