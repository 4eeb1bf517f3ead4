"""Agents processing bookings in the admin: the queue of days with its filters, decisions one by
one or in bulk within the capacity, the daily attendance sheet (health flags for everyone,
details for those allowed, logged), presence marking, and booking or cancelling for a family."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from wagtail_family_portal.models import Activity, BookingLine, ChildDay, RequestEvent
from wagtail_family_portal.models.bookings import UnbookedPresence
from wagtail_family_portal.models.notifications import DecisionNotice
from wagtail_family_portal.permissions import BOOKING_PERMISSIONS
from wagtail_family_portal.services import bookings

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db

HEALTH_VIEWED = "wagtail_family_portal.health_viewed"
PRESENCE_MARKED = "wagtail_family_portal.presence_marked"
ABSENCE_JUSTIFIED = "wagtail_family_portal.absence_justified"
UNBOOKED_MARKED = "wagtail_family_portal.unbooked_presence_marked"
UNBOOKED_REMOVED = "wagtail_family_portal.unbooked_presence_removed"
# Family requests are made "long before" the days, so that deadlines never get in the way.
LONG_AGO = dt.datetime(2000, 1, 3, 9, 0)


def url(view, *args):
    return reverse(f"family_portal_bookings:{view}", args=args)


def sheet(activity, day):
    return reverse("family_portal_attendance:sheet", args=[activity.pk, day.isoformat()])


def bulk_url(action, *lines):
    ids = "&".join(f"id={line.pk}" for line in lines)
    path = reverse("wagtail_bulk_action", args=["wagtail_family_portal", "bookingline", action])
    return f"{path}?{ids}&next={url('index')}"


def messages_of(response):
    return [str(message).strip() for message in response.context["messages"]]


def ask(family, child, activity, days, operation="booking", user=None):
    """A family's request, made long before the days (see ``LONG_AGO``)."""
    return bookings.request_days(
        family=family,
        child_id=child.pk,
        activity_id=activity.pk,
        operation=operation,
        dates=days,
        user=user,
        now=LONG_AGO,
    )


def assert_denied(response):
    """Wagtail answers a permission error with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def agent(agent):
    """Overrides conftest's agent: also given the booking permissions directly (the lead's
    migration gives them to the agents' group)."""
    factories.grant(agent, *BOOKING_PERMISSIONS)
    return agent


def make_activity(school, today, **fields):
    """An activity running every day of a season around today."""
    values = {
        "weekdays": list(range(7)),
        "season_start": today - dt.timedelta(days=60),
        "season_end": today + dt.timedelta(days=200),
        "booking_mode": Activity.BookingMode.AGENT,
    }
    return factories.ActivityFactory(establishment=school, **{**values, **fields})


@pytest.fixture
def canteen(school, today):
    """Overrides conftest's canteen: every day of a season around the real date (the queue and
    the sheet read it), validated by an agent; ``lea`` and ``hugo`` enrol themselves."""
    return make_activity(school, today, name="Repas école")


@pytest.fixture
def lea(family, school, canteen):
    """Overrides conftest's lea: in CE1 at the school (the sheet shows it), in the canteen."""
    child = factories.ChildFactory(
        family=family, first_name="Léa", establishment=school, class_level="CE1"
    )
    factories.enrol(child, canteen)
    return child


@pytest.fixture
def hugo(family, school, canteen):
    """Overrides conftest's hugo: at the school, in the canteen."""
    child = factories.ChildFactory(family=family, first_name="Hugo", establishment=school)
    factories.enrol(child, canteen)
    return child


@pytest.fixture
def bernard(municipality, school, canteen):
    """Adam, of another family of the same town, enrolled in the canteen."""
    family = factories.FamilyFactory(municipality=municipality, name="Bernard")
    child = factories.ChildFactory(family=family, first_name="Adam", establishment=school)
    factories.enrol(child, canteen)
    return child


@pytest.fixture
def other_line(other_municipality, today):
    """A pending booking of another municipality."""
    school = factories.EstablishmentFactory(municipality=other_municipality, name="École Autre")
    activity = make_activity(school, today, name="Cantine d'Autreville")
    family = factories.FamilyFactory(municipality=other_municipality, name="Dupont")
    child = factories.ChildFactory(family=family, first_name="Zoé")
    factories.enrol(child, activity)
    return ask(family, child, activity, [today + dt.timedelta(days=7)]).lines[0]


# The queue


