"""The agents' admin screens, one ``ModelViewSet`` per model, under one "Family portal" menu,
and the editors' e-mail texts (a snippet, in the Settings menu)."""

from django.contrib.admin.utils import quote
from django.contrib.auth import get_permission_codename
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder, register_admin_url_finder
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.views.snippets import SnippetViewSet

from ..emails.rendering import email_address
from ..models import (
    AccountProfile,
    Activity,
    BookingLine,
    Child,
    ChildDay,
    ChildHealth,
    Closure,
    EmailTemplate,
    Enrolment,
    Establishment,
    Family,
    Municipality,
    Request,
    Subscription,
    SubscriptionAttempt,
)
from ..models.notifications import DigestDelivery
from . import accounts, attendance, audit, bookings, emails, filters, requests
from .families import FamilyEditView, LinkedAccountsPanel, RegenerateSubscriberCodeView
from .forms import MunicipalityScopedForm
from .policies import policy_for
from .scoping import (
    AccountPermissionPolicy,
    BookingLinePermissionPolicy,
    ChildDayPermissionPolicy,
    ListAndDeletePermissionPolicy,
    ListOnlyPermissionPolicy,
    MunicipalityScopedPermissionPolicy,
    RequestPermissionPolicy,
    for_agent,
)
from .views import (
    ActivityEditView,
    PrivatePhotoInput,
    ScopedDeleteView,
    ScopedEditView,
    ScopedHistoryView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedPhotoView,
    ScopedUsageView,
)


class MunicipalityScopedViewSet(ModelViewSet):
    """Base of every screen: rows, forms and filters limited to the agent's municipalities.

    Subclasses set ``panels`` (the form), ``select_related`` (for lists and exports) and the
    usual listing options; the scoping itself is inherited and never repeated.
    """

    index_view_class = ScopedIndexView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    inspect_view_enabled = True
    copy_view_enabled = False
    permission_policy_class = MunicipalityScopedPermissionPolicy
    base_form_class = MunicipalityScopedForm
    select_related = ()
    panels = ()

    @cached_property
    def permission_policy(self):
        """The policy registered for the model (``permission_policies``), on Wagtail 7.4 too."""
        return policy_for(self.model)

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=self.base_form_class).bind_to_model(
            self.model
        )

    def get_index_view_kwargs(self, **kwargs):
        queryset = self.model._default_manager.select_related(*self.select_related)
        return super().get_index_view_kwargs(queryset=queryset, **kwargs)


