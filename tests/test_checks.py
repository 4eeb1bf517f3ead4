"""System checks of the package's required settings."""

import pytest

from wagtail_family_portal.checks import check_login_throttling


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
