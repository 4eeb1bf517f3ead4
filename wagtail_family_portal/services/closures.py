"""Closures imported from the national calendars: French public holidays and school holidays.

Imported closures close every activity of the municipality (an agent may narrow them down to some
activities afterwards; importing again keeps that choice). Each one carries a ``source`` key, so
importing the same school year again updates the existing rows instead of adding new ones:

- ``public_holiday:2026-12-25``
- ``school_holiday:B:2026-2027:Vacances de Noël``

A *school year* is named by the calendar year it starts in: ``2026`` is "2026-2027", from the
start of school in September 2026 to the end of the summer holidays in 2027.
"""

import datetime as dt
import re
from dataclasses import dataclass

import holidays
from django.db import transaction
from django.utils.translation import gettext as _
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

from .. import clock
from ..models import Closure, Municipality

SCHOOL_ZONES = ("A", "B", "C")

# Every school year has these; if one is missing the package's calendar is incomplete.
MAIN_SCHOOL_HOLIDAYS = (
    "Vacances de la Toussaint",
    "Vacances de Noël",
    "Vacances d'hiver",
    "Vacances de printemps",
    "Vacances d'été",
)

# Closure labels are data shown to French families, whatever the language of the person importing.
LABEL_LANGUAGE = "fr"


class ClosureImportError(Exception):
    """The closures cannot be imported as asked; the message says why, for the person importing."""


@dataclass(frozen=True)
class ImportedClosure:
    source: str
    label: str
    kind: str
    start_date: dt.date
    end_date: dt.date


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def current_school_year(today: dt.date | None = None) -> int:
    """The school year families book for: the one in progress, or the next one from July on.

    From July, the year that is ending has no more school days, and the portal is used to prepare
    the start of school in September.
    """
    today = today or clock.today()
    return today.year if today.month >= 7 else today.year - 1


def parse_school_year(value: str) -> int:
    """``"2026-2027"`` (or ``"2026"``) → ``2026``."""
    match = re.fullmatch(r"\s*(\d{4})(?:\s*[-/]\s*(\d{4}))?\s*", value or "")
    if not match or (match[2] and int(match[2]) != int(match[1]) + 1):
        raise ClosureImportError(
            _("“%(value)s” is not a school year; write it as 2026-2027.") % {"value": value}
        )
    return int(match[1])


def format_school_year(school_year: int) -> str:
    return f"{school_year}-{school_year + 1}"


def public_holidays(school_year: int) -> list[ImportedClosure]:
    """French national public holidays from 1 September to 31 August of the school year."""
    first, last = dt.date(school_year, 9, 1), dt.date(school_year + 1, 8, 31)
    calendar = holidays.France(years=[school_year, school_year + 1], language=LABEL_LANGUAGE)
    return [
        ImportedClosure(
            source=f"public_holiday:{day.isoformat()}",
            label=name,
            kind=Closure.Kind.PUBLIC_HOLIDAY,
            start_date=day,
            end_date=day,
        )
        for day, name in sorted(calendar.items())
        if first <= day <= last
    ]