class ReadOnlyViewSetMixin:
    """Screens with a list (and a detail) only: no add, edit, copy, delete, history or usage
    view, for rows that families create and the admin only reads.

    ``actions`` are the permissions the screen uses, offered in the group settings.
    """

    actions = ("view",)
    copy_view_enabled = False

    def get_common_view_kwargs(self, **kwargs):
        absent = ("add", "edit", "delete", "history", "usage")
        return super().get_common_view_kwargs(
            **{f"{name}_url_name": None for name in absent}, **kwargs
        )

    def get_urlpatterns(self):
        urlpatterns = [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]
        if self.inspect_view_enabled:
            conv = self.pk_path_converter
            urlpatterns.append(path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"))
        return urlpatterns

    def register_admin_url_finder(self):
        # Links to a row (e.g. from logs) go to its detail, if it has one.
        if self.inspect_view_enabled:
            finder = type(
                "_InspectURLFinder",
                (ModelAdminURLFinder,),
                {
                    "edit_url_name": self.get_url_name("inspect"),
                    "permission_policy": self.permission_policy,  # Wagtail 7.4 asks it
                },
            )
            register_admin_url_finder(self.model, finder)

    def get_permissions_to_register(self):
        content_type = ContentType.objects.get_for_model(self.model)
        codenames = [get_permission_codename(action, self.model_opts) for action in self.actions]
        return Permission.objects.filter(content_type=content_type, codename__in=codenames)


# Panels shared by the family form's inlines and the child form.

ADDRESS_PANELS = [
    FieldPanel("address_line1"),
    FieldPanel("address_line2"),
    FieldRowPanel([FieldPanel("postcode"), FieldPanel("city")]),
]

CHILD_IDENTITY_PANELS = [
    FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
    FieldRowPanel([FieldPanel("birth_date"), FieldPanel("sex")]),
    FieldRowPanel([FieldPanel("establishment"), FieldPanel("class_level")]),
]

CHILD_AUTHORISATION_PANELS = [
    FieldPanel("photo_rights"),
    FieldPanel("may_leave_alone"),
    FieldPanel("transport_allowed"),
    FieldPanel("emergency_care_allowed"),
]

GUARDIAN_PANELS = [
    FieldRowPanel([FieldPanel("civility"), FieldPanel("relation")]),
    FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
    FieldPanel("birth_date"),
    FieldPanel("email"),
    FieldRowPanel([FieldPanel("mobile_phone"), FieldPanel("home_phone"), FieldPanel("work_phone")]),
    FieldPanel("same_address_as_family"),
    *ADDRESS_PANELS,
    FieldRowPanel([FieldPanel("profession"), FieldPanel("employer")]),
    FieldRowPanel([FieldPanel("iban"), FieldPanel("bic")]),
    FieldPanel("account_holder"),
]


class MunicipalityViewSet(MunicipalityScopedViewSet):
    model = Municipality
    name = "family_portal_municipalities"
    url_prefix = "family-portal/municipalities"
    icon = "site"
    menu_label = _("Municipalities")
    list_display = ["name", "city", "phone", "contact_email"]
    search_fields = ["name", "city"]
    inspect_view_fields = [
        "name",
        "site",
        "postal_address",
        "phone",
        "contact_email",
        "sender_email",
        "website",
    ]
    panels = [
        FieldPanel("name"),
        FieldPanel("site"),
        MultiFieldPanel(ADDRESS_PANELS, heading=_("Address")),
        MultiFieldPanel(
            [
                FieldPanel("phone"),
                FieldPanel("contact_email"),
                FieldPanel("sender_email"),
                FieldPanel("website"),
            ],
            heading=_("Contact"),
        ),
        FieldPanel("logo"),
        FieldPanel("agents"),
    ]


class FamilyViewSet(MunicipalityScopedViewSet):
    model = Family
    name = "family_portal_families"
    url_prefix = "family-portal/families"
    icon = "group"
    menu_label = _("Families")
    edit_view_class = FamilyEditView
    select_related = ["municipality"]
    list_display = ["name", "subscriber_code", "municipality", "city", "updated_at"]
    filterset_class = filters.FamilyFilterSet
    search_fields = ["name", "subscriber_code", "city", "caf_number"]
    list_export = [
        "name",
        "subscriber_code",
        "municipality",
        "address_line1",
        "address_line2",
        "postcode",
        "city",
        "family_quotient",
        "quotient_year",
        "caf_number",
        "updated_at",
    ]
    export_filename = "families"
    inspect_view_fields = [
        "name",
        "municipality",
        "subscriber_code",
        "postal_address",
        "family_quotient",
        "quotient_year",
        "caf_number",
        "created_at",
        "updated_at",
    ]
    panels = [
        MultiFieldPanel(
            [FieldPanel("municipality"), FieldPanel("name"), FieldPanel("subscriber_code")],
            heading=_("Family file"),
        ),
        LinkedAccountsPanel(heading=_("Linked accounts")),
        MultiFieldPanel(ADDRESS_PANELS, heading=_("Address")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("family_quotient"), FieldPanel("quotient_year")]),
                FieldPanel("caf_number"),
            ],
            heading=_("Tax data"),
        ),
        InlinePanel(
            "guardians", heading=_("Guardians"), label=_("guardian"), panels=GUARDIAN_PANELS
        ),
        InlinePanel(
            "children",
            heading=_("Children"),
            label=_("child"),
            panels=CHILD_IDENTITY_PANELS + CHILD_AUTHORISATION_PANELS,
        ),
    ]

    @property
    def regenerate_code_view(self):
        return self.construct_view(
            RegenerateSubscriberCodeView,
            index_url_name=self.get_url_name("index"),
            edit_url_name=self.get_url_name("edit"),
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "regenerate-code/<int:pk>/",
                self.regenerate_code_view,
                name="regenerate_code",
            ),
        ]


