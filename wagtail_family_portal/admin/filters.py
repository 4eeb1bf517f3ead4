"""List filters of the agents' screens.

Foreign-key filters are declared explicitly with ``scoped_choices``: django-filter's automatic
ones would list the rows of every municipality. Choice and boolean fields are left to
``Meta.fields``.
"""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import WagtailFilterSet

from ..models import (
    AccountProfile,
    Activity,
    BookingLine,
    Child,
    ChildHealth,
    Closure,
    DayState,
    EmailTemplate,
    Enrolment,
    Establishment,
    Family,
    FileChange,
    Municipality,
    Request,
    Subscription,
    SubscriptionAttempt,
)
from ..models.notifications import DigestDelivery
from .scoping import for_agent, scoped_choices, site_choices
from .widgets import DateRangeInput


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
    start_date = django_filters.DateFromToRangeFilter(label=_("first day"), widget=DateRangeInput)

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
        empty_label=pgettext_lazy("family portal", "All"),
    )

    class Meta:
        model = Enrolment
        fields = ["municipality", "establishment", "activity", "activity__kind"]


class SubscriptionFilterSet(WagtailFilterSet):
    municipality = municipality_filter("family__municipality")

    class Meta:
        model = Subscription
        fields = ["municipality"]


class AccountStatus:
    """The states of a family account, as the accounts list shows and filters them."""

    ACTIVE = "active"
    AWAITING_ACTIVATION = "awaiting_activation"
    DEACTIVATED = "deactivated"

    choices = [
        (ACTIVE, pgettext_lazy("family portal", "Active")),
        (AWAITING_ACTIVATION, _("Awaiting activation")),
        (DEACTIVATED, _("Deactivated")),
    ]
    lookups = {
        ACTIVE: {"user__is_active": True},
        AWAITING_ACTIVATION: {"user__is_active": False, "activated_at__isnull": True},
        DEACTIVATED: {"user__is_active": False, "activated_at__isnull": False},
    }


class AccountProfileFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(
        label=pgettext_lazy("family portal", "status"),
        choices=AccountStatus.choices,
        empty_label=pgettext_lazy("family portal", "All"),
        method="filter_status",
    )
    municipality = django_filters.ModelChoiceFilter(
        field_name="municipality",
        label=_("signed up on the portal of"),
        queryset=scoped_choices(Municipality),
    )

    class Meta:
        model = AccountProfile
        fields = ["status", "municipality"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(**AccountStatus.lookups[value]) if value else queryset


class SubscriptionAttemptFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(
        label=pgettext_lazy("family portal", "date"), widget=DateRangeInput
    )

    class Meta:
        model = SubscriptionAttempt
        fields = ["outcome", "channel", "created_at"]


class DigestDeliveryFilterSet(WagtailFilterSet):
    slot = django_filters.DateFromToRangeFilter(label=_("digest of"), widget=DateRangeInput)

    class Meta:
        model = DigestDelivery
        fields = ["state", "slot"]


def families_with_file_changes(request):
    """The family filter offers the agent's families that asked for a change, not every one."""
    families = Family.objects.filter(requests__kind=Request.Kind.FILE_CHANGE).distinct()
    return for_agent(families, getattr(request, "user", None))


class RequestFilterSet(WagtailFilterSet):
    """The queue of file changes: pending ones unless the agent chooses another state."""

    AGE_CHOICES = [
        ("2", _("more than 2 days")),
        ("7", _("more than 7 days")),
        ("30", _("more than 30 days")),
    ]

    state = django_filters.ChoiceFilter(
        label=_("state"),
        choices=Request.State.choices,
        empty_label=pgettext_lazy("family portal", "All"),
    )
    municipality = municipality_filter("family__municipality")
    family = django_filters.ModelChoiceFilter(
        label=_("family"), queryset=families_with_file_changes
    )
    record = django_filters.ChoiceFilter(
        label=_("record"),
        choices=FileChange.Target.choices,
        empty_label=pgettext_lazy("family portal", "All"),
        method="filter_record",
    )
    age = django_filters.ChoiceFilter(
        label=_("waiting for"),
        choices=AGE_CHOICES,
        empty_label=pgettext_lazy("family portal", "All"),
        method="filter_age",
    )

    class Meta:
        model = Request
        fields = ["state", "municipality", "family", "record", "age"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "state" not in data:
            data = data.copy()
            data["state"] = Request.State.PENDING
        super().__init__(data, *args, **kwargs)
        # The default is not an active filter (Wagtail compares the data to the initial value).
        self.filters["state"].extra["initial"] = Request.State.PENDING

    def filter_record(self, queryset, name, value):
        if not value:
            return queryset
        lines = FileChange.objects.filter(request=OuterRef("pk"), target_type=value)
        return queryset.filter(Exists(lines))

    def filter_age(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(created_at__lte=timezone.now() - dt.timedelta(days=int(value)))


class BookingLineFilterSet(WagtailFilterSet):
    """The queue of booking and absence days: those to process (waiting for a decision or on the
    waiting list) unless the agent chooses another state."""

    TO_PROCESS = "to_process"
    TO_PROCESS_STATES = (BookingLine.State.PENDING, BookingLine.State.WAITING_LIST)
    # The states as the queue's column and the families' pages name them (DESIGN.md §3), each
    # the (operation, line state) pairs it stands for.
    STATES = {
        DayState.BOOKING_REQUESTED: [("booking", "pending")],
        DayState.ABSENCE_REQUESTED: [("absence", "pending")],
        DayState.WAITING_LIST: [("booking", "waiting_list")],
        DayState.BOOKED: [("booking", "accepted")],
        DayState.ABSENT: [("absence", "accepted")],
        DayState.REFUSED: [("booking", "refused"), ("absence", "refused")],
        BookingLine.State.WITHDRAWN: [("booking", "withdrawn"), ("absence", "withdrawn")],
    }

    state = django_filters.ChoiceFilter(
        label=_("state"),
        choices=[
            (TO_PROCESS, _("To process")),
            *((state.value, state.label) for state in STATES),
        ],
        empty_label=pgettext_lazy("family portal", "All"),
        method="filter_state",
    )
    operation = django_filters.ChoiceFilter(
        label=_("operation"),
        choices=BookingLine.Operation.choices,
        empty_label=pgettext_lazy("family portal", "All"),
    )
    municipality = municipality_filter("request__family__municipality")
    establishment = establishment_filter("activity__establishment")
    activity = django_filters.ModelChoiceFilter(
        label=_("activity"), queryset=scoped_choices(Activity)
    )
    date = django_filters.DateFromToRangeFilter(
        label=pgettext_lazy("family portal", "day"), widget=DateRangeInput
    )

    class Meta:
        model = BookingLine
        fields = ["state", "operation", "municipality", "establishment", "activity", "date"]

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and "state" not in data:
            data = data.copy()
            data["state"] = self.TO_PROCESS
        super().__init__(data, *args, **kwargs)
        # The default is not an active filter (Wagtail compares the data to the initial value).
        self.filters["state"].extra["initial"] = self.TO_PROCESS

    def filter_state(self, queryset, name, value):
        if not value:
            return queryset
        if value == self.TO_PROCESS:
            return queryset.filter(state__in=self.TO_PROCESS_STATES)
        pairs = next((pairs for state, pairs in self.STATES.items() if state.value == value), [])
        query = Q(pk__in=[])
        for operation, line_state in pairs:
            query |= Q(operation=operation, state=line_state)
        return queryset.filter(query)


class EmailTemplateFilterSet(WagtailFilterSet):
    """The editors' e-mail texts: the site filter offers the sites the editor may configure."""

    site = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("family portal", "site"), queryset=site_choices
    )

    class Meta:
        model = EmailTemplate
        fields = ["site", "kind"]
