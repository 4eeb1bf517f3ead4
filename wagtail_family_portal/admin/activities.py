"""What the municipality offers, in the admin: establishments, activities (saving one may give
places to the waiting list), closures, and the children's enrolments in activities."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column, DateColumn

from ..models import Activity, Closure, Enrolment, Establishment
from . import filters
from .base import MunicipalityScopedViewSet, ScopedEditView
from .forms import MunicipalityScopedForm


class ActivityEditView(ScopedEditView):
    """Saving an activity may free places (a higher capacity): the waiting list moves at once."""

    def save_instance(self):
        from ..services import bookings

        instance = super().save_instance()
        promoted = bookings.capacity_changed(instance)
        if promoted:
            messages.success(
                self.request,
                ngettext(
                    "%(count)d day on the waiting list got a place.",
                    "%(count)d days on the waiting list got a place.",
                    len(promoted),
                )
                % {"count": len(promoted)},
            )
        return instance


class EstablishmentViewSet(MunicipalityScopedViewSet):
    model = Establishment
    name = "family_portal_establishments"
    url_prefix = "family-portal/establishments"
    icon = "home"
    menu_label = _("Establishments")
    select_related = ["municipality"]
    list_display = ["name", "kind", "municipality", "phone"]
    filterset_class = filters.EstablishmentFilterSet
    search_fields = ["name", "address"]
    list_export = ["name", "get_kind_display", "municipality", "address", "phone"]
    export_headings = {"get_kind_display": _("kind")}
    export_filename = "establishments"
    panels = [
        FieldPanel("municipality"),
        FieldPanel("name"),
        FieldPanel("kind"),
        FieldPanel("address"),
        FieldPanel("phone"),
    ]


class ActivityViewSet(MunicipalityScopedViewSet):
    model = Activity
    edit_view_class = ActivityEditView
    name = "family_portal_activities"
    url_prefix = "family-portal/activities"
    icon = "calendar"
    menu_label = _("Activities")
    select_related = ["establishment__municipality"]
    list_display = [
        "name",
        "short_code",
        "establishment",
        "kind",
        "start_time",
        "end_time",
        "capacity",
        "is_active",
    ]
    filterset_class = filters.ActivityFilterSet
    search_fields = ["name", "short_code", "establishment__name"]
    list_export = [
        "name",
        "short_code",
        "establishment",
        "establishment.municipality",
        "get_kind_display",
        "start_time",
        "end_time",
        "season_start",
        "season_end",
        "get_booking_mode_display",
        "capacity",
        "is_active",
    ]
    export_headings = {
        "establishment.municipality": _("municipality"),
        "get_kind_display": _("kind"),
        "get_booking_mode_display": _("booking mode"),
    }
    export_filename = "activities"
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("establishment"),
                FieldRowPanel([FieldPanel("name"), FieldPanel("short_code")]),
                FieldPanel("kind"),
                FieldPanel("is_active"),
            ],
            heading=_("Activity"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("start_time"), FieldPanel("end_time")]),
                FieldPanel("weekdays"),
                FieldRowPanel([FieldPanel("season_start"), FieldPanel("season_end")]),
            ],
            heading=_("Schedule"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("booking_mode"),
                FieldRowPanel(
                    [FieldPanel("booking_deadline_days"), FieldPanel("booking_deadline_time")]
                ),
                FieldRowPanel(
                    [FieldPanel("absence_deadline_days"), FieldPanel("absence_deadline_time")]
                ),
                FieldPanel("deadline_working_days"),
            ],
            heading=_("Bookings"),
        ),
        MultiFieldPanel(
            [FieldPanel("capacity"), FieldPanel("waiting_list")], heading=_("Capacity")
        ),
    ]


class ClosureForm(MunicipalityScopedForm):
    def clean(self):
        cleaned_data = super().clean()
        municipality = cleaned_data.get("municipality")
        activities = cleaned_data.get("activities") or []
        if municipality and any(
            activity.establishment.municipality_id != municipality.pk for activity in activities
        ):
            self.add_error(
                "activities",
                ValidationError(
                    _("Choose only activities of the municipality being closed."),
                    code="other_municipality",
                ),
            )
        return cleaned_data


class ClosureViewSet(MunicipalityScopedViewSet):
    model = Closure
    name = "family_portal_closures"
    url_prefix = "family-portal/closures"
    icon = "date"
    menu_label = _("Closures")
    base_form_class = ClosureForm
    select_related = ["municipality"]
    list_display = [
        "label",
        "kind",
        DateColumn("start_date", label=_("first day")),
        DateColumn("end_date", label=_("last day")),
        "municipality",
    ]
    filterset_class = filters.ClosureFilterSet
    search_fields = ["label"]
    list_export = ["label", "get_kind_display", "start_date", "end_date", "municipality"]
    export_headings = {"get_kind_display": _("kind")}
    export_filename = "closures"
    panels = [
        FieldPanel("municipality"),
        FieldPanel("label"),
        FieldPanel("kind"),
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
        FieldPanel("activities"),
    ]


class EnrolmentViewSet(MunicipalityScopedViewSet):
    model = Enrolment
    name = "family_portal_enrolments"
    url_prefix = "family-portal/enrolments"
    icon = "clipboard-list"
    menu_label = _("Enrolments")
    select_related = ["child__family__municipality", "activity__establishment"]
    list_display = [
        "child",
        "activity",
        DateColumn("start_date", label=_("start date")),
        DateColumn("end_date", label=_("end date")),
        Column("family", label=_("family"), accessor="child.family"),
    ]
    filterset_class = filters.EnrolmentFilterSet
    search_fields = ["child__first_name", "child__last_name", "child__family__name"]
    list_export = [
        "child.last_name",
        "child.first_name",
        "child.family",
        "child.family.subscriber_code",
        "child.family.municipality",
        "activity.name",
        "activity.short_code",
        "activity.establishment",
        "start_date",
        "end_date",
    ]
    export_headings = {
        "child.last_name": pgettext_lazy("family portal", "last name"),
        "child.first_name": pgettext_lazy("family portal", "first name"),
        "child.family": _("family"),
        "child.family.subscriber_code": _("subscriber code"),
        "child.family.municipality": _("municipality"),
        "activity.name": _("activity"),
        "activity.short_code": _("short code"),
        "activity.establishment": _("establishment"),
    }
    export_filename = "enrolments"
    panels = [
        FieldPanel("child"),
        FieldPanel("activity"),
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
    ]