def test_queue_lists_days_to_process_by_date_then_submission(
    agent_client, family, lea, hugo, canteen, agent, today
):
    later, sooner = today + dt.timedelta(days=9), today + dt.timedelta(days=8)
    [hugo_later] = ask(family, hugo, canteen, [later]).lines
    [lea_later] = ask(family, lea, canteen, [later]).lines
    [lea_sooner] = ask(family, lea, canteen, [sooner]).lines
    [decided] = ask(family, hugo, canteen, [sooner]).lines
    bookings.decide_lines([decided], agent=agent, accept=True)

    response = agent_client.get(url("index"))

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [lea_sooner, hugo_later, lea_later]
    content = response.content.decode()
    for text in ("Léa Martin", "Martin", "Repas école (École Jules Ferry)", "Booking"):
        assert text in content
    assert url("inspect", lea_sooner.pk) in content
    assert reverse("family_portal_families:edit", args=[family.pk]) in content


def test_queue_filters_by_state_operation_activity_and_dates(
    agent_client, family, lea, canteen, school, agent, today
):
    first, second = today + dt.timedelta(days=7), today + dt.timedelta(days=8)
    [booked, pending] = ask(family, lea, canteen, [first, second]).lines
    bookings.decide_lines([booked], agent=agent, accept=True)
    [absence] = ask(family, lea, canteen, [first], operation="absence").lines
    centre = make_activity(school, today, name="Accueil de loisirs")
    factories.enrol(lea, centre)
    [elsewhere] = ask(family, lea, centre, [second]).lines

    def listed(**params):
        return set(agent_client.get(url("index"), params).context["object_list"])

    assert listed() == {pending, absence, elsewhere}
    # The states by the names of DESIGN.md §3, as the column and the families' pages say them.
    assert listed(state="booked") == {booked}
    assert listed(state="booking_requested") == {pending, elsewhere}
    assert listed(state="absence_requested") == {absence}
    assert listed(state="") == {booked, pending, absence, elsewhere}
    assert listed(operation="absence") == {absence}
    assert listed(activity=centre.pk) == {elsewhere}
    assert listed(date_from=second.isoformat(), date_to=second.isoformat()) == {
        pending,
        elsewhere,
    }


def test_queue_search_by_child_and_family_name(
    agent_client, family, lea, hugo, bernard, canteen, today
):
    day = today + dt.timedelta(days=7)
    [lea_line] = ask(family, lea, canteen, [day]).lines
    [hugo_line] = ask(family, hugo, canteen, [day]).lines
    [adam_line] = ask(bernard.family, bernard, canteen, [day]).lines

    def found(query):
        return set(agent_client.get(url("index"), {"q": query}).context["object_list"])

    assert found("léa martin") == {lea_line}
    assert found("martin") == {lea_line, hugo_line}
    assert found("bern") == {adam_line}


def test_queue_and_its_filters_show_only_the_agents_municipality(
    agent_client, municipality, family, lea, canteen, school, other_line, today
):
    [line] = ask(family, lea, canteen, [today + dt.timedelta(days=7)]).lines

    response = agent_client.get(url("index"), {"state": ""})

    assert list(response.context["object_list"]) == [line]
    fields = response.context["filters"].form.fields
    assert list(fields["municipality"].queryset) == [municipality]
    assert list(fields["establishment"].queryset) == [school]
    assert list(fields["activity"].queryset) == [canteen]


def test_another_municipalitys_line_is_unknown_everywhere(agent_client, other_line):
    assert agent_client.get(url("inspect", other_line.pk)).status_code == 404
    assert agent_client.post(url("accept", other_line.pk)).status_code == 404
    refuse = agent_client.post(url("refuse", other_line.pk), {"refuse-message": "Non."})
    bulk = agent_client.post(bulk_url("accept_booking_lines", other_line), {"message": ""})

    assert refuse.status_code == bulk.status_code == 404
    other_line.refresh_from_db()
    assert other_line.state == "pending"


def test_menu_counts_the_days_waiting_for_a_decision(agent_client, family, lea, canteen, today):
    ask(family, lea, canteen, [today + dt.timedelta(days=7), today + dt.timedelta(days=8)])

    menu = agent_client.get(reverse("wagtailadmin_home")).content.decode()

    assert "Bookings to process (2)" in menu
    assert url("index") in menu
    assert reverse("family_portal_attendance:index") in menu


# One day


