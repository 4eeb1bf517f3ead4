"""The family pages and the package's admin screens work under a strict Content-Security-Policy
(no inline script, no inline style): nothing is refused by the browser, and their interactive
parts still work (decisions.md §28)."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from wagtail_family_portal import demo
from wagtail_family_portal.models import (
    Activity,
    BookingLine,
    Child,
    EmailTemplate,
    Family,
    Request,
)
from wagtail_family_portal.services import bookings, dossier

from .browser import DESKTOP_VIEWPORT, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# What the test imposes on the admin screens (the portal sets its own policy on its pages).
STRICT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'"
)

# Every refusal of the policy, as the page itself sees it (init scripts run whatever the policy).
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample || ""}`
  );
});
"""


def watch(page) -> list[str]:
    """The console's CSP errors of ``page`` from now on (the list fills as the page runs)."""
    messages = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            messages.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return messages


def violations(page, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__cspViolations || []"), *console]


def visit(page, console, url) -> None:
    response = page.goto(url)
    assert response.ok, (url, response.status)
    page.wait_for_load_state("load")
    assert violations(page, console) == [], url


def log_in_parent(page, live_server):
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", demo.PARENT_EMAIL)
    page.fill("input[name=password]", demo.PARENT_PASSWORD)
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(live_server.url + "/espace-famille/")


def test_family_pages_under_their_policy(browser_page, live_server):
    demo.load_demo()
    martin = Family.objects.get(name="Martin")
    hugo = Child.objects.get(family=martin, first_name="Hugo")
    morning = Activity.objects.get(short_code="2/Péri MATIN")
    open_days, _skipped = bookings.preview_days(
        family=martin,
        child_id=hugo.pk,
        activity_id=morning.pk,
        operation="booking",
        dates=[dt.date.today() + dt.timedelta(days=n) for n in range(7, 120)],
    )
    day = open_days[0]
    base = f"{live_server.url}/espace-famille/famille/{martin.pk}/"
    page = browser_page
    console = watch(page)

    log_in_parent(page, live_server)
    response = page.goto(live_server.url + "/espace-famille/")
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "script-src 'self'" in policy
    assert violations(page, console) == []
    # The children's colours come through the <style nonce>: Hugo's cells wear his colour.
    child_block = page.locator(f".wfp-child-{hugo.pk}").first
    colour = child_block.evaluate(
        "element => getComputedStyle(element).getPropertyValue('--wfp-child-colour').trim()"
    )
    assert colour.lower() == hugo.colour.lower()

    for path in (
        "planning/",
        f"planning/?vue=semaine&date={day.isoformat()}",
        "",
        f"enfant/{hugo.pk}/",
        "demandes/",
        "reservations/",
        "calendrier/",
    ):
        visit(page, console, base + path)
    screenshot(page, "csp-calendar-phone")

    # The one-day booking from the week's planning.
    visit(page, console, f"{base}planning/?vue=semaine&date={day.isoformat()}")
    the_day = page.locator("li.wfp-day", has=page.locator(f"time[datetime='{day.isoformat()}']"))
    cell = the_day.locator(f"li.wfp-cell.wfp-child-{hugo.pk}").filter(has_text=morning.name)
    expect(cell).to_contain_text("inscrit")
    cell.locator("a").click()
    page.locator("form.wfp-actions button[type=submit]").click()
    page.wait_for_url(f"{base}planning/**")
    expect(cell).to_contain_text("réservé")
    assert violations(page, console) == []

    request = Request.objects.filter(family=martin).order_by("-pk").first()
    visit(page, console, f"{base}demandes/{request.pk}/")


def strict_admin(page, live_server):
    """Serve the admin's pages with STRICT_POLICY from now on, as a host with a strict policy
    would (the package leaves the admin's policy to the host)."""

    def add_policy(route):
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": STRICT_POLICY}
        route.fulfill(response=response, headers=headers)

    page.route(f"{live_server.url}/admin/**", add_policy)


def test_admin_screens_under_a_strict_policy(chromium, live_server):
    loaded = demo.load_demo()
    context = chromium.new_context(viewport=DESKTOP_VIEWPORT, locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.add_init_script(
        "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"
    )
    console = watch(page)
    page.goto(live_server.url + "/admin/login/")
    page.fill("input[name=username]", demo.ADMIN_USERNAME)
    page.fill("input[name=password]", demo.ADMIN_PASSWORD)
    page.locator("button[type=submit]").click()
    page.wait_for_url(live_server.url + "/admin/")
    strict_admin(page, live_server)

    martin = Family.objects.get(name="Martin")
    line = BookingLine.objects.filter(child__family=martin).first()
    guardian = martin.guardians.first()
    change = dossier.propose_change(
        family=martin,
        user=None,
        target_type="guardian",
        target_id=guardian.pk,
        fields={"mobile_phone": "06 98 76 54 32"},
        rules=None,
    )
    canteen = Activity.objects.filter(establishment__municipality=loaded.municipality).first()
    screens = [
        reverse("family_portal_bookings:index"),
        reverse("family_portal_bookings:inspect", args=[line.pk]),
        reverse("family_portal_bookings:book_family", args=[martin.pk]),
        reverse("family_portal_file_changes:index"),
        reverse("family_portal_file_changes:inspect", args=[change.pk]),
        reverse("family_portal_attendance:index"),
    ]
    for url in screens:
        visit(page, console, live_server.url + url)

    # The attendance sheet and its "Print" button.
    sheet = reverse("family_portal_attendance:sheet", args=[canteen.pk, dt.date.today()])
    visit(page, console, live_server.url + sheet)
    page.get_by_role("button", name="Imprimer").click()
    assert page.evaluate("window.__printed") == 1
    # Wagtail's date picker, started without an inline script (admin/widgets.py).
    page.locator("input#id_date").click()
    expect(page.locator(".xdsoft_datetimepicker").first).to_be_visible()
    screenshot(page, "csp-admin-attendance-sheet")

    # The e-mail texts' form: its placeholders follow the e-mail chosen.
    add_url = reverse(EmailTemplate.snippet_viewset.get_url_name("add"))
    visit(page, console, live_server.url + add_url)
    panel = page.locator("[data-wfp-placeholders-panel]")
    page.select_option("select[name=kind]", index=1)
    chosen = page.locator("select[name=kind]").input_value()
    expect(panel.locator(f"[data-wfp-placeholders='{chosen}']")).to_be_visible()
    expect(
        panel.locator(f"[data-wfp-placeholders]:not([data-wfp-placeholders='{chosen}'])").first
    ).to_be_hidden()
    # "Preview" posts the form to a new tab; the form stays open and still guards its changes.
    with context.expect_page() as preview:
        page.locator("[data-wfp-keep-form]").first.click()
    preview.value.close()
    expect(page.locator("form[data-w-unsaved-confirmation-value='true']")).to_have_count(1)
    assert violations(page, console) == []
    context.close()
