"""The family's planning pages: the planning, one-day requests, the period form, the calendar
address and its .ics feed, through the test client ("Mes demandes": test_request_pages.py)."""

import datetime as dt
import re

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail_family_portal.models import BookingLine, ChildDay, Request
from wagtail_family_portal.models.activities import Activity
from wagtail_family_portal.services import bookings

from . import factories

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
# The assertions read the English msgids; the French catalogue must not change what they see.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}

NOW = factories.NOW
TODAY = NOW.date()
# The canteen runs Monday, Tuesday, Thursday and Friday; booking deadline: 2 days before, 10:00.
MON, TUE, THU, FRI = (
    dt.date(2026, 12, 7),
    dt.date(2026, 12, 8),
    dt.date(2026, 12, 10),
    dt.date(2026, 12, 11),
)
TOO_SOON = dt.date(2026, 12, 4)  # Friday: its deadline was Wednesday at 10:00

pytestmark = pytest.mark.usefixtures("fixed_now")


@pytest.fixture
def lea(lea):
    """conftest's Léa with a colour chosen by her family, not the first free one the portal
    gives: the planning's CSS must show the stored colour."""
    lea.colour = "#d62728"
    lea.save(update_fields=["colour"])
    return lea


def url(family, rest="", **query):
    base = f"{PORTAL_URL}famille/{family.pk}/{rest}"
    if not query:
        return base
    from django.utils.http import urlencode

    return f"{base}?{urlencode(query, doseq=True)}"


def get(client, address, **kwargs):
    return client.get(address, **ENGLISH, **kwargs)


def post(client, address, data=None, **kwargs):
    return client.post(address, data or {}, **ENGLISH, **kwargs)


def text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def day_url(family, child, activity, date, operation="booking"):
    return url(
        family,
        "planning/jour/",
        enfant=child.pk,
        activite=activity.pk,
        date=date.isoformat(),
        operation=operation,
    )


def state_of(child, activity, date) -> str:
    row = ChildDay.objects.filter(child=child, activity=activity, date=date).first()
    return row.state if row else "enrolled"


book = factories.book


def booked(family, child, activity, dates, user, agent):
    outcome = book(family, child, activity, dates, user)
    bookings.decide_lines(outcome.lines, agent=agent, accept=True)
    return outcome


def cells(response) -> list[str]:
    """The text of every planning cell, in page order."""
    html = response.content.decode()
    found = re.findall(r'<li class="wfp-cell [^"]*">(.*?)</li>', html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in found]


def day_block(response, date) -> str:
    """The HTML of one day of the planning."""
    html = response.content.decode()
    start = html.index(f'<time datetime="{date.isoformat()}"')
    start = html.rindex('<li class="wfp-day', 0, start)
    end = html.find('<li class="wfp-day', start + 1)
    return html[start : end if end != -1 else len(html)]


# Logging in and scoping


@pytest.mark.parametrize(
    "rest",
    [
        "planning/",
        "planning/jour/?enfant=1&activite=1&date=2026-12-07&operation=booking",
        "reservations/",
        "calendrier/",
    ],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, portal_page, family, rest):
    response = get(client, url(family, rest))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL + "?next=")
    assert f"famille/{family.pk}/" in response["Location"]


@pytest.mark.parametrize("rest", ["planning/", "reservations/", "calendrier/"])
def test_another_familys_pages_are_not_found(parent_client, portal_page, neighbour_family, rest):
    other, _child = neighbour_family

    assert get(parent_client, url(other, rest)).status_code == 404


def test_a_family_of_another_town_is_not_found_on_this_towns_portal(
    client, portal_page, other_municipality
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality)
    user = factories.UserFactory(username="both@example.org")
    factories.SubscriptionFactory(user=user, family=elsewhere)
    client.force_login(user)

    assert get(client, url(elsewhere, "planning/")).status_code == 404


# The planning


def week_of(date, view="semaine", **query):
    return {"vue": view, "date": date.isoformat(), **query}


