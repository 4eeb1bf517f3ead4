"""System checks: settings the package relies on, reported by ``manage.py check``."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from wagtail.models import Site

AXES_BACKENDS = ("axes.backends.AxesStandaloneBackend", "axes.backends.AxesBackend")
LOCKOUT_PARAMETERS = "wagtail_family_portal.lockout.lockout_parameters"
DATABASE_HANDLER = "axes.handlers.database.AxesDatabaseHandler"


def _lockout_parameters_problem(parameters) -> str | None:
    """What is wrong with the host's ``AXES_LOCKOUT_PARAMETERS``, or None for the package's."""
    from . import lockout

    if parameters == LOCKOUT_PARAMETERS or parameters is lockout.lockout_parameters:
        return None
    groups = set()
    if isinstance(parameters, list | tuple):
        for group in parameters:
            groups.add((group,) if isinstance(group, str) else tuple(sorted(group)))
    if ("ip_address",) in groups:
        return (
            "AXES_LOCKOUT_PARAMETERS locks by IP address alone: the failures of one address "
            "lock every account behind it (a school, a town hall, a proxy), agents included"
        )
    if ("username",) in groups:
        return (
            "AXES_LOCKOUT_PARAMETERS locks by account alone: anyone who knows a family's "
            "e-mail address can lock that account"
        )
    return (
        f"AXES_LOCKOUT_PARAMETERS is not '{LOCKOUT_PARAMETERS}' (the account and the IP "
        "address together, with a higher ceiling per IP address)"
    )


# Hints point to the documentation online: docs/ is not part of the installed package.
DOCS_URL = "https://github.com/wagtail-family-portal/wagtail-family-portal/blob/main/docs/"
LOGIN_THROTTLING_DOCS = f"{DOCS_URL}install.md#login-throttling-django-axes"


@register("security")
def check_login_throttling(app_configs=None, **kwargs):
    """Login throttling needs django-axes installed, its backend first and its middleware, and
    locks an account from one IP address (with a per-IP ceiling), never an address or an
    account alone."""
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
    if "axes" in settings.INSTALLED_APPS:
        # django-axes' default (when the setting is missing) is the IP address alone.
        parameters_problem = _lockout_parameters_problem(
            getattr(settings, "AXES_LOCKOUT_PARAMETERS", None) or ["ip_address"]
        )
        if parameters_problem:
            problems.append(parameters_problem)
        handler = getattr(settings, "AXES_HANDLER", None) or DATABASE_HANDLER
        if handler != DATABASE_HANDLER:
            problems.append(
                f"AXES_HANDLER is not '{DATABASE_HANDLER}': the per-IP ceiling counts the "
                "failures django-axes' database handler records"
            )
    return [
        Warning(
            f"Family portal logins are not throttled as documented: {problem}.",
            hint=hint,
            id="wagtail_family_portal.W001",
        )
        for problem in problems
    ]


@register("templates")
def check_base_template(app_configs=None, **kwargs):
    """The template named by ``WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE`` exists, has the blocks the
    portal fills, and no block of a name the portal's pages use for something else."""
    from django.template import TemplateDoesNotExist, TemplateSyntaxError

    from . import theming

    name = theming.base_template()
    hint = (
        "See “The portal's look” in the installation guide: "
        f"{DOCS_URL}install.md#the-portals-look-your-sites-base-template"
    )
    if name == theming.PORTAL_BASE_TEMPLATE:
        return [
            Error(
                f"{theming.SETTING} names the portal's own base template, which extends it.",
                hint="Name your site's base template, e.g. 'base.html'.",
                id="wagtail_family_portal.E010",
            )
        ]
    try:
        blocks = theming.block_names(name)
    except (TemplateDoesNotExist, TemplateSyntaxError) as error:
        return [
            Error(
                f"{theming.SETTING} names {name!r}, which cannot be loaded: {error}",
                hint=hint,
                id="wagtail_family_portal.E010",
            )
        ]
    problems = []
    missing = [block for block in theming.REQUIRED_BLOCKS if block not in blocks]
    if missing:
        problems.append(
            f"{name!r} has no block {', '.join(map(repr, missing))}: the portal's pages put "
            "their title, styles and content there"
        )
    clashes = sorted(blocks & theming.portal_block_names())
    if clashes:
        problems.append(
            f"{name!r} defines blocks the portal's pages also define "
            f"({', '.join(map(repr, clashes))}): the portal's would replace yours"
        )
    return [
        Warning(
            f"The family portal's pages do not fit in your base template: {problem}.",
            hint=hint,
            id="wagtail_family_portal.W010",
        )
        for problem in problems
    ]


@register()
def check_pdf_renderers(app_configs=None, **kwargs):
    """``WAGTAIL_FAMILY_PORTAL_INVOICE_RENDERER`` and ``…_ATTESTATION_RENDERER`` name classes
    that exist and extend the portal's renderers: found now rather than by the worker that
    stores a run's invoices."""
    from . import conf
    from .pdf.attestation import AttestationRenderer
    from .pdf.invoice import InvoiceRenderer

    errors = []
    for name, read, parent in (
        ("INVOICE_RENDERER", conf.invoice_renderer, InvoiceRenderer),
        ("ATTESTATION_RENDERER", conf.attestation_renderer, AttestationRenderer),
    ):
        expected = f"{parent.__module__}.{parent.__qualname__}"
        try:
            renderer = read()
        except ImportError as error:
            problem = f"cannot be imported: {error}"
        else:
            if isinstance(renderer, type) and issubclass(renderer, parent):
                continue
            problem = f"is not a subclass of {expected}"
        errors.append(
            Error(
                f"{conf.setting_name(name)} {problem}.",
                hint=f"Name a subclass of {expected} by its dotted path (docs/billing.md).",
                id="wagtail_family_portal.E020",
            )
        )
    return errors


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
                            "(Settings → Sites). See “The site's address” in the installation "
                            "guide: "
                            f"{DOCS_URL}install.md#5-the-sites-address-hostname-and-port"
                        ),
                        obj=site,
                        id="wagtail_family_portal.W011",
                    )
                )
        except DatabaseError:
            # Tables not created yet (the first ``migrate``): nothing to check.
            continue
    return warnings
