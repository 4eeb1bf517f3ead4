"""The entry points: the invoice and the yearly attestation, as PDF bytes.

Pages, API, admin and tasks do not call these directly: they go through
``services.billing.documents`` (``invoice_pdf`` serves the stored file of an issued invoice).
Each builds the renderer class the settings name (``conf.invoice_renderer()``,
``conf.attestation_renderer()``), so that a town's subclass draws every document.
"""

from .. import conf


def render_invoice(invoice) -> bytes:
    """``invoice`` (an invoice, a credit note or a draft, marked as such) as PDF bytes."""
    return conf.invoice_renderer()(invoice).render()


def render_attestation(attestation) -> bytes:
    """An ``attestations.Attestation`` (what a family paid a régie in a year) as PDF bytes."""
    return conf.attestation_renderer()(attestation).render()
