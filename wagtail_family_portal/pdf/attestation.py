"""The yearly attestation of what a family paid a régie, per child, as a PDF.

Families join it to their income tax return for the childcare tax credit (frais de garde des
enfants de moins de 6 ans, article 200 quater B of the CGI). The figures come from
``services.billing.attestations.for_family`` (an ``Attestation``); this module only draws
them: the régie (name, address, SIRET), the family, each child with its birth date and amount,
the total, the place and the date.
"""

import datetime as dt

from django.utils.translation import gettext, pgettext
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from .. import clock
from .base import DocumentRenderer, amount, date, long_date


class AttestationRenderer(DocumentRenderer):
    def __init__(self, attestation, *, language=None, issued_on: dt.date | None = None):
        super().__init__(attestation.billing_office, language=language)
        self.attestation = attestation
        self.family = attestation.family
        self.issued_on = issued_on or clock.today()

    def title(self) -> str:
        return gettext("Attestation of childcare costs paid in %(year)d") % {
            "year": self.attestation.year
        }

    def filename(self) -> str:
        return f"attestation-{self.office.code}-{self.attestation.year}-{self.family.pk}.pdf"

    def place(self) -> str:
        return self.municipality.city or self.municipality.name

    def guardians(self) -> str:
        return ", ".join(
            f"{guardian.first_name} {guardian.last_name}".strip()
            for guardian in self.family.guardians.all()
        )

    def body(self) -> list:
        return [*self.addressee(), *self.statement(), *self.children_table(), *self.signature()]

    def addressee(self) -> list:
        """The family, where a window envelope shows it (as on its invoices)."""
        block = [(gettext("Family %(name)s") % {"name": self.family.name}, "bold")]
        if self.guardians():
            block.append((self.guardians(), "base"))
        if self.family.postal_address:
            block.append((self.family.postal_address, "base"))
        return [self.blocks([], block), Spacer(1, 8 * mm)]

    def statement(self) -> list:
        """The title and what the régie (named, with its SIRET, in the header) certifies."""
        office, year = self.office, self.attestation.year
        text = gettext(
            "%(office)s certifies that the family %(family)s paid it, between 1 January and "
            "31 December %(year)d, for the care of its children, the amounts listed below."
        ) % {"office": office.name, "family": self.family.name, "year": year}
        return [
            self.paragraph(self.title(), "title"),
            Spacer(1, 4 * mm),
            self.paragraph(text),
            Spacer(1, 6 * mm),
        ]

    def children_table(self) -> list:
        year = self.attestation.year
        # The credit is for children under six on 1 January of the year the tax is paid,
        # i.e. born in (year - 5) or later: under six on 31 December of the year paid.
        last_day = dt.date(year, 12, 31)
        rows = [
            [
                self.paragraph(gettext("Child"), "cell_head"),
                self.paragraph(gettext("Birth date"), "cell_head"),
                self.paragraph(
                    gettext("Under six (born in %(year)d or later)") % {"year": year - 5},
                    "cell_head",
                ),
                self.paragraph(gettext("Amount paid"), "cell_head_right"),
            ]
        ]
        for child in self.attestation.children:
            under_six = child.under_six_on(last_day)
            rows.append(
                [
                    self.paragraph(child.name, "cell"),
                    self.paragraph(date(child.birth_date), "cell"),
                    self.paragraph(
                        pgettext("family portal", "yes") if under_six else gettext("no"), "cell"
                    ),
                    self.paragraph(amount(child.amount), "cell_right"),
                ]
            )
        if not self.attestation.children:
            rows.append([self.paragraph(gettext("No payment this year."), "cell"), "", "", ""])
        rows.append(
            [
                self.paragraph(pgettext("family portal", "Total"), "cell_head"),
                "",
                "",
                self.paragraph(amount(self.attestation.total), "cell_head_right"),
            ]
        )
        widths = [self.width * part for part in (0.4, 0.18, 0.22, 0.2)]
        table = self.table(rows, widths, extra=[("LINEABOVE", (0, -1), (-1, -1), 0.8, self.accent)])
        note = self.paragraph(
            gettext(
                "Only the costs of children under six give the tax credit for childcare costs "
                "(article 200 quater B of the French tax code): for the amounts paid in "
                "%(year)d, children born in %(born)d or later."
            )
            % {"year": year, "born": year - 5},
            "small",
        )
        return [table, Spacer(1, 3 * mm), note, Spacer(1, 10 * mm)]

    def signature(self) -> list:
        done = gettext("Done at %(place)s, on %(date)s") % {
            "place": self.place(),
            "date": long_date(self.issued_on),
        }
        block = [self.paragraph(done), Spacer(1, 2 * mm), self.paragraph(gettext("The régisseur"))]
        return [KeepTogether([self.columns("", block, split=0.5)])]
