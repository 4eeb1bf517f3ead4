"""URLs a host project includes, before Wagtail's own: ``path("", include(...urls))``."""

from django.urls import include, path, re_path

from .views.billing import NOTIFICATION_URL_NAME, payment_notification
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
    # The online payment service's server-to-server notification, per régie: no session and no
    # CSRF token, so a Django URL rather than a route of the portal page.
    path(
        "family-portal/payment/notification/<int:office_id>/",
        payment_notification,
        name=NOTIFICATION_URL_NAME,
    ),
]
