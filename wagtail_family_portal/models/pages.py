"""The portal page an editor places in the page tree; family-facing routes hang below it."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.fields import RichTextField
from wagtail.models import Page

from .. import headers


class FamilyPortalPage(RoutablePageMixin, Page):
    intro = RichTextField(
        _("introduction"),
        blank=True,
        help_text=_("Shown to every visitor above the login and sign-up entry points."),
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types: list[str] = []
    template = "wagtail_family_portal/portal_page.html"

    class Meta:
        verbose_name = _("family portal page")

    def serve(self, request, *args, **kwargs):
        # Every route's answer: the portal's Content-Security-Policy and no caching (headers.py).
        headers.provide_nonce(request)
        return headers.protect_page(request, super().serve(request, *args, **kwargs))

    def serve_preview(self, request, mode_name):
        headers.provide_nonce(request)
        return headers.protect_page(request, super().serve_preview(request, mode_name))

    # The family-facing routes: the plain ``path()`` list of ``views/routes.py``, handed to the
    # page when the app is ready (``apps.py``) so that this model imports no view.
    routes: tuple = ()

    @classmethod
    def get_subpage_urls(cls):
        return tuple(cls.routes)

    @classmethod
    def for_site(cls, site):
        """The live portal page of ``site`` (the first one, if an editor placed several)."""
        if site is None:
            return None
        return cls.objects.live().in_site(site).order_by("path").first()
