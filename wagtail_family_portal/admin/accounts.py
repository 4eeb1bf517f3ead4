"""Family accounts in the admin: the list, the detail, resending the activation e-mail, and the
log of subscriber codes tried.

An account belongs to no municipality by itself (a grandparent may hold families of two towns):
an agent sees the accounts signed up on their portal or linked to one of their families
(``AccountProfile.objects.for_agent``). The families of other municipalities linked to such an
account are counted, never named; the same goes for the family a code of another municipality
designates in the attempts log.

Every account has a profile, however it was created (``signals.py``, migration 0019): those
created outside the portal's sign-up (``createsuperuser``, the user form, a host's own sign-up)
are listed too, as activated; superusers see them all, agents those linked to their families.
"""

from django.contrib.admin.utils import quote
from django.db.models import Count, Exists, OuterRef, Prefetch
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin import messages
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views.generic.base import BaseOperationView
from wagtail.admin.widgets.button import Button
from wagtail.models import Site

from ..models import (
    AccountProfile,
    Family,
    FamilyPortalPage,
    Municipality,
    Subscription,
    SubscriptionAttempt,
)
from ..services import accounts as account_services
from . import filters
from .base import (
    MunicipalityScopedViewSet,
    ReadOnlyViewSetMixin,
    ScopedIndexView,
    ScopedInspectView,
)
from .policies import PermissionCheckedMixin
from .scoping import (
    AccountPermissionPolicy,
    ListAndDeletePermissionPolicy,
    ListOnlyPermissionPolicy,
    for_agent,
)

EMPTY = "—"
HIDDEN_CODE = "••••••"


