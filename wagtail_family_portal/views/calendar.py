"""The family's private calendar (.ics): its address, created or renewed, and the feed itself.

The feed has no log-in: its secret token is the only key, and renewing the address revokes the
old one. It answers at ``<portal page>/calendrier/<token>/`` (a route of the page) and at
``…/calendrier/<token>.ics`` (``wagtail_family_portal.urls``), which calendar programs prefer.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_safe
from wagtail.models import Page

from .. import calendar_feed as feeds
from .. import clock
from ..headers import never_cache
from ..http import municipality_for_request
from ..models import Family
from .base import portal_view


@portal_view(family=True)
@require_http_methods(["GET", "HEAD", "POST"])
def calendar_settings(request, pages):
    """The family's private calendar address: created on demand, renewed to revoke the old one."""
    family = pages.family
    if request.method == "POST":
        renewed = bool(family.calendar_token)
        family.regenerate_calendar_token()
        if renewed:
            messages.success(
                request,
                gettext("Your calendar has a new address: the old one no longer works."),
            )
        else:
            messages.success(request, gettext("Your calendar address has been created."))
        return redirect(pages.url("calendar_settings"))
    feed_url = webcal_url = ""
    if family.calendar_token:
        feed_url = request.build_absolute_uri(
            pages.base_url + feed_file_path(pages.page, family.calendar_token)
        )
        webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    return pages.render("planning/calendar.html", {"feed_url": feed_url, "webcal_url": webcal_url})


def feed_file_path(page, token: str) -> str:
    """The feed's address below the portal page, ending in ".ics" (``calendrier/<token>.ics``):
    the page's route without its final "/", served by ``calendar_feed_file``."""
    return page.reverse_subpage("calendar_feed", args=(token,)).rstrip("/") + ".ics"


def calendar_feed_file(request, page_path: str, token: str):
    """The feed at ``<portal page>/calendrier/<token>.ics`` (``wagtail_family_portal.urls``).

    The path before ``calendrier/`` must be the address of a live portal page of the request's
    site (not one of its routes), found as Wagtail finds the page of a URL; the feed itself is
    then the page route's.
    """
    from ..models import FamilyPortalPage

    path = "/" + page_path
    page = Page.find_for_request(request, path)
    page = page.specific if page is not None else None
    if not isinstance(page, FamilyPortalPage):
        raise Http404
    url_parts = page.get_url_parts(request)
    if url_parts is None or url_parts[2] != path:
        raise Http404
    return calendar_feed(request, page, token=token)


@portal_view()
@require_safe
def calendar_feed(request, pages, token):
    """The family's booked days as an iCalendar feed; the secret token is the only key."""
    families = Family.objects.filter(calendar_token=token).exclude(calendar_token="")
    municipality = municipality_for_request(request)
    if municipality is not None:
        families = families.filter(municipality=municipality)
    family = families.select_related("municipality").first()
    if family is None:
        raise Http404
    response = HttpResponse(
        feeds.family_calendar(family, today=clock.today()),
        content_type=feeds.CONTENT_TYPE,
    )
    response["Content-Disposition"] = 'inline; filename="planning.ics"'
    # No cache may keep it (children's names and days): calendar programs fetch it again anyway.
    never_cache(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