def test_detail_shows_the_day_its_places_and_history_and_accepts_it(
    agent_client, agent, family, parent, lea, canteen, today
):
    canteen.capacity = 20
    canteen.save()
    [line] = ask(family, lea, canteen, [today + dt.timedelta(days=7)], user=parent).lines

    detail = agent_client.get(url("inspect", line.pk))
    accept = agent_client.post(url("accept", line.pk), {"accept-message": "Bon appétit."})

    content = detail.content.decode()
    assert detail.status_code == 200
    assert "0 taken of 20" in content
    assert "Booking requested" in content  # the history, in the words of the queue
    assert url("accept", line.pk) in content
    assert sheet(canteen, line.date) in content
    assert accept.status_code == 302
    line.refresh_from_db()
    assert (line.state, line.decided_by, line.message) == ("accepted", agent, "Bon appétit.")
    assert ChildDay.objects.get(child=lea, activity=canteen, date=line.date).state == "booked"
    assert url("accept", line.pk) not in agent_client.get(url("inspect", line.pk)).content.decode()


def test_accepting_a_day_with_a_message_tells_the_family(
    agent_client, agent, family, parent, lea, canteen, today
):
    [line] = ask(family, lea, canteen, [today + dt.timedelta(days=7)], user=parent).lines

    detail = agent_client.get(url("inspect", line.pk)).content.decode()
    response = agent_client.post(
        url("accept", line.pk), {"accept-message": "  Pensez au pique-nique.  "}
    )

    assert 'name="accept-message"' in detail and "Message to the family (optional)" in detail
    assert "in the next e-mail summing up its decisions" in detail
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.state, line.message) == ("accepted", "Pensez au pique-nique.")
    assert line.events.latest("pk").message == "Pensez au pique-nique."
    # The family reads it in its request's history and in the next digest.
    event = RequestEvent.objects.filter(request=line.request).latest("pk")
    assert (event.action, event.actor, event.user, event.message) == (
        "accepted",
        "agent",
        agent,
        "Pensez au pique-nique.",
    )
    notice = DecisionNotice.objects.get(line=line)
    assert (notice.decision, notice.message, notice.slot) == (
        "accepted",
        "Pensez au pique-nique.",
        None,
    )
    assert "Pensez au pique-nique." in agent_client.get(url("inspect", line.pk)).content.decode()


def test_accepting_a_day_without_a_message_is_fine(agent_client, family, lea, canteen, today):
    [line] = ask(family, lea, canteen, [today + dt.timedelta(days=7)]).lines

    response = agent_client.post(url("accept", line.pk), {"accept-message": ""})

    assert response.status_code == 302
    assert DecisionNotice.objects.get(line=line).message == ""


def test_refusing_a_day_needs_a_message(agent_client, family, lea, canteen, today):
    [line] = ask(family, lea, canteen, [today + dt.timedelta(days=7)]).lines

    empty = agent_client.post(url("refuse", line.pk), {"refuse-message": "  "})
    line.refresh_from_db()
    assert empty.status_code == 400
    assert "message" in empty.context["refuse_form"].errors
    assert line.state == "pending"

    refused = agent_client.post(url("refuse", line.pk), {"refuse-message": "Complet ce jour."})

    assert refused.status_code == 302
    line.refresh_from_db()
    assert (line.state, line.message) == ("refused", "Complet ce jour.")
    assert ChildDay.objects.get(child=lea, activity=canteen, date=line.date).state == "refused"


def test_deciding_a_day_already_decided_says_so(agent_client, agent, family, lea, canteen, today):
    [line] = ask(family, lea, canteen, [today + dt.timedelta(days=7)]).lines
    bookings.decide_lines([line], agent=agent, accept=True)

    response = agent_client.post(url("refuse", line.pk), {"refuse-message": "Non."})

    assert response.status_code == 409
    assert any("already been decided" in text for text in messages_of(response))
    line.refresh_from_db()
    assert line.state == "accepted"


# In bulk, within the capacity


def test_bulk_accept_puts_the_day_found_full_on_the_waiting_list(
    agent_client, family, lea, hugo, school, today
):
    centre = make_activity(school, today, name="Accueil de loisirs", capacity=1, waiting_list=True)
    factories.enrol(lea, centre)
    factories.enrol(hugo, centre)
    day = today + dt.timedelta(days=7)
    [first] = ask(family, lea, centre, [day]).lines
    [second] = ask(family, hugo, centre, [day]).lines

    confirm = agent_client.get(bulk_url("accept_booking_lines", first, second))
    response = agent_client.post(
        bulk_url("accept_booking_lines", first, second), {"message": ""}, follow=True
    )

    assert confirm.status_code == 200 and "Léa Martin" in confirm.content.decode()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("accepted", "waiting_list")
    assert "1 day accepted, 1 day on the waiting list." in messages_of(response)


