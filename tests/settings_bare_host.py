"""A host that leaves Django REST framework and drf-spectacular unconfigured: the test settings
without ``REST_FRAMEWORK`` and ``SPECTACULAR_SETTINGS`` (see tests/test_api_schema.py)."""

from .settings import *  # noqa: F403

for _name in ("REST_FRAMEWORK", "SPECTACULAR_SETTINGS"):
    globals().pop(_name, None)
