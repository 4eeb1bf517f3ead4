"""The portal page an editor places in the page tree; family-facing routes hang below it."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
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

    @path("compte/notifications/", name="notification_settings")
    def notification_settings(self, request):
        return self._account_view("notification_settings", request)

    # "Mes abonnements" (views/subscriptions.py).
    @path("abonnements/", name="subscriptions")
    def subscriptions(self, request):
        from ..views import subscriptions

        return subscriptions.subscription_list(request, self)

    @path("abonnements/ajouter/", name="subscribe")
    def subscribe(self, request):
        from ..views import subscriptions

        return subscriptions.subscribe(request, self)

    # The family file (views/family_file.py): every route checks the family is the account's.
    @path("famille/<int:family_id>/", name="family_file")
    def family_file(self, request, family_id):
        return self._family_view("family_file", request, family_id)

    @path("famille/<int:family_id>/enfant/<int:child_id>/", name="child_file")
    def child_file(self, request, family_id, child_id):
        return self._family_view("child_file", request, family_id, child_id=child_id)

    @path(
        "famille/<int:family_id>/modifier/<str:target_type>/<int:target_id>/",
        name="family_change",
    )
    def family_change(self, request, family_id, target_type, target_id):
        return self._family_view(
            "family_change", request, family_id, target_type=target_type, target_id=target_id
        )

    @path("famille/<int:family_id>/ajouter/<str:target_type>/", name="family_add")
    def family_add(self, request, family_id, target_type):
        return self._family_view("family_add", request, family_id, target_type=target_type)

    @path(
        "famille/<int:family_id>/ajouter/<str:target_type>/<int:parent_id>/",
        name="family_add_for",
    )
    def family_add_for(self, request, family_id, target_type, parent_id):
        return self._family_view(
            "family_add", request, family_id, target_type=target_type, parent_id=parent_id
        )

    @path(
        "famille/<int:family_id>/retirer/contact/<int:contact_id>/",
        name="family_remove_contact",
    )
    def family_remove_contact(self, request, family_id, contact_id):
        return self._family_view("remove_contact", request, family_id, contact_id=contact_id)

    @path("famille/<int:family_id>/enfant/<int:child_id>/photo/", name="child_photo")
    def child_photo(self, request, family_id, child_id):
        return self._family_view("child_photo", request, family_id, child_id=child_id)

    @path(
        "famille/<int:family_id>/enfant/<int:child_id>/photo/modifier/",
        name="child_photo_change",
    )
    def child_photo_change(self, request, family_id, child_id):
        return self._family_view("child_photo_change", request, family_id, child_id=child_id)

    @path(
        "famille/<int:family_id>/demandes/<int:request_id>/retirer/",
        name="withdraw_change",
    )
    def withdraw_change(self, request, family_id, request_id):
        return self._family_view("withdraw_change", request, family_id, request_id=request_id)

    # The planning, bookings and absences, the calendar feed (views/planning.py): every route
    # checks the family is the account's.
    @path("famille/<int:family_id>/planning/", name="planning")
    def planning(self, request, family_id):
        return self._planning_view("planning", request, family_id)

    @path("famille/<int:family_id>/planning/jour/", name="planning_day")
    def planning_day(self, request, family_id):
        return self._planning_view("planning_day", request, family_id)

    @path("famille/<int:family_id>/reservations/", name="period_request")
    def period_request(self, request, family_id):
        return self._planning_view("period_request", request, family_id)

    @path("famille/<int:family_id>/calendrier/", name="calendar_settings")
    def calendar_settings(self, request, family_id):
        return self._planning_view("calendar_settings", request, family_id)

    # Wagtail's page URLs take letters, digits, "-" and "_" only: the same feed ending in
    # ".ics" (…/calendrier/<token>.ics, the address families are given) is a Django URL of
    # wagtail_family_portal.urls. Calendar programs read the answer's Content-Type.
    @path("calendrier/<str:token>/", name="calendar_feed")
    def calendar_feed(self, request, token):
        from ..views import planning

        return planning.calendar_feed(request, self, token)

    # "Mes demandes" (views/requests.py): every route checks the family is the account's.
    @path("famille/<int:family_id>/demandes/", name="requests_list")
    def requests_list(self, request, family_id):
        from ..views import requests

        return requests.requests_list(request, self, family_id)

    @path("famille/<int:family_id>/demandes/<int:request_id>/", name="request_detail")
    def request_detail(self, request, family_id, request_id):
        from ..views import requests

        return requests.request_detail(request, self, family_id, request_id=request_id)

    def _planning_view(self, name, request, family_id, **kwargs):
        from ..views import planning

        return getattr(planning, name)(request, self, family_id, **kwargs)

    def _family_view(self, name, request, family_id, **kwargs):
        from ..views import family_file

        return getattr(family_file, name)(request, self, family_id, **kwargs)

    def _account_view(self, name, request, **kwargs):
        from ..views import accounts

        return getattr(accounts, name)(request, self, **kwargs)

    @classmethod
    def for_site(cls, site):
        """The live portal page of ``site`` (the first one, if an editor placed several)."""
        if site is None:
            return None
        return cls.objects.live().in_site(site).order_by("path").first()