class ChildViewSet(MunicipalityScopedViewSet):
    model = Child
    name = "family_portal_children"
    url_prefix = "family-portal/children"
    icon = "user"
    menu_label = _("Children")
    select_related = ["family__municipality", "establishment"]
    list_display = [
        "__str__",
        "family",
        "birth_date",
        "establishment",
        "class_level",
        Column("municipality", label=_("municipality"), accessor="family.municipality"),
    ]
    filterset_class = filters.ChildFilterSet
    search_fields = ["first_name", "last_name", "family__name"]
    list_export = [
        "last_name",
        "first_name",
        "birth_date",
        "get_sex_display",
        "family",
        "family.subscriber_code",
        "family.municipality",
        "establishment",
        "get_class_level_display",
        "photo_rights",
        "may_leave_alone",
        "transport_allowed",
        "emergency_care_allowed",
    ]
    export_headings = {
        "get_sex_display": _("sex"),
        "family.subscriber_code": _("subscriber code"),
        "family.municipality": _("municipality"),
        "get_class_level_display": _("class level"),
    }
    export_filename = "children"
    # Health information is deliberately absent: it has its own, permissioned screen.
    inspect_view_fields = [
        "first_name",
        "last_name",
        "birth_date",
        "sex",
        "family",
        "establishment",
        "class_level",
        "photo_rights",
        "may_leave_alone",
        "transport_allowed",
        "emergency_care_allowed",
    ]
    panels = [
        FieldPanel("family"),
        *CHILD_IDENTITY_PANELS,
        FieldRowPanel(
            [
                # The photo is private: shown through the scoped photo view, never by URL.
                FieldPanel(
                    "photo", widget=PrivatePhotoInput(url_name="family_portal_children:photo")
                ),
                FieldPanel("colour"),
            ]
        ),
        MultiFieldPanel(CHILD_AUTHORISATION_PANELS, heading=_("Authorisations")),
        InlinePanel(
            "authorised_contacts",
            heading=_("Authorised contacts"),
            label=_("authorised contact"),
            panels=[
                FieldRowPanel([FieldPanel("first_name"), FieldPanel("last_name")]),
                FieldRowPanel([FieldPanel("phone"), FieldPanel("relation")]),
                FieldPanel("may_pick_up"),
            ],
        ),
    ]

    @property
    def photo_view(self):
        return self.construct_view(ScopedPhotoView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/photo/", self.photo_view, name="photo"),
        ]


class ChildHealthViewSet(MunicipalityScopedViewSet):
    """Sensitive: only for users given ``view_childhealth`` (not part of the agents' group).

    Every list, detail and form shown is logged (``audit``).
    """

    model = ChildHealth
    name = "family_portal_health"
    index_view_class = audit.HealthIndexView
    inspect_view_class = audit.HealthInspectView
    edit_view_class = audit.HealthEditView
    url_prefix = "family-portal/health"
    icon = "warning"
    menu_label = _("Health information")
    select_related = ["child__family__municipality"]
    list_display = ["child", "diet", "has_care_plan", "vaccinations_up_to_date"]
    filterset_class = filters.ChildHealthFilterSet
    search_fields = ["child__first_name", "child__last_name", "allergies", "diet"]
    panels = [
        FieldPanel("child"),
        FieldPanel("allergies"),
        FieldPanel("diet"),
        MultiFieldPanel(
            [FieldPanel("has_care_plan"), FieldPanel("care_plan_details")],
            heading=_("Individual care plan (PAI)"),
        ),
        FieldRowPanel([FieldPanel("doctor_name"), FieldPanel("doctor_phone")]),
        FieldPanel("vaccinations_up_to_date"),
        FieldPanel("vaccination_notes"),
    ]


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


class SubscriptionViewSet(MunicipalityScopedViewSet):
    """List only: accounts link themselves with the subscriber code; an agent may unlink one."""

    model = Subscription
    name = "family_portal_subscriptions"
    url_prefix = "family-portal/subscriptions"
    icon = "link"
    menu_label = _("Subscriptions")
    permission_policy_class = ListAndDeletePermissionPolicy
    select_related = ["user", "family__municipality", "created_by"]
    list_display = [
        "__str__",
        Column("email", label=_("e-mail"), accessor="user.email"),
        "family",
        Column("municipality", label=_("municipality"), accessor="family.municipality"),
        DateColumn("created_at", label=_("linked at")),
    ]
    filterset_class = filters.SubscriptionFilterSet
    search_fields = ["user__email", "family__name", "family__subscriber_code"]
    list_export = ["user.email", "family", "family.subscriber_code", "created_at", "created_by"]
    export_headings = {
        "user.email": _("e-mail"),
        "family.subscriber_code": _("subscriber code"),
    }
    export_filename = "subscriptions"
    inspect_view_fields = ["user", "family", "created_at", "created_by"]
    panels = [FieldPanel("user", read_only=True), FieldPanel("family", read_only=True)]


