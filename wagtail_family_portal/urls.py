"""URLs a host project includes: ``path("api/family-portal/v1/", include(...api_urls))``."""

from django.urls import include, path

urlpatterns = [
    path("api/family-portal/v1/", include("wagtail_family_portal.api.urls")),
]
