"""Forms and query-string parsing of the planning pages.

Ids a family passes (a child, an activity, a request line) are checked by the views against the
family's own records before any form sees them: another family's id is a 404, not a form error.
The forms check what the family typed; ``services.bookings`` decides whether the days can be
asked.
"""

import datetime as dt

from django import forms
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from ..fields import WEEKDAY_CHOICES
from ..models import BookingLine
from ..services import bookings

Operation = BookingLine.Operation

# The planning's views (``vue``) and how many days a week shows.
MONTH, WEEK, WEEK5 = "mois", "semaine", "semaine5"
VIEWS = {MONTH: None, WEEK: 7, WEEK5: 5}
# Dates a planning may show: enough for any real school year, and far from the calendar's ends.
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)

# Operations of the one-day confirmation page: the two of a request, and taking one back.
WITHDRAW = "withdraw"
DAY_OPERATIONS = (Operation.BOOKING, Operation.ABSENCE, WITHDRAW)


def parse_ids(values) -> list[int] | None:
    """Ids from the query string (``?enfant=1&enfant=2``); None when none is given."""
    if not values:
        return None
    try:
        return sorted({int(value) for value in values})
    except (TypeError, ValueError):
        raise Http404 from None


def parse_id(value) -> int:
    if value is None:
        raise Http404
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def parse_date(value, default=None) -> dt.date:
    """An ISO date (YYYY-MM-DD) within the dates the portal shows; 404 for anything else."""
    if not value:
        if default is None:
            raise Http404
        return default
    try:
        day = dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Http404 from None
    if not EARLIEST <= day <= LATEST:
        raise Http404
    return day


def parse_view(value) -> str:
    if not value:
        return MONTH
    if value not in VIEWS:
        raise Http404
    return value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ActivitySelect(forms.Select):
    """The activities, each option carrying its weekdays and the children enrolled in it, so
    that period_form.js ticks them when the family picks another activity."""

    def __init__(self, attrs=None):
        super().__init__({"data-wfp-period-activity": "", **(attrs or {})})
        self.ticks = {}  # activity id (str) -> (weekdays, child ids)

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        weekdays, children = self.ticks.get(str(value), ((), ()))
        option["attrs"]["data-weekdays"] = " ".join(str(day) for day in weekdays)
        option["attrs"]["data-children"] = " ".join(str(pk) for pk in children)
        return option


class PeriodForm(forms.Form):
    """The "Réservations" form: one activity, several children, a period and its weekdays.

    ``enrolled`` maps each activity's id to the ids of the children enrolled in it: the form
    opens with the activity's weekdays and those children ticked (``preselection``).
    """

    activity = forms.ChoiceField(label=_("Activity"), widget=ActivitySelect)
    children = forms.MultipleChoiceField(
        label=_("Children"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one child.")},
    )
    operation = forms.ChoiceField(
        label=_("Request"),
        choices=[
            (Operation.BOOKING, _("Book these days")),
            (Operation.ABSENCE, _("Report an absence on these days")),
        ],
        initial=Operation.BOOKING,
        widget=forms.RadioSelect,
    )
    start = forms.DateField(
        label=_("First day"), widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
    end = forms.DateField(
        label=_("Last day"), widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one weekday.")},
    )

    def __init__(self, *args, children, activities, enrolled=None, **kwargs):
        super().__init__(*args, **kwargs)
        activities = list(activities)
        enrolled = enrolled or {}
        self.fields["children"].choices = [(str(child.pk), child.first_name) for child in children]
        self.fields["activity"].choices = [
            (str(activity.pk), f"{activity.name} – {activity.establishment.name}")
            for activity in activities
        ]
        self.fields["activity"].widget.ticks = {
            str(activity.pk): (activity.weekdays, enrolled.get(activity.pk, ()))
            for activity in activities
        }

    @staticmethod
    def preselection(activity, enrolled, asked_children=None) -> dict:
        """The initial values for ``activity``: its weekdays, and its enrolled children (those of
        ``asked_children`` when the planning passed some)."""
        children = [str(pk) for pk in enrolled.get(activity.pk, ())]
        if asked_children:
            children = [pk for pk in children if pk in set(asked_children)]
        return {
            "activity": str(activity.pk),
            "children": children,
            "weekdays": list(activity.weekdays),
        }

    def clean(self):
        data = super().clean()
        start, end, weekdays = data.get("start"), data.get("end"), data.get("weekdays")
        if start is None or end is None or not weekdays:
            return data
        try:
            dates = bookings.dates_in_period(start, end, weekdays)
        except bookings.BookingError as error:
            raise forms.ValidationError(error.message, code=error.code) from None
        if not dates:
            raise forms.ValidationError(
                _("No day of this period falls on the chosen weekdays."), code="no_day"
            )
        data["dates"] = dates
        return data
