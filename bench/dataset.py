"""What the benchmarks share: a throwaway SQLite database, the issue's data set, the timing.

The data set (``build``): a municipality with its portal page; a school with 4 activities over a
season around today (canteen validated by an agent, morning and evening care automatic, a
Wednesday leisure centre with 40 places and a waiting list), a few closures; the measured family
"Martin" with 3 children enrolled in the 4 activities and, in the current month, every state of
the planning (booked, requested, refused, absent, absence requested, waiting list) made through
``services.bookings``; and 1,000 children of 500 other families with 50 booking lines each (and
their ``ChildDay`` rows) spread over the season on the same activities: 50,000 other lines.
"""

import contextlib
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OTHER_LINES = 50_000
LINES_PER_CHILD = 50
PASSWORD = "bench-password-not-secret"


@contextlib.contextmanager
def throwaway_database():
    """A temporary folder holding the SQLite file, deleted on the way out whatever happens."""
    folder = tempfile.mkdtemp(prefix="wfp-bench-")
    try:
        yield os.path.join(folder, "bench.sqlite3")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def start_django(db_path: str) -> None:
    """Django on ``bench.settings`` and the given SQLite file, its tables migrated."""
    for path in (str(ROOT / "example_site"), str(ROOT)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["WFP_BENCH_DB"] = db_path
    import django
    from django.core.management import call_command

    django.setup()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"(throwaway SQLite database migrated in {time.perf_counter() - started:.1f} s)")


