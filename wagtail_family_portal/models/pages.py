"""The portal page an editor places in the page tree; family-facing routes hang below it."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page


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

    @path("")
    def index(self, request):
        from ..views.portal import dashboard

        return dashboard(request, self)

    @path("connexion/", name="login")
    def login(self, request):
        from ..views.portal import login

        return login(request, self)

    @path("deconnexion/", name="logout")
    def logout(self, request):
        from ..views.portal import logout

        return logout(request, self)