class AccountProfileViewSet(ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """Family accounts: list and detail, and "Resend the activation e-mail" (``change``)."""

    model = AccountProfile
    name = "family_portal_accounts"
    url_prefix = "family-portal/accounts"
    icon = "user"
    menu_label = _("Family accounts")
    actions = ("view", "change")
    index_view_class = accounts.AccountIndexView
    inspect_view_class = accounts.AccountInspectView
    permission_policy_class = AccountPermissionPolicy
    select_related = ["user", "municipality"]
    list_display = [
        "user",  # replaced by the e-mail address, see AccountIndexView
        Column(
            "name",
            label=pgettext_lazy("family portal", "name"),
            accessor=lambda profile: profile.user.get_full_name(),
            sort_key="user__last_name",
        ),
        Column("phone", label=_("phone")),
        Column(
            "created_at",
            label=_("signed up on"),
            accessor=lambda profile: timezone.localtime(profile.created_at).date(),
            sort_key="created_at",
        ),
        Column(
            "status", label=pgettext_lazy("family portal", "status"), accessor=accounts.status_label
        ),
        Column("families", label=_("linked families"), accessor=accounts.linked_families_label),
    ]
    filterset_class = filters.AccountProfileFilterSet
    search_fields = ["user__email", "user__last_name", "user__first_name"]

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            resend_activation_url_name=self.get_url_name("resend_activation"), **kwargs
        )

    @property
    def resend_activation_view(self):
        return self.construct_view(
            accounts.ResendActivationView, success_url_name=self.get_url_name("inspect")
        )

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path(
                "resend-activation/<int:pk>/",
                self.resend_activation_view,
                name="resend_activation",
            ),
        ]


class SubscriptionAttemptViewSet(ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """Every subscriber code tried on the agent's portals, for support and to spot abuse."""

    model = SubscriptionAttempt
    name = "family_portal_attempts"
    url_prefix = "family-portal/subscriber-code-attempts"
    icon = "key"
    menu_label = _("Subscriber code attempts")
    inspect_view_enabled = False
    index_view_class = accounts.SubscriptionAttemptIndexView
    permission_policy_class = ListOnlyPermissionPolicy
    select_related = ["user", "family"]
    list_display = [
        Column("created_at", label=pgettext_lazy("family portal", "date"), sort_key="created_at"),
        Column("account", label=_("account or e-mail"), accessor=accounts.attempt_account),
        Column("ip_address", label=pgettext_lazy("family portal", "IP address")),
        Column("code", label=_("code entered"), accessor=accounts.attempt_code),
        Column("outcome", label=_("outcome"), accessor="get_outcome_display"),
        Column("family", label=_("family"), accessor=accounts.attempt_family),
        Column("channel", label=_("channel"), accessor="get_channel_display"),
    ]
    filterset_class = filters.SubscriptionAttemptFilterSet


def _delivery_address(delivery) -> str:
    user = delivery.user
    return email_address(user) or user.get_username()


class DigestDeliveryViewSet(ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """The decision digests sent to the agent's families, with the failures and their error:
    the place to look when a family says it got no e-mail (decisions.md §24)."""

    model = DigestDelivery
    name = "family_portal_digests"
    url_prefix = "family-portal/decision-emails"
    icon = "mail"
    menu_label = _("Decision e-mails")
    inspect_view_enabled = False
    permission_policy_class = ListOnlyPermissionPolicy
    select_related = ["user", "family"]
    list_display = [
        Column("slot", label=_("digest of"), sort_key="slot"),
        Column("family", label=_("family")),
        Column("address", label=_("e-mail address"), accessor=_delivery_address),
        Column("state", label=_("state"), accessor="get_state_display"),
        Column("attempts", label=_("failed attempts")),
        Column("last_error", label=_("last error")),
        Column("sent_at", label=_("sent at"), sort_key="sent_at"),
    ]
    filterset_class = filters.DigestDeliveryFilterSet
    ordering = ["-slot", "-pk"]


class PendingCountMenuItem(MenuItem):
    """The menu entry says how many items wait for the agent: "Changes to validate (3)".

    Subclasses set ``pending_count``, a function of the user.
    """

    pending_count = staticmethod(requests.pending_count)

    def render_component(self, request):
        component = super().render_component(request)
        count = self.pending_count(request.user)
        if count:
            component.label = f"{self.label} ({count})"
        return component


class DecisionViewSetMixin:
    """Accept and refuse views (POST) for rows that agents decide: requests, booking days."""

    decide_view_class = None

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            accept_url_name=self.get_url_name("accept"),
            refuse_url_name=self.get_url_name("refuse"),
            **kwargs,
        )

    def decide_view(self, decision):
        return self.construct_view(self.decide_view_class, decision=decision)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("accept/<int:pk>/", self.decide_view("accept"), name="accept"),
            path("refuse/<int:pk>/", self.decide_view("refuse"), name="refuse"),
        ]


