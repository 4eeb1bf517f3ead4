"""Test settings: the example site's, made fast and isolated.

``DATABASE_URL`` switches the tests to PostgreSQL, as it does the example site.
"""

import os
from pathlib import Path

# DEBUG is off in tests, as in production: the example site then needs a secret key.
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")

from example_site.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MEDIA_ROOT = "/tmp/wagtail-family-portal-test-media"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
# The tests pay through the test backend's local bank (allowed by DEBUG in development only).
WAGTAIL_FAMILY_PORTAL_TEST_PAYMENTS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A host site for the theming tests: tests/templates/host_site/base.html (the one `wagtail start`
# writes), named in WAGTAIL_FAMILY_PORTAL_BASE_TEMPLATE, and its stylesheet and script in
# tests/static.
TESTS_DIR = Path(__file__).resolve().parent
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], TESTS_DIR / "templates"]}]  # noqa: F405
STATICFILES_DIRS = [TESTS_DIR / "static"]

# The test client and the live server speak plain HTTP (the cookies stay Secure: the test client
# sends them anyway, and Chromium accepts them from http://localhost).
SECURE_SSL_REDIRECT = False
