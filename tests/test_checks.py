"""System checks of the package's required settings."""

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
