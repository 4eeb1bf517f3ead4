"""Base classes of every API view: the API's policies, independent of the host's settings.

A host project may configure ``REST_FRAMEWORK`` for its own API in any way, or not at all; the
family portal's endpoints keep their own authentication, permissions, throttling, renderer,
parsers, content negotiation, metadata (``OPTIONS``), versioning, pagination, schema and error
format by inheriting from these classes. What DRF reads from ``self.settings`` comes from
:data:`API_SETTINGS`, DRF's defaults, never from the host's ``REST_FRAMEWORK``.
"""

from rest_framework import metadata, negotiation, renderers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import APISettings
from rest_framework.views import APIView

from ..headers import never_cache
from ..throttling import AnonRateThrottle, UserRateThrottle
from .authentication import TokenAuthentication
from .exceptions import exception_handler
from .openapi import FamilyPortalAutoSchema
from .parsers import JSONParser, check_query_dict

# DRF's defaults, whatever the host's REST_FRAMEWORK says (a non-empty dict: an empty one would
# make APISettings read REST_FRAMEWORK after all).
API_SETTINGS = APISettings(user_settings={"URL_FORMAT_OVERRIDE": "format"})


class JSONRenderer(renderers.JSONRenderer):
    """UTF-8, compact, strict JSON (DRF reads these from the host's settings at import)."""

    ensure_ascii = False
    compact = True
    strict = True


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    settings = API_SETTINGS


class Metadata(metadata.SimpleMetadata):
    """``OPTIONS``: the view's name, description, and what it renders and parses.

    The API's views read their bodies with serializers of their own, not ``get_serializer()``,
    so DRF's description of the fields (``actions``) is left to the OpenAPI schema.
    """

    def determine_metadata(self, request, view):
        return {
            "name": view.get_view_name(),
            "description": view.get_view_description(),
            "renders": [renderer.media_type for renderer in view.renderer_classes],
            "parses": [parser.media_type for parser in view.parser_classes],
        }


class FamilyPortalPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``, 50 items a page, ``?page_size=`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FamilyPortalAPIMixin:
    settings = API_SETTINGS
    # Token first: an anonymous request then gets 401 with a WWW-Authenticate header rather
    # than 403. The session (with CSRF on unsafe methods) serves the portal's own pages.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, AnonRateThrottle]
    renderer_classes = [JSONRenderer]
    # JSON bodies only; an endpoint that receives files adds MultiPartParser (api/parsers.py).
    parser_classes = [JSONParser]
    content_negotiation_class = ContentNegotiation
    metadata_class = Metadata
    versioning_class = None
    schema = FamilyPortalAutoSchema()

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Once the client is known (a 401 comes first), the query string's texts.
        check_query_dict(request.query_params)

    def finalize_response(self, request, response, *args, **kwargs):
        # Every answer of the API is about an account or a family (errors included): no cache
        # may keep it, shared or not (decisions.md §28).
        response = super().finalize_response(request, response, *args, **kwargs)
        return never_cache(response)


class FamilyPortalAPIView(FamilyPortalAPIMixin, APIView):
    """Base of the API's plain views."""


class FamilyPortalGenericAPIView(FamilyPortalAPIMixin, GenericAPIView):
    """Base of the API's list and detail views."""

    pagination_class = FamilyPortalPagination
    filter_backends = []