def test_bulk_accept_reports_a_full_day_and_leaves_it_to_process(
    agent_client, family, lea, hugo, school, today
):
    centre = make_activity(school, today, name="Accueil de loisirs", capacity=1)
    factories.enrol(lea, centre)
    factories.enrol(hugo, centre)
    day = today + dt.timedelta(days=7)
    [first] = ask(family, lea, centre, [day]).lines
    [second] = ask(family, hugo, centre, [day]).lines

    response = agent_client.post(
        bulk_url("accept_booking_lines", first, second), {"message": ""}, follow=True
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("accepted", "pending")
    texts = messages_of(response)
    assert "1 day accepted." in texts
    [failure] = [text for text in texts if text.startswith("Not decided")]
    assert "No place left that day" in failure and "Hugo Martin" in failure


def test_bulk_accept_with_a_message_gives_it_to_every_day(
    agent_client, family, lea, canteen, today
):
    lines = ask(family, lea, canteen, [today + dt.timedelta(days=n) for n in (7, 8)]).lines
    selection = bulk_url("accept_booking_lines", *lines)

    confirm = agent_client.get(selection).content.decode()
    response = agent_client.post(selection, {"message": "Bonnes vacances !"}, follow=True)

    assert 'name="message"' in confirm and "Message to the family (optional)" in confirm
    assert {(line.state, line.message) for line in BookingLine.objects.all()} == {
        ("accepted", "Bonnes vacances !")
    }
    assert (
        list(DecisionNotice.objects.values_list("message", flat=True)) == ["Bonnes vacances !"] * 2
    )
    [event] = RequestEvent.objects.filter(request=lines[0].request, action="accepted")
    assert event.message == "Bonnes vacances !"
    assert "2 days accepted." in messages_of(response)


def test_bulk_refuse_needs_one_message_for_every_day(agent_client, family, lea, canteen, today):
    lines = ask(family, lea, canteen, [today + dt.timedelta(days=n) for n in (7, 8)]).lines
    selection = bulk_url("refuse_booking_lines", *lines)

    empty = agent_client.post(selection, {"message": ""})
    response = agent_client.post(selection, {"message": "Sortie scolaire."}, follow=True)

    assert empty.status_code == 200 and "message" in empty.context["form"].errors
    assert {(line.state, line.message) for line in BookingLine.objects.all()} == {
        ("refused", "Sortie scolaire.")
    }
    assert "2 days refused." in messages_of(response)


# The attendance sheet


@pytest.fixture
def booked_today(agent, family, lea, bernard, canteen, today):
    """Léa and Adam booked in the canteen today."""
    lines = [ask(child.family, child, canteen, [today]).lines[0] for child in (lea, bernard)]
    bookings.decide_lines(lines, agent=agent, accept=True)
    return lines


def test_sheet_lists_the_booked_children_by_name_with_school_flags_and_contacts(
    agent_client, booked_today, lea, bernard, hugo, canteen, today
):
    factories.ChildHealthFactory(child=lea, allergies="arachide", has_care_plan=True)
    factories.AuthorisedContactFactory(child=lea, first_name="Michel", phone="06 98 76 54 32")
    factories.AuthorisedContactFactory(child=lea, first_name="Paul", may_pick_up=False)
    ask(lea.family, hugo, canteen, [today])  # asked, not booked: not on the sheet

    response = agent_client.get(sheet(canteen, today))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.child for row in rows] == [bernard, lea]
    assert rows[1].flags == ["Allergies", "PAI"] and rows[0].flags == []
    assert rows[1].school == "CE1 — École Jules Ferry"
    assert [contact.first_name for contact in rows[1].contacts] == ["Michel"]
    content = response.content.decode()
    assert "06 98 76 54 32" in content
    assert "arachide" not in content  # details need the health permission
    assert "1 / " not in content and response.context["taken"] == 2
    assert "wagtail_family_portal/attendance-sheet.css" in content  # with its print rules
    assert not ModelLogEntry.objects.filter(action=HEALTH_VIEWED).exists()


def test_sheet_shows_health_details_to_those_allowed_and_logs_it(
    agent_client, agent, booked_today, lea, canteen, today
):
    health = factories.ChildHealthFactory(child=lea, allergies="arachide")
    factories.grant(agent, "view_childhealth")

    response = agent_client.get(sheet(canteen, today))

    assert "arachide" in response.content.decode()
    entry = ModelLogEntry.objects.get(action=HEALTH_VIEWED)
    assert (entry.user, entry.object_id) == (agent, str(health.pk))
    assert entry.data["screen"] == "attendance" and entry.data["date"] == today.isoformat()


