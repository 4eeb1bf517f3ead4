"""Settings of the example site: a small Wagtail project that installs wagtail_family_portal.

Everything that differs between a developer's machine and a production server comes from the
environment (docs/install.md, "Production settings"):

- ``DJANGO_DEBUG=1`` for development (``make demo`` sets it); off by default.
- ``DJANGO_SECRET_KEY``: required when ``DEBUG`` is off, the site refuses to start without it.
- ``DJANGO_ALLOWED_HOSTS`` and ``DJANGO_CSRF_TRUSTED_ORIGINS``: comma-separated lists.
- HTTPS: ``DJANGO_SECURE_SSL_REDIRECT``, ``DJANGO_SECURE_COOKIES`` (both on unless ``DEBUG``),
  ``DJANGO_SECURE_HSTS_SECONDS`` (3600 unless ``DEBUG``), ``DJANGO_SECURE_HSTS_PRELOAD`` (off),
  ``DJANGO_SECURE_PROXY_SSL_HEADER=1`` behind a proxy that sets ``X-Forwarded-Proto``.
- ``DJANGO_CLIENT_IP_HEADER``: the header in which the reverse proxy puts the client's address
  (``X-Real-IP``), for django-axes and the subscriber-code limits.
- ``DATABASE_URL`` switches between the embedded SQLite database and PostgreSQL, e.g.
  ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/test``.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    """``1``/``true``/``yes``/``on`` (any case) is on, ``0``/``false``/``no``/``off`` is off."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r}: expected 1 or 0 (true/false, yes/no, on/off).")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: expected a whole number.") from None


DEBUG = env_flag("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. A production site needs its own secret key, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'; for development, "
            "set DJANGO_DEBUG=1 (make demo does)."
        )
    # Only with DEBUG on; the same for every process (web server, django-q2 cluster), so that
    # links signed by one are accepted by the other.
    SECRET_KEY = "example-site-development-only-not-secret"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# HTTPS. Each is on unless DEBUG is, and can be switched by its variable.
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_flag("DJANGO_SECURE_COOKIES", not DEBUG)
# One hour to begin with: raise it to a year (31536000) once every page of the host name (and
# of its subdomains) is known to work over HTTPS, since browsers then refuse plain HTTP.
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Not asking browsers to preload HTTPS for the domain is a choice (the preload list is
    # hard to leave and applies to the whole domain); DJANGO_SECURE_HSTS_PRELOAD=1 opts in.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_flag("DJANGO_SECURE_PROXY_SSL_HEADER"):
    # Only behind a proxy that always sets (or removes) X-Forwarded-Proto itself: otherwise a
    # client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "wagtail_family_portal",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_q",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}

AUTHENTICATION_BACKENDS = [
    # First: refuses any login attempt for a locked-out account or IP address.
    "axes.backends.AxesStandaloneBackend",
    "wagtail_family_portal.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "media"

WAGTAIL_SITE_NAME = "Ville de Belleville-sur-Loire"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
# No Gravatar pictures in the admin: they would send a hash of each agent's e-mail address to a
# third party with every page (and need an exception in a Content-Security-Policy).
WAGTAIL_GRAVATAR_PROVIDER_URL = None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = "ne-pas-repondre@example.org"

# No REST_FRAMEWORK setting: the family portal's API carries its own policies and schema class.
SPECTACULAR_SETTINGS = {
    # `manage.py spectacular` then describes the family portal only, not Wagtail's admin API.
    "PREPROCESSING_HOOKS": ["wagtail_family_portal.api.schema.only_family_portal_endpoints"],
}

# django-q2: the ORM broker needs no extra server; point Q_CLUSTER at Redis in production.
Q_CLUSTER = {
    "name": "family_portal",
    "workers": 2,
    "timeout": 60,
    "retry": 120,
    "orm": "default",
    "catch_up": True,
}

LOGIN_URL = "/espace-famille/connexion/"

# Login throttling (django-axes): 10 failed logins for one account from one IP address block
# that account from that address for 15 minutes; 100 from one IP address, whatever the
# accounts, block the address (WAGTAIL_FAMILY_PORTAL_LOGIN_LIMITS changes both). A success
# resets the account's count. Before that, the portal's login page and the API's auth/ endpoints
# accept 10 attempts a minute per IP address.
AXES_FAILURE_LIMIT = "wagtail_family_portal.lockout.failure_limit"
AXES_LOCKOUT_PARAMETERS = "wagtail_family_portal.lockout.lockout_parameters"
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_USERNAME_CALLABLE = "wagtail_family_portal.lockout.axes_username"
AXES_LOCKOUT_CALLABLE = "wagtail_family_portal.lockout.lockout_response"
# Behind a reverse proxy, the client's address is in a header that the proxy overwrites (nginx:
# proxy_set_header X-Real-IP $remote_addr;): django-axes (through django-ipware) and the
# portal's per-IP limits read it there. Without it, every visitor would share the proxy's
# address; a header the proxy does not overwrite would let anyone choose theirs.
if CLIENT_IP_HEADER := os.environ.get("DJANGO_CLIENT_IP_HEADER", "").strip():
    AXES_IPWARE_META_PRECEDENCE_ORDER = (
        "HTTP_" + CLIENT_IP_HEADER.upper().replace("-", "_"),
        "REMOTE_ADDR",
    )

# Activation links of new accounts stay valid 3 days (the default).
WAGTAIL_FAMILY_PORTAL_ACTIVATION_TIMEOUT = 3 * 24 * 3600
