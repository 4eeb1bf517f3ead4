"""What families are told by e-mail about their requests, and when. One module per domain word:

- ``receipts.py`` — the receipt ("Accusé d'enregistrement électronique"):
  ``request_received()`` queues one e-mail per request to the account that submitted it, after
  commit; ``receipt_email()`` builds it from the database.
- ``outbox.py`` — decisions are not mailed one by one: ``record_decisions()`` /
  ``record_request_decision()`` write them to the outbox (``DecisionNotice``) in the
  transaction of the decision.
- ``digests.py`` — the digests ("Accusé de traitement"): the slots (``latest_slot``,
  ``previous_slot``, a site's ``slot_times``) and the runs (``run_digests``): at each time of
  the site's ``digest_times`` (the portal's time zone) every notice decided up to that time and
  not yet mailed gets the slot's time, in the same transaction as the family's
  ``DigestDelivery`` rows (one per account that wants e-mails), then the deliveries are sent.
  The e-mail itself is written by ``emails/digest.py``.
- ``schedules.py`` — ``sync_schedules()`` keeps one django-q2 schedule per site and time.

The names callers use are imported here: ``from ..services import notifications`` then
``notifications.run_digests(...)``.
"""

from ...emails.digest import decision_label
from .digests import (
    BATCH_SIZE,
    CLAIM,
    MAX_ATTEMPTS,
    TIME_BUDGET,
    DigestRun,
    latest_slot,
    previous_slot,
    run_digests,
    slot_times,
)
from .outbox import record_decisions, record_request_decision
from .receipts import receipt_email, request_received
from .schedules import (
    SCHEDULE_PREFIX,
    ScheduleSync,
    next_at,
    sync_daily_schedule,
    sync_schedules,
    wanted_schedules,
)

__all__ = [
    "BATCH_SIZE",
    "CLAIM",
    "MAX_ATTEMPTS",
    "SCHEDULE_PREFIX",
    "TIME_BUDGET",
    "DigestRun",
    "ScheduleSync",
    "decision_label",
    "latest_slot",
    "next_at",
    "sync_daily_schedule",
    "previous_slot",
    "receipt_email",
    "record_decisions",
    "record_request_decision",
    "request_received",
    "run_digests",
    "slot_times",
    "sync_schedules",
    "wanted_schedules",
]