def test_the_week_shows_each_day_with_its_state_and_what_can_be_done(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    booked(family, lea, canteen, [MON], parent, agent)
    book(family, lea, canteen, [TUE], parent)

    response = get(parent_client, url(family, "planning/", **week_of(MON)))

    assert response.status_code == 200
    assert cells(response) == [
        "Léa Repas école booked Report an absence – Monday 7 December",
        "Léa Repas école booking requested Withdraw the request – Tuesday 8 December",
        "Léa Repas école enrolled, not booked Book – Thursday 10 December",
        "Léa Repas école enrolled, not booked Book – Friday 11 December",
    ]
    thursday = day_block(response, THU)
    confirm = day_url(family, lea, canteen, THU).replace("&", "&amp;") + "&amp;vue=semaine"
    assert f'href="{confirm}"' in thursday
    assert "7 December 2026 to 13 December 2026" in text(response)


def test_a_day_past_its_deadline_or_closed_says_why_and_links_nowhere(
    parent_client, portal_page, family, municipality, lea, canteen
):
    factories.ClosureFactory(
        municipality=municipality,
        kind="closure",
        label="Pont de l'Avent",
        start_date=THU,
        end_date=THU,
    )

    response = get(parent_client, url(family, "planning/", **week_of(TOO_SOON)))
    later = get(parent_client, url(family, "planning/", **week_of(THU)))

    too_soon = day_block(response, TOO_SOON)
    assert "deadline passed" in too_soon
    assert "<a " not in too_soon
    closed = day_block(later, THU)
    assert "Pont de l&#x27;Avent" in closed
    assert "<a " not in closed
    # A day gone by is shown as it was, without a link, and without repeating the deadline.
    gone = day_block(response, dt.date(2026, 12, 1))
    assert "wfp-day--past" in gone and "nothing booked" in gone
    assert "<a " not in gone and "deadline" not in gone


def test_a_locked_day_says_why_once_and_keeps_only_what_happened(
    parent_client, portal_page, family, municipality, lea, hugo, canteen, agent
):
    """A day where nothing can be done any more is one line, not the same sentence in every
    cell: the days the children were not booked on say nothing more than the day's reason."""
    factories.enrol(hugo, canteen)
    bookings.request_days(  # the agent books past the deadline
        family=family,
        child_id=lea.pk,
        activity_id=canteen.pk,
        operation="booking",
        dates=[TOO_SOON],
        user=agent,
        by_agent=True,
        now=NOW,
    )
    factories.ClosureFactory(
        municipality=municipality, kind="closure", label="Pont", start_date=THU, end_date=THU
    )
    other = factories.ActivityFactory(establishment=canteen.establishment, name="Étude")
    factories.enrol(hugo, other)

    response = get(parent_client, url(family, "planning/", vue="mois", date=TOO_SOON.isoformat()))

    too_soon = day_block(response, TOO_SOON)
    assert "wfp-day--locked" in too_soon
    assert too_soon.count("deadline passed") == 1
    assert re.findall(r'<span class="wfp-day__reason">([^<]*)</span>', too_soon) == [
        "deadline passed"
    ]
    day_cells = re.findall(r'<li class="wfp-cell [^"]*">(.*?)</li>', too_soon, re.S)
    assert len(day_cells) == 1 and "booked" in day_cells[0]  # Léa's booked meal only
    # A day gone by where nothing was booked: one line.
    gone = day_block(response, dt.date(2026, 12, 1))
    assert "wfp-cell" not in gone and gone.count("nothing booked") == 1
    # A closed day: its closure once, no cell.
    closed = day_block(response, THU)
    assert closed.count("Pont") == 1 and "wfp-cell" not in closed
    # A day with something to do keeps every cell, each with its short reason if it has one.
    monday = day_block(response, MON)
    assert "wfp-day--locked" not in monday
    assert len(re.findall(r'<li class="wfp-cell ', monday)) == 3


def test_the_month_shows_whole_weeks_from_monday(parent_client, portal_page, family, lea, canteen):
    response = get(parent_client, url(family, "planning/", vue="mois", date="2026-12-15"))

    html = response.content.decode()
    assert response.context["title"] == "December 2026"
    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)"', html)
    assert days[0] == "2026-11-30" and days[-1] == "2027-01-03" and len(days) == 35
    assert "wfp-day--outside" in day_block(response, dt.date(2026, 11, 30))
    assert "wfp-day--outside" not in day_block(response, dt.date(2026, 12, 1))
    assert response.context["previous_url"].endswith("date=2026-11-01")
    assert response.context["next_url"].endswith("date=2027-01-01")


def test_the_month_of_today_is_shown_by_default_with_today_marked(
    parent_client, portal_page, family, lea, canteen
):
    response = get(parent_client, url(family, "planning/"))

    assert response.context["title"] == "December 2026"
    assert "wfp-day--today" in day_block(response, TODAY)
    assert "today" in text(response)


def test_the_school_week_shows_monday_to_friday(parent_client, portal_page, family, lea, canteen):
    response = get(parent_client, url(family, "planning/", **week_of(THU, view="semaine5")))

    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)"', response.content.decode())
    assert days == [(MON + dt.timedelta(days=n)).isoformat() for n in range(5)]
    assert response.context["previous_url"].endswith("date=2026-12-03")
    assert response.context["next_url"].endswith("date=2026-12-17")


