"""The portal's one clock: now, today and local times in the portal's time zone
(``WAGTAIL_FAMILY_PORTAL_TIME_ZONE``, Europe/Paris by default; ``conf.time_zone``).

Deadlines, "today" on the planning and in the agents' screens, the digests' times and the
nightly jobs all read this clock, so that a day cannot be open on one screen and closed on
another. Times are naive local datetimes, the way deadlines and activity hours are expressed.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from . import conf


def local_now() -> dt.datetime:
    """Now as a naive datetime of the portal's time zone."""
    if settings.USE_TZ:
        return timezone.now().astimezone(conf.time_zone()).replace(tzinfo=None)
    return dt.datetime.now()


def today() -> dt.date:
    """Today's date in the portal's time zone."""
    return local_now().date()


def to_local(moment: dt.datetime) -> dt.datetime:
    """An aware (or, without ``USE_TZ``, naive) datetime as a naive local one."""
    if timezone.is_aware(moment):
        return moment.astimezone(conf.time_zone()).replace(tzinfo=None)
    return moment