def test_sheet_shows_places_and_the_waiting_list(agent_client, agent, family, lea, hugo, school):
    day = timezone.localdate()
    centre = make_activity(school, day, name="Accueil de loisirs", capacity=1, waiting_list=True)
    factories.enrol(lea, centre)
    factories.enrol(hugo, centre)
    lines = [ask(family, child, centre, [day]).lines[0] for child in (lea, hugo)]
    bookings.decide_lines(lines, agent=agent, accept=True)

    response = agent_client.get(sheet(centre, day))

    assert [row.child for row in response.context["rows"]] == [lea]
    assert [waiting.child for waiting in response.context["waiting"]] == [hugo]
    assert "1 / 1" in response.content.decode()


def test_sheet_links_to_the_previous_and_next_days_the_activity_runs(agent_client, school):
    monday = dt.date(2026, 11, 23)
    activity = make_activity(school, monday, weekdays=[0, 3])  # Mondays and Thursdays

    response = agent_client.get(sheet(activity, monday))

    assert response.context["previous_url"] == sheet(activity, dt.date(2026, 11, 19))
    assert response.context["next_url"] == sheet(activity, dt.date(2026, 11, 26))


def test_the_chooser_leads_to_the_sheet_and_offers_only_the_agents_activities(
    agent_client, canteen, other_line, today
):
    index = reverse("family_portal_attendance:index")

    chooser = agent_client.get(index)
    chosen = agent_client.get(index, {"activity": canteen.pk, "date": today.isoformat()})
    foreign = agent_client.get(index, {"activity": other_line.activity_id, "date": "2026-12-01"})

    assert list(chooser.context["choice_form"].fields["activity"].queryset) == [canteen]
    assert chosen.status_code == 302 and chosen["Location"] == sheet(canteen, today)
    assert foreign.status_code == 200 and "activity" in foreign.context["choice_form"].errors


def test_another_municipalitys_activity_or_a_bad_date_is_not_found(
    agent_client, canteen, other_line
):
    other = reverse("family_portal_attendance:sheet", args=[other_line.activity_id, "2026-12-01"])
    bad_date = reverse("family_portal_attendance:sheet", args=[canteen.pk, "2026-02-30"])

    assert agent_client.get(other).status_code == 404
    assert agent_client.post(other, {}).status_code == 404
    assert agent_client.get(bad_date).status_code == 404


def test_marking_presence_saves_each_child_in_one_post(
    agent_client, agent, booked_today, lea, bernard, canteen, today
):
    response = agent_client.post(
        sheet(canteen, today),
        {f"child_{lea.pk}": "present", f"child_{bernard.pk}": "absent"},
        follow=True,
    )

    presences = dict(
        ChildDay.objects.filter(activity=canteen, date=today).values_list("child", "presence")
    )
    assert presences == {lea.pk: "present", bernard.pk: "absent"}
    assert "Presence saved: 2 children updated." in messages_of(response)
    entry = ModelLogEntry.objects.get(action=PRESENCE_MARKED)
    assert (entry.user, entry.object_id) == (agent, str(canteen.pk))
    radios = response.content.decode()
    assert f'name="child_{lea.pk}" value="present"' in radios


def test_presence_cannot_be_marked_with_a_bad_value_or_before_the_day(
    agent_client, agent, family, lea, canteen, today
):
    tomorrow = today + dt.timedelta(days=1)
    bookings.decide_lines(
        ask(family, lea, canteen, [today, tomorrow]).lines, agent=agent, accept=True
    )

    bad = agent_client.post(sheet(canteen, today), {f"child_{lea.pk}": "maybe"})
    future_sheet = agent_client.get(sheet(canteen, tomorrow))
    future = agent_client.post(sheet(canteen, tomorrow), {f"child_{lea.pk}": "present"})

    assert bad.status_code == 400
    assert future_sheet.context["form"] is None
    assert future.status_code == 400
    assert any("on the day itself or after it" in text for text in messages_of(future))
    assert set(ChildDay.objects.values_list("presence", flat=True)) == {""}


