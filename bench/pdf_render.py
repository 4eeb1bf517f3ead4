"""Benchmark: an invoice of three pages drawn by the portal's renderer, against a plain reportlab
table of the same lines on one page, drawn in the same run.

    .venv/bin/python bench/pdf_render.py [--lines 100] [--iterations 30] [--profile]

On a throwaway SQLite database: a municipality, its régie (footer, payment instructions), a
family and one issued invoice of ``--lines`` lines (100 make three A4 pages: header, addressee,
lines table with its head repeated, totals, payment, footer and "page x/y" on each page, DejaVu
Sans embedded). The reference is what reportlab does with nothing of ours: ``SimpleDocTemplate``
and one ``Table`` of the same rows and columns (the same texts, in Helvetica, a 5-point font so
that it fits one page). Each is drawn ``--iterations`` times, in turns; the invoice is read from
the database each time (its lines' query included). Target (issue 14): the invoice ≤ 2× the
reference. ``--profile`` prints a cProfile of one invoice instead.
"""

import argparse
import cProfile
import datetime as dt
import io
import pstats
import sys
from decimal import Decimal
from pathlib import Path

# Run as a script: the repository, not bench/, is where imports start.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench import dataset  # noqa: E402

TARGET = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100, help="lines of the invoice")
    parser.add_argument("--iterations", type=int, default=30, help="drawings of each (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile one invoice")
    args = parser.parse_args()

    with dataset.throwaway_database() as db_path:
        dataset.start_django(db_path)
        invoice_id = build(args.lines)
        run(invoice_id, args.iterations, args.profile)


def build(line_count: int) -> int:
    """The régie, the family and its issued invoice of ``line_count`` lines; its id."""
    from django.db import transaction

    from wagtail_family_portal.models import (
        BillingOffice,
        Family,
        Invoice,
        InvoiceLine,
        Municipality,
    )

    children = ["Léa Martin", "Hugo Martin", "Jade Martin"]
    activities = ["Repas école", "Périscolaire matin", "Périscolaire soir", "Accueil mercredi"]
    with transaction.atomic():
        municipality = Municipality.objects.create(
            name="Belleville-sur-Loire",
            address_line1="Hôtel de ville",
            postcode="18240",
            city="Belleville-sur-Loire",
        )
        office = BillingOffice.objects.create(
            municipality=municipality,
            name="Régie enfance",
            code="ENF",
            address="1 place de la Mairie\n18240 Belleville-sur-Loire",
            siret="21180001200019",
            payment_instructions="Par chèque à l’ordre du Trésor public.",
            footer="Régie enfance-restauration — arrêté n° 2026-114",
        )
        family = Family.objects.create(
            municipality=municipality,
            name="Martin",
            address_line1="3 rue des Lilas",
            postcode="18240",
            city="Belleville-sur-Loire",
        )
        rows = []
        for n in range(line_count):
            day = dt.date(2026, 11, 1 + n % 30)
            quantity = Decimal(1 + n % 4)
            unit_price = Decimal("3.20") + Decimal(n % 5) / 10
            rows.append((n, day, quantity, unit_price, quantity * unit_price))
        # An issued invoice is frozen once saved: its total is known before it is created.
        invoice = Invoice.objects.create(
            billing_office=office,
            family=family,
            state=Invoice.State.ISSUED,
            number="2026-000001",
            year=2026,
            sequence=1,
            period_start=dt.date(2026, 11, 1),
            period_end=dt.date(2026, 11, 30),
            issue_date=dt.date(2026, 12, 1),
            due_date=dt.date(2026, 12, 31),
            total=sum((row[4] for row in rows), Decimal("0.00")),
            family_name="Martin",
            addressee="Famille Martin",
            address=family.postal_address,
            family_quotient=Decimal("620"),
            quotient_year=2025,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                kind=InvoiceLine.Kind.BOOKED,
                child_name=children[n % 3],
                activity_name=activities[n % 4],
                period_start=day,
                period_end=day,
                quantity=quantity,
                unit_price=unit_price,
                amount=line_amount,
                basis="QF 620 → tranche 2",
                position=n,
            )
            for n, day, quantity, unit_price, line_amount in rows
        )
    return invoice.pk


