"""Accessibility in a real browser (RGAA / WCAG 2.1 AA): axe-core on the pages with messages and
with errors, where the focus lands, what Chromium's accessibility tree reads, the focus ring and
the open/closed marker.

axe-core comes with axe-playwright-python (its own copy of axe.min.js, injected into the page:
no network). A violation of impact "serious" or "critical" fails the test; the others are listed
as warnings in the test output (and every result is saved under test-results/axe-*.json).
"""

import datetime as dt
import io
import json
import re
import warnings

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from .browser import SCREENSHOTS_DIR, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BLOCKING = ("serious", "critical")
ERROR_TITLE = "Erreur : "
DEMO_PASSWORD = "demo-parent-2026"
# The portal's focus ring (portal.css): a dark outline and a yellow ring.
FOCUS_OUTLINE = (0x0B, 0x0C, 0x0C)
FOCUS_RING = (0xFF, 0xBF, 0x47)


class AxeMinorViolation(UserWarning):
    """A violation axe rates "minor" or "moderate": listed, not failing."""


def check_axe(page, name: str) -> list[str]:
    """Run axe on the page; return its serious and critical violations, warn of the others."""
    requests = []

    def record(request):
        requests.append(request.url)

    page.on("request", record)
    results = Axe().run(page).response  # axe-core as shipped in the package: no download
    page.remove_listener("request", record)
    assert requests == [], "axe asked for something over the network"
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS_DIR / f"axe-{name}.json").write_text(
        json.dumps(results["violations"], indent=2, ensure_ascii=False)
    )
    blocking = []
    for violation in results["violations"]:
        targets = [", ".join(map(str, node["target"])) for node in violation["nodes"]]
        line = f"{name}: {violation['id']} ({violation['impact']}) {violation['help']} — {targets}"
        if violation["impact"] in BLOCKING:
            blocking.append(line)
        else:
            warnings.warn(line, AxeMinorViolation, stacklevel=2)
    return blocking


