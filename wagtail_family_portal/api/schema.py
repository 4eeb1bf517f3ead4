"""The OpenAPI schema of the family portal's API, whatever else the host project serves."""

from django.utils.translation import gettext_lazy as _

from .base import FamilyPortalAPIMixin

# Applied by the schema view (api/docs.py), and by ``manage.py spectacular --custom-settings
# wagtail_family_portal.api.schema.SCHEMA_SETTINGS``. Enum names need no setting (api/openapi.py).
SCHEMA_SETTINGS = {
    "TITLE": _("Family portal API"),
    "DESCRIPTION": _(
        "JSON API of the family portal. Log in with the session (and its CSRF token) or with a "
        "token from auth/token/, sent as “Authorization: Token <token>”."
    ),
    "VERSION": "1",
    "PREPROCESSING_HOOKS": ["wagtail_family_portal.api.schema.only_family_portal_endpoints"],
}


def only_family_portal_endpoints(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: keep the endpoints of this package only."""
    return [
        (path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
        if issubclass(getattr(callback, "cls", object), FamilyPortalAPIMixin)
    ]
