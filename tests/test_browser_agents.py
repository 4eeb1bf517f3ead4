"""The demo and the agents' screens in a real browser: the printable attendance sheet, a day
to process, the period form."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from wagtail_family_portal import demo
from wagtail_family_portal.models import Activity, BookingLine, ChildDay, Family

from . import factories
from .browser import DESKTOP_VIEWPORT, screenshot

pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; serialized_rollback restores Wagtail's initial
    # pages and site after the flush, for the tests that run next.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# An icon next to a word is the size of the text, not of an SVG without a size (300×150).
MAX_ICON_PX = 24


def admin_login(page, base_url, username, password):
    page.goto(base_url + "/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("button[type=submit]").click()
    page.wait_for_url(base_url + "/admin/")


def rendered_box(page, selector):
    return page.locator(selector).first.evaluate(
        "element => { const r = element.getBoundingClientRect();"
        " return {width: r.width, height: r.height, right: r.right, bottom: r.bottom}; }"
    )


def test_the_attendance_sheet_shows_small_icons_and_the_print_label(browser_page, live_server):
    demo.load_demo()
    lea_day = (
        ChildDay.objects.filter(
            child__first_name="Léa", activity__short_code="1/REPAS", state="booked"
        )
        .order_by("date")
        .first()
    )
    assert get_user_model().objects.filter(username="agent").exists()
    page = browser_page
    page.set_viewport_size(DESKTOP_VIEWPORT)
    admin_login(page, live_server.url, "agent", "agent")

    page.goto(
        f"{live_server.url}/admin/family-portal/attendance/"
        f"{lea_day.activity_id}/{lea_day.date.isoformat()}/"
    )

    expect(page.get_by_role("row").filter(has_text="Martin Léa")).to_be_visible()
    screenshot(page, "attendance-sheet")
    expect(page.locator(".wfp-flag").filter(has_text="PAI")).to_be_visible()
    for selector in (".wfp-flag svg", ".wfp-sheet-tools button svg"):
        box = rendered_box(page, selector)
        assert box["width"] <= MAX_ICON_PX and box["height"] <= MAX_ICON_PX, (selector, box)
    print_button = page.get_by_role("button", name="Imprimer")
    expect(print_button).to_be_visible()
    # The label itself is inside the button and on screen, not pushed out by the icon.
    label = print_button.evaluate(
        """button => {
            const text = [...button.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
            const range = document.createRange();
            range.selectNodeContents(text);
            const r = range.getBoundingClientRect(), b = button.getBoundingClientRect();
            return {inside: r.left >= b.left && r.right <= b.right + 1 && r.top >= b.top - 1
                            && r.bottom <= b.bottom + 1,
                    onScreen: r.right <= window.innerWidth && r.width > 0,
                    buttonHeight: b.height};
        }"""
    )
    assert label["inside"] and label["onScreen"], label
    assert label["buttonHeight"] <= 60, label


def test_a_day_to_process_shows_small_icons_on_its_links(browser_page, live_server):
    demo.load_demo()
    line = BookingLine.objects.filter(state="pending").order_by("pk").first()
    page = browser_page
    page.set_viewport_size(DESKTOP_VIEWPORT)
    admin_login(page, live_server.url, "agent", "agent")

    page.goto(f"{live_server.url}/admin/family-portal/bookings/inspect/{line.pk}/")

    links = page.locator(".wfp-links a")
    expect(links.first).to_be_visible()
    screenshot(page, "booking-day-detail")
    for index in range(links.count()):
        box = (
            links.nth(index)
            .locator("svg")
            .evaluate(
                "svg => { const r = svg.getBoundingClientRect();"
                " return {width: r.width, height: r.height}; }"
            )
        )
        assert box["width"] <= MAX_ICON_PX and box["height"] <= MAX_ICON_PX, box


def parent_login(page, base_url):
    page.goto(base_url + "/espace-famille/")
    page.fill("input[name=username]", demo.PARENT_EMAIL)
    page.fill("input[name=password]", demo.PARENT_PASSWORD)
    page.locator("#wfp-login button[type=submit]").click()
    page.wait_for_url(base_url + "/espace-famille/")


def test_choosing_another_activity_ticks_its_weekdays_and_children(browser_page, live_server):
    demo.load_demo()
    martin = Family.objects.get(name="Martin")
    children = {child.first_name: str(child.pk) for child in martin.children.all()}
    centre = Activity.objects.get(short_code="ALSH MERCREDI")
    evening = Activity.objects.get(short_code="1/Péri SOIR")
    page = browser_page
    parent_login(page, live_server.url)
    page.goto(f"{live_server.url}/espace-famille/famille/{martin.pk}/reservations/")

    def ticked(name):
        return sorted(
            page.locator(f"input[name={name}]:checked").evaluate_all(
                "boxes => boxes.map(b => b.value)"
            )
        )

    expect(page.locator("[data-wfp-period-links]")).to_be_hidden()  # the script ticks instead
    page.select_option("select[name=activity]", str(centre.pk))
    assert ticked("weekdays") == ["2"]
    assert ticked("children") == sorted([children["Léa"], children["Hugo"]])
    expect(page.get_by_role("status").filter(has_text="cochés")).to_have_count(1)

    page.select_option("select[name=activity]", str(evening.pk))
    assert ticked("weekdays") == ["0", "1", "3", "4"]
    assert ticked("children") == [children["Léa"]]
    screenshot(page, "period-form-ticked-phone")


# Thursday 3 December 2026, 09:00 (conftest's ``fixed_now``, which the planning served by the
# live server's thread reads too): the month before is gone by, this one half locked.
NOW = factories.NOW


def test_a_past_month_on_a_phone_is_short(browser_page, live_server, fixed_now):
    """Days gone by and days past their deadline collapse: on a phone (390 px), the past month
    of a family with two children in six activities took 6,800 px (and the current month
    8,700 px); each day with nothing booked is now its date and why, without cells."""
    demo.load_demo(today=NOW.date())
    martin = Family.objects.get(name="Martin")
    page = browser_page
    parent_login(page, live_server.url)
    planning = f"{live_server.url}/espace-famille/famille/{martin.pk}/planning/?vue=mois&date="

    # September: the demo's billing fills October and November (billed months) with days.
    page.goto(planning + "2026-09-01")

    height = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "planning-month-past-phone")
    assert height <= 4000, height
    # The days of the month (those of the weeks around it are not shown on a phone).
    days = page.locator(".wfp-day--locked:not(.wfp-day--outside):not(:has(.wfp-cell))")
    assert days.count() >= 10
    for index in range(days.count()):
        box = days.nth(index).bounding_box()
        assert box["height"] <= 80, box  # the date and its reason: no block of cells
    page.goto(planning + NOW.date().isoformat())
    height = page.evaluate("document.documentElement.scrollHeight")
    screenshot(page, "planning-month-current-phone")
    assert height <= 7000, height
