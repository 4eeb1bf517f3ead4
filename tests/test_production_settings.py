"""The example site's production settings come from the environment, and pass Django's deployment
checks as docs/install.md ("Production settings") describes them."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "example_site" / "manage.py"
SETTINGS = ROOT / "example_site" / "example_site" / "settings.py"

# What a production server's environment holds, as the install guide lists it.
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "portail.ville-exemple.fr",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://portail.ville-exemple.fr",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_CLIENT_IP_HEADER": "X-Real-IP",
    "WAGTAILADMIN_BASE_URL": "https://portail.ville-exemple.fr",
}
OUR_VARIABLES = ("DJANGO_", "WAGTAILADMIN_BASE_URL", "DATABASE_URL")


def clean_environ(**extra) -> dict:
    """This process's environment without any of the example site's variables, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUR_VARIABLES)}
    return {**env, **extra}


def manage(*args, env: dict, tmp_path) -> subprocess.CompletedProcess:
    env = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.slow
def test_deployment_checks_pass_with_production_environment(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=clean_environ(**PRODUCTION_ENV),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow
def test_site_refuses_to_start_without_secret_key_when_debug_is_off(tmp_path):
    env = clean_environ(**PRODUCTION_ENV)
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def load_settings(monkeypatch, **env) -> dict:
    """The example site's settings module, evaluated afresh with exactly ``env``."""
    for key in list(os.environ):
        if key.startswith(OUR_VARIABLES):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(SETTINGS))


def test_debug_is_off_by_default_and_the_secret_key_is_required(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        load_settings(monkeypatch)
    settings = load_settings(monkeypatch, DJANGO_SECRET_KEY="k" * 50)
    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == "k" * 50


def test_debug_on_runs_without_secret_key_and_without_https(monkeypatch):
    """What ``make demo`` does: DJANGO_DEBUG=1, plain HTTP on 127.0.0.1."""
    settings = load_settings(monkeypatch, DJANGO_DEBUG="1")
    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"]
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    assert "127.0.0.1" in settings["ALLOWED_HOSTS"]


def test_production_defaults_are_secure(monkeypatch):
    settings = load_settings(monkeypatch, DJANGO_SECRET_KEY="k" * 50)
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 3600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    # Opt-in only: trusting X-Forwarded-Proto without a proxy would let a client claim HTTPS.
    assert "SECURE_PROXY_SSL_HEADER" not in settings
    assert "AXES_IPWARE_META_PRECEDENCE_ORDER" not in settings


def test_hosts_origins_proxy_and_hsts_come_from_the_environment(monkeypatch):
    settings = load_settings(
        monkeypatch,
        **{
            **PRODUCTION_ENV,
            "DJANGO_ALLOWED_HOSTS": "portail.ville-exemple.fr, www.ville-exemple.fr",
            "DJANGO_SECURE_HSTS_SECONDS": "31536000",
            "DJANGO_SECURE_HSTS_PRELOAD": "yes",
        },
    )
    assert settings["ALLOWED_HOSTS"] == ["portail.ville-exemple.fr", "www.ville-exemple.fr"]
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://portail.ville-exemple.fr"]
    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert "security.W021" not in settings.get("SILENCED_SYSTEM_CHECKS", [])


@pytest.mark.parametrize(
    ("name", "value"), [("DJANGO_DEBUG", "maybe"), ("DJANGO_SECURE_HSTS_SECONDS", "1 year")]
)
def test_a_wrong_value_stops_the_site_with_its_name(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_settings(monkeypatch, DJANGO_SECRET_KEY="k" * 50, **{name: value})
