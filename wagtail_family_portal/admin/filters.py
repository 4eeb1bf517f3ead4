"""List filters of the agents' screens.

Foreign-key filters are declared explicitly with ``scoped_choices``: django-filter's automatic
ones would list the rows of every municipality. Choice and boolean fields are left to
``Meta.fields``.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet

from ..models import (
    Activity,
    Child,
    ChildHealth,
    Closure,
    Enrolment,
    Establishment,
    Family,
    Municipality,
    Subscription,
)
from .scoping import scoped_choices


def municipality_filter(field_name="municipality"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("municipality"),
        queryset=scoped_choices(Municipality),
    )


def establishment_filter(field_name="establishment"):
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label=_("establishment"),
        queryset=scoped_choices(Establishment),
    )


class FamilyFilterSet(WagtailFilterSet):
    municipality = municipality_filter()

    class Meta:
        model = Family
        fields = ["municipality"]


class ChildFilterSet(WagtailFilterSet):
    municipality = municipality_filter("family__municipality")
    establishment = establishment_filter()

    class Meta:
        model = Child
        fields = ["municipality", "establishment", "class_level", "sex"]


class ChildHealthFilterSet(WagtailFilterSet):
    municipality = municipality_filter("child__family__municipality")

    class Meta:
        model = ChildHealth
        fields = ["municipality", "has_care_plan", "vaccinations_up_to_date"]


class EstablishmentFilterSet(WagtailFilterSet):
    municipality = municipality_filter()

    class Meta:
        model = Establishment
        fields = ["municipality", "kind"]


class ActivityFilterSet(WagtailFilterSet):
    municipality = municipality_filter("establishment__municipality")
    establishment = establishment_filter()

    class Meta:
        model = Activity
        fields = ["municipality", "establishment", "kind", "booking_mode", "is_active"]


class ClosureFilterSet(WagtailFilterSet):
    municipality = municipality_filter()
    start_date = django_filters.DateFromToRangeFilter(
        label=_("first day"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Closure
        fields = ["municipality", "kind", "start_date"]


class EnrolmentFilterSet(WagtailFilterSet):
    municipality = municipality_filter("child__family__municipality")
    establishment = establishment_filter("activity__establishment")
    activity = django_filters.ModelChoiceFilter(
        label=_("activity"), queryset=scoped_choices(Activity)
    )
    activity__kind = django_filters.ChoiceFilter(
        label=_("kind of activity"),
        choices=Activity.Kind.choices,
        empty_label=_("All"),
    )

    class Meta:
        model = Enrolment
        fields = ["municipality", "establishment", "activity", "activity__kind"]


class SubscriptionFilterSet(WagtailFilterSet):
    municipality = municipality_filter("family__municipality")

    class Meta:
        model = Subscription
        fields = ["municipality"]