def active_element(page) -> dict:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {tag: e.tagName.toLowerCase(), id: e.id, role: e.getAttribute("role") || ""};
        }"""
    )


def log_in(page, live_server, email="parent@example.org", password=DEMO_PASSWORD):
    page.goto(live_server.url + "/espace-famille/connexion/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("#wfp-login button[type=submit]").click()


def load_demo():
    call_command("load_family_portal_demo", "--i-know-this-is-not-production", stdout=io.StringIO())


# Errors: the title says so, the focus is on the errors, axe finds nothing serious


def test_a_wrong_password(browser_page, live_server, portal_page, parent):
    page = browser_page

    log_in(page, live_server, password="wrong")

    assert page.title().startswith(ERROR_TITLE)
    assert active_element(page) == {"tag": "div", "id": "wfp-login-errors", "role": "alert"}
    for name in ("username", "password"):
        field = page.locator(f"input[name={name}]")
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description(
            "L'adresse e-mail ou le mot de passe est incorrect. Vérifiez-les et réessayez."
        )
    assert check_axe(page, "login-error") == []


def test_a_sign_up_with_errors(browser_page, live_server, portal_page):
    page = browser_page
    page.goto(live_server.url + "/espace-famille/inscription/")
    assert not page.title().startswith(ERROR_TITLE)
    page.fill("input[name=last_name]", "Durand")
    page.fill("input[name=email]", "sophie.durand@example.org")
    page.fill("input[name=password1]", "cantine-du-mercredi-42")
    page.fill("input[name=password2]", "cantine-du-mercredi-43")
    page.locator("input[name=accept_terms]").check()
    page.evaluate("document.querySelector('#wfp-signup-form form').noValidate = true")

    with page.expect_navigation():
        page.locator("#wfp-signup-form button[type=submit]").click()

    assert page.title().startswith(ERROR_TITLE)
    assert active_element(page) == {"tag": "div", "id": "wfp-form-errors", "role": "alert"}
    expect(page.locator("input[name=first_name]")).to_have_attribute("aria-invalid", "true")
    assert check_axe(page, "signup-errors") == []


def test_the_demo_parents_pages_with_errors_and_messages(browser_page, live_server):
    """A wrong subscriber code, a family-file form with an error, the dashboard with the message
    of a subscription: nothing serious for axe, the title and the focus where they should be."""
    from wagtail_family_portal.models import Child, Family

    load_demo()
    martin = Family.objects.get(name="Martin")
    lea = Child.objects.get(family=martin, first_name="Léa")
    page = browser_page
    blocking = []

    log_in(page, live_server)
    page.wait_for_url(live_server.url + "/espace-famille/")
    blocking += check_axe(page, "dashboard")

    page.goto(live_server.url + "/espace-famille/abonnements/ajouter/")
    page.fill("input[name=code]", "ABCD-EFGH-2026")
    with page.expect_navigation():
        page.locator("#wfp-subscribe-search button[type=submit]").click()
    assert page.title().startswith(ERROR_TITLE)
    assert active_element(page)["id"] == "wfp-form-errors"
    # The field is described by its help text and by the error.
    expect(page.locator("input[name=code]")).to_have_accessible_description(
        re.compile(r"Ce code abonné n'est pas reconnu")
    )
    blocking += check_axe(page, "subscription-wrong-code")

    page.fill("input[name=code]", "DEMO-DURAND-2026")
    with page.expect_navigation():
        page.locator("#wfp-subscribe-search button[type=submit]").click()
    with page.expect_navigation():
        page.locator("#wfp-subscribe-confirm button[type=submit]").click()
    message = page.locator("#wfp-messages li").inner_text()
    assert "Durand" in message
    # The message is read first, with the page's title.
    assert page.title().startswith(message)
    blocking += check_axe(page, "dashboard-with-message")

    page.goto(f"{live_server.url}/espace-famille/famille/{martin.pk}/modifier/child/{lea.pk}/")
    page.fill("input[name=first_name]", "")
    with page.expect_navigation():
        page.locator("#wfp-change-form button[type=submit]").click()
    assert page.title().startswith(ERROR_TITLE)
    assert active_element(page)["id"] == "wfp-form-errors"
    expect(page.locator("input[name=first_name]")).to_have_attribute("aria-invalid", "true")
    blocking += check_axe(page, "family-file-error")

    assert blocking == []


# The planning


def _open_day(family, child, activity):
    from wagtail_family_portal.services import bookings

    today = dt.date.today()
    open_days, _skipped = bookings.preview_days(
        family=family,
        child_id=child.pk,
        activity_id=activity.pk,
        operation="booking",
        dates=[today + dt.timedelta(days=n) for n in range(7, 120)],
    )
    return open_days[0]


def test_after_a_booking_the_focus_is_back_on_the_cell_and_the_message_opens_the_title(
    browser_page, live_server
):
    from wagtail_family_portal.models import Activity, Child, Family

    load_demo()
    martin = Family.objects.get(name="Martin")
    hugo = Child.objects.get(family=martin, first_name="Hugo")
    morning = Activity.objects.get(short_code="2/Péri MATIN")
    day = _open_day(martin, hugo, morning)
    anchor = f"wfp-cell-{hugo.pk}-{morning.pk}-{day.isoformat()}"
    page = browser_page
    log_in(page, live_server)

    page.goto(
        f"{live_server.url}/espace-famille/famille/{martin.pk}/planning/"
        f"?vue=semaine&date={day.isoformat()}"
    )
    cell = page.locator(f"#{anchor}")
    # The name families know, not the service's code.
    expect(cell).to_contain_text("Périscolaire matin")
    expect(cell).not_to_contain_text("2/Péri MATIN")
    cell.click()
    with page.expect_navigation():
        page.locator("form.wfp-actions button[type=submit]").click()

    page.wait_for_load_state("load")
    assert active_element(page) == {"tag": "a", "id": anchor, "role": ""}
    expect(cell).to_contain_text("réserv")
    message = page.locator("#wfp-messages li").inner_text()
    assert "Périscolaire matin" in message and "Hugo" in message
    assert page.title().startswith(message)
    screenshot(page, "planning-after-booking-phone", full_page=False)
    assert check_axe(page, "planning-after-booking") == []


def test_a_cell_that_is_not_a_link_gets_the_focus_from_the_script(browser_page, live_server):
    """Browsers focus the link an address's fragment names, not a cell without action:
    planning.js does (a day just cancelled may have no action left)."""
    from wagtail_family_portal.models import Family

    load_demo()
    martin = Family.objects.get(name="Martin")
    page = browser_page
    log_in(page, live_server)
    planning_url = f"{live_server.url}/espace-famille/famille/{martin.pk}/planning/?vue=semaine"
    page.goto(planning_url)
    still = page.locator("div.wfp-cell__body[id]").first
    anchor = still.get_attribute("id")

    page.goto(live_server.url + "/espace-famille/")
    page.goto(f"{planning_url}#{anchor}")
    page.wait_for_load_state("load")

    assert active_element(page)["id"] == anchor
    # Focusable by the script, not added to the tab order.
    expect(still).to_have_attribute("tabindex", "-1")


def test_the_filters_say_whether_they_are_open(browser_page, live_server):
    from wagtail_family_portal.models import Family

    load_demo()
    martin = Family.objects.get(name="Martin")
    page = browser_page
    log_in(page, live_server)
    page.goto(f"{live_server.url}/espace-famille/famille/{martin.pk}/planning/")
    summary = page.locator("details.wfp-switches > summary")

    def marker():
        return summary.evaluate(
            """(summary) => {
                const style = getComputedStyle(summary, "::before");
                return {content: style.content, transform: style.transform,
                        width: parseFloat(style.width)};
            }"""
        )

    closed = marker()
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    summary.screenshot(path=str(SCREENSHOTS_DIR / "planning-filters-closed.png"))
    summary.click()
    expect(page.locator("details.wfp-switches")).to_have_attribute("open", "")
    page.wait_for_timeout(300)  # the chevron turns
    opened = marker()

    assert closed["content"] != "none" and closed["width"] > 0
    assert closed["transform"] != opened["transform"]
    # Nothing more to read: <details> tells screen readers whether it is open.
    expect(summary).to_have_accessible_name("Enfants et activités affichés")
    summary.screenshot(path=str(SCREENSHOTS_DIR / "planning-filters-open.png"))


def test_the_calendar_button_of_a_date_field_has_the_portals_focus_ring(browser_page, live_server):
    from PIL import Image

    from wagtail_family_portal.models import Family

    load_demo()
    martin = Family.objects.get(name="Martin")
    page = browser_page
    log_in(page, live_server)
    page.goto(f"{live_server.url}/espace-famille/famille/{martin.pk}/reservations/")
    start = page.locator("input[name=start]")
    start.focus()  # the day
    for _ in range(3):  # the month, the year, then the calendar button
        page.keyboard.press("Tab")
    state = start.evaluate(
        "(input) => [document.activeElement === input, input.matches(':focus-visible')]"
    )
    assert state == [True, False], "the calendar button is not the field's fourth stop"

    box = start.bounding_box()
    path = SCREENSHOTS_DIR / "date-calendar-button-focus.png"
    page.screenshot(
        path=str(path),
        clip={
            "x": box["x"] + box["width"] - 48,
            "y": box["y"] - 4,
            "width": 52,
            "height": box["height"] + 8,
        },
    )
    pixels = list(Image.open(path).convert("RGB").get_flattened_data())

    def near(pixel, colour, tolerance=12):
        return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))

    ring = sum(near(pixel, FOCUS_RING) for pixel in pixels)
    outline = sum(near(pixel, FOCUS_OUTLINE) for pixel in pixels)
    assert ring >= 20 and outline >= 20, (ring, outline)
    background = start.evaluate("(input) => getComputedStyle(input).backgroundColor")
    assert contrast(FOCUS_OUTLINE, rgb(background)) >= 3


def rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(value) for value in css[css.index("(") + 1 : -1].split(",")[:3])


def contrast(one, other) -> float:
    def luminance(colour):
        channels = []
        for value in colour:
            value /= 255
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        red, green, blue = channels
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_on_a_phone_each_cell_of_a_table_is_read_once(browser_page, live_server):
    """At 390 px a table's rows are cards and each cell shows its column's label: screen readers
    must read the label once (the column header), not also the label drawn before the value."""
    from wagtail_family_portal.models import Family

    load_demo()
    martin = Family.objects.get(name="Martin")
    page = browser_page
    log_in(page, live_server)
    page.goto(f"{live_server.url}/espace-famille/famille/{martin.pk}/demandes/")
    table = page.locator("table.wfp-requests")
    first_cell = table.locator("tbody td").first
    label = first_cell.get_attribute("data-label")
    # The label is shown...
    shown = first_cell.evaluate("(td) => getComputedStyle(td, '::before').content")
    assert label in shown

    # ...but Chromium's accessibility tree names the cell by its value alone.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Accessibility.enable")
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cells = [
        node["name"]["value"]
        for node in nodes
        if node.get("role", {}).get("value") == "cell" and "name" in node
    ]
    assert cells, "no table cell in the accessibility tree"
    headers = {
        node["name"]["value"]
        for node in nodes
        if node.get("role", {}).get("value") == "columnheader" and node["name"]["value"]
    }
    assert label in headers
    # The label drawn before each value is not in the cell's name (unless the value itself
    # starts with the same word, as the "History" link does).
    shown_cells = table.locator("tbody td").evaluate_all(
        "(tds) => tds.map((td) => [td.dataset.label, td.innerText.replace(/\\s+/g, ' ').trim()])"
    )
    assert len(shown_cells) == len(cells)
    doubled = [
        name
        for (label, value), name in zip(shown_cells, cells, strict=True)
        if name.startswith(label) and not value.startswith(label)
    ]
    assert doubled == []
    snapshot = table.aria_snapshot()
    assert f'cell "{label}' not in snapshot, snapshot
    assert check_axe(page, "requests-list") == []
