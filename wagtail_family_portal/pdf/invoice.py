"""The invoice (or credit note) of a régie to a family, as a PDF.

``InvoiceRenderer(invoice).render()`` reads only the invoice's snapshot (addressee, address,
names, prices, pricing basis: what was frozen at issue) and its régie and municipality. Its
parts are methods a town's subclass may override: ``header`` (base.py), ``addressee``,
``summary``, ``lines_table``, ``totals``, ``payment_instructions``, ``draw_footer``.
"""

from django.utils.translation import gettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from ..models import BillingOffice, Invoice, InvoiceLine
from .base import DocumentRenderer, amount, date, escape, period, quantity

# Line kinds worth a word under the activity (days booked or attended need none).
NOTED_KINDS = {
    InvoiceLine.Kind.LATE_ABSENCE,
    InvoiceLine.Kind.NO_SHOW,
    InvoiceLine.Kind.UNBOOKED,
}


class InvoiceRenderer(DocumentRenderer):
    """An invoice, a credit note, or a draft (marked "DRAFT" on every page)."""

    # Widths of the lines' columns, as parts of the frame's width.
    column_parts = (0.13, 0.17, 0.18, 0.065, 0.1, 0.115, 0.24)

    def __init__(self, invoice, *, language=None):
        super().__init__(invoice.billing_office, language=language)
        self.invoice = invoice

    @property
    def is_credit_note(self) -> bool:
        return self.invoice.kind == Invoice.Kind.CREDIT_NOTE

    @property
    def is_draft(self) -> bool:
        return self.invoice.state == Invoice.State.DRAFT

    def title(self) -> str:
        number = self.invoice.number
        if self.is_credit_note:
            return gettext("Credit note %(number)s") % {"number": number}
        if self.is_draft or not number:
            return gettext("Draft invoice")
        return gettext("Invoice %(number)s") % {"number": number}

    def filename(self) -> str:
        return f"{self.office.code}-{self.invoice.number or 'draft'}.pdf"

    def body(self) -> list:
        return [
            *self.addressee(),
            *self.summary(),
            *self.lines_table(),
            *self.totals(),
            *self.payment_instructions(),
        ]

    def draw_page(self, canvas, doc) -> None:
        super().draw_page(canvas, doc)
        if self.is_draft:
            self.draw_watermark(canvas, pgettext("family portal", "DRAFT"))

    # The parts

    def addressee(self) -> list:
        """The family's name and address as frozen at issue, where a window envelope shows
        them (the right half)."""
        invoice = self.invoice
        block = [(invoice.addressee or invoice.family_name, "bold")]
        if invoice.address:
            block.append((invoice.address, "base"))
        return [self.blocks([], block), Spacer(1, 8 * mm)]

    def summary(self) -> list:
        """The title and what identifies the invoice: dates, period, family, its QF."""
        invoice = self.invoice
        parts = [self.paragraph(self.title(), "title"), Spacer(1, 2 * mm)]
        facts = []
        if invoice.issue_date:
            facts.append((gettext("Issue date"), date(invoice.issue_date)))
        if invoice.due_date and not self.is_credit_note:
            facts.append((gettext("Due date"), date(invoice.due_date)))
        facts.append((gettext("Billed period"), period(invoice.period_start, invoice.period_end)))
        facts.append((gettext("Family"), invoice.family_name))
        if invoice.family_quotient is not None:
            qf = amount(invoice.family_quotient, currency=False)
            if invoice.quotient_year:
                qf = f"{qf} ({invoice.quotient_year})"
            facts.append((gettext("Family quotient (QF)"), qf))
        if invoice.lives_outside:
            facts.append((gettext("Residence"), gettext("outside the municipality")))
        if self.is_credit_note and invoice.corrects_id:
            corrected = invoice.corrects
            facts.append(
                (
                    gettext("Corrects invoice"),
                    gettext("%(number)s of %(date)s")
                    % {"number": corrected.number, "date": date(corrected.issue_date)},
                )
            )
        if self.is_credit_note and invoice.reason:
            facts.append((gettext("Reason"), invoice.reason))
        widths = [40 * mm, self.width - 40 * mm]
        rows = [
            [self.cell(label, widths[0], "small"), self.cell(value, widths[1], "base")]
            for label, value in facts
        ]
        table = self.layout(
            rows,
            widths,
            padding=0,
            extra=[
                *self.style_commands("small", (0, 0), (0, -1)),
                *self.style_commands("base", (1, 0), (1, -1)),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
            ],
        )
        return [*parts, table, Spacer(1, 6 * mm)]

    def line_headers(self) -> list[str]:
        return [
            gettext("Child"),
            gettext("Activity"),
            gettext("Period"),
            pgettext("family portal", "Qty"),
            gettext("Unit price"),
            pgettext("family portal", "Amount"),
            gettext("Pricing basis"),
        ]

    # The columns of amounts, aligned right.
    right_columns = (3, 4, 5)

    @property
    def column_widths(self) -> list[float]:
        return [self.width * part for part in self.column_parts]

    def line_row(self, line) -> list:
        """One line: plain strings where they fit (``cell``), paragraphs where they wrap."""
        widths = self.column_widths
        if line.kind in NOTED_KINDS:
            note = escape(InvoiceLine.Kind(line.kind).label)
            activity = Paragraph(
                f'{escape(line.activity_name)}<br/><font size="7" color="#555555">{note}</font>',
                self.styles["cell"],
            )
        else:
            activity = self.cell(line.activity_name, widths[1])
        if line.warning:
            warning = escape(line.warning)
            basis = Paragraph(
                f'{escape(line.basis)}<br/><font size="7" color="#555555">{warning}</font>',
                self.styles["cell"],
            )
        else:
            basis = self.cell(line.basis, widths[6])
        return [
            self.cell(line.child_name, widths[0]),
            activity,
            self.cell(self.formatted(period, line.period_start, line.period_end), widths[2]),
            self.cell(self.formatted(quantity, line.quantity), widths[3], "cell_right"),
            self.cell(self.formatted(amount, line.unit_price), widths[4], "cell_right"),
            self.cell(self.formatted(amount, line.amount), widths[5], "cell_right"),
            basis,
        ]

    def lines(self) -> list:
        return list(self.invoice.lines.all())

    def lines_table(self) -> list:
        widths = self.column_widths
        header = [
            self.cell(
                text,
                widths[index],
                "cell_head_right" if index in self.right_columns else "cell_head",
            )
            for index, text in enumerate(self.line_headers())
        ]
        rows = [header] + [self.line_row(line) for line in self.lines()]
        if len(rows) == 1:
            rows.append([self.paragraph(gettext("No line."), "cell")] + [""] * (len(header) - 1))
        return [self.table(rows, widths, right=self.right_columns), Spacer(1, 4 * mm)]

    def totals_rows(self) -> list[tuple[str, str, bool]]:
        """(label, amount, bold) rows under the lines."""
        invoice = self.invoice
        if self.is_credit_note:
            return [(gettext("Amount credited"), amount(invoice.total), True)]
        rows = [(pgettext("family portal", "Total"), amount(invoice.total), False)]
        rows.append((gettext("Already paid"), amount(invoice.paid_amount), False))
        balance = invoice.total - invoice.paid_amount
        rows.append((gettext("Balance to pay"), amount(max(balance, 0)), True))
        return rows

    def totals(self) -> list:
        widths = [self.width * 0.5, self.width * 0.32, self.width * 0.18]
        rows, styles = [], []
        for index, (label, value, bold) in enumerate(self.totals_rows()):
            style = "bold_right" if bold else "right"
            rows.append(
                ["", self.cell(label, widths[1], style), self.cell(value, widths[2], style)]
            )
            styles += self.style_commands(style, (1, index), (2, index))
        table = self.layout(
            rows,
            widths,
            extra=[
                *styles,
                ("LINEABOVE", (1, -1), (-1, -1), 0.8, self.accent),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ],
        )
        return [KeepTogether([table]), Spacer(1, 6 * mm)]

    def payment_lines(self) -> list[str]:
        """What the family reads about paying: the direct debit's date, or the due date, the
        PayFiP reference and the régie's instructions."""
        invoice = self.invoice
        if self.is_credit_note:
            return [
                gettext(
                    "This credit note is deducted from what invoice %(number)s still owes; "
                    "any amount beyond it is kept as a credit for your next invoices."
                )
                % {"number": invoice.corrects.number if invoice.corrects_id else ""}
            ]
        balance = invoice.total - invoice.paid_amount
        if balance <= 0:
            return [gettext("Nothing is left to pay on this invoice.")]
        if invoice.direct_debit:
            return [
                gettext(
                    "This invoice will be paid by direct debit: %(amount)s will be debited "
                    "from your account on %(date)s. You have nothing to do."
                )
                % {"amount": amount(balance), "date": date(invoice.debit_date)}
            ]
        lines = []
        if invoice.due_date:
            lines.append(gettext("To pay by %(date)s.") % {"date": date(invoice.due_date)})
        if self.office.payment_backend == BillingOffice.PaymentBackend.TIPI and invoice.number:
            lines.append(
                gettext(
                    "Pay online on the family portal or on www.payfip.gouv.fr with the "
                    "reference %(number)s."
                )
                % {"number": invoice.number}
            )
        elif self.office.payment_backend:
            lines.append(gettext("You can pay this invoice online on the family portal."))
        if self.office.payment_instructions:
            lines.append(self.office.payment_instructions)
        return lines

    def payment_instructions(self) -> list:
        lines = self.payment_lines()
        if not lines:
            return []
        heading = gettext("Credit note") if self.is_credit_note else gettext("Payment")
        block = [self.paragraph(heading, "heading"), Spacer(1, 1.5 * mm)]
        block += [self.paragraph(line) for line in lines]
        return [KeepTogether(block)]
