"""The family files in the admin: the families, their children, and the children's health
information (a screen of its own, with its own permission).

The family form shows, read-only, the accounts linked to the family (who linked each and when,
with a link to unlink it), and leads to the page that gives the family a new subscriber code.
"""

from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, Panel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button

from ..models import AccountProfile, Child, ChildHealth, Family, Subscription
from ..services import subscriptions as subscription_services
from . import filters
from .audit import HealthEditView, HealthIndexView, HealthInspectView
from .base import MunicipalityScopedViewSet, PrivatePhotoInput, ScopedEditView, ScopedPhotoView
from .policies import PermissionCheckedMixin, policy_for
from .scoping import for_agent

REGENERATE_CODE_URL_NAME = "family_portal_families:regenerate_code"
UNLINK_URL_NAME = "family_portal_subscriptions:delete"
ACCOUNT_URL_NAME = "family_portal_accounts:inspect"


def regenerate_code_url(family: Family) -> str:
    return reverse(REGENERATE_CODE_URL_NAME, args=[quote(family.pk)])


class LinkedAccountsPanel(Panel):
    """Read-only list of the accounts linked to the family, for the family's edit form."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "wagtail_family_portal/admin/linked_accounts_panel.html"

        def is_shown(self):
            return bool(self.instance and self.instance.pk and self.request)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            user = self.request.user
            subscriptions = (
                for_agent(Subscription.objects.filter(family=self.instance), user)
                .select_related("user__family_portal_profile", "created_by")
                .order_by("created_at")
            )
            may_unlink = policy_for(Subscription).user_has_permission(user, "delete")
            may_view_accounts = policy_for(AccountProfile).user_has_permission(user, "view")
            back = urlencode({"next": self.request.get_full_path()})
            context["rows"] = [
                {
                    "subscription": subscription,
                    "account_url": self._account_url(subscription, may_view_accounts),
                    "unlink_url": (
                        f"{reverse(UNLINK_URL_NAME, args=[quote(subscription.pk)])}?{back}"
                        if may_unlink
                        else None
                    ),
                }
                for subscription in subscriptions
            ]
            context["regenerate_code_url"] = regenerate_code_url(self.instance)
            return context

        @staticmethod
        def _account_url(subscription, may_view_accounts):
            profile = getattr(subscription.user, "family_portal_profile", None)
            if profile is None or not may_view_accounts:
                return None
            return reverse(ACCOUNT_URL_NAME, args=[quote(profile.pk)])


class FamilyEditView(ScopedEditView):
    """The family form, with "Regenerate the subscriber code" among its header actions."""

    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            Button(
                _("Regenerate the subscriber code"),
                url=regenerate_code_url(self.object),
                icon_name="key",
                priority=25,
            ),
        ]


class RegenerateSubscriberCodeView(
    PermissionCheckedMixin, BaseObjectMixin, WagtailAdminTemplateMixin, TemplateView
):
    """GET: what regenerating does; POST: give the family a new code and show it."""

    model = Family
    permission_required = "change"
    template_name = "wagtail_family_portal/admin/regenerate_subscriber_code.html"
    page_title = _("Regenerate the subscriber code")
    header_icon = "key"
    index_url_name = None
    edit_url_name = None

    def get_base_object_queryset(self):
        return for_agent(Family.objects.all(), self.request.user)

    def get_page_subtitle(self):
        return str(self.object)

    def get_edit_url(self):
        return reverse(self.edit_url_name, args=[quote(self.object.pk)])

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": reverse(self.index_url_name),
                "label": capfirst(Family._meta.verbose_name_plural),
            },
            {"url": self.get_edit_url(), "label": str(self.object)},
            {"url": "", "label": self.get_page_title(), "sublabel": str(self.object)},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            family=self.object,
            edit_url=self.get_edit_url(),
            linked_accounts=for_agent(
                Subscription.objects.filter(family=self.object), self.request.user
            ).count(),
        )
        return context

    def post(self, request, *args, **kwargs):
        code = subscription_services.regenerate_subscriber_code(self.object, by=request.user)
        messages.success(
            request,
            _(
                "New subscriber code of the %(family)s family: %(code)s. The old code no longer "
                "works; the accounts already linked stay linked."
            )
            % {"family": self.object.name, "code": code},
        )
        return redirect(self.get_edit_url())


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
                # Billing: a grid may charge families living outside the town more.
                FieldPanel("lives_outside"),
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
    index_view_class = HealthIndexView
    inspect_view_class = HealthInspectView
    edit_view_class = HealthEditView
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
