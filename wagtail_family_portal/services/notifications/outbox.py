"""The outbox of decisions: what the next digest will tell a family (``DecisionNotice``).

Decisions are not mailed one by one. Each is written here in the transaction of the decision, so
that a decision rolled back leaves no notice and a decision kept is in exactly one digest
(``digests.py``).
"""

from ...models.notifications import DecisionNotice


def record_decisions(lines, state: str, message: str, now) -> None:
    """Booking lines just decided (same transaction): one notice each for the next digest."""
    from ...models import Request

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
