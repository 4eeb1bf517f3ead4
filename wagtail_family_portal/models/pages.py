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

    # Account pages (views/accounts.py).
    @path("inscription/", name="signup")
    def signup(self, request):
        return self._account_view("signup", request)

    @path("inscription/envoyee/", name="signup_done")
    def signup_done(self, request):
        return self._account_view("signup_done", request)

    @path("activation/nouveau-lien/", name="resend_activation")
    def resend_activation(self, request):
        return self._account_view("resend_activation", request)

    @path("activation/<str:token>/", name="activate")
    def activate(self, request, token):
        return self._account_view("activate", request, token=token)

    @path("mot-de-passe/", name="password_change")
    def password_change(self, request):
        return self._account_view("password_change", request)

    @path("mot-de-passe/oublie/", name="password_reset")
    def password_reset(self, request):
        return self._account_view("password_reset", request)

    @path("mot-de-passe/oublie/envoye/", name="password_reset_done")
    def password_reset_done(self, request):
        return self._account_view("password_reset_done", request)

    @path("mot-de-passe/nouveau/<uidb64>/<token>/", name="password_reset_confirm")
    def password_reset_confirm(self, request, uidb64, token):
        return self._account_view("password_reset_confirm", request, uidb64=uidb64, token=token)

    @path("mot-de-passe/nouveau/fait/", name="password_reset_complete")
    def password_reset_complete(self, request):
        return self._account_view("password_reset_complete", request)

    # "Mes abonnements" (views/subscriptions.py).
    @path("abonnements/", name="subscriptions")
    def subscriptions(self, request):
        from ..views import subscriptions

        return subscriptions.subscription_list(request, self)

    @path("abonnements/ajouter/", name="subscribe")
    def subscribe(self, request):
        from ..views import subscriptions

        return subscriptions.subscribe(request, self)

    def _account_view(self, name, request, **kwargs):
        from ..views import accounts

        return getattr(accounts, name)(request, self, **kwargs)

    @classmethod
    def for_site(cls, site):
        """The live portal page of ``site`` (the first one, if an editor placed several)."""
        if site is None:
            return None
        return cls.objects.live().in_site(site).order_by("path").first()
