"""A host whose own API sets every DRF default differently from the family portal's (see
tests/test_api_schema.py): none of it may change the portal's answers."""

from .settings import *  # noqa: F403


def no_exception_handler(exc, context):
    """A handler that handles nothing: every error would end as a 500."""
    return None


REST_FRAMEWORK = {
    # DRF's own schema class, which drf-spectacular cannot use.
    "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "1/day"},
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 1,
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.AcceptHeaderVersioning",
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "tests.settings_hostile_host.no_exception_handler",
    "NON_FIELD_ERRORS_KEY": "errors",
    "UNICODE_JSON": False,
    "COMPACT_JSON": False,
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    "SWAGGER_UI_DIST": "https://cdn.example.invalid/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "https://cdn.example.invalid/favicon.png",
    "PREPROCESSING_HOOKS": [],
}
