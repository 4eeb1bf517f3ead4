"""In a real browser: the parent opens "Mes factures", downloads an invoice's PDF, pays one
invoice online through the dummy backend's local test bank and sees it paid."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from wagtail_family_portal.models import Payment

from . import factories
from .browser import DESKTOP_VIEWPORT, screenshot
from .test_browser_accessibility import check_axe

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("fixed_now"),
]


def test_parent_downloads_a_pdf_and_pays_an_invoice_online(
    browser_page, live_server, portal_page, office, family, lea, canteen, parent
):
    paid = factories.issued_invoice(
        office, family, [(lea, canteen, 2, "3.20")], issue_date=dt.date(2026, 11, 2)
    )
    to_pay = factories.issued_invoice(office, family, [(lea, canteen, 10, "3.20")])
    page = browser_page
    page.goto(live_server.url + "/espace-famille/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "correct-horse-battery")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")

    # The dashboard's block says what is due and leads to the invoices.
    block = page.locator("[data-block=invoices]")
    expect(block.locator("[data-total=due]")).to_contain_text("38,40")
    block.locator(f'a[href$="/famille/{family.pk}/factures/"]').click()
    expect(page.locator(f"#wfp-invoice-{to_pay.pk}")).to_have_attribute("data-status", "to_pay")
    expect(page.locator("[data-total=due]")).to_contain_text("38,40")
    screenshot(page, "invoices-phone")
    assert check_axe(page, "invoices") == []

    # The PDF of an invoice is downloaded.
    with page.expect_download() as download:
        page.locator(f"#wfp-invoice-{paid.pk} a[href$='/pdf/']").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    assert download.value.suggested_filename == f"facture-{paid.number}.pdf"

    # Pay one invoice: the test bank shows the amount, "Pay" brings the family back, paid.
    page.locator(f"#wfp-pay-{to_pay.pk}").check()
    page.locator(".wfp-invoices-form button[type=submit]").click()
    page.wait_for_url("**/banque-test/**")
    expect(page.locator("main")).to_contain_text("32,00")
    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "test-bank-desktop")
    assert check_axe(page, "test-bank") == []
    page.locator("button[name=action][value=pay]").click()
    page.wait_for_url(f"**/factures/paiement/retour/{office.pk}/**")
    expect(page.locator("[data-state=paid]")).to_be_visible()
    screenshot(page, "payment-return-desktop")
    assert check_axe(page, "payment-return") == []

    page.locator(f'a[href$="/famille/{family.pk}/factures/"]').last.click()
    expect(page.locator(f"#wfp-invoice-{to_pay.pk}")).to_have_attribute("data-status", "paid")
    page.locator(f"#wfp-invoice-{to_pay.pk} a[href$='/factures/{to_pay.pk}/']").click()
    expect(page.locator("[data-total=balance]")).to_contain_text("0,00")
    assert check_axe(page, "invoice-detail") == []
    assert Payment.objects.filter(method="online").count() == 1
