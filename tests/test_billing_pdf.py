"""The invoice and attestation PDFs, read back as a family would: their text (pypdf) and, for
the eye, their first page as a PNG under test-output/ (pypdfium2)."""

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext

from wagtail_family_portal.models import BillingOffice, Invoice, InvoiceLine, Payment
from wagtail_family_portal.pdf import render_attestation, render_invoice
from wagtail_family_portal.pdf.base import amount
from wagtail_family_portal.pdf.invoice import InvoiceRenderer
from wagtail_family_portal.services.billing import attestations, documents, payments

from . import factories

pytestmark = pytest.mark.django_db

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
NBSP = "\xa0"


def text_of(data: bytes) -> list[str]:
    """Each page's text, with every kind of space read as a plain one."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [re.sub(r"[\xa0\u202f]", " ", page.extract_text()) for page in reader.pages]


def flat(text: str) -> str:
    """``text`` with its line breaks as spaces: a table cell wraps where the width says."""
    return re.sub(r"\s+", " ", text)


def save_png(data: bytes, name: str, page: int = 0) -> Path:
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    document = pypdfium2.PdfDocument(data)
    try:
        document[page].render(scale=1.6).to_pil().save(path)
    finally:
        document.close()
    return path


def fr(message, context=None) -> str:
    with translation.override("fr"):
        return pgettext(context, message) if context else gettext(message)


@pytest.fixture
def town(municipality):
    municipality.address_line1 = "Hôtel de ville"
    municipality.address_line2 = "1 place de la Mairie"
    municipality.city = "Belleville-sur-Loire"
    municipality.save()
    return municipality


@pytest.fixture
def regie(office, town):
    office.siret = "21440001200019"
    office.payment_instructions = (
        "Par chèque à l’ordre du Trésor public, déposé à l’accueil de la mairie."
    )
    office.footer = "Régie enfance-restauration — arrêté n° 2026-114 — ouverte du lundi au vendredi"
    office.save()
    return office


@pytest.fixture
def invoice(regie, family, lea, hugo, canteen):
    return factories.issued_invoice(
        regie,
        family,
        [(lea, canteen, 12, "3.20"), (hugo, canteen, 500, "2.47")],
        due_date=dt.date(2026, 12, 31),
    )


def test_an_invoice_says_who_owes_what_for_which_days_in_french_format(invoice, regie):
    data = render_invoice(invoice)

    assert data.startswith(b"%PDF")
    (page,) = text_of(data)
    assert "Belleville-sur-Loire" in page and "Hôtel de ville" in page
    assert "Régie enfance" in page and "21440001200019" in page
    assert "Famille Martin" in page and "3 rue des Lilas" in page  # the addressee snapshot
    assert "2026-000001" in page
    assert "Léa Martin" in page and "Hugo Martin" in page and "Repas école" in page
    assert "01/11 – 30/11/2026" in page  # the lines' period
    assert "3,20 €" in page and "38,40 €" in page  # 12 × 3,20
    assert "2,47 €" in page and "1 235,00 €" in page  # 500 × 2,47, grouped the French way
    assert "1 273,40 €" in page  # the total
    assert page.count("QF 620 → tranche 2") == 2  # the pricing basis of each line
    assert "31/12/2026" in page  # the due date
    assert "Trésor public" in page  # the régie's payment instructions
    assert "arrêté n° 2026-114" in page  # the footer
    assert fr("Page %(page)d/%(pages)d") % {"page": 1, "pages": 1} in page
    words = re.sub(r"\s+", " ", page)
    assert fr("Pricing basis") in words and fr("Unit price") in words


def test_amounts_are_written_the_french_way():
    with translation.override("fr"):
        assert amount(Decimal("1234.5")) == f"1{NBSP}234,50{NBSP}€"
        assert amount(Decimal("0.05")) == f"0,05{NBSP}€"
        assert amount(Decimal("1234567.89"), currency=False) == f"1{NBSP}234{NBSP}567,89"


def test_totals_show_what_is_paid_and_what_is_left(invoice, regie, family):
    payments.record_payment(
        office=regie,
        family=family,
        method=Payment.Method.CHEQUE,
        amount="273.40",
        invoices=[invoice.pk],
        date=dt.date(2026, 12, 5),
    )
    invoice.refresh_from_db()

    (page,) = text_of(render_invoice(invoice))

    assert fr("Already paid") in page and "273,40 €" in page
    assert fr("Balance to pay") in page and "1 000,00 €" in page


def test_accents_and_the_euro_sign_survive(regie, town):
    family = factories.FamilyFactory(municipality=town, name="Lefèvre-Bœuf")
    child = factories.ChildFactory(family=family, first_name="François", last_name="Lefèvre-Bœuf")
    activity = factories.ActivityFactory(
        establishment=factories.EstablishmentFactory(municipality=town),
        name="Garderie à l’école Çà et là",
    )
    invoice = factories.issued_invoice(regie, family, [(child, activity, 3, "1.10")])

    data = render_invoice(invoice)

    page = flat(text_of(data)[0])
    for word in ("Lefèvre-Bœuf", "François", "Garderie à l’école Çà et là", "3,30 €", "→"):
        assert word in page
    save_png(data, "invoice-accents")


def test_fonts_are_embedded(invoice):
    reader = pypdf.PdfReader(io.BytesIO(render_invoice(invoice)))

    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in font["/FontDescriptor"] for font in fonts)
    assert {str(font["/BaseFont"]).split("+")[-1] for font in fonts} == {
        "DejaVuSans",
        "DejaVuSans-Bold",
    }


def long_invoice(regie, family, lea, canteen, lines: int):
    invoice = factories.issued_invoice(regie, family, [(lea, canteen, 1, "3.20")] * lines)
    return invoice


def test_a_long_invoice_numbers_its_pages_and_repeats_the_table_head(regie, family, lea, canteen):
    invoice = long_invoice(regie, family, lea, canteen, 100)

    data = render_invoice(invoice)

    pages = text_of(data)
    assert len(pages) == 3
    page_label = fr("Page %(page)d/%(pages)d")
    for number, page in enumerate(pages, start=1):
        assert page_label % {"page": number, "pages": 3} in page
        assert fr("Pricing basis") in page  # the head of the table, on every page
        assert "arrêté n° 2026-114" in page  # the footer, on every page
    assert "2026-000001" in pages[1]  # later pages recall the invoice
    assert sum(page.count("QF 620 → tranche 2") for page in pages) == 100
    assert "320,00 €" in pages[2]  # 100 × 3,20, at the end
    for number in range(3):
        save_png(data, f"invoice-3-pages-{number + 1}", page=number)


def test_a_credit_note_says_so_and_names_the_invoice_it_corrects(invoice, regie, family):
    note = Invoice.objects.create(
        billing_office=regie,
        family=family,
        kind=Invoice.Kind.CREDIT_NOTE,
        corrects=invoice,
        state=Invoice.State.ISSUED,
        number="2026-000002",
        year=2026,
        sequence=2,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        issue_date=dt.date(2026, 12, 9),
        total=Decimal("6.40"),
        family_name="Martin",
        addressee="Famille Martin",
        address=invoice.address,
        reason="Deux repas comptés pendant la sortie scolaire",
    )
    InvoiceLine.objects.create(
        invoice=note,
        kind=InvoiceLine.Kind.CREDIT,
        activity_name="Avoir sur la facture 2026-000001",
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        quantity=1,
        unit_price=Decimal("6.40"),
        amount=Decimal("6.40"),
        basis="Deux repas comptés pendant la sortie scolaire",
    )

    data = render_invoice(note)

    (page,) = text_of(data)
    assert fr("Credit note %(number)s") % {"number": "2026-000002"} in page
    assert fr("Corrects invoice") in page
    assert fr("%(number)s of %(date)s") % {"number": "2026-000001", "date": "01/12/2026"} in page
    assert fr("Amount credited") in page and "6,40 €" in page
    assert fr("Balance to pay") not in page
    assert "sortie scolaire" in page
    save_png(data, "credit-note")


def test_payfip_reference_is_the_invoice_number(invoice, regie):
    regie.payment_backend = BillingOffice.PaymentBackend.TIPI
    regie.save()
    invoice.refresh_from_db()

    (page,) = text_of(render_invoice(invoice))

    expected = fr(
        "Pay online on the family portal or on www.payfip.gouv.fr with the reference %(number)s."
    ) % {"number": "2026-000001"}
    assert re.sub(r"\s+", " ", expected) in re.sub(r"\s+", " ", page)


def test_a_direct_debit_invoice_gives_the_debit_date_instead_of_instructions(
    regie, family, lea, canteen
):
    invoice = factories.issued_invoice(regie, family, [(lea, canteen, 10, "3.20")])
    Invoice.objects.filter(pk=invoice.pk).update(
        direct_debit=True, debit_date=dt.date(2026, 12, 11)
    )
    invoice.refresh_from_db()

    page = re.sub(r"\s+", " ", text_of(render_invoice(invoice))[0])

    assert "11/12/2026" in page and "32,00 €" in page
    assert "Trésor public" not in page


def test_the_logo_of_the_municipality_is_drawn_when_it_has_one(invoice, town, settings, tmp_path):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    settings.MEDIA_ROOT = str(tmp_path / "media")
    without = render_invoice(invoice)
    town.logo = Image.objects.create(title="Logo", file=get_test_image_file())
    town.save()
    invoice = Invoice.objects.select_related("billing_office__municipality__logo").get(
        pk=invoice.pk
    )

    with_logo = render_invoice(invoice)

    images = [len(page.images) for page in pypdf.PdfReader(io.BytesIO(with_logo)).pages]
    assert images == [1]
    assert [len(p.images) for p in pypdf.PdfReader(io.BytesIO(without)).pages] == [0]


def test_a_draft_is_marked_and_never_stored(regie, family, lea, canteen, private_root):
    invoice = factories.issued_invoice(regie, family, [(lea, canteen, 2, "3.20")])
    Invoice.objects.filter(pk=invoice.pk).update(state=Invoice.State.DRAFT, number="")
    invoice.refresh_from_db()

    data = documents.invoice_pdf(invoice)

    (page,) = text_of(data)
    assert fr("DRAFT", "family portal") in page
    assert fr("Draft invoice") in page
    invoice.refresh_from_db()
    assert not invoice.pdf
    save_png(data, "invoice-draft")


def test_an_issued_invoice_is_stored_once_and_served_from_its_file(invoice, private_root):
    first = documents.invoice_pdf(invoice)
    invoice.refresh_from_db()
    # invoices/<year stored>/<régie code>-<number>.pdf
    assert re.fullmatch(r"invoices/\d{4}/ENF\d+-2026-000001\.pdf", invoice.pdf.name)
    stored = invoice.pdf.name

    # The régie's wording changes later: the family still gets the document of the issue.
    BillingOffice.objects.filter(pk=invoice.billing_office_id).update(footer="Nouveau pied")
    again = Invoice.objects.get(pk=invoice.pk)

    assert documents.invoice_pdf(again) == first
    again.refresh_from_db()
    assert again.pdf.name == stored
    assert not documents.store_invoice_pdf(again)


def test_a_town_changes_the_footer_with_a_renderer_of_its_own(invoice, settings):
    settings.WAGTAIL_FAMILY_PORTAL_INVOICE_RENDERER = "tests.test_billing_pdf.TownRenderer"

    (page,) = text_of(render_invoice(invoice))

    assert "Mairie de Belleville — service Enfance" in page
    assert "arrêté n° 2026-114" not in page


@pytest.mark.parametrize(
    "value, problem",
    [
        ("tests.test_billing_pdf.NoSuchRenderer", "cannot be imported"),
        ("tests.test_billing_pdf.fr", "is not a subclass"),
    ],
)
def test_a_renderer_setting_that_names_no_renderer_is_an_error_at_startup(settings, value, problem):
    from wagtail_family_portal.checks import check_pdf_renderers

    settings.WAGTAIL_FAMILY_PORTAL_INVOICE_RENDERER = value

    [error] = check_pdf_renderers()

    assert error.id == "wagtail_family_portal.E020"
    assert "WAGTAIL_FAMILY_PORTAL_INVOICE_RENDERER" in error.msg and problem in error.msg
    settings.WAGTAIL_FAMILY_PORTAL_INVOICE_RENDERER = "tests.test_billing_pdf.TownRenderer"
    assert check_pdf_renderers() == []


class TownRenderer(InvoiceRenderer):
    """What docs/billing.md shows a town writing."""

    def footer_text(self):
        return "Mairie de Belleville — service Enfance"


# The yearly attestation


@pytest.fixture
def paid_year(regie, family, lea, hugo, canteen, claire):
    """Invoices of 2026 paid partly in 2026, partly in 2027."""
    first = factories.issued_invoice(regie, family, [(lea, canteen, 10, "3.20")])
    second = factories.issued_invoice(
        regie, family, [(lea, canteen, 5, "3.20"), (hugo, canteen, 15, "3.20")]
    )
    payments.record_payment(
        office=regie,
        family=family,
        method=Payment.Method.CHEQUE,
        amount="32.00",
        invoices=[first.pk],
        date=dt.date(2026, 12, 10),
    )
    payments.record_payment(
        office=regie,
        family=family,
        method=Payment.Method.TRANSFER,
        amount="40.00",
        invoices=[second.pk],
        date=dt.date(2026, 12, 20),
    )
    payments.record_payment(
        office=regie,
        family=family,
        method=Payment.Method.TRANSFER,
        amount="24.00",
        invoices=[second.pk],
        date=dt.date(2027, 1, 5),
    )
    return first, second


def test_the_attestation_gives_each_child_with_birth_date_and_amount(
    paid_year, regie, family, freeze_clock
):
    freeze_clock(dt.datetime(2027, 1, 15, 10, 0))

    data = documents.attestation_pdf(family, regie, 2026)

    (page,) = text_of(data)
    # Léa: 32,00 + 40 × 16/64 = 42,00; Hugo: 40 × 48/64 = 30,00 (2027's 24 € left out).
    assert "Léa Martin" in page and "42,00 €" in page and "14/05/2018" in page
    assert "Hugo Martin" in page and "30,00 €" in page and "01/01/2020" in page
    assert "72,00 €" in page  # the total
    assert "24,00 €" not in page
    assert "Régie enfance" in page and "21440001200019" in page  # the régie, its SIRET
    assert fr("Family %(name)s") % {"name": "Martin"} in page
    assert "3 rue des Lilas" in page and "Claire Martin" in page
    assert "Belleville-sur-Loire" in page
    with translation.override("fr"):
        done = gettext("Done at %(place)s, on %(date)s") % {
            "place": "Belleville-sur-Loire",
            "date": "15 janvier 2027",
        }
    assert done in page
    assert fr("Attestation of childcare costs paid in %(year)d") % {"year": 2026} in page
    save_png(data, "attestation")


def test_the_attestation_says_which_children_were_under_six(paid_year, regie, family, hugo):
    hugo.birth_date = dt.date(2021, 1, 1)  # born in 2021: under six for the amounts of 2026
    hugo.save()
    attestation = attestations.for_family(family, regie, 2026)

    page = text_of(render_attestation(attestation))[0]

    # Children born in 2021 or later give the tax credit for 2026; Léa (2018) does not.
    yes, no = fr("yes", "family portal"), fr("no")
    assert f"Hugo Martin 01/01/2021 {yes} 30,00 €" in flat(page)
    assert f"Léa Martin 14/05/2018 {no} 42,00 €" in flat(page)


def test_an_attestation_without_payments_says_so(regie, family):
    page = text_of(documents.attestation_pdf(family, regie, 2025))[0]

    assert fr("No payment this year.") in page and "0,00 €" in page
