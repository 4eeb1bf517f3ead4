"""Smoke test in a real browser: a parent logs in on a phone and sees the dashboard."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from .browser import DESKTOP_VIEWPORT, PHONE_VIEWPORT, screenshot

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; serialized_rollback restores Wagtail's initial
    # pages and site after the flush, for the tests that run next.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def fits_width(page, width: int) -> bool:
    """Whether the page, laid out ``width`` pixels wide, needs no horizontal scrolling."""
    page.set_viewport_size({"width": width, "height": 800})
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_parent_logs_in_and_sees_the_dashboard(
    browser_page, live_server, portal_page, portal_settings, enrolled_family, parent
):
    portal_settings.welcome_text = (
        "<p>Les inscriptions aux accueils de loisirs des vacances d’hiver sont ouvertes "
        "jusqu’au 15 janvier.</p>"
    )
    portal_settings.save()
    page = browser_page
    page.goto(live_server.url + "/espace-famille/")
    expect(page.locator("#wfp-login")).to_be_visible()
    expect(page.locator("#wfp-signup")).to_be_visible()
    assert fits_width(page, 360)
    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "portal-home-desktop")
    page.set_viewport_size(PHONE_VIEWPORT)
    screenshot(page, "portal-home-phone")

    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "correct-horse-battery")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")

    expect(page.locator(".wfp-family__title")).to_contain_text("Martin")
    expect(page.get_by_text("Léa Martin")).to_be_visible()
    expect(page.locator("[data-block=planning]").get_by_text("Repas école").first).to_be_visible()
    expect(page.get_by_text("vacances d’hiver")).to_be_visible()
    assert fits_width(page, 360)
    page.set_viewport_size(PHONE_VIEWPORT)
    screenshot(page, "dashboard-phone")

    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "dashboard-desktop")


def test_wrong_password_keeps_the_parent_on_the_login_page(
    browser_page, live_server, portal_page, parent
):
    page = browser_page
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "wrong")
    with page.expect_navigation():
        page.locator("#wfp-login button[type=submit]").click()

    expect(page.locator("[role=alert]")).to_be_visible()
    assert page.url.startswith(live_server.url + "/espace-famille/connexion/")
    screenshot(page, "login-error-phone")


def test_demo_journey_parent_dashboard_and_agent_admin(browser_page, live_server):
    """The issue's "done when": the demo parent sees the dashboard in French, the demo agent
    sees only their own town's families in the admin."""
    call_command("load_family_portal_demo", stdout=io.StringIO())
    page = browser_page
    page.goto(live_server.url + "/espace-famille/")
    page.fill("input[name=username]", "parent@example.org")
    page.fill("input[name=password]", "demo-parent-2026")
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")
    expect(page.locator(".wfp-family__title")).to_contain_text("Famille Martin")
    expect(page.get_by_role("heading", name="Mon dossier famille")).to_be_visible()
    expect(page.get_by_text("Léa Martin")).to_be_visible()
    screenshot(page, "demo-dashboard")

    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", "agent")
    page.fill("input[name=password]", "agent")
    page.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    page.goto(live_server.url + "/admin/family-portal/families/")
    expect(page.get_by_role("link", name="Durand")).to_be_visible()
    expect(page.get_by_text("DEMO-DURAND-2026")).to_be_visible()
    expect(page.get_by_role("link", name="Bernard")).to_have_count(0)
    screenshot(page, "demo-admin-families")
