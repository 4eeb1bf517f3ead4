"""Portal root: dashboard for families, login and logout entry points for visitors."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from ..models import Family, FamilyPortalSettings


class EmailAuthenticationForm(AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "type": "email"})


def dashboard(request, page):
    context = page.get_context(request)
    context["portal_settings"] = FamilyPortalSettings.for_request(request)
    if request.user.is_authenticated:
        families = (
            Family.objects.for_account(request.user)
            .select_related("municipality")
            .prefetch_related("guardians", "children__enrolments__activity")
        )
        context["families"] = list(families)
    return TemplateResponse(request, page.template, context)


def login(request, page):
    return auth_views.LoginView.as_view(
        template_name="wagtail_family_portal/login.html",
        authentication_form=EmailAuthenticationForm,
        next_page=page.url,
        extra_context={"page": page, "self": page},
        redirect_authenticated_user=True,
    )(request)


def logout(request, page):
    if request.method != "POST":
        return redirect(page.url)
    return auth_views.LogoutView.as_view(next_page=page.url)(request)