def test_children_and_activities_can_be_hidden(
    parent_client, portal_page, family, lea, hugo, canteen, centre
):
    factories.enrol(hugo, canteen)

    everything = cells(get(parent_client, url(family, "planning/", **week_of(MON))))
    only_hugo = get(parent_client, url(family, "planning/", **week_of(MON, enfant=hugo.pk)))
    only_centre = get(parent_client, url(family, "planning/", **week_of(MON, activite=centre.pk)))

    assert {cell.split()[0] for cell in everything} == {"Léa", "Hugo"}
    assert {cell.split()[0] for cell in cells(only_hugo)} == {"Hugo"}
    centre_cells = cells(only_centre)
    assert centre_cells and all("Accueil de loisirs mercredi" in cell for cell in centre_cells)
    html = only_hugo.content.decode()
    assert f'name="enfant" value="{hugo.pk}" checked' in html
    assert f'name="enfant" value="{lea.pk}">' in html
    # The navigation keeps the choice.
    assert f"enfant={hugo.pk}" in only_hugo.context["next_url"]


@pytest.mark.parametrize(
    "query",
    [
        {"vue": "annee"},
        {"date": "2026-13-01"},
        {"date": "demain"},
        {"date": "0001-01-01"},
        {"enfant": "abc"},
        {"activite": "1.5"},
    ],
)
def test_a_planning_asked_with_bad_parameters_is_not_found(
    parent_client, portal_page, family, lea, canteen, query
):
    assert get(parent_client, url(family, "planning/", **query)).status_code == 404


def test_another_familys_child_or_an_activity_not_the_familys_is_not_found(
    parent_client, portal_page, family, school, lea, canteen, neighbour_family
):
    _other, zoe = neighbour_family
    elsewhere = factories.ActivityFactory(establishment=school, name="Étude")

    assert get(parent_client, url(family, "planning/", enfant=zoe.pk)).status_code == 404
    assert get(parent_client, url(family, "planning/", activite=elsewhere.pk)).status_code == 404
    assert get(parent_client, url(family, "planning/", enfant=lea.pk)).status_code == 200


def test_the_legend_uses_the_labels_and_colours_set_in_the_cms(
    parent_client, portal_page, portal_settings, family, lea, canteen, parent, agent
):
    portal_settings.legend_booked_label = "Inscrit au repas"
    portal_settings.legend_booked_colour = "#123456"
    portal_settings.save()
    booked(family, lea, canteen, [MON], parent, agent)

    response = get(parent_client, url(family, "planning/", **week_of(MON)))

    html = response.content.decode()
    assert ".wfp-state--booked{--wfp-state:#123456;--wfp-state-text:#FFFFFF}" in html
    assert cells(response)[0].startswith("Léa Repas école Inscrit au repas")
    legend = html[html.index('id="wfp-legend-title"') :]
    assert "Inscrit au repas" in legend and "absence requested" in legend
    # Each child's colour marks its cells.
    assert f".wfp-child-{lea.pk}{{--wfp-child-colour:#d62728}}" in html


def test_a_child_on_the_waiting_list_sees_its_rank(
    parent_client, portal_page, family, school, lea, hugo, parent
):
    full = factories.ActivityFactory(
        establishment=school,
        name="Accueil de loisirs mercredi",
        short_code="ALSH",
        weekdays=[2],
        booking_mode=Activity.BookingMode.AUTOMATIC,
        capacity=1,
        waiting_list=True,
    )
    factories.enrol(hugo, full)
    factories.enrol(lea, full)
    wednesday = dt.date(2026, 12, 9)
    book(family, hugo, full, [wednesday], parent)
    book(family, lea, full, [wednesday], parent)

    response = get(parent_client, url(family, "planning/", **week_of(wednesday)))

    assert (
        "Léa Accueil de loisirs mercredi waiting list, rank 1 Withdraw the request – "
        "Wednesday 9 December"
    ) in cells(response)


def test_a_family_without_enrolment_is_told_there_is_nothing_to_show(
    parent_client, portal_page, family, lea
):
    response = get(parent_client, url(family, "planning/"))

    assert response.status_code == 200
    assert "No activity to show in this period." in text(response)


def test_the_planning_links_to_the_list_the_period_form_and_the_calendar(
    parent_client, portal_page, family, lea, canteen
):
    html = get(parent_client, url(family, "planning/")).content.decode()

    assert f'href="{url(family, "demandes/")}"' in html
    assert f'href="{url(family, "reservations/")}"' in html
    assert f'href="{url(family, "calendrier/")}"' in html


def test_the_dashboard_links_to_the_planning(parent_client, portal_page, family, lea, canteen):
    html = get(parent_client, PORTAL_URL).content.decode()

    assert f'href="{url(family, "planning/")}"' in html


def _large_family(municipality, school, parent, agent):
    """4 children × 6 activities, with days booked and asked all over December."""
    family = factories.FamilyFactory(municipality=municipality, name="Grande")
    factories.SubscriptionFactory(user=parent, family=family)
    children = [factories.ChildFactory(family=family) for _ in range(4)]
    activities = [
        factories.ActivityFactory(
            establishment=school, name=f"Activité {n}", weekdays=[0, 1, 2, 3, 4]
        )
        for n in range(6)
    ]
    for child in children:
        for activity in activities:
            factories.enrol(child, activity)
    for child, activity in zip(children, activities, strict=False):
        booked(family, child, activity, [MON, TUE], parent, agent)
        book(family, child, activity, [THU], parent)
    return family


