"""The digests ("Accusé de traitement"): their slots and their runs.

- **Slots**: a site's ``digest_times`` (13:00 and 18:00 by default, in the portal's time zone,
  ``conf.time_zone``). A slot covers (previous slot, this slot]: ``latest_slot`` is the last
  one at or before a moment, ``previous_slot`` the start (excluded) of what it covers.
- **Runs**: ``run_digests()`` gives every notice of the outbox decided up to the site's latest
  slot and not yet mailed the slot's time, in the same transaction as it creates the family's
  ``DigestDelivery`` rows (one per account that wants e-mails), then sends the deliveries. A
  missed slot is caught up by the next run; a notice is in exactly one digest. Each delivery is
  marked sent right after the backend took it, so a run killed half-way and run again sends the
  rest, not the same e-mails twice (decisions.md §24). What the e-mail says is
  ``emails/digest.py``.

Everything works in batches of families with a fixed number of queries per batch, plus one
write per e-mail (its "sent" mark): memory does not grow with the number of families.
"""

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection, mail_admins
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from ... import conf
from ...emails.digest import DigestWriter
from ...emails.rendering import email_address
from ...models.notifications import DecisionNotice, DigestDelivery
from ...validators import parse_digest_times

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
# A delivery a run took is left alone by other runs for this long; a failed one waits as long
# before it is tried again.
CLAIM = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3
# A run stops taking new batches after this many seconds and queues its continuation, so that
# it stays under the cluster's task timeout.
TIME_BUDGET = 40


# Slots


def slot_times(site) -> list[dt.time]:
    """The site's digest times (Settings → Family portal); 13:00 and 18:00 when unset."""
    from ...models import FamilyPortalSettings

    value = FamilyPortalSettings.for_site(site).digest_times
    try:
        return parse_digest_times(value) or parse_digest_times("13:00, 18:00")
    except ValueError:
        return parse_digest_times("13:00, 18:00")


def latest_slot(now: dt.datetime, times, tz=None) -> dt.datetime:
    """The last slot at or before ``now``: today's latest time passed, else yesterday's last."""
    tz = tz or conf.time_zone()
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


# Runs


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
        writer = DigestWriter(site)
        while True:
            if deadline and time.monotonic() > deadline:
                run.complete = False
                break
            if not _deliver_batch(site, run, writer, now, batch_size):
                break
    if run.given_up:
        _report_failures(site, run.given_up)
    return run


def _collect_batch(site, run: DigestRun, batch_size: int) -> bool:
    """Give the next families' unmailed notices this slot, and create their deliveries."""
    from ...models import Subscription

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
    notices = _notices_of(deliveries)
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


def _notices_of(deliveries) -> dict:
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
    tz = conf.time_zone()
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
