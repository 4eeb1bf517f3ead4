"""Every address under the API's base path that no endpoint answers: the API's JSON 404."""

from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny

from ..base import FamilyPortalAPIView
from ..exceptions import UNKNOWN_ADDRESS

MISSING_SLASH = _("The addresses of the family portal's API end with a slash (/).")


class UnknownAddressView(FamilyPortalAPIView):
    """Every address under the API's base path that no endpoint answers (``families/abc/``
    included): a JSON 404 for any method, logged in or not, rather than Django's HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.path.endswith("/") and is_api_endpoint(request.path + "/"):
            raise NotFound(MISSING_SLASH)
        raise NotFound(UNKNOWN_ADDRESS)


def is_api_endpoint(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "view_class", None) is not UnknownAddressView