def test_the_planning_runs_the_same_queries_for_one_week_of_one_child_as_for_a_large_month(
    parent_client, portal_page, municipality, school, family, lea, canteen, parent, agent
):
    booked(family, lea, canteen, [MON], parent, agent)
    large = _large_family(municipality, school, parent, agent)
    get(parent_client, url(family, "planning/"))  # the site's caches filled, as on a live site

    with CaptureQueriesContext(connection) as small_page:
        small = get(parent_client, url(family, "planning/", **week_of(MON)))
    with CaptureQueriesContext(connection) as large_page:
        big = get(parent_client, url(large, "planning/", vue="mois", date="2026-12-01"))

    assert small.status_code == big.status_code == 200
    assert len(cells(small)) == 4
    # Every weekday of the 5 weeks shown, but 30 November to 4 December: gone by or past
    # their deadline, they say so once instead of in every cell.
    assert len(cells(big)) == 4 * 6 * 20
    assert len(small_page.captured_queries) == len(large_page.captured_queries)
    assert len(large_page.captured_queries) <= 15


# One day from the planning


def test_the_confirmation_page_asks_before_booking_and_creates_nothing(
    parent_client, portal_page, family, lea, canteen
):
    response = get(parent_client, day_url(family, lea, canteen, THU))

    assert response.status_code == 200
    assert "Book Repas école for Léa on Thursday 10 December?" in text(response)
    assert "Confirm the booking" in text(response)
    assert "Last moment for this request: Tuesday 8 December 2026, 10:00." in text(response)
    assert not BookingLine.objects.exists()


def test_a_day_is_booked_from_the_confirmation_page(
    parent_client, portal_page, family, lea, canteen
):
    address = day_url(family, lea, canteen, THU) + "&vue=semaine"

    response = post(parent_client, address, follow=True)

    line = BookingLine.objects.get()
    assert (line.child, line.activity, line.date, line.state) == (lea, canteen, THU, "pending")
    assert line.request.created_by.email == "parent@example.org"
    assert state_of(lea, canteen, THU) == "booking_requested"
    # Back to the same week, at the cell just changed (the browser focuses the link it names).
    anchor = f"wfp-cell-{lea.pk}-{canteen.pk}-2026-12-10"
    assert response.redirect_chain[-1][0] == (
        url(family, "planning/", date="2026-12-10", vue="semaine") + "#" + anchor
    )
    assert f'<a class="wfp-cell__body" id="{anchor}" href=' in response.content.decode()
    assert messages_of(response) == [
        "Your request for Repas école for Léa on Thursday 10 December has been sent: it is "
        "waiting for the service's validation."
    ]
    assert "Léa Repas école booking requested Withdraw the request – Thursday 10 December" in cells(
        response
    )


def test_an_automatic_activity_is_booked_at_once(parent_client, portal_page, family, lea, centre):
    wednesday = dt.date(2026, 12, 9)

    response = post(parent_client, day_url(family, lea, centre, wednesday), follow=True)

    assert state_of(lea, centre, wednesday) == "booked"
    assert messages_of(response) == [
        "Booked: Accueil de loisirs mercredi for Léa on Wednesday 9 December."
    ]