class RequestAdminURLFinder(ModelAdminURLFinder):
    """Where Wagtail's generic links to a request lead (usage lists, reports, logs): a change to
    the family file to its detail, a booking or absence request to its days in the bookings'
    screens. ``None`` for a user who may not open that screen, or a request out of their scope.
    """

    def construct_edit_url(self, instance):
        if instance.kind == Request.Kind.FILE_CHANGE:
            url_name = requests.REQUEST_URL_NAME
        else:
            url_name = bookings.REQUEST_URL_NAME
        return reverse(url_name, args=[quote(instance.pk)])

    def get_edit_url(self, instance):
        if self.user is not None:
            screen = Request if instance.kind == Request.Kind.FILE_CHANGE else BookingLine
            if not policy_for(screen).user_has_any_permission(self.user, ["view", "change"]):
                return None
            if not for_agent(Request.objects.filter(pk=instance.pk), self.user).exists():
                return None
        return self.construct_edit_url(instance)


class RequestViewSet(DecisionViewSetMixin, ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """Changes to the family file asked by families, for agents to accept or refuse."""

    model = Request
    name = "family_portal_file_changes"
    url_prefix = "family-portal/file-changes"
    icon = "tasks"
    menu_label = _("Changes to validate")
    actions = ("view", "change")
    index_view_class = requests.RequestIndexView
    inspect_view_class = requests.RequestDetailView
    permission_policy_class = RequestPermissionPolicy
    filterset_class = filters.RequestFilterSet
    search_fields = ["summary", "family__name"]

    decide_view_class = requests.DecideRequestView

    def register_admin_url_finder(self):
        # Requests of every kind: a booking or absence request opens the bookings' screen.
        register_admin_url_finder(Request, RequestAdminURLFinder)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(photo_url_name=self.get_url_name("photo"), **kwargs)

    @property
    def photo_view(self):
        return self.construct_view(requests.PendingPhotoView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("photo/<int:pk>/<int:line_pk>/", self.photo_view, name="photo"),
        ]

    @cached_property
    def menu_item_class(self):
        return type("RequestMenuItem", (PendingCountMenuItem, super().menu_item_class), {})


class BookingLineViewSet(DecisionViewSetMixin, ReadOnlyViewSetMixin, MunicipalityScopedViewSet):
    """Days of booking and absence requests, for agents to accept or refuse; and the form where
    an agent books or cancels days for a family."""

    model = BookingLine
    name = "family_portal_bookings"
    url_prefix = "family-portal/bookings"
    icon = "calendar-check"
    menu_label = _("Bookings to process")
    actions = ("view", "change")
    index_view_class = bookings.BookingLineIndexView
    inspect_view_class = bookings.BookingLineDetailView
    permission_policy_class = BookingLinePermissionPolicy
    filterset_class = filters.BookingLineFilterSet
    search_fields = ["child__first_name", "child__last_name", "request__family__name"]

    decide_view_class = bookings.DecideLineView

    @property
    def book_view(self):
        return self.construct_view(bookings.AgentBookingView)

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("book/", self.book_view, name="book"),
            path("book/<int:family_id>/", self.book_view, name="book_family"),
            path(
                "request/<int:pk>/",
                self.construct_view(bookings.BookingRequestView),
                name="request",
            ),
        ]

    @cached_property
    def menu_item_class(self):
        return type(
            "BookingLineMenuItem",
            (PendingCountMenuItem, super().menu_item_class),
            {"pending_count": staticmethod(bookings.pending_count)},
        )


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
        sheet = self.construct_view(attendance.AttendanceSheetView, index_url_name=index_url_name)
        return [
            path("", self.construct_view(attendance.AttendanceIndexView), name="index"),
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
        content_type = ContentType.objects.get_for_model(self.model)
        codenames = [get_permission_codename(action, self.model._meta) for action in self.actions]
        return Permission.objects.filter(content_type=content_type, codename__in=codenames)


class EmailTemplateViewSet(SnippetViewSet):
    """E-mail texts, for editors (Settings → E-mail texts); not given to the agents' group."""

    model = EmailTemplate
    icon = "mail"
    menu_label = _("E-mail texts")
    menu_name = "family_portal_email_texts"
    add_to_settings_menu = True
    list_display = [
        "site",
        Column("kind", label=_("e-mail"), accessor="get_kind_display", sort_key="kind"),
        "subject",
    ]
    filterset_class = filters.EmailTemplateFilterSet
    index_view_class = emails.EmailTemplateIndexView
    edit_view_class = emails.EmailTemplateEditView
    delete_view_class = emails.EmailTemplateDeleteView
    history_view_class = emails.EmailTemplateHistoryView
    usage_view_class = emails.EmailTemplateUsageView
    copy_view_enabled = False  # a copy would clash with its original (one text per e-mail)

    @cached_property
    def permission_policy(self):
        """The policy registered for e-mail texts, on Wagtail 7.4 too."""
        return policy_for(self.model)

    def get_edit_handler(self):
        """The model's panels, with the placeholders of the chosen e-mail and the preview."""
        return emails.email_template_edit_handler(self.url_namespace).bind_to_model(self.model)

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            preview_url_name=self.get_url_name(emails.PREVIEW), **kwargs
        )

    def email_view(self, view_class):
        return self.construct_view(
            view_class,
            permission_policy=self.permission_policy,
            form_class=self.get_form_class(),
            url_namespace=self.url_namespace,
        )

    def get_urlpatterns(self):
        """Wagtail's snippet views, and the preview and test e-mail of a text, saved
        (``<pk>/``) or not yet (the creation form posts to the URLs without it)."""
        preview = self.email_view(emails.EmailPreviewView)
        send_test = self.email_view(emails.SendTestEmailView)
        conv = self.pk_path_converter
        return [
            *super().get_urlpatterns(),
            path("email-preview/", preview, name=emails.PREVIEW_NEW),
            path(f"email-preview/<{conv}:pk>/", preview, name=emails.PREVIEW),
            path("email-test/", send_test, name=emails.SEND_TEST_NEW),
            path(f"email-test/<{conv}:pk>/", send_test, name=emails.SEND_TEST),
        ]


class FamilyPortalViewSetGroup(ViewSetGroup):
    menu_label = _("Family portal")
    menu_icon = "group"
    menu_order = 150
    items = (
        RequestViewSet,
        BookingLineViewSet,
        AttendanceViewSet,
        FamilyViewSet,
        ChildViewSet,
        EnrolmentViewSet,
        ActivityViewSet,
        EstablishmentViewSet,
        ClosureViewSet,
        SubscriptionViewSet,
        AccountProfileViewSet,
        SubscriptionAttemptViewSet,
        DigestDeliveryViewSet,
        ChildHealthViewSet,
        MunicipalityViewSet,
    )


def permission_policies():
    """``(model, policy)`` for every screen, to register before Wagtail needs them."""
    for viewset_class in FamilyPortalViewSetGroup.items:
        yield viewset_class.model, viewset_class.permission_policy_class(viewset_class.model)
    # E-mail texts: the editor's sites only, as the agents' rows (EmailTemplate.objects).
    yield EmailTemplate, MunicipalityScopedPermissionPolicy(EmailTemplate)