def test_an_absence_is_justified_on_the_sheet(
    agent_client, agent, booked_today, lea, bernard, canteen, today
):
    response = agent_client.post(
        sheet(canteen, today),
        {
            f"child_{lea.pk}": "absent",
            f"justified_{lea.pk}": "on",
            f"child_{bernard.pk}": "present",
            f"justified_{bernard.pk}": "on",  # present: nothing to justify
        },
        follow=True,
    )

    days = {
        day.child_id: (day.presence, day.absence_justified)
        for day in ChildDay.objects.filter(activity=canteen, date=today)
    }
    assert days == {lea.pk: ("absent", True), bernard.pk: ("present", False)}
    assert "Presence saved: 2 children updated." in messages_of(response)
    assert any(
        "Only an absence can be justified" in text and "Adam" in text
        for text in messages_of(response)
    )
    assert ModelLogEntry.objects.filter(action=ABSENCE_JUSTIFIED).count() == 1
    assert f'name="justified_{lea.pk}" id="id_justified_{lea.pk}" checked' in (
        response.content.decode()
    )


def test_an_absence_accepted_after_the_deadline_is_listed_and_justified_on_the_sheet(
    agent_client, agent, booked_today, lea, canteen, today, family
):
    bookings.request_days(  # the morning of the day: past the deadline, only an agent may
        family=family,
        child_id=lea.pk,
        activity_id=canteen.pk,
        operation="absence",
        dates=[today],
        user=agent,
        by_agent=True,
    )

    page = agent_client.get(sheet(canteen, today))
    assert [absence.child for absence, _box in page.context["late_absences"]] == [lea]
    assert "Absences after the deadline" in page.content.decode()
    agent_client.post(sheet(canteen, today), {f"justified_{lea.pk}": "on"})

    day = ChildDay.objects.get(child=lea, activity=canteen, date=today)
    assert (day.state, day.absence_justified) == ("absent", True)
    assert day.line.after_deadline


def test_a_child_without_a_place_is_marked_present_then_removed_on_the_sheet(
    agent_client, agent, booked_today, lea, bernard, hugo, canteen, today
):
    page = agent_client.get(sheet(canteen, today))
    assert list(page.context["unbooked_form"].fields["child"].queryset) == [hugo]

    added = agent_client.post(
        sheet(canteen, today), {"action": "add_unbooked", "child": hugo.pk}, follow=True
    )

    [presence] = UnbookedPresence.objects.all()
    assert (presence.child, presence.date, presence.marked_by) == (hugo, today, agent)
    assert "Hugo" in " ".join(messages_of(added)) and "without a booking" in " ".join(
        messages_of(added)
    )
    assert [row.child for row in added.context["unbooked"]] == [hugo]
    assert added.context["taken"] == 2  # the places are unchanged
    assert ModelLogEntry.objects.filter(action=UNBOOKED_MARKED, user=agent).count() == 1

    removed = agent_client.post(
        sheet(canteen, today), {"action": "remove_unbooked", "child": hugo.pk}, follow=True
    )

    assert not UnbookedPresence.objects.exists()
    assert removed.context["unbooked"] == []
    assert ModelLogEntry.objects.filter(action=UNBOOKED_REMOVED, user=agent).count() == 1


def test_presence_without_a_booking_is_only_for_a_child_enrolled_without_a_place(
    agent_client, agent, booked_today, lea, canteen, today, other_line
):
    stranger = factories.ChildFactory(family=lea.family, first_name="Jade")  # not enrolled

    for child in (lea, stranger, other_line.child):
        response = agent_client.post(
            sheet(canteen, today), {"action": "add_unbooked", "child": child.pk}
        )
        assert response.status_code == 400
    missing = agent_client.post(sheet(canteen, today), {"action": "remove_unbooked", "child": "x"})

    assert missing.status_code == 400
    assert not UnbookedPresence.objects.exists()


def test_a_viewer_cannot_mark_a_presence_without_a_booking(
    client, municipality, lea, hugo, canteen, today
):
    viewer = factories.agent_with_only(municipality, "viewer", "view_childday")
    viewer_client = login(client, viewer)

    page = viewer_client.get(sheet(canteen, today))
    response = viewer_client.post(
        sheet(canteen, today), {"action": "add_unbooked", "child": hugo.pk}
    )

    assert page.context["unbooked_form"] is None
    assert_denied(response)
    assert not UnbookedPresence.objects.exists()


# Booking or cancelling for a family


def booking_form(child, activity, first, last, *, operation="booking", **extra):
    return {
        "child": child.pk,
        "activity": activity.pk,
        "operation": operation,
        "start_date": first.isoformat(),
        "end_date": last.isoformat(),
        "weekdays": [str(day) for day in range(7)],
        **extra,
    }


