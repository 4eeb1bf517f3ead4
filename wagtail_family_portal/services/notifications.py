"""What families are told by e-mail about their requests, and when.

- **Receipts** ("Accusé d'enregistrement électronique"): ``request_received()`` queues one
  e-mail per request to the account that submitted it, after commit.
- **Decisions** are not mailed one by one. ``record_decisions()`` / ``record_request_decision()``
  write them to the outbox (``DecisionNotice``) in the transaction of the decision.
- **Digests** ("Accusé de traitement"): at each time of the site's ``digest_times`` (Paris time)
  ``run_digests()`` gives every notice decided up to that time and not yet mailed the slot's
  time, in the same transaction as it creates the family's ``DigestDelivery`` rows (one per
  account that wants e-mails), then sends the deliveries. A slot therefore covers (previous
  slot, this slot]; a missed slot is caught up by the next run; a notice is in exactly one
  digest. Each delivery is marked sent right after the backend took it, so a run killed
  half-way and run again sends the rest, not the same e-mails twice (decisions.md §24).
- **Schedules**: ``sync_schedules()`` keeps one django-q2 schedule per site and time.

Everything works in batches of families with a fixed number of queries per batch, plus one
write per e-mail (its "sent" mark): memory does not grow with the number of families.
"""

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection, mail_admins
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from .. import conf
from ..emails import kinds
from ..emails.rendering import (
    EmailRenderer,
    Table,
    account_values,
    days_headers,
    email_address,
)
from ..models.bookings import line_state_label
from ..models.notifications import DecisionNotice, DigestDelivery
from ..validators import parse_digest_times

logger = logging.getLogger(__name__)

SCHEDULE_PREFIX = "wagtail_family_portal.digest."
BATCH_SIZE = 500
# A delivery a run took is left alone by other runs for this long; a failed one waits as long
# before it is tried again.
CLAIM = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3
# A run stops taking new batches after this many seconds and queues its continuation, so that
# it stays under the cluster's task timeout.
TIME_BUDGET = 40


def portal_time_zone() -> ZoneInfo:
    """The portal's clock's time zone (``clock.py``, ``conf.time_zone``)."""
    return conf.time_zone()


def _queue(task: str, *args) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(f"wagtail_family_portal.tasks.{task}", *args))


# Receipts


def request_received(request) -> None:
    """Queue the receipt e-mail of ``request`` once the transaction that saved it commits."""
    _queue("send_receipt_email", request.pk, translation.get_language())


# The outbox


def record_decisions(lines, state: str, message: str, now) -> None:
    """Booking lines just decided (same transaction): one notice each for the next digest."""
    from ..models import Request

    families = dict(
        Request.objects.filter(pk__in={line.request_id for line in lines}).values_list(
            "pk", "family_id"
        )
    )
    DecisionNotice.objects.bulk_create(
        DecisionNotice(
            family_id=families[line.request_id],
            request_id=line.request_id,
            line=line,
            decision=state,
            message=message or "",
            created_at=now,
        )
        for line in lines
    )


def record_request_decision(request, state: str, message: str, now) -> None:
    """A whole request decided (a change to the family file): one notice."""
    DecisionNotice.objects.create(
        family_id=request.family_id,
        request=request,
        decision=state,
        message=message or "",
        created_at=now,
    )


# Slots


def slot_times(site) -> list[dt.time]:
    from ..models import FamilyPortalSettings

    value = FamilyPortalSettings.for_site(site).digest_times
    try:
        return parse_digest_times(value) or parse_digest_times("13:00, 18:00")
    except ValueError:
        return parse_digest_times("13:00, 18:00")


def latest_slot(now: dt.datetime, times, tz=None) -> dt.datetime:
    """The last slot at or before ``now``: today's latest time passed, else yesterday's last."""
    tz = tz or portal_time_zone()
    local = now.astimezone(tz)
    for day in (local.date(), local.date() - dt.timedelta(days=1)):
        for moment in sorted(times, reverse=True):
            slot = dt.datetime.combine(day, moment, tzinfo=tz)
            if slot <= local:
                return slot
    raise ValueError("no slot")  # pragma: no cover - times is never empty


def previous_slot(slot: dt.datetime, times, tz=None) -> dt.datetime:
    """The slot before ``slot``: the start (excluded) of what ``slot`` covers."""
    return latest_slot(slot - dt.timedelta(microseconds=1), times, tz)


# The digest run


@dataclass
class DigestRun:
    slot: dt.datetime
    notices: int = 0
    families: int = 0
    deliveries: int = 0
    sent: int = 0
    failed: list = field(default_factory=list)
    given_up: list = field(default_factory=list)
    complete: bool = True


