"""What the planning shows (planning.py, legend.py): states, actions and their deadlines, closures,
capacity, waiting-list ranks, filters, the API shape, and a constant number of queries."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail_family_portal.legend import DEFAULT_LEGEND_COLOURS, build_legend, contrast_ratio
from wagtail_family_portal.models import BookingLine, ChildDay, Closure, DayState, Request
from wagtail_family_portal.planning import build_planning, month_range, week_range

from . import factories

# A week of the school year 2026-2027: Monday 16 to Sunday 22 November 2026.
MONDAY = dt.date(2026, 11, 16)
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + dt.timedelta(days=n) for n in range(1, 5))
SUNDAY = MONDAY + dt.timedelta(days=6)
# Long before any deadline of that week.
EARLY = dt.datetime(2026, 11, 1, 9, 0)


@pytest.fixture
def canteen(school):
    """Overrides conftest's canteen: nobody enrolled (each test enrols for its own dates) and
    booked at the activity's default mode. Runs Monday, Tuesday, Thursday and Friday; bookings
    until 2 days before at 10:00."""
    return factories.ActivityFactory(establishment=school, name="Repas école", short_code="REP")


def set_day(child, activity, date, state, **fields):
    return ChildDay.objects.create(child=child, activity=activity, date=date, state=state, **fields)


def other_child(municipality):
    """A child of another family of the same town."""
    return factories.ChildFactory(family=factories.FamilyFactory(municipality=municipality))


def cells_of(planning):
    """{(child id, activity id, date): cell}"""
    return {(c.child_id, c.activity_id, c.date): c for c in planning.cells}


def the_cell(planning, child, activity, date):
    return cells_of(planning)[child.pk, activity.pk, date]


def test_each_state_comes_from_the_childs_day_with_its_actions(family, school, lea):
    every_day = factories.ActivityFactory(establishment=school, weekdays=[0, 1, 2, 3, 4, 5, 6])
    factories.enrol(lea, every_day)
    request = Request.objects.create(family=family, kind="booking", summary="Repas")
    line = BookingLine.objects.create(
        request=request, child=lea, activity=every_day, date=MONDAY, operation="booking"
    )
    stored = [
        DayState.BOOKING_REQUESTED,
        DayState.BOOKED,
        DayState.ABSENCE_REQUESTED,
        DayState.ABSENT,
        DayState.REFUSED,
        DayState.WAITING_LIST,
    ]
    for offset, state in enumerate(stored):
        set_day(
            lea,
            every_day,
            MONDAY + dt.timedelta(days=offset),
            state,
            line=line if not offset else None,
        )

    planning = build_planning(family, MONDAY, SUNDAY, now=EARLY)

    shown = [(c.date, c.state, c.actions, c.reason) for c in planning.cells]
    assert shown == [
        (MONDAY, "booking_requested", ["withdraw"], None),
        (TUESDAY, "booked", ["cancel"], None),
        (WEDNESDAY, "absence_requested", ["withdraw"], None),
        (THURSDAY, "absent", ["book"], None),
        (FRIDAY, "refused", ["book"], None),
        (FRIDAY + dt.timedelta(days=1), "waiting_list", ["withdraw"], None),
        (SUNDAY, "enrolled", ["book"], None),
    ]
    first = planning.cells[0]
    assert (first.line_id, first.request_id) == (line.pk, request.pk)
    assert (first.start_time, first.end_time) == (every_day.start_time, every_day.end_time)


def test_no_cell_where_the_child_is_not_enrolled_or_the_activity_does_not_run(family, lea, canteen):
    factories.enrol(lea, canteen, start=WEDNESDAY, end=dt.date(2026, 11, 27))
    hugo = factories.ChildFactory(family=family, first_name="Hugo")

    planning = build_planning(family, MONDAY, SUNDAY, now=EARLY)

    # Monday and Tuesday before the enrolment, Wednesday and the weekend without canteen.
    assert [(c.child_id, c.date) for c in planning.cells] == [(lea.pk, THURSDAY), (lea.pk, FRIDAY)]
    assert [child.name for child in planning.children] == ["Léa", "Hugo"]
    assert planning.cells_for(hugo.pk) == []


def test_closures_of_the_town_and_of_one_activity(
    family, municipality, other_municipality, school, lea, canteen
):
    morning = factories.ActivityFactory(
        establishment=school,
        name="Périscolaire matin",
        start_time=dt.time(7, 30),
        end_time=dt.time(8, 20),
    )
    factories.enrol(lea, canteen)
    factories.enrol(lea, morning)
    set_day(lea, canteen, THURSDAY, DayState.BOOKED)
    factories.ClosureFactory(
        municipality=municipality,
        label="Pont de l'Armistice",
        kind=Closure.Kind.CLOSURE,
        start_date=THURSDAY,
        end_date=THURSDAY,
    )
    strike = factories.ClosureFactory(
        municipality=municipality,
        label="Grève cantine",
        kind=Closure.Kind.CLOSURE,
        start_date=FRIDAY,
        end_date=FRIDAY,
    )
    strike.activities.add(canteen)
    factories.ClosureFactory(
        municipality=other_municipality, start_date=MONDAY, end_date=MONDAY, label="Ailleurs"
    )

    planning = build_planning(family, MONDAY, SUNDAY, now=EARLY)

    def shown(activity, date):
        cell = the_cell(planning, lea, activity, date)
        return cell.state, cell.actions, cell.reason, cell.closure

    closed = ("closed", [], "closed")
    assert shown(canteen, THURSDAY) == (*closed, "Pont de l'Armistice")  # booked, but closed
    assert shown(morning, THURSDAY) == (*closed, "Pont de l'Armistice")
    assert shown(canteen, FRIDAY) == (*closed, "Grève cantine")
    assert shown(morning, FRIDAY) == ("enrolled", ["book"], None, None)
    assert shown(canteen, MONDAY) == ("enrolled", ["book"], None, None)


@pytest.mark.parametrize(
    "now, actions, reason",
    [
        (dt.datetime(2026, 11, 17, 9, 59), ["book"], None),
        (dt.datetime(2026, 11, 17, 10, 0), ["book"], None),
        (dt.datetime(2026, 11, 17, 10, 1), [], "deadline_passed"),
        # An aware time is read in local time (Paris, UTC+1 in November).
        (dt.datetime(2026, 11, 17, 8, 59, tzinfo=dt.UTC), ["book"], None),
        (dt.datetime(2026, 11, 17, 9, 1, tzinfo=dt.UTC), [], "deadline_passed"),
    ],
)
def test_booking_deadline_two_days_before_at_ten(family, lea, canteen, now, actions, reason):
    factories.enrol(lea, canteen)

    cell = the_cell(build_planning(family, MONDAY, SUNDAY, now=now), lea, canteen, THURSDAY)

    assert (cell.actions, cell.reason) == (actions, reason)
    assert cell.deadline == dt.datetime(2026, 11, 17, 10, 0)


def test_refused_and_absent_days_follow_the_booking_deadline(family, lea, canteen):
    factories.enrol(lea, canteen)
    set_day(lea, canteen, THURSDAY, DayState.REFUSED)
    set_day(lea, canteen, FRIDAY, DayState.ABSENT)

    planning = build_planning(family, MONDAY, SUNDAY, now=dt.datetime(2026, 11, 17, 12, 0))

    assert the_cell(planning, lea, canteen, THURSDAY).reason == "deadline_passed"
    assert the_cell(planning, lea, canteen, FRIDAY).actions == ["book"]


@pytest.mark.parametrize(
    "closure, deadline",
    [
        # Monday 16 ← Friday 13, Thursday 12, (Wednesday 11, Armistice), Tuesday 10.
        ("public_holiday", dt.datetime(2026, 11, 10, 10, 0)),
        # A closure of another activity is a working day for this one.
        ("other_activity", dt.datetime(2026, 11, 11, 10, 0)),
        (None, dt.datetime(2026, 11, 11, 10, 0)),
    ],
)
def test_deadline_in_working_days_skips_the_weekend_and_public_holidays(
    family, municipality, school, lea, closure, deadline
):
    activity = factories.ActivityFactory(
        establishment=school, booking_deadline_days=3, deadline_working_days=True
    )
    factories.enrol(lea, activity)
    if closure:
        armistice = factories.ClosureFactory(
            municipality=municipality,
            label="Armistice",
            kind=Closure.Kind.PUBLIC_HOLIDAY,
            start_date=dt.date(2026, 11, 11),
            end_date=dt.date(2026, 11, 11),
        )
        if closure == "other_activity":
            armistice.activities.add(factories.ActivityFactory(establishment=school))

    def cell_at(now):
        return the_cell(build_planning(family, MONDAY, SUNDAY, now=now), lea, activity, MONDAY)

    assert cell_at(EARLY).deadline == deadline
    assert cell_at(deadline).actions == ["book"]
    late = cell_at(deadline + dt.timedelta(minutes=1))
    assert (late.actions, late.reason) == ([], "deadline_passed")


def test_absence_deadline_of_a_booked_day(family, school, lea):
    activity = factories.ActivityFactory(
        establishment=school, absence_deadline_days=1, absence_deadline_time=dt.time(18, 0)
    )
    factories.enrol(lea, activity)
    set_day(lea, activity, THURSDAY, DayState.BOOKED)

    def cell_at(now):
        return the_cell(build_planning(family, MONDAY, SUNDAY, now=now), lea, activity, THURSDAY)

    # The booking deadline (Tuesday 10:00) has passed, the absence one has not.
    before = cell_at(dt.datetime(2026, 11, 18, 17, 59))
    assert (before.state, before.actions, before.reason) == ("booked", ["cancel"], None)
    assert before.deadline == dt.datetime(2026, 11, 18, 18, 0)
    after = cell_at(dt.datetime(2026, 11, 18, 18, 1))
    assert (after.actions, after.reason) == ([], "deadline_passed")


@pytest.mark.parametrize(
    "waiting_list, actions, reason", [(False, [], "full"), (True, ["book"], None)]
)
def test_a_full_day(family, municipality, school, lea, waiting_list, actions, reason):
    activity = factories.ActivityFactory(
        establishment=school, capacity=2, waiting_list=waiting_list
    )
    factories.enrol(lea, activity)
    first, second, third = (other_child(municipality) for _ in range(3))
    # Thursday: both places held (a booking and a booked day with an absence asked).
    set_day(first, activity, THURSDAY, DayState.BOOKED)
    set_day(second, activity, THURSDAY, DayState.ABSENCE_REQUESTED)
    # Friday: one place held; a request still waiting or an accepted absence holds none.
    set_day(first, activity, FRIDAY, DayState.BOOKED)
    set_day(second, activity, FRIDAY, DayState.BOOKING_REQUESTED)
    set_day(third, activity, FRIDAY, DayState.ABSENT)

    planning = build_planning(family, MONDAY, SUNDAY, now=EARLY)

    thursday = the_cell(planning, lea, activity, THURSDAY)
    assert (thursday.full, thursday.actions, thursday.reason) == (True, actions, reason)
    friday = the_cell(planning, lea, activity, FRIDAY)
    assert (friday.full, friday.actions, friday.reason) == (False, ["book"], None)


def test_a_booked_child_may_ask_an_absence_on_a_full_day(family, municipality, school, lea):
    activity = factories.ActivityFactory(establishment=school, capacity=1)
    factories.enrol(lea, activity)
    set_day(lea, activity, THURSDAY, DayState.BOOKED)

    cell = the_cell(build_planning(family, MONDAY, SUNDAY, now=EARLY), lea, activity, THURSDAY)

    assert (cell.actions, cell.reason) == (["cancel"], None)


def test_waiting_list_ranks_follow_the_time_of_queueing(family, municipality, school, lea):
    hugo = factories.ChildFactory(family=family, first_name="Hugo")
    activity = factories.ActivityFactory(establishment=school, capacity=1, waiting_list=True)
    other_activity = factories.ActivityFactory(establishment=school, capacity=1, waiting_list=True)
    for child in (lea, hugo):
        factories.enrol(child, activity)
    stranger, early_bird = other_child(municipality), other_child(municipality)
    at = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
    hour = dt.timedelta(hours=1)
    set_day(stranger, activity, THURSDAY, DayState.BOOKED)
    # Written in another order than queued: the rank follows the time of queueing.
    set_day(lea, activity, THURSDAY, DayState.WAITING_LIST, queued_at=at + 2 * hour)
    set_day(lea, activity, FRIDAY, DayState.WAITING_LIST, queued_at=at + 3 * hour)
    set_day(early_bird, activity, THURSDAY, DayState.WAITING_LIST, queued_at=at + hour)
    set_day(early_bird, other_activity, THURSDAY, DayState.WAITING_LIST, queued_at=at)
    set_day(hugo, activity, THURSDAY, DayState.WAITING_LIST, queued_at=at)
    set_day(stranger, activity, FRIDAY, DayState.WAITING_LIST, queued_at=at)

    planning = build_planning(family, MONDAY, SUNDAY, now=EARLY)

    ranks = {(c.child_id, c.date): c.rank for c in planning.cells if c.rank is not None}
    assert ranks == {(hugo.pk, THURSDAY): 1, (lea.pk, THURSDAY): 3, (lea.pk, FRIDAY): 2}
    assert the_cell(planning, lea, activity, MONDAY).rank is None


def test_filters_by_child_and_activity(family, school, lea, canteen):
    hugo = factories.ChildFactory(family=family, first_name="Hugo")
    morning = factories.ActivityFactory(establishment=school, start_time=dt.time(7, 30))
    for child in (lea, hugo):
        for activity in (canteen, morning):
            factories.enrol(child, activity)

    only_hugo = build_planning(family, MONDAY, SUNDAY, children=[hugo.pk], now=EARLY)
    only_canteen = build_planning(family, MONDAY, SUNDAY, activities=[canteen.pk], now=EARLY)
    both = build_planning(
        family, MONDAY, SUNDAY, children=[lea.pk], activities=[morning.pk], now=EARLY
    )

    assert [c.name for c in only_hugo.children] == ["Hugo"]
    assert {c.child_id for c in only_hugo.cells} == {hugo.pk}
    assert len(only_hugo.cells) == 8
    assert [a.id for a in only_canteen.activities] == [canteen.pk]
    assert {c.activity_id for c in only_canteen.cells} == {canteen.pk}
    assert {(c.child_id, c.activity_id) for c in both.cells} == {(lea.pk, morning.pk)}


def test_another_familys_data_never_appears(family, municipality, lea, canteen):
    factories.enrol(lea, canteen)
    stranger = factories.ChildFactory(
        family=factories.FamilyFactory(municipality=municipality), first_name="Zoé"
    )
    factories.enrol(stranger, canteen)
    set_day(stranger, canteen, MONDAY, DayState.BOOKED)

    planning = build_planning(family, MONDAY, SUNDAY, now=EARLY)
    asked_for_stranger = build_planning(family, MONDAY, SUNDAY, children=[stranger.pk], now=EARLY)

    assert [c.name for c in planning.children] == ["Léa"]
    assert {c.child_id for c in planning.cells} == {lea.pk}
    assert the_cell(planning, lea, canteen, MONDAY).state == "enrolled"
    assert (asked_for_stranger.children, asked_for_stranger.cells) == ([], [])


def test_cells_by_day_lists_every_day_with_children_then_activities_in_order(
    family, school, canteen
):
    older = factories.ChildFactory(family=family, first_name="Léa", birth_date=dt.date(2017, 1, 1))
    younger = factories.ChildFactory(
        family=family, first_name="Hugo", birth_date=dt.date(2020, 1, 1)
    )
    morning = factories.ActivityFactory(establishment=school, start_time=dt.time(7, 30))
    for child in (younger, older):
        for activity in (canteen, morning):
            factories.enrol(child, activity)

    by_day = build_planning(family, MONDAY, SUNDAY, now=EARLY).cells_by_day()

    assert list(by_day) == [MONDAY + dt.timedelta(days=n) for n in range(7)]
    assert by_day[WEDNESDAY] == [] and by_day[SUNDAY] == []
    assert [(c.child_id, c.activity_id) for c in by_day[MONDAY]] == [
        (older.pk, morning.pk),
        (older.pk, canteen.pk),
        (younger.pk, morning.pk),
        (younger.pk, canteen.pk),
    ]


def test_to_json_gives_the_apis_planning_answer(family, lea, canteen):
    factories.enrol(lea, canteen)
    request = Request.objects.create(family=family, kind="booking", summary="Repas")
    line = BookingLine.objects.create(
        request=request, child=lea, activity=canteen, date=FRIDAY, operation="booking"
    )
    set_day(lea, canteen, FRIDAY, DayState.BOOKING_REQUESTED, line=line)

    answer = build_planning(family, THURSDAY, FRIDAY, now=EARLY).to_json()

    assert json.loads(json.dumps(answer)) == answer
    assert answer["start"] == "2026-11-19" and answer["end"] == "2026-11-20"
    assert answer["children"] == [{"id": lea.pk, "name": "Léa", "colour": lea.colour}]
    assert answer["activities"] == [
        {
            "id": canteen.pk,
            "name": "Repas école",
            "short_code": "REP",
            "establishment": "École Jules Ferry",
            "start_time": "11:45",
            "end_time": "13:30",
        }
    ]
    assert [entry["state"] for entry in answer["legend"]] == list(DayState.values)
    assert set(answer["legend"][0]) == {"state", "label", "colour"}
    cell = {"child_id": lea.pk, "activity_id": canteen.pk, "start_time": "11:45"}
    cell |= {"end_time": "13:30", "rank": None}
    assert answer["cells"] == [
        {**cell, "date": "2026-11-19", "state": "enrolled", "actions": ["book"], "reason": None}
        | {"request_id": None, "line_id": None},
        {**cell, "date": "2026-11-20", "state": "booking_requested", "actions": ["withdraw"]}
        | {"reason": None, "request_id": request.pk, "line_id": line.pk},
    ]


def test_legend_defaults_and_edited_labels_and_colours(family):
    edited = SimpleNamespace(
        legend_booked_label="Réservé ✔",
        legend_booked_colour="#003366",
        legend_refused_label="",
        legend_refused_colour="",
        legend_closed_colour="red",  # not #RRGGBB: the default stays
    )

    default = build_planning(family, MONDAY, SUNDAY, now=EARLY).legend
    legend = build_planning(family, MONDAY, SUNDAY, now=EARLY, legend=build_legend(edited)).legend

    assert list(default) == list(DayState.values)
    assert [str(entry.label) for entry in default.values()] == [
        str(label) for label in DayState.labels
    ]
    for state, entry in default.items():
        assert entry.colour == DEFAULT_LEGEND_COLOURS[state]
        assert contrast_ratio(entry.colour, entry.text_colour) >= 7
    assert (legend["booked"].label, legend["booked"].colour) == ("Réservé ✔", "#003366")
    assert legend["booked"].text_colour == "#FFFFFF"  # dark background: white text
    assert legend["refused"] == default["refused"]
    assert legend["closed"].colour == DEFAULT_LEGEND_COLOURS["closed"]


def test_ranges_of_weeks_and_months():
    assert week_range(THURSDAY) == (MONDAY, SUNDAY)
    assert week_range(SUNDAY, days=5) == (MONDAY, FRIDAY)
    # November 2026 starts on a Sunday and ends on a Monday.
    assert month_range(THURSDAY) == (dt.date(2026, 10, 26), dt.date(2026, 12, 6))
    # February 2027 is exactly four weeks.
    assert month_range(dt.date(2027, 2, 14)) == (dt.date(2027, 2, 1), dt.date(2027, 2, 28))
    assert month_range(dt.date(2026, 12, 31)) == (dt.date(2026, 11, 30), dt.date(2027, 1, 3))
    with pytest.raises(ValueError):
        week_range(THURSDAY, days=6)


def test_bad_ranges_are_refused(family):
    with pytest.raises(ValueError):
        build_planning(family, FRIDAY, THURSDAY)
    with pytest.raises(ValueError):
        build_planning(family, MONDAY, MONDAY + dt.timedelta(days=366))
    assert len(build_planning(family, MONDAY, MONDAY + dt.timedelta(days=365)).days) == 366


def _populate(family, municipality, children, activities, start, end):
    """``children`` × ``activities`` enrolled, with a day of each kind, closures before and in the
    range, capacities and a waiting list."""
    school = factories.EstablishmentFactory(municipality=municipality)
    kids = [factories.ChildFactory(family=family) for _ in range(children)]
    acts = [
        factories.ActivityFactory(
            establishment=school,
            weekdays=[0, 1, 2, 3, 4],
            capacity=3 if n == 0 else None,
            waiting_list=n == 0,
            deadline_working_days=n % 2 == 1,
        )
        for n in range(activities)
    ]
    for kid in kids:
        for act in acts:
            factories.enrol(kid, act)
    states = [DayState.BOOKED, DayState.WAITING_LIST, DayState.ABSENT, DayState.REFUSED]
    day, n = start, 0
    while day <= end:
        if day.weekday() < 5:
            for kid in kids:
                for act in acts:
                    set_day(kid, act, day, states[n % len(states)])
                    n += 1
        day += dt.timedelta(days=1)
    factories.ClosureFactory(
        municipality=municipality, start_date=start - dt.timedelta(days=20), end_date=start
    )
    friday = end - dt.timedelta(days=2)
    closure = factories.ClosureFactory(
        municipality=municipality, start_date=friday, end_date=friday
    )
    closure.activities.add(*acts)


def test_the_number_of_queries_does_not_grow_with_children_activities_and_days(
    family, municipality
):
    small_family = factories.FamilyFactory(municipality=municipality)
    small_start, small_end = week_range(THURSDAY)
    _populate(small_family, municipality, 1, 1, small_start, small_end)
    big_start, big_end = month_range(THURSDAY)
    _populate(family, municipality, 4, 6, big_start, big_end)

    with CaptureQueriesContext(connection) as small_queries:
        small = build_planning(small_family, small_start, small_end, now=EARLY)
    with CaptureQueriesContext(connection) as big_queries:
        big = build_planning(family, big_start, big_end, now=EARLY)

    assert len(small.cells) == 5 and len(big.cells) == 4 * 6 * 30
    assert any(c.rank for c in small.cells) and any(c.rank for c in big.cells)
    # Children with their enrolments, closures, the children's days, the places held.
    assert len(small_queries) == len(big_queries) == 4
