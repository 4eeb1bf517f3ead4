"""Subscriptions ("Mes abonnements"): linking an account to a family file with its subscriber code.

Every code tried is logged (``SubscriptionAttempt``) for the agents, and the same log enforces
the brute-force limits: at most ``limits()["account"]`` wrong codes per account and
``limits()["ip"]`` per IP address in ``WINDOW``. Counting in the database holds across several
app servers; attempts of one account are serialised by locking its row. The log keeps e-mail
and IP addresses: ``purge_attempts()`` deletes what is older than its retention (a year by
default), every night through a django-q2 schedule (``sync_purge_schedule()``).
"""

import datetime as dt
import math

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.log_actions import log

from .. import conf
from ..emails.rendering import email_address
from ..models import Family, Subscription
from ..models.accounts import SubscriptionAttempt
from ..models.families import normalise_subscriber_code

Outcome = SubscriptionAttempt.Outcome
WINDOW = dt.timedelta(hours=1)
PURGE_SCHEDULE = "wagtail_family_portal.purge.subscription_attempts"
PURGE_TASK = "wagtail_family_portal.tasks.purge_subscription_attempts"
PURGE_TIME = dt.time(3, 30)  # at night, portal time


class SubscriptionError(Exception):
    """A code that links nothing; ``message`` is shown to the person."""

    def __init__(self, message, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class TooManyAttempts(SubscriptionError):
    """Too many wrong codes lately; ``retry_after`` is the wait in seconds."""

    def __init__(self, retry_after: int):
        minutes = max(1, math.ceil(retry_after / 60))
        message = ngettext(
            "Too many wrong subscriber codes. For your security, try again in %(minutes)d minute.",
            "Too many wrong subscriber codes. For your security, try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
        super().__init__(message, code="too_many_attempts")
        self.retry_after = retry_after


def limits() -> dict[str, int]:
    """Wrong codes allowed per hour (``WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_LIMITS`` overrides)."""
    return conf.subscription_limits()


def not_recognised(municipality=None) -> SubscriptionError:
    # The same words for an unknown code and for a code of another town's families: nothing
    # tells whether the code exists elsewhere.
    if municipality is not None:
        message = _(
            "This subscriber code is not recognised by the family portal of %(municipality)s. "
            "Check it on your latest invoice or letter from the service."
        ) % {"municipality": municipality.name}
    else:
        message = _(
            "This subscriber code is not recognised. Check it on your latest invoice or letter "
            "from the service."
        )
    return SubscriptionError(message, code="not_recognised")


def _retry_after(wrong, limit: int, now) -> int | None:
    """Seconds until the oldest counted wrong code leaves the window, if the limit is reached."""
    times = list(wrong.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) < limit:
        return None
    return max(1, math.ceil((times[-1] + WINDOW - now).total_seconds()))


def _blocked_for(user, ip_address, now) -> int | None:
    recent = SubscriptionAttempt.objects.filter(
        created_at__gt=now - WINDOW, outcome__in=SubscriptionAttempt.WRONG
    )
    waits = []
    if user is not None:
        waits.append(_retry_after(recent.filter(user=user), limits()["account"], now))
    if ip_address:
        waits.append(_retry_after(recent.filter(ip_address=ip_address), limits()["ip"], now))
    waits = [wait for wait in waits if wait]
    return max(waits) if waits else None


def _check(code, user, municipality, ip_address, now):
    """The outcome of trying ``code``, the family it designates and the wait if blocked."""
    wait = _blocked_for(user, ip_address, now)
    if wait:
        return Outcome.BLOCKED, None, wait
    key = normalise_subscriber_code(code)
    family = (
        Family.objects.select_related("municipality").filter(subscriber_key=key).first()
        if key
        else None
    )
    if family is None:
        return Outcome.NOT_RECOGNISED, None, None
    if municipality is not None and family.municipality_id != municipality.pk:
        return Outcome.OTHER_MUNICIPALITY, family, None
    if user is not None and Subscription.objects.filter(user=user, family=family).exists():
        return Outcome.ALREADY_LINKED, family, None
    return Outcome.FOUND, family, None


def _attempt(*, code, user, email, municipality, ip_address, channel, confirm):
    """Check ``code``, log the attempt, and link the family when ``confirm``; raise on failure."""
    now = timezone.now()
    with transaction.atomic():
        if user is not None:
            # One attempt at a time per account, so that parallel requests cannot pass the limit.
            get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
        outcome, family, wait = _check(code, user, municipality, ip_address, now)
        subscription = None
        if outcome == Outcome.FOUND and confirm:
            subscription = link(user, family, by=user)
            outcome = Outcome.LINKED
        SubscriptionAttempt.objects.create(
            created_at=now,
            user=user,
            email=email or email_address(user),
            ip_address=ip_address or None,
            code=(code or "")[:64],
            family=family,
            municipality=municipality or (family.municipality if family else None),
            outcome=outcome,
            channel=channel,
        )
    if outcome == Outcome.BLOCKED:
        raise TooManyAttempts(wait)
    if outcome in SubscriptionAttempt.WRONG:
        raise not_recognised(municipality)
    if outcome == Outcome.ALREADY_LINKED:
        raise SubscriptionError(
            _("Your account is already linked to the %(family)s family.") % {"family": family.name},
            code="already_linked",
        )
    return subscription or family


def find_family(*, code, user, municipality, ip_address, channel, email="") -> Family:
    """The family a code designates, for the "Rechercher" step; nothing is linked yet.

    ``municipality`` is the municipality of the site the code is typed on (None on a site tied
    to none: every municipality's codes are then accepted). ``user`` is None at sign-up.
    """
    return _attempt(
        code=code,
        user=user,
        email=email,
        municipality=municipality,
        ip_address=ip_address,
        channel=channel,
        confirm=False,
    )


def subscribe(*, code, user, municipality, ip_address, channel) -> Subscription:
    """Link ``user`` to the family of ``code``; usable at once, without logging in again."""
    return _attempt(
        code=code,
        user=user,
        email="",
        municipality=municipality,
        ip_address=ip_address,
        channel=channel,
        confirm=True,
    )


def link(user, family: Family, *, by) -> Subscription:
    """Create the subscription and record it in the family file's history."""
    subscription, created = Subscription.objects.get_or_create(
        user=user, family=family, defaults={"created_by": by}
    )
    if created:
        log(
            family,
            "wagtail_family_portal.subscription_linked",
            user=by,
            data={"account": user.get_username()},
        )
    return subscription


def regenerate_subscriber_code(family: Family, *, by) -> str:
    """Give the family a new code (the old one stops working at once); existing links stay."""
    with transaction.atomic():
        code = family.regenerate_subscriber_code()
        log(family, "wagtail_family_portal.subscriber_code_regenerated", user=by)
    return code


# The attempts log is kept for a while only


def attempts_retention() -> dt.timedelta:
    """How long attempts are kept (``WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_ATTEMPTS_RETENTION``: a
    ``timedelta`` or a number of days; one year by default). Never less than the brute-force
    window, which counts them."""
    return max(conf.subscription_attempts_retention(), WINDOW)


def purge_attempts(*, now=None, dry_run: bool = False) -> int:
    """Delete the attempts older than the retention; the number deleted (or, with ``dry_run``,
    that would be). An attempt exactly as old as the retention stays."""
    cutoff = (now or timezone.now()) - attempts_retention()
    old = SubscriptionAttempt.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return old.count()
    deleted, _by_model = old.delete()
    return deleted


def sync_purge_schedule(now=None):
    """Create the nightly django-q2 schedule of ``purge_attempts``, or put it right; running it
    again changes nothing. Answers a ``notifications.ScheduleSync`` naming the schedule."""
    from .notifications import sync_daily_schedule

    return sync_daily_schedule(PURGE_SCHEDULE, PURGE_TASK, PURGE_TIME, now)
