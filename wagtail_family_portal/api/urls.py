"""JSON API under /api/family-portal/v1/ (see docs/api.md)."""

import re

from django.urls import path, re_path, register_converter

from . import docs
from .views import accounts, auth, billing, billing_pay, family_file, planning, requests, unknown


class IdConverter:
    """An id: up to 18 digits, so that it fits any database's integer column (a longer one is
    an unknown address, a 404, rather than an overflow)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "wfp_id")

app_name = "wagtail_family_portal_api"
ASSET_NAMES = "|".join(re.escape(name) for name in docs.SWAGGER_UI_ASSETS)

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="auth-token"),
    path("auth/signup/", auth.SignUpView.as_view(), name="auth-signup"),
    path("auth/activate/", auth.ActivateView.as_view(), name="auth-activate"),
    path(
        "auth/activate/resend/",
        auth.ResendActivationView.as_view(),
        name="auth-activate-resend",
    ),
    path("me/", accounts.MeView.as_view(), name="me"),
    path("me/notifications/", accounts.NotificationsView.as_view(), name="me-notifications"),
    path("subscriptions/", accounts.SubscriptionsView.as_view(), name="subscriptions"),
    path("families/<wfp_id:family_id>/", family_file.FamilyFileView.as_view(), name="family"),
    path(
        "families/<wfp_id:family_id>/changes/",
        family_file.FamilyChangesView.as_view(),
        name="family-changes",
    ),
    path(
        "families/<wfp_id:family_id>/children/<wfp_id:child_id>/photo/",
        family_file.ChildPhotoView.as_view(),
        name="family-child-photo",
    ),
    path(
        "families/<wfp_id:family_id>/planning/",
        planning.PlanningView.as_view(),
        name="family-planning",
    ),
    path(
        "families/<wfp_id:family_id>/requests/",
        requests.FamilyRequestsView.as_view(),
        name="family-requests",
    ),
    path("requests/<wfp_id:id>/", requests.RequestDetailView.as_view(), name="request"),
    path(
        "requests/<wfp_id:id>/withdraw/",
        requests.RequestWithdrawView.as_view(),
        name="request-withdraw",
    ),
    path("invoices/pay/", billing_pay.InvoicePayView.as_view(), name="invoices-pay"),
    path(
        "families/<wfp_id:family_id>/invoices/",
        billing.FamilyInvoicesView.as_view(),
        name="family-invoices",
    ),
    path("invoices/<wfp_id:id>/", billing.InvoiceDetailView.as_view(), name="invoice"),
    path("invoices/<wfp_id:id>/pdf/", billing.InvoicePDFView.as_view(), name="invoice-pdf"),
    path(
        "families/<wfp_id:family_id>/attestations/<wfp_id:year>/pdf/",
        billing.AttestationPDFView.as_view(),
        name="family-attestation-pdf",
    ),
    # The schema and its docs are public and do not depend on the host's settings.
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    re_path(
        rf"^docs/assets/(?P<name>{ASSET_NAMES})$",
        docs.SwaggerUIAssetView.as_view(),
        name="docs-asset",
    ),
    # Last: any other address answers the API's JSON 404.
    re_path(r"^", unknown.UnknownAddressView.as_view(), name="unknown"),
]
