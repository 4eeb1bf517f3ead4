"""The daily attendance sheet of an activity: who comes, what the staff must know, who may pick
each child up, and the marking of presence (billing reads it): present or absent, an absence
justified (marked absent, or accepted after the deadline), a child present without a booking.

The activity is fetched through ``for_agent`` (another municipality's activity is a 404). The
children listed are those holding a place that day (booked, or an absence still waiting for a
decision), then the waiting list. Every agent sees that a child has allergies or a PAI (the
staff must know); the details are shown only to users given ``view_childhealth``, and showing
them is logged like every other read of health information (``audit``).
"""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, re_path, reverse
from django.utils import formats
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from .. import clock
from ..models import Activity, AuthorisedContact, Child, ChildDay, ChildHealth
from ..models.bookings import HOLDS_PLACE, DayState, UnbookedPresence
from ..services import attendance
from ..services.bookings.waiting_list import queue
from .audit import log_health_viewed, may_view_health
from .base import permissions_to_register
from .policies import PermissionCheckedMixin, policy_for
from .scoping import ChildDayPermissionPolicy, for_agent
from .widgets import DateInput

Presence = ChildDay.Presence
SHEET_URL_NAME = "family_portal_attendance:sheet"
# Present and absent first: the common answers, in the order staff read them.
PRESENCE_CHOICES = [
    (Presence.PRESENT, Presence.PRESENT.label),
    (Presence.ABSENT, Presence.ABSENT.label),
    (Presence.UNKNOWN, Presence.UNKNOWN.label),
]


def sheet_url(activity_id, day: dt.date) -> str:
    return reverse(SHEET_URL_NAME, args=[activity_id, day.isoformat()])


def neighbour_day(activity: Activity, day: dt.date, step: int) -> dt.date:
    """The previous (``step`` -1) or next (+1) weekday on which the activity runs."""
    for count in range(1, 8):
        candidate = day + dt.timedelta(days=step * count)
        if candidate.weekday() in activity.weekdays:
            return candidate
    return day + dt.timedelta(days=step)


def health_flags(health: ChildHealth | None) -> list[str]:
    """What every agent sees: that the child has allergies, a PAI — never the details."""
    if health is None:
        return []
    flags = []
    if health.allergies.strip():
        flags.append(gettext("Allergies"))
    if health.has_care_plan:
        flags.append(gettext("PAI"))
    return flags


def has_health_details(health: ChildHealth | None) -> bool:
    return health is not None and bool(
        health.allergies.strip() or health.has_care_plan or health.diet.strip()
    )


@dataclass
class SheetRow:
    day: ChildDay
    child: Child
    school: str
    flags: list[str]
    contacts: list[AuthorisedContact]
    health: ChildHealth | None = None  # set only when its details are shown
    presence: object = None  # the bound radio field, when presence may be marked
    justified: object = None  # the bound "absence justified" box, when presence may be marked


def school_text(child: Child) -> str:
    parts = [child.get_class_level_display() if child.class_level else ""]
    if child.establishment_id:
        parts.append(child.establishment.name)
    return " — ".join(str(part) for part in parts if part)


