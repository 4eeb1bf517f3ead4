"""The planning's hand-written grid (views/planning_grid.py) escapes every text it is given.

Names, activity names, closure labels and legend labels come from families, agents and editors:
markup in them must reach the page as text, in the calendar and everywhere else on the page.
"""

import datetime as dt
import html

import pytest

from wagtail_family_portal.views.planning_grid import escaped

from . import factories

# Thursday 3 December 2026 at 09:00, local time, in the season of tests/factories.py.
NOW = dt.datetime(2026, 12, 3, 9, 0)
MONDAY, THURSDAY = dt.date(2026, 12, 7), dt.date(2026, 12, 10)

CHILD = """Léa<script>alert("child")</script>&'"""
ACTIVITY = """Repas<script>alert("activity")</script> & 'midi'"""
CLOSURE = """Pont<script>alert("closure")</script> "Avent" & 'co'"""
ENROLLED_LABEL = """<script>alert("enrolled")</script>&'"""
CLOSED_LABEL = """Fermé<script>alert('closed')</script>"""


@pytest.fixture(autouse=True)
def fixed_now(freeze_clock):
    return freeze_clock(NOW)


@pytest.fixture
def hostile_planning(portal_page, portal_settings, family, municipality):
    """A family's week where every text the grid writes holds markup and quotes."""
    portal_settings.legend_enrolled_label = ENROLLED_LABEL
    portal_settings.legend_closed_label = CLOSED_LABEL
    portal_settings.save()
    school = factories.EstablishmentFactory(municipality=municipality)
    child = factories.ChildFactory(family=family, first_name=CHILD)
    activity = factories.ActivityFactory(establishment=school, name=ACTIVITY, short_code="REPAS")
    factories.EnrolmentFactory(
        child=child,
        activity=activity,
        start_date=activity.season_start,
        end_date=activity.season_end,
    )
    factories.ClosureFactory(
        municipality=municipality,
        kind="closure",
        label=CLOSURE,
        start_date=THURSDAY,
        end_date=THURSDAY,
    )
    return family


def planning_html(client, family) -> str:
    response = client.get(
        f"/espace-famille/famille/{family.pk}/planning/",
        {"vue": "semaine", "date": MONDAY.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    return response.content.decode()


def calendar_of(page: str) -> str:
    start = page.index('<section class="wfp-calendar')
    return page[start : page.index("</section>", start)]


def test_escaped_escapes_markup_and_both_quotes():
    assert escaped("""<b a="1" b='2'>&</b>""") == (
        "&lt;b a=&quot;1&quot; b=&#x27;2&#x27;&gt;&amp;&lt;/b&gt;"
    )
    assert type(escaped("x")) is str  # a plain str: the grid's markup is marked safe whole


def test_the_planning_page_shows_markup_from_the_data_as_text(parent_client, hostile_planning):
    page = planning_html(parent_client, hostile_planning)

    for raw in (CHILD, ACTIVITY, CLOSURE, ENROLLED_LABEL, CLOSED_LABEL):
        assert html.escape(raw) in page, raw
    assert "<script>alert(" not in page
    # The calendar, written by hand, holds each of them escaped: the child and the activity in
    # every cell, the enrolled state's legend label in the cells of days that can be booked,
    # the closure once next to the closed day.
    calendar = calendar_of(page)
    for raw in (CHILD, ACTIVITY, CLOSURE, ENROLLED_LABEL):
        assert html.escape(raw) in calendar, raw
    assert "<script" not in calendar
    # Quotes cannot close an attribute: every attribute of the calendar is one of the grid's.
    assert 'alert("' not in calendar and "alert('" not in calendar


def test_the_legend_shows_its_labels_escaped(parent_client, hostile_planning):
    page = planning_html(parent_client, hostile_planning)

    legend = page[page.index('id="wfp-legend-title"') :]
    assert html.escape(ENROLLED_LABEL) in legend
    assert html.escape(CLOSED_LABEL) in legend
