"""System checks: settings the package relies on, reported by ``manage.py check``."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from wagtail.models import Site

AXES_BACKENDS = ("axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend")


@register("security")
def check_login_throttling(app_configs=None, **kwargs):
    """Login throttling needs django-axes installed, its backend first and its middleware."""
    problems = []
    hint = "See docs/install.md, “Login throttling”."
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


@register(Tags.database)
def check_portal_sites(app_configs=None, databases=None, **kwargs):
    """A site holding a portal page must have the hostname families reach it at: the links of
    every e-mail are built from it (``sites.has_no_real_hostname`` says which ones are not).

    It reads the database, so Django runs it with ``migrate`` and ``check --database default``
    only.
    """
    from django.db import DatabaseError

    from .models import FamilyPortalPage
    from .sites import has_no_real_hostname

    warnings = []
    for alias in databases or []:
        try:
            sites = list(Site.objects.using(alias).order_by("pk"))
            for site in sites:
                if not has_no_real_hostname(site.hostname, site.port):
                    continue
                pages = FamilyPortalPage.objects.using(alias).live().in_site(site)
                if not pages.exists():
                    continue
                warnings.append(
                    Warning(
                        f"The site “{site}” (hostname “{site.hostname}”, port {site.port}) holds "
                        "a family portal page but has no real hostname: the links in the "
                        "portal's e-mails would point to "
                        f"{site.root_url}/, which families cannot open.",
                        hint=(
                            "Set the site's hostname and port to the address families use "
                            "(Settings → Sites). See docs/install.md, “Check the installation”."
                        ),
                        obj=site,
                        id="wagtail_family_portal.W010",
                    )
                )
        except DatabaseError:
            # Tables not created yet (the first ``migrate``): nothing to check.
            continue
    return warnings
