"""The headers the portal puts on its own answers, whatever the host site does elsewhere.

- **Content-Security-Policy** on every page of the portal page (``FamilyPortalPage.serve``):
  scripts and styles from the site's own origin only, plus a per-request *nonce* for the few
  ``<style>`` elements that carry colours editors choose in the CMS. No ``'unsafe-inline'``: the
  templates have no inline script, event handler or ``style`` attribute. The host needs no
  middleware: with django-csp's ``CSPMiddleware`` installed, its nonce and header machinery are
  used (the portal's policy replaces the site-wide one on the portal's pages); without it, the
  portal makes its own nonce and header with django-csp's policy builder.
  ``WAGTAIL_FAMILY_PORTAL_CSP`` changes directives (``{"img-src": ["'self'", "https://cdn…"]}``;
  a directive set to ``None`` is dropped), or is ``None`` for no policy from the portal.
- **Cache-Control: private, no-store** (Django's ``never_cache`` headers) on every page of the
  portal and every answer of its API: they carry personal data, or a form with a CSRF token, and
  the same address shows a visitor's page or a family's dashboard.

See docs/decisions.md §28.
"""

import base64
import os
from urllib.parse import urlsplit

from csp.constants import HEADER, NONCE, NONE, SELF
from csp.decorators import csp as csp_policy
from csp.utils import build_policy
from django.conf import settings
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject

from . import conf

# Directives whose sources include the site's static files (a CDN in STATIC_URL, say).
STATIC_DIRECTIVES = ("script-src", "style-src", "img-src", "font-src")

DEFAULT_POLICY = {
    "default-src": [SELF],
    # The nonce lets in the <style nonce> elements of the portal (colours chosen in the CMS) and
    # whatever a host's base template marks with ``nonce="{{ request.csp_nonce }}"``; nothing
    # else inline. It appears in the header only on a page that used it.
    "script-src": [SELF, NONCE],
    "style-src": [SELF, NONCE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    # Wagtail's preview shows the page in a frame of the admin, on the same origin.
    "frame-ancestors": [SELF],
    "form-action": [SELF],
}


def portal_policy() -> dict | None:
    """The directives of the portal's pages, or None when the host switched the policy off."""
    custom = conf.csp_overrides()
    if custom is None:
        return None
    policy = {key: list(value) for key, value in DEFAULT_POLICY.items()}
    assets = ((settings.STATIC_URL, STATIC_DIRECTIVES), (settings.MEDIA_URL, ["img-src"]))
    for url, directives in assets:
        origin = _origin(url)
        if origin:
            for directive in directives:
                policy[directive].append(origin)
    policy.update(custom)
    return {key: value for key, value in policy.items() if value is not None}


def _origin(url) -> str:
    """``https://cdn.example.org`` for an absolute URL, "" for a path on the site itself."""
    parts = urlsplit(str(url or ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def provide_nonce(request) -> None:
    """Give ``request.csp_nonce`` (what templates write in ``nonce="…"``) when django-csp's
    middleware has not: made only if a template uses it, then put in the policy."""
    if hasattr(request, "csp_nonce"):
        request._wfp_csp_middleware = True
        return
    request._wfp_csp_middleware = False

    def make_nonce() -> str:
        request._wfp_csp_nonce = base64.b64encode(os.urandom(16)).decode("ascii")
        return request._wfp_csp_nonce

    request.csp_nonce = SimpleLazyObject(make_nonce)


def protect_page(request, response):
    """The portal page's answer with its policy and its never-cache headers."""
    add_never_cache_headers(response)
    policy = portal_policy()
    if policy is None or HEADER in response:
        return response
    if getattr(request, "_wfp_csp_middleware", False):
        # django-csp's middleware writes the header with its nonce once the page is rendered.
        return csp_policy(policy)(lambda: response)()

    def set_header(rendered):
        nonce = getattr(request, "_wfp_csp_nonce", None)
        rendered[HEADER] = build_policy(config=policy, nonce=nonce)

    if hasattr(response, "add_post_render_callback") and not response.is_rendered:
        response.add_post_render_callback(set_header)
    else:
        set_header(response)
    return response


def never_cache(response):
    """``Cache-Control: private, no-store`` (and Django's companions) on ``response``."""
    add_never_cache_headers(response)
    return response