def test_agent_books_for_a_family_past_the_deadline_and_it_is_recorded_as_such(
    agent_client, agent, family, lea, canteen, today
):
    tomorrow = today + dt.timedelta(days=1)
    _ok, family_skipped = bookings.preview_days(
        family=family,
        child_id=lea.pk,
        activity_id=canteen.pk,
        operation="booking",
        dates=[tomorrow],
    )
    assert [skip.reason for skip in family_skipped] == ["deadline_passed"]  # for the family
    book_url = url("book_family", family.pk)

    preview = agent_client.post(book_url, booking_form(lea, canteen, tomorrow, tomorrow))
    assert preview.status_code == 200
    assert preview.context["preview"]["dates"] == [tomorrow]
    key = preview.context["preview_key"]
    confirmed = agent_client.post(
        book_url,
        booking_form(lea, canteen, tomorrow, tomorrow, action="confirm", previewed=key),
        follow=True,
    )

    [line] = BookingLine.objects.all()
    assert (line.child, line.date, line.state, line.decided_by) == (
        lea,
        tomorrow,
        "accepted",
        agent,
    )
    assert line.request.created_by == agent and line.request.family == family
    assert all(event.by_agent_for_family for event in line.events.all())
    assert ChildDay.objects.get(child=lea, activity=canteen, date=tomorrow).state == "booked"
    assert any("1 day accepted" in text for text in messages_of(confirmed))


def test_agent_cancels_a_booked_day_for_a_family(agent_client, agent, family, lea, canteen, today):
    tomorrow = today + dt.timedelta(days=1)
    bookings.decide_lines(ask(family, lea, canteen, [tomorrow]).lines, agent=agent, accept=True)
    data = booking_form(lea, canteen, tomorrow, tomorrow, operation="absence")
    key = agent_client.post(url("book_family", family.pk), data).context["preview_key"]

    agent_client.post(
        url("book_family", family.pk), {**data, "action": "confirm", "previewed": key}
    )

    assert ChildDay.objects.get(child=lea, activity=canteen, date=tomorrow).state == "absent"


def test_agent_booking_still_respects_the_capacity(
    agent_client, agent, family, lea, bernard, school, today
):
    day = today + dt.timedelta(days=3)
    centre = make_activity(school, today, name="Accueil de loisirs", capacity=1)
    factories.enrol(lea, centre)
    factories.enrol(bernard, centre)
    bookings.decide_lines(
        ask(bernard.family, bernard, centre, [day]).lines, agent=agent, accept=True
    )
    data = booking_form(lea, centre, day, day)

    preview = agent_client.post(url("book_family", family.pk), data)
    forged = agent_client.post(
        url("book_family", family.pk),
        {**data, "action": "confirm", "previewed": f"{lea.pk}:{centre.pk}:booking:{day}"},
    )

    assert "No place left that day." in preview.content.decode()
    assert "preview_key" not in preview.context
    assert forged.status_code == 409
    assert not BookingLine.objects.filter(child=lea).exists()


def test_a_form_changed_after_the_preview_is_previewed_again(
    agent_client, family, lea, canteen, today
):
    first, second = today + dt.timedelta(days=3), today + dt.timedelta(days=4)
    key = agent_client.post(
        url("book_family", family.pk), booking_form(lea, canteen, first, first)
    ).context["preview_key"]

    response = agent_client.post(
        url("book_family", family.pk),
        booking_form(lea, canteen, first, second, action="confirm", previewed=key),
    )

    assert response.status_code == 200
    assert response.context["preview"]["dates"] == [first, second]
    assert not BookingLine.objects.exists()


def test_booking_form_keeps_to_the_agents_families_and_their_children(
    agent_client, family, lea, canteen, other_line, today
):
    other_family = other_line.request.family
    day = today + dt.timedelta(days=3)

    chosen = agent_client.get(url("book"), {"family": family.pk})
    foreign_choice = agent_client.get(url("book"), {"family": other_family.pk})
    foreign_page = agent_client.get(url("book_family", other_family.pk))
    foreign_child = agent_client.post(
        url("book_family", family.pk), booking_form(other_line.child, canteen, day, day)
    )

    assert chosen.status_code == 302 and chosen["Location"] == url("book_family", family.pk)
    assert foreign_choice.status_code == 200 and foreign_choice.context["choice_form"].errors
    assert foreign_page.status_code == 404
    assert foreign_child.status_code == 400 and "child" in foreign_child.context["form"].errors
    assert not BookingLine.objects.filter(request__family=family).exists()