def run_digests(site, *, now=None, batch_size=BATCH_SIZE, time_budget=None) -> DigestRun:
    """Gather the decisions of the site's latest slot and send them (see the module)."""
    now = now or timezone.now()
    run = DigestRun(slot=latest_slot(now, slot_times(site)))
    deadline = time.monotonic() + time_budget if time_budget else None
    with translation.override(settings.LANGUAGE_CODE):
        while True:
            if deadline and time.monotonic() > deadline:
                run.complete = False
                return run
            if not _collect_batch(site, run, batch_size):
                break
        renderer = _DigestWriter(site)
        while True:
            if deadline and time.monotonic() > deadline:
                run.complete = False
                break
            if not _deliver_batch(site, run, renderer, now, batch_size):
                break
    if run.given_up:
        _report_failures(site, run.given_up)
    return run


def _collect_batch(site, run: DigestRun, batch_size: int) -> bool:
    """Give the next families' unmailed notices this slot, and create their deliveries."""
    from ..models import Subscription

    waiting = DecisionNotice.objects.filter(slot__isnull=True, created_at__lte=run.slot)
    with transaction.atomic():
        family_ids = list(
            waiting.filter(family__municipality__site=site)
            .order_by("family_id")
            .values_list("family_id", flat=True)
            .distinct()[:batch_size]
        )
        if not family_ids:
            return False
        run.notices += waiting.filter(family_id__in=family_ids).update(slot=run.slot)
        recipients = (
            Subscription.objects.filter(family_id__in=family_ids, user__is_active=True)
            .exclude(user__family_portal_profile__decision_emails="none")
            .values_list("family_id", "user_id")
        )
        created = DigestDelivery.objects.bulk_create(
            [
                DigestDelivery(family_id=family_id, slot=run.slot, user_id=user_id)
                for family_id, user_id in recipients
            ],
            ignore_conflicts=True,
        )
    run.families += len(family_ids)
    run.deliveries += len(created)
    return True


def _deliver_batch(site, run: DigestRun, writer, now, batch_size: int) -> bool:
    """Send the next pending deliveries of the site; False when there are none left."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    pending = DigestDelivery.objects.filter(
        free, state=DigestDelivery.State.PENDING, slot__lte=now, family__municipality__site=site
    )
    ids = list(pending.order_by("pk").values_list("pk", flat=True)[:batch_size])
    if not ids:
        return False
    until = now + CLAIM
    DigestDelivery.objects.filter(free, pk__in=ids).update(claimed_until=until)
    deliveries = list(
        DigestDelivery.objects.filter(pk__in=ids, claimed_until=until)
        .select_related("user", "family")
        .order_by("pk")
    )
    notices = writer.notices_of(deliveries)
    empty = []
    connection = get_connection()
    with connection:
        for delivery in deliveries:
            items = notices.get((delivery.family_id, delivery.slot), [])
            email = writer.email(delivery, items) if items else None
            if email is None:
                empty.append(delivery.pk)
                continue
            try:
                email.send(connection)
            except Exception as error:  # any backend error: this recipient only
                _failed(delivery, error, run)
                _reset(connection)
            else:
                DigestDelivery.objects.filter(pk=delivery.pk).update(
                    state=DigestDelivery.State.SENT, sent_at=timezone.now(), claimed_until=None
                )
                run.sent += 1
    if empty:
        DigestDelivery.objects.filter(pk__in=empty).update(
            state=DigestDelivery.State.EMPTY, claimed_until=None
        )
    return True


def _reset(connection) -> None:
    """After an error the server may have dropped the connection: the next e-mail opens a new
    one (Django's backends open on demand)."""
    try:
        connection.close()
    except Exception:  # already broken: nothing to close
        logger.debug("Closing the mail connection after an error failed", exc_info=True)


def _failed(delivery, error, run: DigestRun) -> None:
    delivery.attempts += 1
    delivery.last_error = f"{type(error).__name__}: {error}"[:1000]
    given_up = delivery.attempts >= MAX_ATTEMPTS
    DigestDelivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts,
        last_error=delivery.last_error,
        state=DigestDelivery.State.FAILED if given_up else DigestDelivery.State.PENDING,
    )
    logger.warning(
        "Digest e-mail %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error
    )
    run.failed.append(delivery)
    if given_up:
        run.given_up.append(delivery)


def _report_failures(site, deliveries) -> None:
    """Tell the site's administrators (``ADMINS``) which digests will not be tried again."""
    tz = portal_time_zone()
    lines = []
    for delivery in deliveries:
        user = delivery.user
        address = email_address(user) or user.get_username()
        lines.append(
            f"- {address} ({delivery.family}, {delivery.slot.astimezone(tz):%d/%m/%Y %H:%M}): "
            f"{delivery.last_error}"
        )
    mail_admins(
        gettext("Family portal: decision e-mails not delivered"),
        gettext(
            "These decision e-mails of %(site)s failed %(count)d times and will not be tried again:"
        )
        % {"site": site.site_name or site.hostname, "count": MAX_ATTEMPTS}
        + "\n\n"
        + "\n".join(lines)
        + "\n",
    )


