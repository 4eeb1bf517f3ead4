"""System checks: settings the package relies on, reported by ``manage.py check``."""

from django.conf import settings
from django.core.checks import Warning, register

AXES_BACKENDS = ("axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend")

# Hints point to the documentation online: docs/ is not part of the installed package.
DOCS_URL = "https://github.com/wagtail-family-portal/wagtail-family-portal/blob/main/docs/"
LOGIN_THROTTLING_DOCS = f"{DOCS_URL}install.md#login-throttling-django-axes"


@register("security")
def check_login_throttling(app_configs=None, **kwargs):
    """Login throttling needs django-axes installed, its backend first and its middleware."""
    problems = []
    hint = f"See “Login throttling” in the installation guide: {LOGIN_THROTTLING_DOCS}"
    if "axes" not in settings.INSTALLED_APPS:
        problems.append("'axes' is not in INSTALLED_APPS")
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []))
    if not backends or backends[0] not in AXES_BACKENDS:
        problems.append("django-axes' backend is not the first of AUTHENTICATION_BACKENDS")
    if "axes.middleware.AxesMiddleware" not in settings.MIDDLEWARE:
        problems.append("'axes.middleware.AxesMiddleware' is not in MIDDLEWARE")
    if getattr(settings, "AXES_LOCKOUT_CALLABLE", None) != (
        "wagtail_family_portal.lockout.lockout_response"
    ):
        problems.append(
            "AXES_LOCKOUT_CALLABLE is not 'wagtail_family_portal.lockout.lockout_response' "
            "(the API would not answer a lockout in JSON)"
        )
    return [
        Warning(
            f"Family portal logins are not throttled as documented: {problem}.",
            hint=hint,
            id="wagtail_family_portal.W001",
        )
        for problem in problems
    ]