def test_booking_form_refuses_a_reversed_period(agent_client, family, lea, canteen, today):
    day = today + dt.timedelta(days=3)

    response = agent_client.post(
        url("book_family", family.pk), booking_form(lea, canteen, day, day - dt.timedelta(days=1))
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert "The last day cannot be before the first day." in response.content.decode()


# Permissions


def test_agent_without_the_booking_permissions_is_denied(
    client, municipality, family, lea, canteen, today
):
    [line] = ask(family, lea, canteen, [today]).lines
    login(client, factories.agent_with_only(municipality, "newcomer", "view_family"))

    for path in (
        url("index"),
        url("inspect", line.pk),
        url("book"),
        url("book_family", family.pk),
        reverse("family_portal_attendance:index"),
        sheet(canteen, today),
    ):
        assert_denied(client.get(path))
    assert_denied(client.post(url("accept", line.pk)))
    menu = client.get(reverse("wagtailadmin_home")).content.decode()
    assert url("index") not in menu
    assert reverse("family_portal_attendance:index") not in menu
    line.refresh_from_db()
    assert line.state == "pending"


def test_agent_who_may_only_read_decides_and_marks_nothing(
    client, municipality, agent, family, lea, canteen, today
):
    [line] = ask(family, lea, canteen, [today]).lines
    [booked] = ask(family, lea, canteen, [today - dt.timedelta(days=1)]).lines
    bookings.decide_lines([booked], agent=agent, accept=True)
    login(
        client,
        factories.agent_with_only(municipality, "reader", "view_bookingline", "view_childday"),
    )

    detail = client.get(url("inspect", line.pk))
    accept = client.post(url("accept", line.pk))
    bulk = client.post(bulk_url("accept_booking_lines", line), {"message": ""})
    day_sheet = client.get(sheet(canteen, booked.date))
    mark = client.post(sheet(canteen, booked.date), {f"child_{lea.pk}": "present"})

    assert detail.status_code == 200 and url("accept", line.pk) not in detail.content.decode()
    assert_denied(accept)
    assert_denied(bulk)
    assert_denied(client.get(url("book")))
    assert day_sheet.status_code == 200 and day_sheet.context["form"] is None
    assert_denied(mark)
    line.refresh_from_db()
    assert line.state == "pending"
    assert ChildDay.objects.get(line=booked).presence == ""


def test_saving_an_activity_with_more_places_promotes_the_waiting_list(
    client, municipality, family
):
    today = dt.date.today()
    wednesday = today + dt.timedelta(days=14 + (2 - today.weekday()) % 7)
    school = factories.EstablishmentFactory(municipality=municipality)
    centre = factories.ActivityFactory(
        establishment=school,
        weekdays=[2],
        booking_mode=Activity.BookingMode.AUTOMATIC,
        capacity=1,
        waiting_list=True,
        season_start=today - dt.timedelta(days=30),
        season_end=today + dt.timedelta(days=200),
    )
    kids = [factories.ChildFactory(family=family) for _ in range(2)]
    for kid in kids:
        factories.EnrolmentFactory(
            child=kid,
            activity=centre,
            start_date=centre.season_start,
            end_date=centre.season_end,
        )
        bookings.request_days(
            family=family,
            child_id=kid.pk,
            activity_id=centre.pk,
            operation="booking",
            dates=[wednesday],
            user=None,
            now=dt.datetime.combine(today, dt.time(8, 0)),
        )
    agent = factories.AgentFactory(municipality=municipality)
    profile = UserProfile.get_for_user(agent)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(agent)

    response = client.post(
        reverse("family_portal_activities:edit", args=[centre.pk]),
        {
            "establishment": school.pk,
            "name": centre.name,
            "short_code": centre.short_code,
            "kind": centre.kind,
            "is_active": "on",
            "start_time": "07:30",
            "end_time": "18:30",
            "weekdays": ["2"],
            "season_start": centre.season_start.isoformat(),
            "season_end": centre.season_end.isoformat(),
            "booking_mode": Activity.BookingMode.AUTOMATIC,
            "booking_deadline_days": "2",
            "booking_deadline_time": "10:00",
            "absence_deadline_days": "2",
            "absence_deadline_time": "10:00",
            "capacity": "2",
            "waiting_list": "on",
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "1 day on the waiting list got a place." in response.content.decode()
    assert ChildDay.objects.get(child=kids[1], date=wednesday).state == "booked"
