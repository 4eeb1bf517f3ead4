"""Wiring of the package into the Wagtail admin (the screens themselves live in ``admin/``)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.snippets.models import register_snippet

from .admin import billing_payments
from .admin.bookings import AcceptLinesBulkAction, RefuseLinesBulkAction
from .admin.emails import EmailTemplateDeleteBulkAction
from .admin.policies import register_policy
from .admin.requests import AcceptRequestsBulkAction, RefuseRequestsBulkAction
from .admin.viewsets import EmailTemplateViewSet, FamilyPortalViewSetGroup, permission_policies

# Registered first: Wagtail 8 refuses a policy once it has fallen back to its default one.
for model, policy in permission_policies():
    register_policy(model, policy)
for model, policy in billing_payments.permission_policies():
    register_policy(model, policy)


@hooks.register("register_admin_viewset")
def register_family_portal_viewsets():
    return FamilyPortalViewSetGroup()


# Payments and direct debit: until the "Billing" menu group of admin/billing.py gathers them.
class PaymentsViewSetGroup(ViewSetGroup):
    menu_label = _("Billing")
    menu_icon = "doc-full"
    menu_order = 160
    items = billing_payments.PAYMENT_VIEWSETS


@hooks.register("register_admin_viewset")
def register_payment_viewsets():
    return PaymentsViewSetGroup()


register_snippet(EmailTemplateViewSet)

hooks.register("register_bulk_action", AcceptRequestsBulkAction)
hooks.register("register_bulk_action", RefuseRequestsBulkAction)
hooks.register("register_bulk_action", AcceptLinesBulkAction)
hooks.register("register_bulk_action", RefuseLinesBulkAction)
# After Wagtail's own snippet deletion (order 0), which it replaces for e-mail texts.
hooks.register("register_bulk_action", EmailTemplateDeleteBulkAction, order=1)


@hooks.register("register_log_actions")
def register_family_portal_log_actions(actions):
    from django.utils.translation import gettext_lazy as _
    from django.utils.translation import ngettext
    from wagtail.log_actions import LogFormatter

    @actions.register_action("wagtail_family_portal.subscription_linked")
    class SubscriptionLinked(LogFormatter):
        label = _("Link an account")

        def format_message(self, log_entry):
            return _("Account %(account)s linked with the subscriber code") % {
                "account": log_entry.data.get("account", "")
            }

    actions.register_action(
        "wagtail_family_portal.subscriber_code_regenerated",
        _("Regenerate the subscriber code"),
        _("New subscriber code generated; the old one no longer works"),
    )
    actions.register_action(
        "wagtail_family_portal.file_change_accepted",
        _("Accept a change to the family file"),
        _("Change to the family file accepted"),
    )
    actions.register_action(
        "wagtail_family_portal.file_change_refused",
        _("Refuse a change to the family file"),
        _("Change to the family file refused"),
    )

    @actions.register_action("wagtail_family_portal.presence_marked")
    class PresenceMarked(LogFormatter):
        label = _("Mark presence")

        def format_message(self, log_entry):
            count = len(log_entry.data.get("presences", {}))
            return ngettext(
                "Presence of %(count)d child marked for %(date)s",
                "Presence of %(count)d children marked for %(date)s",
                count,
            ) % {"count": count, "date": log_entry.data.get("date", "")}

    @actions.register_action("wagtail_family_portal.mandate_signed")
    class MandateSigned(LogFormatter):
        label = _("Sign a direct debit mandate")

        def format_message(self, log_entry):
            return _("Direct debit mandate %(reference)s signed") % {
                "reference": log_entry.data.get("reference", "")
            }

    @actions.register_action("wagtail_family_portal.mandate_revoked")
    class MandateRevoked(LogFormatter):
        label = _("Revoke a direct debit mandate")

        def format_message(self, log_entry):
            return _("Direct debit mandate %(reference)s revoked") % {
                "reference": log_entry.data.get("reference", "")
            }

    @actions.register_action("wagtail_family_portal.absence_justified")
    class AbsenceJustified(LogFormatter):
        label = _("Justify an absence")

        def format_message(self, log_entry):
            count = len(log_entry.data.get("justified", {}))
            return ngettext(
                "Justification of the absence of %(count)d child changed for %(date)s",
                "Justification of the absence of %(count)d children changed for %(date)s",
                count,
            ) % {"count": count, "date": log_entry.data.get("date", "")}

    @actions.register_action("wagtail_family_portal.unbooked_presence_marked")
    class UnbookedPresenceMarked(LogFormatter):
        label = _("Mark a presence without a booking")

        def format_message(self, log_entry):
            return _("%(child)s marked present without a booking for %(date)s") % {
                "child": log_entry.data.get("child", ""),
                "date": log_entry.data.get("date", ""),
            }

    @actions.register_action("wagtail_family_portal.unbooked_presence_removed")
    class UnbookedPresenceRemoved(LogFormatter):
        label = _("Remove a presence without a booking")

        def format_message(self, log_entry):
            return _("Presence without a booking of %(child)s removed for %(date)s") % {
                "child": log_entry.data.get("child", ""),
                "date": log_entry.data.get("date", ""),
            }

    @actions.register_action("wagtail_family_portal.health_viewed")
    class HealthViewed(LogFormatter):
        label = _("View health information")

        def format_message(self, log_entry):
            return _("Health information of %(child)s viewed") % {
                "child": log_entry.data.get("child", "")
            }