def test_an_absence_is_reported_on_a_booked_day(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    booked(family, lea, canteen, [MON], parent, agent)
    address = day_url(family, lea, canteen, MON, operation="absence")

    question = get(parent_client, address)
    response = post(parent_client, address, follow=True)

    assert "Report an absence from Repas école for Léa on Monday 7 December?" in text(question)
    absence = BookingLine.objects.get(operation="absence")
    assert (absence.date, absence.state) == (MON, "pending")
    assert state_of(lea, canteen, MON) == "absence_requested"
    assert response.status_code == 200


def test_an_absence_on_a_day_not_booked_is_refused_with_the_reason(
    parent_client, portal_page, family, lea, canteen
):
    address = day_url(family, lea, canteen, MON, operation="absence")

    question = get(parent_client, address)
    response = post(parent_client, address)

    reason = "An absence can only be declared on a booked day."
    assert reason in text(question) and "Confirm the absence" not in text(question)
    assert response.status_code == 409 and reason in text(response)
    assert not BookingLine.objects.exists()


def test_a_day_past_its_deadline_cannot_be_booked(parent_client, portal_page, family, lea, canteen):
    address = day_url(family, lea, canteen, TOO_SOON)

    question = get(parent_client, address)
    response = post(parent_client, address)

    reason = "The deadline for that day has passed."
    assert reason in text(question) and "Confirm the booking" not in text(question)
    assert response.status_code == 409 and reason in text(response)
    assert not BookingLine.objects.exists() and not Request.objects.exists()


def test_a_closed_day_cannot_be_booked(
    parent_client, portal_page, family, municipality, lea, canteen
):
    factories.ClosureFactory(
        municipality=municipality, kind="closure", label="Grève", start_date=THU, end_date=THU
    )

    response = post(parent_client, day_url(family, lea, canteen, THU))

    assert response.status_code == 409
    assert "Closed that day." in text(response)
    assert not BookingLine.objects.exists()


def test_a_day_already_booked_says_so(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    booked(family, lea, canteen, [THU], parent, agent)

    response = post(parent_client, day_url(family, lea, canteen, THU))

    assert response.status_code == 409
    assert "Already booked (or asked) that day." in text(response)
    assert BookingLine.objects.count() == 1


def test_a_request_still_waiting_is_withdrawn_from_the_planning(
    parent_client, portal_page, family, lea, canteen, parent
):
    outcome = book(family, lea, canteen, [TUE], parent)
    address = day_url(family, lea, canteen, TUE, operation="withdraw")

    question = get(parent_client, address)
    response = post(parent_client, address, follow=True)

    assert "Withdraw the request for Repas école for Léa on Tuesday 8 December?" in text(question)
    assert BookingLine.objects.get(pk=outcome.lines[0].pk).state == "withdrawn"
    assert state_of(lea, canteen, TUE) == "enrolled"
    assert messages_of(response) == [
        "Your request for Repas école on Tuesday 8 December has been withdrawn."
    ]
    # Nothing waits any more: a second try says so.
    again = post(parent_client, address)
    assert again.status_code == 409
    assert "Nothing is waiting for that day any more." in text(again)


@pytest.mark.parametrize(
    "change",
    [
        {"enfant": "999999"},
        {"enfant": "x"},
        {"activite": "999999"},
        {"date": "2026-02-30"},
        {"date": ""},
        {"operation": "delete"},
        {"vue": "year"},
    ],
)
def test_the_confirmation_page_with_bad_parameters_is_not_found(
    parent_client, portal_page, family, lea, canteen, change
):
    query = {
        "enfant": lea.pk,
        "activite": canteen.pk,
        "date": THU.isoformat(),
        "operation": "booking",
        **change,
    }

    assert get(parent_client, url(family, "planning/jour/", **query)).status_code == 404
    assert post(parent_client, url(family, "planning/jour/", **query)).status_code == 404
    assert not BookingLine.objects.exists()


def test_another_familys_child_or_an_activity_not_the_familys_cannot_be_booked(
    parent_client, portal_page, family, school, lea, canteen, neighbour_family
):
    _other, zoe = neighbour_family
    factories.enrol(zoe, canteen)
    elsewhere = factories.ActivityFactory(establishment=school, name="Étude")

    assert post(parent_client, day_url(family, zoe, canteen, THU)).status_code == 404
    assert post(parent_client, day_url(family, lea, elsewhere, THU)).status_code == 404
    assert not BookingLine.objects.exists()


# The period form


def period(lea_or_children, activity, start, end, weekdays, operation="booking", step=None):
    children = lea_or_children if isinstance(lea_or_children, list) else [lea_or_children]
    data = {
        "children": [child.pk for child in children],
        "activity": activity.pk,
        "operation": operation,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "weekdays": weekdays,
    }
    if step:
        data["step"] = step
    return data


def test_the_period_form_offers_the_children_and_their_activities(
    parent_client, portal_page, family, school, lea, hugo, canteen, centre
):
    ended = factories.ActivityFactory(
        establishment=school, name="Stage de Toussaint", season_end=dt.date(2026, 11, 1)
    )
    factories.EnrolmentFactory(
        child=hugo, activity=ended, start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 11, 1)
    )

    response = get(parent_client, url(family, "reservations/"))

    form = response.context["form"]
    assert [label for _value, label in form.fields["children"].choices] == ["Léa", "Hugo"]
    activities = [label for _value, label in form.fields["activity"].choices]
    assert activities == [
        "Accueil de loisirs mercredi – École Jules Ferry",
        "Repas école – École Jules Ferry",
    ]
    assert "See the days" in text(response)


def ticked(response, name) -> list[str]:
    """The values of the boxes ``name`` the form opens with ticked."""
    html = response.content.decode()
    return re.findall(
        rf'<input type="checkbox" name="{name}" value="([^"]+)"[^>]*\bchecked\b', html
    )


def test_the_period_form_ticks_the_first_activitys_weekdays_and_children(
    parent_client, portal_page, family, lea, hugo, canteen, centre
):
    factories.enrol(hugo, canteen)  # Hugo goes to the canteen, not to the Wednesday centre

    response = get(parent_client, url(family, "reservations/"))

    form = response.context["form"]
    assert form["activity"].value() == str(centre.pk)  # the first one offered
    assert ticked(response, "weekdays") == ["2"]  # Wednesday, the centre's own day
    assert ticked(response, "children") == [str(lea.pk)]


def test_the_period_form_ticks_the_activity_asked_for(
    parent_client, portal_page, family, lea, hugo, canteen, centre
):
    factories.enrol(hugo, centre)  # Hugo goes to the Wednesday centre, not to the canteen

    response = get(parent_client, url(family, "reservations/", activite=canteen.pk))

    assert response.context["form"]["activity"].value() == str(canteen.pk)
    assert ticked(response, "weekdays") == ["0", "1", "3", "4"]
    assert ticked(response, "children") == [str(lea.pk)]
    # From the planning filtered on one child: that child only, if enrolled.
    only_hugo = get(parent_client, url(family, "reservations/", activite=centre.pk, enfant=hugo.pk))
    assert ticked(only_hugo, "children") == [str(hugo.pk)]
    assert ticked(only_hugo, "weekdays") == ["2"]


def test_the_period_form_offers_each_activitys_ticks_with_and_without_javascript(
    parent_client, portal_page, family, lea, hugo, canteen, centre
):
    factories.enrol(hugo, canteen)

    response = get(parent_client, url(family, "reservations/"))

    html = response.content.decode()
    option = re.search(rf'<option value="{canteen.pk}"[^>]*>', html).group(0)
    assert 'data-weekdays="0 1 3 4"' in option
    assert f'data-children="{lea.pk} {hugo.pk}"' in option
    assert "period_form.js" in html
    # Without JavaScript, a link reopens the form for another activity.
    assert f"reservations/?activite={canteen.pk}" in html


def test_the_preview_of_the_ticked_period_lists_no_day_the_child_is_not_enrolled_on(
    parent_client, portal_page, family, lea, hugo, canteen, centre
):
    factories.enrol(hugo, canteen)
    form = get(parent_client, url(family, "reservations/")).context["form"]
    data = {
        "activity": form["activity"].value(),
        "children": form["children"].value(),
        "weekdays": form["weekdays"].value(),
        "operation": "booking",
        "start": "2026-12-14",
        "end": "2027-01-29",
    }

    response = post(parent_client, url(family, "reservations/"), data)

    reasons = {s.reason for preview in response.context["previews"] for s in preview.skipped}
    assert "not_enrolled" not in reasons and "not_running" not in reasons
    assert [preview.child for preview in response.context["previews"]] == [lea]


def test_the_preview_lists_the_days_asked_and_those_skipped_with_their_reason(
    parent_client, portal_page, family, municipality, lea, hugo, canteen
):
    factories.ClosureFactory(
        municipality=municipality, kind="closure", label="Grève", start_date=THU, end_date=THU
    )
    data = period([lea, hugo], canteen, dt.date(2026, 12, 3), dt.date(2026, 12, 11), [0, 3])

    response = post(parent_client, url(family, "reservations/"), data)

    assert response.status_code == 200
    previews = {preview.child.first_name: preview for preview in response.context["previews"]}
    assert previews["Léa"].dates == [MON]
    assert [(s.date, s.reason) for s in previews["Léa"].skipped] == [
        (dt.date(2026, 12, 3), "deadline_passed"),
        (THU, "closed"),
    ]
    assert previews["Hugo"].dates == []
    assert {s.reason for s in previews["Hugo"].skipped} == {"not_enrolled"}
    page = text(response)
    assert "1 day will be asked" in page and "2 days cannot be asked" in page
    assert "The deadline for that day has passed." in page and "Closed that day." in page
    assert "The child is not enrolled in this activity that day." in page
    assert "Send the other days" in page
    assert not Request.objects.exists() and not BookingLine.objects.exists()


def test_confirming_the_preview_sends_one_request_per_child(
    parent_client, portal_page, family, lea, hugo, canteen
):
    factories.enrol(hugo, canteen)
    data = period([lea, hugo], canteen, dt.date(2026, 12, 3), dt.date(2026, 12, 18), [0, 3])

    response = post(parent_client, url(family, "reservations/"), {**data, "step": "confirm"})

    assert response.status_code == 200
    requests = Request.objects.order_by("pk")
    assert requests.count() == 2
    for child in (lea, hugo):
        days = BookingLine.objects.filter(child=child).order_by("date")
        assert [line.date for line in days] == [
            MON,
            THU,
            dt.date(2026, 12, 14),
            dt.date(2026, 12, 17),
        ]
        assert {line.state for line in days} == {"pending"}
    page = text(response)
    assert page.count("Request sent: 4 days.") == 2
    assert "1 day not asked" in page
    assert "The deadline for that day has passed." in page
    first = requests[0]
    assert f'href="{url(family, f"demandes/{first.pk}/")}"' in response.content.decode()


def test_a_child_with_no_day_to_ask_is_told_nothing_was_sent(
    parent_client, portal_page, family, lea, hugo, canteen
):
    data = period([lea, hugo], canteen, MON, FRI, [0, 1, 2, 3, 4], step="confirm")

    response = post(parent_client, url(family, "reservations/"), data)

    assert BookingLine.objects.filter(child=lea).count() == 4
    assert not BookingLine.objects.filter(child=hugo).exists()
    assert "Nothing was sent for this child: None of these days can be requested." in text(response)


def test_a_preview_where_nothing_can_be_asked_offers_no_confirmation(
    parent_client, portal_page, family, lea, canteen
):
    data = period(lea, canteen, TOO_SOON, TOO_SOON, [4])

    response = post(parent_client, url(family, "reservations/"), data)

    assert response.context["can_confirm"] is False
    assert "None of these days can be asked." in text(response)
    assert 'value="confirm"' not in response.content.decode()


def test_changing_the_request_goes_back_to_the_filled_form(
    parent_client, portal_page, family, lea, canteen
):
    data = period(lea, canteen, MON, FRI, [0, 3], step="edit")

    response = post(parent_client, url(family, "reservations/"), data)

    form = response.context["form"]
    assert form.is_bound and not form.errors
    html = response.content.decode()
    assert 'value="2026-12-07"' in html and 'value="2026-12-11"' in html
    assert not BookingLine.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "weekdays", "error"),
    [
        (FRI, MON, [0], "The last day cannot be before the first day."),
        (
            dt.date(2026, 9, 1),
            dt.date(2027, 9, 30),
            [0],
            "A request covers at most one school year.",
        ),
        (MON, FRI, [], "Choose at least one weekday."),
        (MON, MON, [2], "No day of this period falls on the chosen weekdays."),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_error(
    parent_client, portal_page, family, lea, canteen, start, end, weekdays, error
):
    for step in ("preview", "confirm"):
        data = period(lea, canteen, start, end, weekdays, step=step)

        response = post(parent_client, url(family, "reservations/"), data)

        assert response.status_code == 200
        assert error in text(response)
        assert response.context["form"].errors
    assert not Request.objects.exists()


def test_a_period_without_child_or_dates_is_refused(
    parent_client, portal_page, family, lea, canteen
):
    response = post(
        parent_client,
        url(family, "reservations/"),
        {"activity": canteen.pk, "operation": "booking", "weekdays": [0]},
    )

    errors = response.context["form"].errors
    assert errors["children"] == ["Choose at least one child."]
    assert "start" in errors and "end" in errors


def test_a_period_for_another_familys_child_or_activity_is_not_found(
    parent_client, portal_page, family, school, lea, canteen, neighbour_family
):
    _other, zoe = neighbour_family
    elsewhere = factories.ActivityFactory(establishment=school, name="Étude")

    for data in (
        period([lea, zoe], canteen, MON, FRI, [0], step="confirm"),
        period(lea, elsewhere, MON, FRI, [0], step="confirm"),
        {**period(lea, canteen, MON, FRI, [0]), "activity": "abc"},
    ):
        assert post(parent_client, url(family, "reservations/"), data).status_code == 404
    assert get(parent_client, url(family, "reservations/", enfant=zoe.pk)).status_code == 404
    assert not Request.objects.exists()


def test_an_absence_for_a_period_is_asked_on_the_booked_days_only(
    parent_client, portal_page, family, lea, canteen, parent, agent
):
    booked(family, lea, canteen, [MON, THU], parent, agent)
    data = period(lea, canteen, MON, FRI, [0, 1, 3, 4], operation="absence", step="confirm")

    post(parent_client, url(family, "reservations/"), data)

    absences = BookingLine.objects.filter(operation="absence").order_by("date")
    assert [line.date for line in absences] == [MON, THU]


# The calendar address and its feed


def feed_path(token):
    return f"{PORTAL_URL}calendrier/{token}/"


def ics_path(token):
    return f"{PORTAL_URL}calendrier/{token}.ics"


def test_the_calendar_address_is_created_on_demand(parent_client, portal_page, family):
    first = get(parent_client, url(family, "calendrier/"))

    assert "Create my calendar address" in text(first)
    assert "calendrier/" not in first.content.decode().replace(url(family, "calendrier/"), "")

    response = post(parent_client, url(family, "calendrier/"), follow=True)

    family.refresh_from_db()
    assert family.calendar_token
    html = response.content.decode()
    assert f'value="http://testserver{ics_path(family.calendar_token)}"' in html
    assert f'href="webcal://testserver{ics_path(family.calendar_token)}"' in html
    assert messages_of(response) == ["Your calendar address has been created."]


def test_renewing_the_address_stops_the_old_one(client, parent_client, portal_page, family):
    old = family.regenerate_calendar_token()

    response = post(parent_client, url(family, "calendrier/"), follow=True)

    family.refresh_from_db()
    assert family.calendar_token != old
    assert messages_of(response) == [
        "Your calendar has a new address: the old one no longer works."
    ]
    client.logout()
    assert client.get(feed_path(old)).status_code == 404
    assert client.get(feed_path(family.calendar_token)).status_code == 200


def test_the_feed_holds_the_booked_days_only(
    client, portal_page, municipality, family, lea, hugo, canteen, centre, parent, agent
):
    factories.enrol(hugo, centre)
    booked(family, lea, canteen, [MON, FRI], parent, agent)
    book(family, lea, canteen, [TUE], parent)  # still waiting
    refused = book(family, lea, canteen, [THU], parent)
    bookings.decide_lines(refused.lines, agent=agent, accept=False, message="Complet")
    wednesday = dt.date(2026, 12, 9)
    book(family, hugo, centre, [wednesday], parent)  # booked at once
    absent = dt.date(2026, 12, 14)
    booked(family, lea, canteen, [absent], parent, agent)
    book(family, lea, canteen, [absent], parent, operation="absence")  # absence asked
    # A day booked, then closed by the town, is no longer in the calendar.
    factories.ClosureFactory(
        municipality=municipality, kind="closure", label="Grève", start_date=FRI, end_date=FRI
    )
    token = family.regenerate_calendar_token()

    response = client.get(feed_path(token))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content)
    events = sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))
    assert [str(event["summary"]) for event in events] == [
        "Repas école – Léa",
        "Accueil de loisirs mercredi – Hugo",
    ]
    monday = events[0]
    start = monday.decoded("dtstart")
    assert (start.date(), start.time()) == (MON, dt.time(11, 45))
    assert str(start.tzinfo) == "Europe/Paris"
    assert monday.decoded("dtend").time() == dt.time(13, 30)
    assert str(monday["location"]) == "École Jules Ferry"
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Europe/Paris"
    # The same day keeps the same UID from one poll to the next.
    again = icalendar.Calendar.from_ical(client.get(feed_path(token)).content)
    assert sorted(str(e["uid"]) for e in again.walk("VEVENT")) == sorted(
        str(e["uid"]) for e in events
    )


