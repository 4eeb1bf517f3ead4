"""The schema and its browsable documentation (Swagger UI), served by the package itself.

Swagger UI's JavaScript, CSS and icon come from ``drf-spectacular-sidecar``, a dependency of the
package, and are served by :func:`swagger_ui_asset` under ``docs/assets/``: the page works
offline and calls no CDN, and the host needs neither ``drf_spectacular_sidecar`` in its
``INSTALLED_APPS`` nor ``collectstatic`` for it. The page's own script is a separate file
(``docs/?script``), so that a Content-Security-Policy without ``unsafe-inline`` allows it.
"""

import mimetypes
from pathlib import Path

import drf_spectacular_sidecar
from django.http import FileResponse
from django.urls import reverse
from django.utils.http import http_date
from django.views import View
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from .base import API_SETTINGS, ContentNegotiation, JSONRenderer, Metadata
from .exceptions import exception_handler
from .openapi import extend_schema
from .schema import SCHEMA_SETTINGS

SWAGGER_UI_DIST = (
    Path(drf_spectacular_sidecar.__file__).resolve().parent
    / "static"
    / "drf_spectacular_sidecar"
    / "swagger-ui-dist"
)
# What the page loads; nothing else of the directory is served (the URL matches these only).
SWAGGER_UI_ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "favicon-32x32.png",
)
ASSET_MAX_AGE = 24 * 3600


class PublicDocumentMixin:
    """Public, unthrottled, and with the API's own DRF policies (see ``api/base.py``)."""

    settings = API_SETTINGS
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
    content_negotiation_class = ContentNegotiation
    metadata_class = Metadata
    versioning_class = None

    def get_exception_handler(self):
        return exception_handler

    def get_renderers(self):
        # The document itself (a schema, a page); what OPTIONS and errors answer is JSON.
        if self.request.method in ("GET", "HEAD"):
            return super().get_renderers()
        return [JSONRenderer()]


class SchemaView(PublicDocumentMixin, SpectacularAPIView):
    """The OpenAPI schema, with the package's own drf-spectacular settings."""

    custom_settings = SCHEMA_SETTINGS

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class DocsView(PublicDocumentMixin, SpectacularSwaggerSplitView):
    """Swagger UI, with its assets from the package's own URLs."""

    url_name = "wagtail_family_portal_api:schema"
    title = SCHEMA_SETTINGS["TITLE"]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def _swagger_ui_resource(self, filename):
        return reverse("wagtail_family_portal_api:docs-asset", args=[filename])

    def _swagger_ui_favicon(self):
        return self._swagger_ui_resource("favicon-32x32.png")


class SwaggerUIAssetView(View):
    """One of Swagger UI's files (:data:`SWAGGER_UI_ASSETS`, the URL matches no other), cached
    a day by browsers."""

    http_method_names = ["get", "head", "options"]

    def get(self, request, name: str):
        path = SWAGGER_UI_DIST / name
        content_type, _encoding = mimetypes.guess_type(name)
        response = FileResponse(path.open("rb"), content_type=content_type)
        response["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}"
        response["Last-Modified"] = http_date(path.stat().st_mtime)
        return response
