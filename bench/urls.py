"""The example site's URLs, plus the trivial view every figure is compared with."""

from django.http import HttpResponse
from django.urls import include, path


def trivial(request):
    """The reference: a Django view that does nothing, behind the same middleware."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench-trivial"),
    path("", include("example_site.urls")),
]
