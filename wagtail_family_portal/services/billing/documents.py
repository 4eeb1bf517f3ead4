"""The billing's PDF files: what pages, API, admin and tasks hand to a family or an agent.

An issued invoice is drawn once and kept (``Invoice.pdf``, private storage): the document a
family downloads is the one of its issue, whatever a later change of the régie's wording or of
the layout. A draft is drawn each time, marked "DRAFT", and never kept. The attestation is drawn
on demand from the payments of the year.
"""

from django.core.files.base import ContentFile

from ...models import Invoice
from ...pdf import render_attestation, render_invoice
from . import attestations


def invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF of ``invoice``: the stored file of an issued invoice (drawn and stored when it is
    missing), or a draft drawn now."""
    if invoice.state == Invoice.State.DRAFT:
        return render_invoice(invoice)
    if invoice.pdf:
        try:
            with invoice.pdf.open("rb") as handle:
                return handle.read()
        except OSError:  # the file was lost (a storage restored without it): draw it again
            pass
    content = render_invoice(invoice)
    store_invoice_pdf(invoice, content)
    return content


def store_invoice_pdf(invoice: Invoice, content: bytes | None = None) -> bool:
    """Draw and keep the PDF of an issued invoice that has none; False when it already had one
    (or is a draft). Safe when two workers do it at once: the first file recorded wins and the
    other is deleted."""
    if invoice.state == Invoice.State.DRAFT:
        return False
    stored = Invoice.objects.filter(pk=invoice.pk).values_list("pdf", flat=True).first()
    if stored and invoice.pdf.storage.exists(stored):
        invoice.pdf.name = stored
        return False
    content = content if content is not None else render_invoice(invoice)
    field = invoice.pdf
    name = field.field.generate_filename(
        invoice, f"{invoice.billing_office.code}-{invoice.number}.pdf"
    )
    name = field.storage.save(name, ContentFile(content), max_length=field.field.max_length)
    # An update of the one column, not save(): an issued invoice's other fields are frozen.
    recorded = (
        Invoice.objects.filter(pk=invoice.pk).filter(pdf__in=["", stored or ""]).update(pdf=name)
    )
    if not recorded:
        field.storage.delete(name)
        invoice.pdf.name = Invoice.objects.filter(pk=invoice.pk).values_list("pdf", flat=True)[0]
        return False
    invoice.pdf.name = name
    return True


def attestation_pdf(family, office, year: int) -> bytes:
    """The yearly attestation of what ``family`` paid ``office`` in ``year``, as PDF bytes.

    Callers check that the year may be downloaded (``attestations.available_years``)."""
    return render_attestation(attestations.for_family(family, office, year))