def short_date(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT") if value else ""


def status_label(profile: AccountProfile) -> str:
    """ "Active", "Awaiting activation since …" or "Deactivated" (an agent disabled it)."""
    if profile.user.is_active:
        return pgettext("family portal", "Active")
    if profile.activated_at is None:
        return gettext("Awaiting activation since %(date)s") % {
            "date": short_date(profile.created_at)
        }
    return gettext("Deactivated")


def other_families_label(count: int) -> str:
    return ngettext(
        "%(count)d family of another municipality",
        "%(count)d families of other municipalities",
        count,
    ) % {"count": count}


def linked_families_label(profile: AccountProfile) -> str:
    """The names of the agent's families linked to the account, and a count of the others.

    Reads what ``AccountIndexView`` prefetched and annotated, so the list stays set-based.
    """
    visible = profile.user.visible_subscriptions
    names = [subscription.family.name for subscription in visible]
    hidden = profile.subscription_count - len(visible)
    if hidden > 0:
        names.append(other_families_label(hidden))
    return ", ".join(names)


def activation_site(profile: AccountProfile):
    """The site of the portal the account signed up on, or the default site."""
    municipality = profile.municipality
    if municipality is not None and municipality.site_id is not None:
        return municipality.site
    return Site.objects.filter(is_default_site=True).first()


class ResendActivationButtonMixin:
    resend_activation_url_name = None

    def get_resend_activation_url(self, profile: AccountProfile) -> str | None:
        if (
            self.resend_activation_url_name
            and profile.awaiting_activation
            and self.user_has_permission("change")
        ):
            return reverse(self.resend_activation_url_name, args=[quote(profile.pk)])
        return None


class AccountIndexView(ResendActivationButtonMixin, ScopedIndexView):
    """The accounts list: e-mail (linking to the detail), name, phone, sign-up, status, families."""

    def get_base_queryset(self):
        visible = (
            for_agent(Subscription.objects.all(), self.request.user)
            .select_related("family")
            .order_by("family__name")
        )
        return (
            super()
            .get_base_queryset()
            .annotate(subscription_count=Count("user__family_subscriptions", distinct=True))
            .prefetch_related(
                Prefetch(
                    "user__family_subscriptions", queryset=visible, to_attr="visible_subscriptions"
                )
            )
        )

    def _get_title_column(self, field_name, column_class=TitleColumn, **kwargs):
        # The account's e-mail address is its name here, and leads to the detail (there is no
        # edit view).
        column_class = self._get_title_column_class(column_class)
        return column_class(
            "email",
            label=_("e-mail"),
            accessor="user.email",
            sort_key="user__email",
            get_url=self.get_inspect_url,
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if url := self.get_resend_activation_url(instance):
            # A POST (the view refuses GET), made by Wagtail's w-action controller.
            buttons.append(
                Button(
                    _("Resend the activation e-mail"),
                    icon_name="mail",
                    priority=40,
                    attrs={
                        "data-controller": "w-action",
                        "data-action": "w-action#post",
                        "data-w-action-url-value": url,
                    },
                )
            )
        return buttons


class AccountInspectView(ResendActivationButtonMixin, ScopedInspectView):
    """One account: its details, its activation, and the families it is linked to."""

    template_name = "wagtail_family_portal/admin/account_inspect.html"

    def get_object(self, queryset=None):
        profile = super().get_object(queryset)
        self.municipality_ids = set(
            Municipality.objects.for_agent(self.request.user).values_list("pk", flat=True)
        )
        return profile

    def get_fields_context(self):
        profile, user = self.object, self.object.user
        name = " ".join(filter(None, [profile.get_civility_display(), user.get_full_name()]))
        rows = [
            (_("e-mail"), user.email),
            (pgettext_lazy("family portal", "name"), name),
            (_("phone"), str(profile.phone)),
            (pgettext_lazy("family portal", "status"), status_label(profile)),
            (_("signed up on the portal of"), self.municipality_label(profile.municipality)),
            (_("signed up at"), profile.created_at),
            (_("terms accepted at"), profile.terms_accepted_at),
            (_("activation e-mail sent at"), profile.activation_sent_at),
            (_("activated at"), profile.activated_at),
            (pgettext_lazy("family portal", "last login"), user.last_login),
        ]
        if profile.pending_family_id:
            family = profile.pending_family
            rows.append(
                (
                    _("family to link on activation"),
                    family.name
                    if family.municipality_id in self.municipality_ids
                    else other_families_label(1),
                )
            )
        return [
            {"label": label, "value": EMPTY if value in (None, "") else value, "component": None}
            for label, value in rows
        ]

    def municipality_label(self, municipality):
        if municipality is None:
            return None
        if municipality.pk in self.municipality_ids:
            return municipality.name
        return gettext("another municipality")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscriptions = Subscription.objects.filter(user=self.object.user)
        visible = list(
            for_agent(subscriptions, self.request.user)
            .select_related("family__municipality", "created_by")
            .order_by("created_at")
        )
        hidden = subscriptions.count() - len(visible)
        context.update(
            subscriptions=visible,
            other_families=other_families_label(hidden) if hidden > 0 else "",
            resend_activation_url=self.get_resend_activation_url(self.object),
        )
        return context


class ResendActivationView(PermissionCheckedMixin, BaseOperationView):
    """POST only: send the activation e-mail again, from the portal the account signed up on."""

    model = AccountProfile
    permission_required = "change"
    success_url_name = None

    def get_base_object_queryset(self):
        queryset = AccountProfile.objects.select_related("user", "municipality__site")
        return for_agent(queryset, self.request.user)

    def post(self, request, *args, **kwargs):
        profile = self.object
        site = activation_site(profile)
        page = FamilyPortalPage.for_site(site)
        if page is None:
            messages.error(
                request,
                _(
                    "The activation e-mail was not sent: no family portal page is published on "
                    "the site of this account's portal."
                ),
            )
            return redirect(self.get_success_url())
        try:
            account_services.send_activation_by_agent(
                profile, site=site, portal_url=page.get_full_url()
            )
        except account_services.AccountError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("A new activation e-mail is being sent to %(email)s.")
                % {"email": profile.user.email},
            )
        return redirect(self.get_success_url())


# Subscriber code attempts


class SubscriptionAttemptIndexView(ScopedIndexView):
    """The attempts log. A code typed on the agent's portal may designate another town's family:
    that family is not named and its code is masked."""

    def get_base_queryset(self):
        families = for_agent(Family.objects.filter(pk=OuterRef("family_id")), self.request.user)
        return super().get_base_queryset().annotate(family_in_scope=Exists(families))


def attempt_account(attempt) -> str:
    if attempt.user is not None:
        return attempt.user.email or attempt.user.get_username()
    return attempt.email


def attempt_family(attempt):
    return attempt.family if attempt.family_in_scope else None


def attempt_code(attempt) -> str:
    if attempt.family_id is None or attempt.family_in_scope:
        return attempt.code
    return HIDDEN_CODE


# The screens


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
    index_view_class = AccountIndexView
    inspect_view_class = AccountInspectView
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
        Column("status", label=pgettext_lazy("family portal", "status"), accessor=status_label),
        Column("families", label=_("linked families"), accessor=linked_families_label),
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
            ResendActivationView, success_url_name=self.get_url_name("inspect")
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
    index_view_class = SubscriptionAttemptIndexView
    permission_policy_class = ListOnlyPermissionPolicy
    select_related = ["user", "family"]
    list_display = [
        Column("created_at", label=pgettext_lazy("family portal", "date"), sort_key="created_at"),
        Column("account", label=_("account or e-mail"), accessor=attempt_account),
        Column("ip_address", label=pgettext_lazy("family portal", "IP address")),
        Column("code", label=_("code entered"), accessor=attempt_code),
        Column("outcome", label=_("outcome"), accessor="get_outcome_display"),
        Column("family", label=_("family"), accessor=attempt_family),
        Column("channel", label=_("channel"), accessor="get_channel_display"),
    ]
    filterset_class = filters.SubscriptionAttemptFilterSet
