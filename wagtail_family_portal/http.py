"""What the portal reads off an HTTP request: the client's address, the site's portal and town.

Pages and API views use these helpers, so that both see the same IP address (the one
django-axes counts, which follows its proxy settings) and the same municipality.
"""

from wagtail.models import Site


def client_ip(request) -> str | None:
    """The client's IP address as django-axes sees it (``AXES_IPWARE_*`` settings for proxies)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or None


def request_site(request):
    return Site.find_for_request(request)


def municipality_for_request(request):
    """The municipality whose site serves ``request``, or None on a site tied to none."""
    from .models import Municipality

    site = request_site(request)
    return Municipality.objects.filter(site=site).first() if site else None


def portal_page_for_request(request):
    """The portal page of the request's site (or, failing that, the first live one)."""
    from .models import FamilyPortalPage

    page = FamilyPortalPage.for_site(request_site(request))
    return page or FamilyPortalPage.objects.live().order_by("path").first()


def absolute_portal_url(request, page) -> str:
    """The portal page's address as the person reached it: links in e-mails use it."""
    return request.build_absolute_uri(page.get_url(request))
