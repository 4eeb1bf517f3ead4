"""Base classes of every API view: the API's policies, independent of the host's settings.

A host project may configure ``REST_FRAMEWORK`` for its own API in any way; the family portal's
endpoints keep their own authentication, permissions, throttling, renderers, parsers,
pagination and error format by inheriting from these classes.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import parsers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ..headers import never_cache
from .authentication import TokenAuthentication
from .exceptions import exception_handler
from .throttling import AnonRateThrottle, UserRateThrottle


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with a translated message that does not echo Python's parser error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(_("The request body is not valid JSON.")) from None


class FamilyPortalPagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``, 50 items a page, ``?page_size=`` up to 200."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class FamilyPortalAPIMixin:
    # Token first: an anonymous request then gets 401 with a WWW-Authenticate header rather
    # than 403. The session (with CSRF on unsafe methods) serves the portal's own pages.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserRateThrottle, AnonRateThrottle]
    renderer_classes = [JSONRenderer]
    # JSON bodies only; an endpoint that receives files adds MultiPartParser.
    parser_classes = [JSONParser]
    versioning_class = None
    schema = AutoSchema()

    def get_exception_handler(self):
        return exception_handler

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