def test_the_feed_keeps_the_towns_hours_when_the_host_runs_on_another_time_zone(
    client, settings, portal_page, family, lea, canteen, parent, agent
):
    # The host's TIME_ZONE is not the town's: the canteen still starts at 11:45 in Paris.
    settings.TIME_ZONE = "UTC"
    booked(family, lea, canteen, [MON], parent, agent)
    token = family.regenerate_calendar_token()

    calendar = icalendar.Calendar.from_ical(client.get(feed_path(token)).content)

    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert (start.time(), str(start.tzinfo)) == (dt.time(11, 45), "Europe/Paris")
    assert str(calendar["x-wr-timezone"]) == "Europe/Paris"


def test_the_feed_also_answers_at_an_address_ending_in_ics(
    client, portal_page, family, lea, canteen, parent, agent
):
    booked(family, lea, canteen, [MON], parent, agent)
    token = family.regenerate_calendar_token()

    ics = client.get(ics_path(token))
    old = client.get(feed_path(token))  # the address given before keeps working

    assert ics.status_code == old.status_code == 200
    assert ics["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics["Cache-Control"] == old["Cache-Control"]
    assert "no-store" in ics["Cache-Control"] and "private" in ics["Cache-Control"]
    assert ics.content == old.content
    [event] = icalendar.Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event["summary"]) == "Repas école – Léa"
    assert client.head(ics_path(token)).status_code == 200
    assert client.post(ics_path(token)).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/espace-famille/calendrier/inconnu.ics",  # no such feed
        "/calendrier/{token}.ics",  # not below the portal page
        "/ailleurs/calendrier/{token}.ics",  # no such page
        "/espace-famille/connexion/calendrier/{token}.ics",  # below a route, not the page
    ],
)
def test_an_ics_address_elsewhere_is_not_found(client, portal_page, family, path):
    token = family.regenerate_calendar_token()

    assert client.get(path.format(token=token)).status_code == 404


