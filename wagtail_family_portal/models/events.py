"""What the two histories share: a request's (``RequestEvent``) and a day's
(``BookingLineEvent``). Each step says when, by whom (nobody: the rules did it), from which state
to which, with what words; the steps read oldest first. What they are about, a request and a
day's line, share how their decision is kept (``decision_fields``).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..fields import optional_link


def by_field(**options):
    """``user`` of a step: the account that made it, empty when the rules did."""
    return optional_link(settings.AUTH_USER_MODEL, _("by"), **options)


def decision_fields():
    """``decided_at, decided_by`` of a request or a booking line: when and by which agent it was
    decided; both empty until then, ``decided_by`` also when the rules decided."""
    return (
        models.DateTimeField(_("decided at"), null=True, blank=True),
        optional_link(
            settings.AUTH_USER_MODEL,
            _("decided by"),
        ),
    )


def state_fields(choices):
    """``from_state, to_state`` of a step, among ``choices``; ``from_state`` is empty for the
    first step (nothing before it)."""
    return (
        models.CharField(_("from"), max_length=20, choices=choices, blank=True),
        models.CharField(_("to"), max_length=20, choices=choices),
    )


class HistoryEvent(models.Model):
    """One step in a history. Concrete models add what the step is about (a foreign key) and
    its states (``state_fields``)."""

    created_at = models.DateTimeField(_("at"), default=timezone.now)
    user = by_field()
    message = models.TextField(_("message"), blank=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]

    @property
    def is_automatic(self) -> bool:
        """Done by the rules (an automatic booking, the waiting list), not by a person."""
        return self.user_id is None