def school_holidays(school_year: int, zone: str) -> list[ImportedClosure]:
    """The school holidays of ``zone`` during the school year, one closure per holiday period.

    Dates convention. The official calendar states each holiday period as "fin des cours"
    (classes end after that day, often a Saturday) and "reprise des cours" (the first day back).
    The ``vacances_scolaires_france`` package lists instead every day *without school* of the
    period: from the "fin des cours" day (e.g. Saturday 19 December 2026, when primary schools
    have no class) up to the day before classes resume (Sunday 3 January 2027 for a return on
    Monday 4 January). Each closure therefore runs from the first to the last listed day, both
    included: it covers every day without school and never the first day back.

    Periods belong to the school year in which they start, from August to July: the summer
    holidays that start in July 2027 close the 2026-2027 school year.
    """
    zone = normalise_zone(zone)
    calendar = SchoolHolidayDates()
    days: dict[dt.date, str] = {}
    for year in (school_year, school_year + 1):
        try:
            by_day = calendar.holidays_for_year_and_zone(year, zone)
        except UnsupportedYearException as exc:
            raise missing_data_error(school_year, calendar) from exc
        days.update({day: row["nom_vacances"] for day, row in by_day.items()})

    first, last = dt.date(school_year, 8, 1), dt.date(school_year + 1, 7, 31)
    periods = [p for p in _consecutive_periods(days) if first <= p[1] <= last]
    names = [name for name, _start, _end in periods]
    if any(name not in names for name in MAIN_SCHOOL_HOLIDAYS):
        raise missing_data_error(school_year, calendar)

    season = format_school_year(school_year)
    closures = []
    for name, start, end in periods:
        # The same name twice in one school year would clash on the key: add the first day.
        suffix = f":{start.isoformat()}" if names.count(name) > 1 else ""
        closures.append(
            ImportedClosure(
                source=f"school_holiday:{zone}:{season}:{name}{suffix}",
                label=f"{name} (zone {zone})",
                kind=Closure.Kind.SCHOOL_HOLIDAY,
                start_date=start,
                end_date=end,
            )
        )
    return closures


def _consecutive_periods(days: dict[dt.date, str]) -> list[tuple[str, dt.date, dt.date]]:
    """Group days into ``(name, first day, last day)`` runs of consecutive days of one name."""
    periods: list[list] = []
    for day in sorted(days):
        name = days[day]
        if periods and periods[-1][0] == name and day - periods[-1][2] == dt.timedelta(days=1):
            periods[-1][2] = day
        else:
            periods.append([name, day, day])
    return [(name, start, end) for name, start, end in periods]


def normalise_zone(zone: str) -> str:
    normalised = (zone or "").strip().upper()
    if normalised not in SCHOOL_ZONES:
        raise ClosureImportError(
            _("Unknown school holiday zone “%(zone)s”: use one of %(zones)s.")
            % {"zone": zone, "zones": ", ".join(SCHOOL_ZONES)}
        )
    return normalised


def missing_data_error(school_year: int, calendar: SchoolHolidayDates) -> ClosureImportError:
    return ClosureImportError(
        _(
            "The installed vacances-scolaires-france package has no complete school holiday "
            "calendar for %(school_year)s (its data runs from %(first)s to %(last)s). Upgrade the "
            "package, or enter these closures by hand."
        )
        % {
            "school_year": format_school_year(school_year),
            "first": calendar.min_year,
            "last": calendar.max_year,
        }
    )


def import_closures(
    municipality: Municipality,
    school_year: int,
    zone: str,
    *,
    include_public_holidays: bool = True,
    include_school_holidays: bool = True,
) -> ImportResult:
    """Create or update the municipality's closures for the school year; safe to run again.

    The whole calendar is read before anything is written, so an incomplete calendar raises
    ``ClosureImportError`` and changes nothing.
    """
    wanted: list[ImportedClosure] = []
    if include_school_holidays:
        wanted += school_holidays(school_year, zone)
    if include_public_holidays:
        wanted += public_holidays(school_year)

    result = ImportResult()
    with transaction.atomic():
        existing = {
            closure.source: closure
            for closure in Closure.objects.select_for_update().filter(
                municipality=municipality, source__in=[item.source for item in wanted]
            )
        }
        for item in wanted:
            closure = existing.get(item.source)
            if closure is None:
                Closure.objects.create(
                    municipality=municipality,
                    source=item.source,
                    label=item.label,
                    kind=item.kind,
                    start_date=item.start_date,
                    end_date=item.end_date,
                )
                result.created += 1
            elif _update(closure, item):
                result.updated += 1
            else:
                result.unchanged += 1
    return result


def _update(closure: Closure, item: ImportedClosure) -> bool:
    changed = False
    for field in ("label", "kind", "start_date", "end_date"):
        if getattr(closure, field) != getattr(item, field):
            setattr(closure, field, getattr(item, field))
            changed = True
    if changed:
        closure.save(update_fields=["label", "kind", "start_date", "end_date"])
    return changed
