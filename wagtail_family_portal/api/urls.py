"""JSON API under /api/family-portal/v1/ (see docs/api.md)."""

app_name = "wagtail_family_portal_api"

urlpatterns: list = []
