"""JSON API under /api/family-portal/v1/ (see docs/api.md)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from . import booking_views, family_views, views
from .schema import SCHEMA_SETTINGS

app_name = "wagtail_family_portal_api"

# The schema and its docs are public and do not depend on the host's REST_FRAMEWORK settings.
public = {"authentication_classes": [], "permission_classes": [AllowAny], "throttle_classes": []}

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
    path("families/<int:family_id>/", family_views.FamilyFileView.as_view(), name="family"),
    path(
        "families/<int:family_id>/changes/",
        family_views.FamilyChangesView.as_view(),
        name="family-changes",
    ),
    path(
        "families/<int:family_id>/children/<int:child_id>/photo/",
        family_views.ChildPhotoView.as_view(),
        name="family-child-photo",
    ),
    path(
        "families/<int:family_id>/planning/",
        booking_views.PlanningView.as_view(),
        name="family-planning",
    ),
    path(
        "families/<int:family_id>/requests/",
        booking_views.FamilyRequestsView.as_view(),
        name="family-requests",
    ),
    path("requests/<int:id>/", family_views.RequestDetailView.as_view(), name="request"),
    path(
        "requests/<int:id>/withdraw/",
        family_views.RequestWithdrawView.as_view(),
        name="request-withdraw",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(custom_settings=SCHEMA_SETTINGS, **public),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="wagtail_family_portal_api:schema", title=SCHEMA_SETTINGS["TITLE"], **public
        ),
        name="docs",
    ),
]
