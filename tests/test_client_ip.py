"""The client's address behind a reverse proxy: what django-axes and the portal's per-IP limits
count (``http.client_ip``), following django-axes' ``AXES_IPWARE_*`` settings."""

from django.test import RequestFactory

from wagtail_family_portal.http import client_ip

rf = RequestFactory()


def test_behind_a_proxy_the_address_comes_from_the_header_the_proxy_sets(settings):
    # What DJANGO_CLIENT_IP_HEADER=X-Real-IP sets in the example site (docs/install.md).
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    request = rf.get("/", HTTP_X_REAL_IP="203.0.113.7", REMOTE_ADDR="127.0.0.1")

    assert client_ip(request) == "203.0.113.7"


def test_behind_a_proxy_two_visitors_are_not_one_address(settings):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    first = rf.get("/", HTTP_X_REAL_IP="203.0.113.7", REMOTE_ADDR="127.0.0.1")
    second = rf.get("/", HTTP_X_REAL_IP="198.51.100.20", REMOTE_ADDR="127.0.0.1")

    assert client_ip(first) != client_ip(second)


def test_without_proxy_settings_a_client_cannot_choose_its_address():
    request = rf.get(
        "/",
        HTTP_X_REAL_IP="203.0.113.7",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
        REMOTE_ADDR="198.51.100.1",
    )

    assert client_ip(request) == "198.51.100.1"