def test_the_feed_tells_nothing_else(client, portal_page, family, lea, canteen, parent, agent):
    factories.ChildHealthFactory(child=lea, allergies="arachide")
    factories.GuardianFactory(family=family, email="claire@example.org")
    booked(family, lea, canteen, [MON], parent, agent)
    token = family.regenerate_calendar_token()

    body = client.get(feed_path(token)).content.decode()

    for secret in ("arachide", "claire@example.org", "Martin", family.subscriber_code):
        assert secret not in body
    assert "Léa" in body


def test_the_feed_without_events_is_still_a_calendar(client, portal_page, family):
    token = family.regenerate_calendar_token()

    calendar = icalendar.Calendar.from_ical(client.get(feed_path(token)).content)

    assert calendar.walk("VEVENT") == []
    assert str(calendar["version"]) == "2.0"


@pytest.mark.parametrize("token", ["inconnu", "x" * 32])
def test_an_unknown_feed_address_is_not_found(client, portal_page, family, token):
    family.regenerate_calendar_token()

    assert client.get(feed_path(token)).status_code == 404


def test_the_feed_of_a_family_of_another_town_is_not_found_here(
    client, portal_page, other_municipality
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality)
    token = elsewhere.regenerate_calendar_token()

    assert client.get(feed_path(token)).status_code == 404