class PresenceForm(forms.Form):
    """One radio group per child on the sheet (present, absent, not marked) with a box saying
    its absence is justified; a box only for the children whose absence was accepted after the
    deadline (``late``)."""

    def __init__(self, *args, days, late=(), **kwargs):
        super().__init__(*args, **kwargs)
        for day in days:
            self.fields[self.field_name(day.child_id)] = forms.ChoiceField(
                label=str(day.child),
                choices=PRESENCE_CHOICES,
                required=False,
                initial=day.presence,
                widget=forms.RadioSelect,
            )
        for day in [*days, *late]:
            self.fields[self.justified_name(day.child_id)] = forms.BooleanField(
                label=_("absence justified"), required=False, initial=day.absence_justified
            )

    @staticmethod
    def field_name(child_id) -> str:
        return f"child_{child_id}"

    @staticmethod
    def justified_name(child_id) -> str:
        return f"justified_{child_id}"

    def presences(self) -> dict[int, str]:
        return {
            int(name.removeprefix("child_")): value or ""
            for name, value in self.cleaned_data.items()
            if name.startswith("child_")
        }

    def justified(self) -> dict[int, bool]:
        return {
            int(name.removeprefix("justified_")): bool(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("justified_")
        }


class UnbookedForm(forms.Form):
    """A child enrolled that day, holding no place, found at the activity."""

    child = forms.ModelChoiceField(
        label=_("child present without a booking"), queryset=Child.objects.none()
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = candidates
        self.fields["child"].label_from_instance = lambda child: (
            f"{child.last_name} {child.first_name} ({child.family.name})"
        )


class SheetChoiceForm(forms.Form):
    activity = forms.ModelChoiceField(label=_("activity"), queryset=Activity.objects.none())
    date = forms.DateField(label=pgettext_lazy("family portal", "day"), widget=DateInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = for_agent(
            Activity.objects.filter(is_active=True).select_related("establishment"), user
        )
        self.fields["date"].initial = clock.today()


class AttendanceView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    model = ChildDay
    permission_required = "view"
    header_icon = "clipboard-list"
    page_title = _("Attendance sheet")


class AttendanceIndexView(AttendanceView):
    """Choose an activity and a day; the form leads to that sheet."""

    template_name = "wagtail_family_portal/admin/bookings/attendance_index.html"

    def get(self, request, *args, **kwargs):
        form = SheetChoiceForm(request.GET or None, user=request.user)
        if form.is_valid():
            return redirect(sheet_url(form.cleaned_data["activity"].pk, form.cleaned_data["date"]))
        return self.render_to_response(self.get_context_data(choice_form=form))


class AttendanceSheetView(AttendanceView):
    """The sheet of one activity on one day (``GET``), and the marking of presence (``POST``)."""

    template_name = "wagtail_family_portal/admin/bookings/attendance_sheet.html"
    index_url_name = None

    @cached_property
    def activity(self) -> Activity:
        activities = for_agent(Activity.objects.select_related("establishment"), self.request.user)
        return get_object_or_404(activities, pk=self.kwargs["activity_id"])

    @cached_property
    def day(self) -> dt.date:
        try:
            return dt.date.fromisoformat(self.kwargs["day"])
        except ValueError:
            raise Http404 from None

    def get_page_subtitle(self):
        return f"{self.activity} — {formats.date_format(self.day, 'l j F Y')}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": self.get_page_title()},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    @cached_property
    def may_mark(self) -> bool:
        return self.user_has_permission("change") and self.day <= clock.today()

    @cached_property
    def days(self) -> list[ChildDay]:
        contacts = AuthorisedContact.objects.filter(may_pick_up=True).order_by("pk")
        queryset = (
            ChildDay.objects.filter(activity=self.activity, date=self.day, state__in=HOLDS_PLACE)
            .select_related("child__establishment", "child__family", "child__health")
            .prefetch_related(
                Prefetch("child__authorised_contacts", queryset=contacts, to_attr="pick_up")
            )
            .order_by("child__last_name", "child__first_name", "child_id")
        )
        return list(for_agent(queryset, self.request.user))

    @cached_property
    def late_absences(self) -> list[ChildDay]:
        """The absences accepted after the deadline (billed unless justified)."""
        queryset = (
            ChildDay.objects.filter(
                activity=self.activity,
                date=self.day,
                state=DayState.ABSENT,
                line__after_deadline=True,
            )
            .select_related("child__family")
            .order_by("child__last_name", "child__first_name", "child_id")
        )
        return list(for_agent(queryset, self.request.user))

    def unbooked(self) -> list[UnbookedPresence]:
        queryset = (
            UnbookedPresence.objects.filter(activity=self.activity, date=self.day)
            .select_related("child__family", "marked_by")
            .order_by("child__last_name", "child__first_name", "child_id")
        )
        return list(for_agent(queryset, self.request.user))

    def unbooked_form(self, data=None) -> UnbookedForm:
        candidates = for_agent(
            attendance.unbooked_candidates(self.activity, self.day), self.request.user
        ).select_related("family")
        return UnbookedForm(data, candidates=candidates.order_by("last_name", "first_name", "pk"))

    def presence_form(self, data=None) -> PresenceForm:
        return PresenceForm(data, days=self.days, late=self.late_absences)

    def waiting_list(self) -> list[ChildDay]:
        queryset = queue(self.activity, [self.day]).select_related("child__family")
        return list(for_agent(queryset, self.request.user))

    def rows(self, form: PresenceForm | None) -> list[SheetRow]:
        show_health = may_view_health(self.request.user)
        rows = []
        for day in self.days:
            child = day.child
            health = getattr(child, "health", None)
            rows.append(
                SheetRow(
                    day=day,
                    child=child,
                    school=school_text(child),
                    flags=health_flags(health),
                    contacts=child.pick_up,
                    health=health if show_health and has_health_details(health) else None,
                    presence=form[form.field_name(child.pk)] if form is not None else None,
                    justified=form[form.justified_name(child.pk)] if form is not None else None,
                )
            )
        shown = [row.health for row in rows if row.health is not None]
        if shown:
            log_health_viewed(
                self.request.user,
                shown,
                screen="attendance",
                activity=self.activity.pk,
                date=self.day.isoformat(),
            )
        return rows

    def get_context_data(self, form=None, unbooked_form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        activity, day = self.activity, self.day
        if form is None and self.may_mark:
            form = self.presence_form()
        if unbooked_form is None and self.may_mark:
            unbooked_form = self.unbooked_form()
        taken = len(self.days)
        context.update(
            activity=activity,
            day=day,
            rows=self.rows(form),
            late_absences=[
                (absence, form[form.justified_name(absence.child_id)] if form else None)
                for absence in self.late_absences
            ],
            unbooked=self.unbooked(),
            unbooked_form=unbooked_form,
            waiting=self.waiting_list(),
            taken=taken,
            capacity=activity.capacity,
            may_mark=self.may_mark,
            form=form,
            previous_url=sheet_url(activity.pk, neighbour_day(activity, day, -1)),
            next_url=sheet_url(activity.pk, neighbour_day(activity, day, +1)),
            today_url=sheet_url(activity.pk, clock.today()),
            runs=activity.runs_on(day),
            choice_form=SheetChoiceForm(
                initial={"activity": activity, "date": day}, user=self.request.user
            ),
            choice_url=reverse(self.index_url_name),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.user_has_permission("change"):
            raise PermissionDenied
        action = request.POST.get("action", "presence")
        if action == "add_unbooked":
            return self.add_unbooked(request)
        if action == "remove_unbooked":
            return self.remove_unbooked(request)
        form = self.presence_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Presence was not saved: choose present, absent or none."))
            return self.render(form, status=400)
        try:
            marked = attendance.mark_presence(
                self.activity,
                self.day,
                form.presences(),
                agent=request.user,
                justified=form.justified(),
            )
        except attendance.AttendanceError as error:
            messages.error(request, error.message)
            return self.render(form, status=400)
        count = len({row.child_id for row in [*marked.changed, *marked.justified]})
        messages.success(
            request,
            ngettext(
                "Presence saved: %(count)d child updated.",
                "Presence saved: %(count)d children updated.",
                count,
            )
            % {"count": count},
        )
        if marked.not_absent:
            names = Child.objects.filter(pk__in=marked.not_absent).order_by("first_name")
            messages.warning(
                request,
                _("Only an absence can be justified; left as it was: %(children)s.")
                % {"children": ", ".join(str(child) for child in names)},
            )
        return redirect(sheet_url(self.activity.pk, self.day))

    def add_unbooked(self, request):
        form = self.unbooked_form(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a child enrolled that day who holds no place."))
            return self.render(None, status=400, unbooked_form=form)
        child = form.cleaned_data["child"]
        try:
            attendance.mark_unbooked(self.activity, self.day, child.pk, agent=request.user)
        except attendance.AttendanceError as error:
            messages.error(request, error.message)
            return self.render(None, status=400, unbooked_form=form)
        messages.success(
            request, _("%(child)s marked present without a booking.") % {"child": child}
        )
        return redirect(sheet_url(self.activity.pk, self.day))

    def remove_unbooked(self, request):
        presences = {presence.child_id: presence for presence in self.unbooked()}
        try:
            presence = presences.get(int(request.POST.get("child", "")))
        except ValueError:
            presence = None
        if presence is None:
            messages.error(request, _("This child was not marked present without a booking."))
            return self.render(None, status=400)
        attendance.remove_unbooked(self.activity, self.day, presence.child_id, agent=request.user)
        messages.success(
            request,
            _("Presence without a booking of %(child)s removed.") % {"child": presence.child},
        )
        return redirect(sheet_url(self.activity.pk, self.day))

    def render(self, form, *, status, unbooked_form=None):
        context = self.get_context_data(form=form, unbooked_form=unbooked_form)
        response = self.render_to_response(context)
        response.status_code = status
        return response


# The screen


class AttendanceViewSet(ViewSet):
    """The daily attendance sheets: ``view_childday`` reads them, ``change_childday`` marks
    presence."""

    model = ChildDay
    permission_policy_class = ChildDayPermissionPolicy
    actions = ("view", "change")
    name = "family_portal_attendance"
    url_prefix = "family-portal/attendance"
    icon = "clipboard-list"
    menu_label = _("Attendance sheets")

    def get_urlpatterns(self):
        index_url_name = self.get_url_name("index")
        sheet = self.construct_view(AttendanceSheetView, index_url_name=index_url_name)
        return [
            path("", self.construct_view(AttendanceIndexView), name="index"),
            re_path(r"^(?P<activity_id>\d+)/(?P<day>\d{4}-\d{2}-\d{2})/$", sheet, name="sheet"),
        ]

    @cached_property
    def menu_item_class(self):
        def is_shown(item, request):
            policy = policy_for(self.model)
            return policy.user_has_permission(request.user, "view")

        return type("AttendanceMenuItem", (MenuItem,), {"is_shown": is_shown})

    def on_register(self):
        super().on_register()
        hooks.register("register_permissions", self.get_permissions_to_register)

    def get_permissions_to_register(self):
        return permissions_to_register(self.model, self.actions)
