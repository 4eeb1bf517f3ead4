"""JSON API under /api/family-portal/v1/ (see docs/api.md)."""

import re

from django.urls import path, re_path, register_converter

from . import booking_views, docs, family_views, views


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
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/signup/", views.SignUpView.as_view(), name="auth-signup"),
    path("auth/activate/", views.ActivateView.as_view(), name="auth-activate"),
    path(
        "auth/activate/resend/",
        views.ResendActivationView.as_view(),
        name="auth-activate-resend",
    ),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/notifications/", views.NotificationsView.as_view(), name="me-notifications"),
    path("subscriptions/", views.SubscriptionsView.as_view(), name="subscriptions"),
    path("families/<wfp_id:family_id>/", family_views.FamilyFileView.as_view(), name="family"),
    path(
        "families/<wfp_id:family_id>/changes/",
        family_views.FamilyChangesView.as_view(),
        name="family-changes",
    ),
    path(
        "families/<wfp_id:family_id>/children/<wfp_id:child_id>/photo/",
        family_views.ChildPhotoView.as_view(),
        name="family-child-photo",
    ),
    path(
        "families/<wfp_id:family_id>/planning/",
        booking_views.PlanningView.as_view(),
        name="family-planning",
    ),
    path(
        "families/<wfp_id:family_id>/requests/",
        booking_views.FamilyRequestsView.as_view(),
        name="family-requests",
    ),
    path("requests/<wfp_id:id>/", family_views.RequestDetailView.as_view(), name="request"),
    path(
        "requests/<wfp_id:id>/withdraw/",
        family_views.RequestWithdrawView.as_view(),
        name="request-withdraw",
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
    re_path(r"^", views.UnknownAddressView.as_view(), name="unknown"),
]
