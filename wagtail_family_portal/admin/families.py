"""The family file's account side in the admin: who is linked to it, and its subscriber code.

The family form shows, read-only, the accounts linked to the family (who linked each and when,
with a link to unlink it), and leads to the page that gives the family a new subscriber code.
"""

from django.contrib.admin.utils import quote
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.panels import Panel
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button

from ..models import AccountProfile, Family, Subscription
from ..services import subscriptions as subscription_services
from .policies import PermissionCheckedMixin, policy_for
from .scoping import for_agent
from .views import ScopedEditView

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
                    "linked_by_account": subscription.created_by_id == subscription.user_id,
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