def reference_table(rows) -> bytes:
    """The same rows in a bare reportlab table on one A4 page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

    buffer = io.BytesIO()
    table = Table(rows, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 5),
                ("LEADING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.4),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, "black"),
            ]
        )
    )
    SimpleDocTemplate(buffer, pagesize=A4, topMargin=20, bottomMargin=20).build([table])
    return buffer.getvalue()


def run(invoice_id: int, iterations: int, profile: bool) -> None:
    import pypdf

    from wagtail_family_portal.models import Invoice
    from wagtail_family_portal.pdf import render_invoice
    from wagtail_family_portal.pdf.base import register_fonts

    register_fonts()  # once a process, as in a worker: not part of either figure

    def load():
        return Invoice.objects.select_related("billing_office__municipality__logo").get(
            pk=invoice_id
        )

    rows = [["child", "activity", "period", "qty", "unit price", "amount", "basis"]]
    rows += [
        [
            line.child_name,
            line.activity_name,
            f"{line.period_start:%d/%m/%Y}",
            str(line.quantity),
            f"{line.unit_price} €",
            f"{line.amount} €",
            line.basis,
        ]
        for line in load().lines.all()
    ]

    def invoice():
        return render_invoice(load())

    loaded = load()
    loaded_lines = list(loaded.lines.all())
    loaded.lines.all = lambda: loaded_lines  # the same rows, without their query

    def invoice_in_memory():
        return render_invoice(loaded)

    def reference():
        return reference_table(rows)

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        invoice()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return

    def pages(data: bytes) -> int:
        return len(pypdf.PdfReader(io.BytesIO(data)).pages)

    invoice_pdf, reference_pdf = invoice(), reference()
    (_, queries) = dataset.count_queries(invoice)
    dataset.machine_note("before")
    figures = dataset.interleaved(
        {"reference": reference, "invoice": invoice, "in memory": invoice_in_memory},
        iterations,
        warmup=3,
    )
    dataset.machine_note("after")
    base = figures["reference"].median_ms
    table = [
        [
            f"reportlab table, {len(rows) - 1} lines, Helvetica (reference)",
            pages(reference_pdf),
            f"{len(reference_pdf) / 1024:.1f}",
            f"{base:.1f}",
            f"{figures['reference'].p95_ms:.1f}",
            "1.00×",
            0,
        ],
        [
            f"invoice, {len(rows) - 1} lines (InvoiceRenderer)",
            pages(invoice_pdf),
            f"{len(invoice_pdf) / 1024:.1f}",
            f"{figures['invoice'].median_ms:.1f}",
            f"{figures['invoice'].p95_ms:.1f}",
            f"{figures['invoice'].median_ms / base:.2f}×",
            queries,
        ],
        [
            "  the same, its rows already loaded (drawing only)",
            pages(invoice_pdf),
            "",
            f"{figures['in memory'].median_ms:.1f}",
            f"{figures['in memory'].p95_ms:.1f}",
            f"{figures['in memory'].median_ms / base:.2f}×",
            0,
        ],
    ]
    print(f"\nPDF rendering, median of {iterations} drawings each, in turns\n")
    dataset.print_table(
        ["document", "pages", "KB", "median ms", "p95 ms", "× reference", "SQL queries"], table
    )
    ratio = figures["invoice"].median_ms / base
    verdict = "OK" if ratio <= TARGET else "MISSED"
    print(f"\ninvoice: {ratio:.2f}× the reference, target ≤ {TARGET:.0f}×: {verdict}")


if __name__ == "__main__":
    main()
