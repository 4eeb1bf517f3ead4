"""System checks of the package's required settings."""

import re
from pathlib import Path

import pytest

from wagtail_family_portal.checks import DOCS_URL, check_login_throttling, check_portal_sites
from wagtail_family_portal.sites import has_no_real_hostname

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_example_settings_pass():
    assert check_login_throttling() == []


def test_missing_axes_configuration_is_reported(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "axes" not in m]

    messages = [warning.msg for warning in check_login_throttling()]

    assert len(messages) == 2
    assert "first of AUTHENTICATION_BACKENDS" in messages[0]
    assert "AxesMiddleware" in messages[1]


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        (None, "locks by IP address alone"),  # django-axes' default
        (["ip_address"], "locks by IP address alone"),
        (["username", "ip_address"], "locks by IP address alone"),  # each on its own
        (["username"], "locks by account alone"),
        ([["username", "ip_address"]], "with a higher ceiling per IP address"),
    ],
)
def test_a_host_locking_by_address_or_account_alone_is_warned(settings, parameters, expected):
    settings.AXES_LOCKOUT_PARAMETERS = parameters

    messages = [warning.msg for warning in check_login_throttling()]

    assert len(messages) == 1
    assert expected in messages[0]


def test_the_package_parameters_as_a_function_pass(settings):
    from wagtail_family_portal import lockout

    settings.AXES_LOCKOUT_PARAMETERS = lockout.lockout_parameters

    assert check_login_throttling() == []


def test_another_axes_handler_is_warned_that_the_ceiling_needs_the_database(settings):
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"

    messages = [warning.msg for warning in check_login_throttling()]

    assert len(messages) == 1 and "per-IP ceiling" in messages[0]


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown page."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", markdown, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_hints_point_to_the_documentation_online(settings):
    """An installed package has no docs/ folder: a hint gives the page's address, and the
    section it names exists."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "axes" not in m]

    [warning] = check_login_throttling()

    [url] = re.findall(r"https://\S+", warning.hint)
    assert url.startswith(DOCS_URL)
    page, anchor = url.removeprefix(DOCS_URL).split("#")
    assert anchor in github_anchors((DOCS / page).read_text())


def test_every_documentation_address_of_the_checks_names_a_section_that_exists():
    import inspect

    from wagtail_family_portal import checks

    source = inspect.getsource(checks)
    addresses = re.findall(r"\{DOCS_URL\}([\w.]+)#([\w-]+)", source)

    assert len(addresses) >= 3
    for page, anchor in addresses:
        assert anchor in github_anchors((DOCS / page).read_text()), (page, anchor)


# A portal's site must have a real hostname: e-mail links are built from it


@pytest.mark.parametrize(
    "hostname, port",
    [
        ("localhost", 80),
        ("LOCALHOST.", 80),
        ("portail.localhost", 80),
        ("127.0.0.1", 80),
        ("::1", 80),
        ("", 80),
        ("0.0.0.0", 8000),
        ("example.com", 443),
        ("www.example.org", 80),
        ("mairie.example", 443),
    ],
)
def test_sites_without_a_real_hostname(hostname, port):
    assert has_no_real_hostname(hostname, port)


@pytest.mark.parametrize(
    "hostname, port",
    [
        ("www.belleville-sur-loire.fr", 80),
        ("portail-famille.ville.fr", 443),
        ("127.0.0.1", 8000),  # what `make demo` serves
        ("localhost", 8001),
        ("10.0.0.12", 80),
    ],
)
def test_sites_with_a_real_hostname(hostname, port):
    assert not has_no_real_hostname(hostname, port)


def warnings_for(portal_site):
    return [w for w in check_portal_sites(databases=["default"]) if w.obj == portal_site]


def test_a_portal_on_wagtails_placeholder_site_is_reported(portal_page, portal_site):
    portal_site.hostname, portal_site.port = "localhost", 80
    portal_site.save()

    warnings = warnings_for(portal_site)

    assert [w.id for w in warnings] == ["wagtail_family_portal.W011"]
    assert "http://localhost/" in warnings[0].msg
    assert "hostname" in warnings[0].hint


def test_a_portal_on_a_real_hostname_is_not_reported(portal_page, portal_site):
    portal_site.hostname, portal_site.port = "www.belleville-sur-loire.fr", 443
    portal_site.save()

    assert warnings_for(portal_site) == []


def test_a_placeholder_site_without_portal_is_not_reported(db, portal_site):
    portal_site.hostname, portal_site.port = "localhost", 80
    portal_site.save()

    assert warnings_for(portal_site) == []


def test_the_check_runs_with_the_database_checks(portal_page, portal_site):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    portal_site.hostname, portal_site.port = "localhost", 80
    portal_site.save()

    with pytest.raises(SystemCheckError, match="W011"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")
