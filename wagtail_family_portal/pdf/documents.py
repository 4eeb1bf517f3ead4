"""The invoice and the yearly attestation, as PDF bytes."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table


def _render(story) -> bytes:
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build(story)
    return buffer.getvalue()


def render_invoice(invoice) -> bytes:
    styles = getSampleStyleSheet()
    rows = [
        [
            line.child_name,
            line.activity_name,
            str(line.quantity),
            str(line.unit_price),
            str(line.amount),
        ]
        for line in invoice.lines.all()
    ]
    return _render(
        [
            Paragraph(f"Facture {invoice.number}", styles["Title"]),
            Paragraph(invoice.addressee, styles["Normal"]),
            Table(rows or [[""]]),
            Paragraph(f"Total {invoice.total} €", styles["Normal"]),
        ]
    )


def render_attestation(attestation) -> bytes:
    styles = getSampleStyleSheet()
    rows = [[child, str(amount)] for child, amount in attestation.per_child]
    return _render(
        [
            Paragraph(f"Attestation {attestation.year}", styles["Title"]),
            Table(rows or [[""]]),
        ]
    )
