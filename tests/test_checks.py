"""System checks of the package's required settings."""

import pytest

from wagtail_family_portal.checks import check_login_throttling, check_portal_sites
from wagtail_family_portal.sites import has_no_real_hostname


def test_the_example_settings_pass():
    assert check_login_throttling() == []


def test_missing_axes_configuration_is_reported(settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "axes" not in m]

    messages = [warning.msg for warning in check_login_throttling()]

    assert len(messages) == 2
    assert "first of AUTHENTICATION_BACKENDS" in messages[0]
    assert "AxesMiddleware" in messages[1]


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

    assert [w.id for w in warnings] == ["wagtail_family_portal.W010"]
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

    with pytest.raises(SystemCheckError, match="W010"):
        call_command("check", "--database", "default", "--fail-level", "WARNING")
