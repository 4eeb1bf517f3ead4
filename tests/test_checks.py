"""System checks of the package's required settings."""

import re
from pathlib import Path

import pytest

from wagtail_family_portal.checks import DOCS_URL, check_login_throttling

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
