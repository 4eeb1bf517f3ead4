"""The django-q2 schedules of the digests: one per site and time of its ``digest_times``.

The cluster counts days in its own time zone, the digests' times are in the portal's
(``conf.time_zone``): each run sets the next one again (``tasks.send_digests``).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ... import conf
from .digests import slot_times

SCHEDULE_PREFIX = "wagtail_family_portal.digest."


def next_at(moment: dt.time, now: dt.datetime, tz) -> dt.datetime:
    """The next ``moment`` of the day in ``tz`` after ``now`` (a schedule's next run)."""
    local = now.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), moment, tzinfo=tz)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), moment, tzinfo=tz)
    return candidate


def wanted_schedules(now=None) -> dict[str, dict]:
    """The django-q2 schedules the sites' settings ask for, by name."""
    from ...models import Municipality

    now = now or timezone.now()
    tz = conf.time_zone()
    wanted = {}
    for municipality in Municipality.objects.exclude(site=None).select_related("site"):
        site = municipality.site
        for moment in slot_times(site):
            name = f"{SCHEDULE_PREFIX}{site.pk}.{moment:%H%M}"
            wanted[name] = {
                "func": "wagtail_family_portal.tasks.send_digests",
                "args": repr((site.pk,)),
                "time": moment,
                "next_run": next_at(moment, now, tz),
            }
    return wanted


@dataclass
class ScheduleSync:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    deleted: list = field(default_factory=list)


def sync_schedules(now=None) -> ScheduleSync:
    """Create, update or delete the digest schedules so that they match the sites' settings.

    Running it again changes nothing. A schedule whose next run is not at one of its site's
    times (the portal's time zone: after a change of the setting, or a daylight-saving change
    the cluster's time zone does not follow) gets its next run set again.
    """
    from django_q.models import Schedule

    tz = conf.time_zone()
    result = ScheduleSync()
    wanted = wanted_schedules(now)
    with transaction.atomic():
        existing = {
            schedule.name: schedule
            for schedule in Schedule.objects.select_for_update().filter(
                name__startswith=SCHEDULE_PREFIX
            )
        }
        for name, spec in wanted.items():
            schedule = existing.pop(name, None)
            if schedule is None:
                Schedule.objects.create(
                    name=name,
                    func=spec["func"],
                    args=spec["args"],
                    schedule_type=Schedule.DAILY,
                    repeats=-1,
                    next_run=spec["next_run"],
                )
                result.created.append(name)
                continue
            local = schedule.next_run.astimezone(tz) if schedule.next_run else None
            right = (
                schedule.func == spec["func"]
                and schedule.args == spec["args"]
                and schedule.schedule_type == Schedule.DAILY
                and schedule.repeats < 0
                and local is not None
                and local.time() == spec["time"]
            )
            if right:
                result.unchanged.append(name)
                continue
            schedule.func = spec["func"]
            schedule.args = spec["args"]
            schedule.schedule_type = Schedule.DAILY
            schedule.repeats = -1
            schedule.next_run = spec["next_run"]
            schedule.save()
            result.updated.append(name)
        for name, schedule in existing.items():
            schedule.delete()
            result.deleted.append(name)
    return result


def sync_daily_schedule(name: str, func: str, at: dt.time, now=None) -> ScheduleSync:
    """Create the daily django-q2 schedule ``name`` running ``func`` at ``at`` (the portal's
    time), or put it right; running it again changes nothing. The nightly purge of the
    subscriber-code attempts and the payment reminders use it."""
    from django_q.models import Schedule

    result = ScheduleSync()
    wanted = {"func": func, "schedule_type": Schedule.DAILY, "repeats": -1}
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().filter(name=name).first()
        if schedule is None:
            Schedule.objects.create(
                name=name, next_run=next_at(at, now or timezone.now(), conf.time_zone()), **wanted
            )
            result.created.append(name)
        elif schedule.next_run is None or any(
            getattr(schedule, key) != value for key, value in wanted.items()
        ):
            for key, value in wanted.items():
                setattr(schedule, key, value)
            schedule.next_run = next_at(at, now or timezone.now(), conf.time_zone())
            schedule.save()
            result.updated.append(name)
        else:
            result.unchanged.append(name)
    return result
