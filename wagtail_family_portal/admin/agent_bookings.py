"""An agent books or cancels days for a family: choose the family, fill in the period, see the
days that would be requested and those skipped (with why), then confirm.

The family and the activities offered are fetched through ``for_agent``; the request goes
through ``services.bookings``, recorded as made by the agent for the family: deadlines do not
apply, the capacity does.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from ..fields import WEEKDAY_CHOICES
from ..models import Activity, BookingLine, Child, Enrolment, Family
from ..services import bookings
from .base import QueueItemMixin, day_label
from .decisions import counts_text
from .policies import PermissionCheckedMixin
from .scoping import for_agent
from .widgets import DateInput

LineState = BookingLine.State
Operation = BookingLine.Operation
BOOK_URL_NAME = "family_portal_bookings:book"
BOOK_FAMILY_URL_NAME = "family_portal_bookings:book_family"


class FamilyChoiceForm(forms.Form):
    family = forms.ModelChoiceField(label=_("family"), queryset=Family.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["family"]
        field.queryset = for_agent(Family.objects.order_by("name", "pk"), user)
        field.label_from_instance = lambda family: f"{family.name} ({family.subscriber_code})"


class AgentBookingForm(forms.Form):
    """What to book or cancel: one child, one activity, a period and its weekdays."""

    child = forms.ModelChoiceField(label=_("child"), queryset=Child.objects.none())
    activity = forms.ModelChoiceField(
        label=_("activity"),
        queryset=Activity.objects.none(),
        help_text=_("The activities the family's children are enrolled in."),
    )
    operation = forms.ChoiceField(
        label=_("operation"),
        choices=Operation.choices,
        initial=Operation.BOOKING,
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(label=_("first day"), widget=DateInput)
    end_date = forms.DateField(label=_("last day"), widget=DateInput)
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=[0, 1, 2, 3, 4],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, family, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = family.children.order_by("first_name", "pk")
        enrolled = Enrolment.objects.filter(child__family=family).values("activity")
        self.fields["activity"].queryset = for_agent(
            Activity.objects.filter(pk__in=enrolled, is_active=True).select_related(
                "establishment"
            ),
            user,
        )

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors:
            try:
                cleaned_data["dates"] = bookings.dates_in_period(
                    cleaned_data["start_date"], cleaned_data["end_date"], cleaned_data["weekdays"]
                )
            except bookings.BookingError as error:
                raise ValidationError(error.message, code=error.code) from None
        return cleaned_data

    def preview_key(self) -> str:
        """What was previewed: confirming anything else needs a new preview."""
        data = self.cleaned_data
        return ":".join(
            [
                str(data["child"].pk),
                str(data["activity"].pk),
                data["operation"],
                ",".join(day.isoformat() for day in data["dates"]),
            ]
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "child_id": data["child"].pk,
            "activity_id": data["activity"].pk,
            "operation": data["operation"],
            "dates": data["dates"],
        }


class AgentBookingView(
    PermissionCheckedMixin, QueueItemMixin, WagtailAdminTemplateMixin, TemplateView
):
    """An agent books or cancels days for a family: choose the family, fill in the period, see
    the days that would be requested and those skipped (with why), then confirm.

    The request is recorded as made by the agent for the family; deadlines do not apply, the
    capacity does.
    """

    model = BookingLine
    permission_required = "change"
    template_name = "wagtail_family_portal/admin/bookings/book.html"
    page_title = _("Book or cancel for a family")
    header_icon = "calendar"
    queue_title = _("Bookings to process")

    @cached_property
    def family(self) -> Family | None:
        family_id = self.kwargs.get("family_id")
        if family_id is None:
            return None
        families = for_agent(Family.objects.select_related("municipality"), self.request.user)
        return get_object_or_404(families, pk=family_id)

    def get_page_subtitle(self):
        return self.family.name if self.family else ""

    def get(self, request, *args, **kwargs):
        if self.family is None:
            choice = FamilyChoiceForm(request.GET or None, user=request.user)
            if choice.is_valid():
                return redirect(BOOK_FAMILY_URL_NAME, choice.cleaned_data["family"].pk)
            return self.render_to_response(self.get_context_data(choice_form=choice))
        form = AgentBookingForm(family=self.family, user=request.user)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        if self.family is None:
            raise Http404
        form = AgentBookingForm(request.POST, family=self.family, user=request.user)
        if not form.is_valid():
            return self.render(form, status=400)
        if request.POST.get("action") == "confirm":
            if request.POST.get("previewed") == form.preview_key():
                return self.submit(form)
            messages.warning(request, _("The form changed since the preview: check it again."))
        return self.preview(form)

    def preview(self, form):
        try:
            dates, skipped = bookings.preview_days(
                family=self.family, by_agent=True, **form.service_kwargs()
            )
        except bookings.BookingError as error:
            form.add_error(None, error.message)
            return self.render(form, status=400)
        return self.render(form, preview={"dates": dates, "skipped": skipped})

    def submit(self, form):
        try:
            outcome = bookings.request_days(
                family=self.family,
                user=self.request.user,
                by_agent=True,
                confirm_skipped=True,
                **form.service_kwargs(),
            )
        except bookings.BookingError as error:
            form.add_error(None, error.message)
            preview = {"dates": [], "skipped": error.skipped} if error.skipped else None
            status = 400 if error.code in ("invalid", "not_found") else 409
            return self.render(form, preview=preview, status=status)
        states = [line.state for line in outcome.lines]
        text = counts_text(
            accepted=states.count(LineState.ACCEPTED),
            waiting=states.count(LineState.WAITING_LIST),
            refused=states.count(LineState.REFUSED),
        )
        messages.success(
            self.request,
            gettext("%(summary)s — %(result)s.")
            % {"summary": outcome.request.summary, "result": text},
        )
        return redirect(BOOK_FAMILY_URL_NAME, self.family.pk)

    def render(self, form, *, preview=None, status=200) -> TemplateResponse:
        context = self.get_context_data(form=form, preview=preview)
        if preview is not None and preview["dates"]:
            context["preview_key"] = form.preview_key()
        response = self.render_to_response(context)
        response.status_code = status
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.family is not None:
            context["family"] = self.family
            context["change_family_url"] = reverse(BOOK_URL_NAME)
        preview = context.get("preview")
        if preview:
            preview["days"] = [day_label(day) for day in preview["dates"]]
            preview["skipped_days"] = [
                (day_label(skip.date), skip.message) for skip in preview["skipped"]
            ]
        return context