class _DigestWriter:
    """Builds the digest e-mails of one site: what is loaded once per run or per batch."""

    def __init__(self, site):
        from ..models import FamilyPortalPage

        self.site = site
        self.renderer = EmailRenderer(site)
        page = FamilyPortalPage.for_site(site)
        self.portal_url = page.get_full_url() if page else ""
        self.requests_route = (
            page.reverse_subpage("requests_list", kwargs={"family_id": 0}) if page else ""
        )
        self.tz = portal_time_zone()
        self.domain = site.hostname if site else "localhost"
        self.headers = days_headers(decision=True)

    def notices_of(self, deliveries) -> dict:
        """The notices of each (family, slot) of ``deliveries``: one query."""
        if not deliveries:
            return {}
        found = defaultdict(list)
        wanted = {(d.family_id, d.slot) for d in deliveries}
        rows = (
            DecisionNotice.objects.filter(
                family_id__in={key[0] for key in wanted}, slot__in={key[1] for key in wanted}
            )
            .select_related("request", "line__child", "line__activity")
            .order_by("line__date", "created_at", "pk")
        )
        for notice in rows:
            key = (notice.family_id, notice.slot)
            if key in wanted:
                found[key].append(notice)
        return found

    def link(self, family_id: int) -> str:
        if not self.portal_url:
            return ""
        route = self.requests_route.replace("/0/", f"/{family_id}/", 1)
        return self.portal_url.rstrip("/") + "/" + route.lstrip("/")

    def row(self, notice) -> tuple:
        from ..models import BookingLine, Request

        request = notice.request
        line = notice.line
        if line is None:
            decision = decision_label(notice.decision)
            moment = request.created_at.astimezone(self.tz)
            return (
                formats.date_format(moment.date(), "d/m/Y"),
                moment.strftime("%H:%M"),
                Request.Topic(request.topic).label if request.topic else request.summary,
                "",
                request.summary,
                decision,
            )
        activity = line.activity
        # The day's state in the words of the planning and of "Mes demandes".
        decision = line_state_label(line.operation, notice.decision)
        operation = (
            gettext("Booking")
            if line.operation == BookingLine.Operation.BOOKING
            else gettext("Absence")
        )
        return (
            formats.date_format(line.date, "d/m/Y"),
            activity.start_time.strftime("%H:%M") if activity.start_time else "",
            operation,
            f"{line.child.first_name} {line.child.last_name}",
            activity.name,
            decision,
        )

    def email(self, delivery, notices):
        user = delivery.user
        address = email_address(user)
        if not address:
            return None
        count = len(notices)
        slot = delivery.slot.astimezone(self.tz)
        messages, seen = [], set()
        for notice in notices:
            key = (notice.request_id, notice.message)
            if notice.message and key not in seen:
                seen.add(key)
                messages.append((notice.request.summary, notice.message))
        values = {
            **account_values(user),
            "portal_url": self.portal_url,
            "family_name": delivery.family.name,
            "count": count,
            "summary": ngettext(
                "%(count)d of your requests has been processed:",
                "%(count)d of your requests have been processed:",
                count,
            )
            % {"count": count},
            "slot_date": formats.date_format(slot.date(), "d/m/Y"),
            "slot_time": slot.strftime("%H:%M"),
        }
        return self.renderer.render(
            kinds.DIGEST.key,
            to=address,
            values=values,
            action_url=self.link(delivery.family_id),
            table=Table(self.headers, [self.row(notice) for notice in notices]),
            messages=messages,
            headers={"Message-ID": f"<digest-{delivery.pk}@{self.domain}>"},
        )


def decision_label(state: str) -> str:
    """A decision on a whole request (a change to the family file)."""
    from ..models.bookings import BookingLine

    return {
        BookingLine.State.ACCEPTED: gettext("accepted"),
        BookingLine.State.REFUSED: gettext("refused"),
        BookingLine.State.WAITING_LIST: gettext("waiting list"),
    }.get(state, state)


# Schedules


def next_at(moment: dt.time, now: dt.datetime, tz) -> dt.datetime:
    """The next ``moment`` of the day in ``tz`` after ``now`` (a schedule's next run)."""
    local = now.astimezone(tz)
    candidate = dt.datetime.combine(local.date(), moment, tzinfo=tz)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), moment, tzinfo=tz)
    return candidate


def wanted_schedules(now=None) -> dict[str, dict]:
    """The django-q2 schedules the sites' settings ask for, by name."""
    from ..models import Municipality

    now = now or timezone.now()
    tz = portal_time_zone()
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
    times (Paris time: after a change of the setting, or a daylight-saving change the
    cluster's time zone does not follow) gets its next run set again.
    """
    from django_q.models import Schedule

    tz = portal_time_zone()
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
