"""The period form ("Réservations"): ask for a whole period for one or more children.

The form, then a preview of the days that will be asked and those skipped (why, day by day),
then one request per child (``services.bookings.request_days``, the skipped days confirmed by
the preview the family saw).
"""

from dataclasses import dataclass, field

from django.views.decorators.http import require_http_methods

from .. import clock
from ..models import Child, Enrolment, Request
from ..services import bookings
from .base import checked_ids, portal_view
from .planning_day import ask_days
from .planning_forms import PeriodForm, parse_ids


@dataclass
class ChildPreview:
    child: Child
    dates: list
    skipped: list
    request: Request | None = None
    error: str = ""
    request_url: str = ""
    states: list = field(default_factory=list)


@portal_view(family=True)
@require_http_methods(["GET", "HEAD", "POST"])
def period_request(request, pages):
    """Ask for a period: the form, a preview of the days asked and skipped, then the requests."""
    children = pages.children()
    current = pages.activities(current=True)
    data = request.POST if request.method == "POST" else None
    source = request.POST if data is not None else request.GET
    child_key, activity_key = (
        ("children", "activity") if data is not None else ("enfant", "activite")
    )
    checked_ids(source.getlist(child_key), [child.pk for child in children])
    activity_values = [value for value in source.getlist(activity_key) if value != ""]
    if not set(activity_values) <= {str(pk) for pk in current}:
        # Not one the family may ask for now: an ended one is a form error, any other a 404.
        checked_ids(activity_values, pages.activities())

    enrolled = _enrolled_children(pages.family, current)
    initial = {}
    if data is None and current:
        # The activity asked for (the planning passes its filter), else the first one: its
        # weekdays and its children are ticked, so the preview lists days that can be asked.
        chosen = next(
            (current[pk] for pk in parse_ids(activity_values) or () if pk in current),
            next(iter(current.values())),
        )
        initial = PeriodForm.preselection(chosen, enrolled, request.GET.getlist("enfant"))
    form = PeriodForm(
        data, initial=initial, children=children, activities=current.values(), enrolled=enrolled
    )
    context = {
        "form": form,
        "children": children,
        "has_activities": bool(current),
        "activity_links": [
            (activity, pages.url("period_request", query={"activite": activity.pk}))
            for activity in current.values()
        ]
        if len(current) > 1
        else [],
    }
    step = request.POST.get("step", "preview") if data is not None else "form"
    if data is None or step == "edit" or not form.is_valid():
        return pages.render("planning/period_form.html", context)

    chosen = [child for child in children if str(child.pk) in form.cleaned_data["children"]]
    activity = current[int(form.cleaned_data["activity"])]
    operation = form.cleaned_data["operation"]
    dates = form.cleaned_data["dates"]
    context.update(
        {
            "activity": activity,
            "operation": operation,
            "operation_label": dict(form.fields["operation"].choices)[operation],
            "start": form.cleaned_data["start"],
            "end": form.cleaned_data["end"],
            "weekday_names": [
                label
                for value, label in form.fields["weekdays"].choices
                if value in form.cleaned_data["weekdays"]
            ],
            "hidden": _hidden_fields(form),
        }
    )
    if step == "confirm":
        context["results"] = _submit_period(pages, chosen, activity, operation, dates)
        return pages.render("planning/period_done.html", context)
    previews = []
    for child in chosen:
        ok, skipped = bookings.preview_days(
            family=pages.family,
            child_id=child.pk,
            activity_id=activity.pk,
            operation=operation,
            dates=dates,
        )
        previews.append(ChildPreview(child, ok, skipped))
    context["previews"] = previews
    context["can_confirm"] = any(preview.dates for preview in previews)
    context["skips"] = any(preview.skipped for preview in previews)
    return pages.render("planning/period_preview.html", context)


def _enrolled_children(family, activities) -> dict[int, list[int]]:
    """The children enrolled (today or later) in each of ``activities``, by activity id."""
    rows = (
        Enrolment.objects.filter(
            child__family=family,
            activity_id__in=list(activities),
            end_date__gte=clock.today(),
        )
        .order_by("child__birth_date", "child_id")
        .values_list("activity_id", "child_id")
    )
    enrolled = {}
    for activity_id, child_id in rows:
        children = enrolled.setdefault(activity_id, [])
        if child_id not in children:
            children.append(child_id)
    return enrolled


def _hidden_fields(form) -> list[tuple[str, str]]:
    """The form's values, to post them again from the preview."""
    data = form.cleaned_data
    fields = [("children", value) for value in data["children"]]
    fields += [("activity", data["activity"]), ("operation", data["operation"])]
    fields += [("start", data["start"].isoformat()), ("end", data["end"].isoformat())]
    fields += [("weekdays", str(value)) for value in data["weekdays"]]
    return fields


def _submit_period(pages, children, activity, operation, dates) -> list[ChildPreview]:
    """One request per child, the skipped days confirmed by the preview the family saw."""
    results = []
    for child in children:
        try:
            outcome = ask_days(pages, child, activity, operation, dates, confirm_skipped=True)
        except bookings.BookingError as error:
            results.append(ChildPreview(child, [], error.skipped, error=str(error.message)))
        else:
            results.append(
                ChildPreview(
                    child,
                    [line.date for line in outcome.lines],
                    outcome.skipped,
                    outcome.request,
                    request_url=pages.url("request_detail", outcome.request.pk),
                    states=_count_states(outcome.lines),
                )
            )
    return results


def _count_states(lines) -> list[tuple[str, int]]:
    counts = {}
    for line in lines:
        label = line.state_label
        counts[label] = counts.get(label, 0) + 1
    return list(counts.items())
