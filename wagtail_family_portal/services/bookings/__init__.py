"""Bookings and absences: every rule of "can this day be booked or cancelled", and every change.

Pages, API and admin call these functions; none of them changes a booking by itself. One module
per domain word:

- ``rules.py`` — can this day be asked: ``refusal``, the deadlines in working days, periods;
- ``capacity.py`` — locking an activity's days, the places taken, ``has_room``;
- ``requests.py`` — a family's requests: ``preview_days``, ``request_days``, ``withdraw_lines``;
- ``decisions.py`` — agents' decisions: ``decide_lines``, ``capacity_changed``;
- ``waiting_list.py`` — the queue and ``promote``;
- ``transitions.py`` — how a line's change reaches its history, its day and its request.

The names callers use are imported here: ``from ..services import bookings`` then
``bookings.request_days(...)``.
"""

from .capacity import has_room, places_taken
from .decisions import Decision, capacity_changed, decide_lines
from .requests import Outcome, preview_days, request_days, withdraw_lines
from .rules import (
    BOOKABLE_STATES,
    MAX_PERIOD_DAYS,
    REASONS,
    WAITING_STATES,
    BookingError,
    Skipped,
    dates_in_period,
    refusal,
    working_day_checker,
    working_day_window,
)
from .transitions import DAY_STATES, NOTIFIED_STATES, day_state
from .waiting_list import promote

__all__ = [
    "BOOKABLE_STATES",
    "DAY_STATES",
    "MAX_PERIOD_DAYS",
    "NOTIFIED_STATES",
    "REASONS",
    "WAITING_STATES",
    "BookingError",
    "Decision",
    "Outcome",
    "Skipped",
    "capacity_changed",
    "dates_in_period",
    "has_room",
    "day_state",
    "decide_lines",
    "places_taken",
    "preview_days",
    "promote",
    "refusal",
    "request_days",
    "withdraw_lines",
    "working_day_checker",
    "working_day_window",
]
