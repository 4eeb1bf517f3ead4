"""Settings of the benchmarks: the example site's, on a throwaway SQLite file, without DEBUG.

``WFP_BENCH_DB`` names the SQLite file (the scripts create it in a temporary folder and delete
it). The API's rate limits are raised, not removed, so that their cost is still measured.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-0123456789")

from example_site.settings import *  # noqa: E402, F403

DEBUG = False
# The benchmarks speak plain HTTP to 127.0.0.1.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["WFP_BENCH_DB"],
        "CONN_MAX_AGE": 60,
    }
}
ROOT_URLCONF = "bench.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"user": "1000000/minute", "anon": "1000000/minute"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