@dataclass
class Dataset:
    family: object
    user: object
    token: str
    children: list
    activities: list
    month_start: dt.date
    month_end: dt.date
    season_start: dt.date
    season_end: dt.date
    portal_url: str


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def running_days(activity, start: dt.date, end: dt.date, closed: set) -> list[dt.date]:
    days, day = [], start
    while day <= end:
        if day.weekday() in activity.weekdays and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def build(other_lines: int = OTHER_LINES) -> Dataset:
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token
    from wagtail.models import Site

    from wagtail_family_portal.models import (
        Activity,
        Child,
        Closure,
        Enrolment,
        Establishment,
        Family,
        FamilyPortalPage,
        Municipality,
        Request,
        Subscription,
    )
    from wagtail_family_portal.models.bookings import BookingLine, ChildDay, DayState
    from wagtail_family_portal.services import bookings

    started = time.perf_counter()
    today = timezone.localdate()
    month_start, month_end = month_bounds(today)
    season_start = month_start - dt.timedelta(days=90)
    season_end = today + dt.timedelta(days=300)

    with transaction.atomic():
        site = Site.objects.get(is_default_site=True)
        municipality = Municipality.objects.create(
            name="Belleville-sur-Loire", city="Belleville-sur-Loire", postcode="18240", site=site
        )
        page = FamilyPortalPage(title="Espace famille", slug="espace-famille")
        site.root_page.add_child(instance=page)
        school = Establishment.objects.create(
            municipality=municipality, name="École Jules Ferry", kind=Establishment.Kind.SCHOOL
        )
        season = {"establishment": school, "season_start": season_start, "season_end": season_end}
        canteen = Activity.objects.create(
            name="Repas école",
            short_code="1/REPAS",
            kind=Activity.Kind.CANTEEN,
            start_time=dt.time(11, 45),
            end_time=dt.time(13, 30),
            weekdays=[0, 1, 3, 4],
            booking_mode=Activity.BookingMode.AGENT,
            **season,
        )
        morning = Activity.objects.create(
            name="Périscolaire matin",
            short_code="1/PERI MATIN",
            kind=Activity.Kind.SCHOOL_CARE,
            start_time=dt.time(7, 30),
            end_time=dt.time(8, 20),
            weekdays=[0, 1, 3, 4],
            booking_mode=Activity.BookingMode.AUTOMATIC,
            **season,
        )
        evening = Activity.objects.create(
            name="Périscolaire soir",
            short_code="1/PERI SOIR",
            kind=Activity.Kind.SCHOOL_CARE,
            start_time=dt.time(16, 30),
            end_time=dt.time(18, 30),
            weekdays=[0, 1, 3, 4],
            booking_mode=Activity.BookingMode.AUTOMATIC,
            capacity=200,
            **season,
        )
        wednesday = Activity.objects.create(
            name="Accueil de loisirs mercredi",
            short_code="1/ALSH MER",
            kind=Activity.Kind.LEISURE_CENTRE,
            start_time=dt.time(8, 0),
            end_time=dt.time(18, 0),
            weekdays=[2],
            booking_mode=Activity.BookingMode.AUTOMATIC,
            capacity=40,
            waiting_list=True,
            **season,
        )
        activities = [canteen, morning, evening, wednesday]

        # A public holiday in the month, two weeks of school holidays later in the season, and
        # a day the canteen alone is closed.
        holiday = month_start + dt.timedelta(days=10)
        Closure.objects.create(
            municipality=municipality,
            label="Jour férié",
            kind=Closure.Kind.PUBLIC_HOLIDAY,
            start_date=holiday,
            end_date=holiday,
        )
        Closure.objects.create(
            municipality=municipality,
            label="Vacances",
            kind=Closure.Kind.SCHOOL_HOLIDAY,
            start_date=month_end + dt.timedelta(days=20),
            end_date=month_end + dt.timedelta(days=33),
        )
        strike = Closure.objects.create(
            municipality=municipality,
            label="Cantine fermée",
            kind=Closure.Kind.CLOSURE,
            start_date=month_start + dt.timedelta(days=17),
            end_date=month_start + dt.timedelta(days=17),
        )
        strike.activities.add(canteen)
        # The days nobody books (the canteen's own closure is left in: booked before it).
        closed = {holiday} | {month_end + dt.timedelta(days=n) for n in range(20, 34)}

        _other_families(
            municipality, school, activities, season_start, season_end, closed, other_lines
        )

        family = Family.objects.create(
            municipality=municipality,
            name="Martin",
            subscriber_code="BENCH-MARTIN-2026",
            address_line1="3 rue des Lilas",
            postcode="18240",
            city="Belleville-sur-Loire",
        )
        user = get_user_model().objects.create_user(
            username="parent@example.org", email="parent@example.org", password=PASSWORD
        )
        Subscription.objects.create(user=user, family=family)
        token = Token.objects.create(user=user).key
        children = [
            Child.objects.create(
                family=family,
                first_name=name,
                last_name="Martin",
                birth_date=dt.date(2017 + n, 5, 14),
                sex=Child.Sex.FEMALE if n != 1 else Child.Sex.MALE,
                establishment=school,
            )
            for n, name in enumerate(["Léa", "Hugo", "Jade"])
        ]
        Enrolment.objects.bulk_create(
            Enrolment(child=child, activity=activity, start_date=season_start, end_date=season_end)
            for child in children
            for activity in activities
        )

    # The family's month, through the service (as the family and an agent would make it).
    before = dt.datetime.combine(month_start - dt.timedelta(days=30), dt.time(9, 0))
    agent = get_user_model().objects.create_user(username="agent", is_staff=True)
    for child in children:
        for activity in activities:
            days = running_days(activity, month_start, month_end, closed)
            asked = days[: len(days) * 3 // 4]
            if not asked:
                continue
            outcome = bookings.request_days(
                family=family,
                child_id=child.pk,
                activity_id=activity.pk,
                operation="booking",
                dates=asked,
                user=user,
                confirm_skipped=True,
                now=before,
            )
            if activity is canteen:
                pending = outcome.lines[: len(outcome.lines) // 2]
                bookings.decide_lines(pending[1:], agent=agent, accept=True)
                bookings.decide_lines(pending[:1], agent=agent, accept=False, message="Complet.")
            booked = [line.date for line in outcome.lines if line.state == "accepted"]
            if activity in (canteen, morning) and booked:
                bookings.request_days(
                    family=family,
                    child_id=child.pk,
                    activity_id=activity.pk,
                    operation="absence",
                    dates=booked[-1:],
                    user=user,
                    now=before,
                )
    states = Request.objects.filter(family=family).values_list("booking_lines__state", flat=True)
    print(
        f"(data set built in {time.perf_counter() - started:.1f} s: "
        f"{BookingLine.objects.exclude(request__family=family).count()} other lines, "
        f"{ChildDay.objects.exclude(child__family=family).count()} other children's days, "
        f"{len(states)} lines of the family, "
        f"{ChildDay.objects.filter(child__family=family, state=DayState.WAITING_LIST).count()}"
        " of its days on the waiting list)"
    )
    return Dataset(
        family=family,
        user=user,
        token=token,
        children=children,
        activities=activities,
        month_start=month_start,
        month_end=month_end,
        season_start=season_start,
        season_end=season_end,
        portal_url=page.url,
    )


def _other_families(municipality, school, activities, first, last, closed, total):
    """``total`` booking lines and children's days of other families, in bulk."""
    from django.utils import timezone

    from wagtail_family_portal.models import Child, Enrolment, Family, Request
    from wagtail_family_portal.models.bookings import BookingLine, ChildDay, DayState
    from wagtail_family_portal.models.families import CHILD_COLOURS, normalise_subscriber_code

    n_children = max(1, total // LINES_PER_CHILD)
    families = Family.objects.bulk_create(
        Family(
            municipality=municipality,
            name=f"Famille {n}",
            subscriber_code=f"BENCH-{n:06d}",
            subscriber_key=normalise_subscriber_code(f"BENCH-{n:06d}"),
        )
        for n in range((n_children + 1) // 2)
    )
    children = Child.objects.bulk_create(
        Child(
            family=families[n // 2],
            first_name=f"Enfant {n}",
            last_name=families[n // 2].name,
            birth_date=dt.date(2018, 1, 1),
            sex=Child.Sex.FEMALE,
            establishment=school,
            colour=CHILD_COLOURS[n % 2],
        )
        for n in range(n_children)
    )
    Enrolment.objects.bulk_create(
        Enrolment(child=child, activity=activity, start_date=first, end_date=last)
        for child in children
        for activity in activities
    )
    requests = Request.objects.bulk_create(
        Request(
            family=child.family,
            kind=Request.Kind.BOOKING,
            state=Request.State.ACCEPTED,
            summary=f"Réservations de {child.first_name}",
        )
        for child in children
    )
    slots = [
        (activity, day)
        for activity in activities
        for day in running_days(activity, first, last, closed)
    ]
    step = max(1, len(slots) // LINES_PER_CHILD)
    held: dict = {}
    lines, day_states = [], []
    now = timezone.now()
    remaining = total
    for n, (child, request) in enumerate(zip(children, requests, strict=True)):
        count = min(LINES_PER_CHILD, remaining)
        remaining -= count
        for k in range(count):
            activity, day = slots[(n * 7 + k * step) % len(slots)]
            key = (activity.pk, day)
            if activity.capacity is not None and held.get(key, 0) >= activity.capacity:
                line_state, day_state = BookingLine.State.WAITING_LIST, DayState.WAITING_LIST
            elif (n + k) % 10 == 8:
                line_state, day_state = BookingLine.State.PENDING, DayState.BOOKING_REQUESTED
            elif (n + k) % 10 == 9:
                line_state, day_state = BookingLine.State.REFUSED, DayState.REFUSED
            elif (n + k) % 20 == 7:
                line_state, day_state = BookingLine.State.ACCEPTED, DayState.ABSENT
            else:
                line_state, day_state = BookingLine.State.ACCEPTED, DayState.BOOKED
            if day_state == DayState.BOOKED:
                held[key] = held.get(key, 0) + 1
            lines.append(
                BookingLine(
                    request=request,
                    child=child,
                    activity=activity,
                    date=day,
                    operation=BookingLine.Operation.BOOKING,
                    state=line_state,
                )
            )
            day_states.append((day_state, now if day_state == DayState.WAITING_LIST else None))
    lines = BookingLine.objects.bulk_create(lines, batch_size=2000)
    ChildDay.objects.bulk_create(
        (
            ChildDay(
                child_id=line.child_id,
                activity_id=line.activity_id,
                date=line.date,
                state=state,
                queued_at=queued_at,
                line=line,
            )
            for line, (state, queued_at) in zip(lines, day_states, strict=True)
        ),
        batch_size=2000,
    )


# Timing


@dataclass
class Figures:
    times: list  # seconds

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def p95_ms(self) -> float:
        return statistics.quantiles(self.times, n=20)[18] * 1000


def count_queries(call) -> tuple[object, int]:
    """Call once, returning the result and the number of SQL queries it ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, len(queries)


def interleaved(calls: dict, iterations: int, warmup: int = 20) -> dict[str, Figures]:
    """Time each call ``iterations`` times, taking turns, so that all share the same moments."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    times = {name: [] for name in calls}
    clock = time.perf_counter
    for _ in range(iterations):
        for name, call in calls.items():
            started = clock()
            call()
            times[name].append(clock() - started)
    return {name: Figures(values) for name, values in times.items()}


def machine_note(when: str) -> None:
    """The load of the machine: figures taken while other programs run are slower."""
    one, five, _fifteen = os.getloadavg()
    print(
        f"(load average {when}: {one:.2f} over 1 min, {five:.2f} over 5 min; {os.cpu_count()} CPUs)"
    )


def print_table(header: list[str], rows: list[list]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for n, row in enumerate([header, *rows]):
        print(
            "  ".join(
                str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * width for width in widths))
