"""The régie's agent in a real browser: review a billing run, issue it after the confirmation,
open an invoice and make a credit note."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from wagtail_family_portal.models import Invoice
from wagtail_family_portal.permissions import BILLING_AGENTS_GROUP_NAME
from wagtail_family_portal.services.billing import runs

from . import factories
from .browser import DESKTOP_VIEWPORT, screenshot
from .test_billing_runs import CANTEEN_DAYS, NOVEMBER, grid_with_bands, set_days

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_ICON_PX = 24


def admin_login(page, base_url, username, password):
    page.goto(base_url + "/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(base_url + "/admin/")


def test_agent_reviews_issues_and_credits(
    browser_page, live_server, agent, office, family, lea, monkeypatch
):
    from django_q import tasks
    from wagtail.users.models import UserProfile

    # The PDFs and e-mails queued after the issue are the tasks' business (tests of tasks.py):
    # here, what was queued is recorded.
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda name, *args, **kw: queued.append((name, args)))

    agent.groups.add(Group.objects.get(name=BILLING_AGENTS_GROUP_NAME))
    profile = UserProfile.get_for_user(agent)
    profile.preferred_language = "en"
    profile.save()
    canteen = factories.ActivityFactory(establishment__municipality=office.municipality)
    factories.enrol(lea, canteen)
    family.family_quotient = Decimal("620")
    family.save()
    grid_with_bands(canteen, office)
    set_days(lea, canteen, CANTEEN_DAYS)
    run = runs.create_run(office, *NOVEMBER, user=agent, label="Novembre 2026")
    page = browser_page
    page.set_viewport_size(DESKTOP_VIEWPORT)
    admin_login(page, live_server.url, "agent", "correct-horse-battery")

    page.goto(f"{live_server.url}/admin/family-portal/billing/runs/review/{run.pk}/")

    expect(page.get_by_text("QF 620 → tranche 2").first).to_be_visible()
    screenshot(page, "billing-run-review")
    recompute = page.get_by_role("button", name="Recompute")
    box = recompute.locator("svg").evaluate(
        "e => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; }"
    )
    assert box["w"] <= MAX_ICON_PX and box["h"] <= MAX_ICON_PX, box

    page.get_by_role("link", name="Issue", exact=True).click()
    page.get_by_role("button", name="Yes, issue the invoices").click()

    invoice = Invoice.objects.get(run=run)
    expect(page.get_by_text(f"1 invoice issued: {invoice.number}.")).to_be_visible()
    assert queued == [("wagtail_family_portal.tasks.invoices_issued", ([invoice.pk],))]
    screenshot(page, "billing-run-issued")
    page.get_by_role("link", name=invoice.number).first.click()
    page.get_by_role("link", name="Credit note").click()
    page.get_by_label("Amount (optional)").fill("3,20")
    page.get_by_label("Reason").fill("Repas du 2 novembre facturé à tort")
    page.get_by_role("button", name="Make the credit note").click()

    expect(page.get_by_text("Credit notes")).to_be_visible()
    screenshot(page, "billing-invoice-credited")
    note = invoice.credit_notes.get()
    assert note.total == Decimal("3.20") and note.issue_date >= dt.date(2026, 1, 1)
