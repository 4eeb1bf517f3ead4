"""URLs a host project includes, before Wagtail's own: ``path("", include(...urls))``."""

from django.urls import include, path, re_path

from .views.calendar import calendar_feed_file

urlpatterns = [
    path("api/family-portal/v1/", include("wagtail_family_portal.api.urls")),
    # The calendar feed under the portal page, ending in ".ics" as some calendar programs want:
    # Wagtail's page URLs take no ".", so this one is Django's; the page's own route
    # (…/calendrier/<token>/) answers too.
    re_path(
        r"^(?P<page_path>(?:[\w\-]+/)*)calendrier/(?P<token>[\w\-]+)\.ics$",
        calendar_feed_file,
        name="wagtail_family_portal_calendar_feed",
    ),
]
