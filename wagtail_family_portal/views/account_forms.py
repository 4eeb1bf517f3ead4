"""Forms of the account pages: sign-up, new activation link, password reset, e-mail choices.

They check what a field can check alone (required, e-mail format, the two passwords match);
every rule about accounts lives in ``services.accounts``, whose errors the views map back onto
these fields.
"""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from ..models import AccountProfile, Guardian


def _email_field(**kwargs) -> forms.EmailField:
    return forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
        **kwargs,
    )


def _text_input(autocomplete: str, **attrs) -> forms.TextInput:
    return forms.TextInput(attrs={"autocomplete": autocomplete, **attrs})


class SignUpForm(forms.Form):
    # Service field → form field, for the errors ``services.accounts.sign_up`` raises.
    SERVICE_FIELDS = {"password": "password1"}

    civility = forms.ChoiceField(
        label=_("Civility"),
        required=False,
        # Madame first, as on French forms.
        choices=[
            (Guardian.Civility.MRS.value, Guardian.Civility.MRS.label),
            (Guardian.Civility.MR.value, Guardian.Civility.MR.label),
        ],
        widget=forms.RadioSelect,
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=_text_input("family-name")
    )
    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=_text_input("given-name")
    )
    email = _email_field(
        help_text=_("You will log in with it. We send a link to it to activate your account."),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    password1 = forms.CharField(
        label=pgettext_lazy("family portal", "Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Type the same password again, to avoid a typing mistake."),
    )
    subscriber_code = forms.CharField(
        label=_("Subscriber code (optional)"),
        required=False,
        max_length=40,
        widget=_text_input("off", autocapitalize="characters", spellcheck="false"),
        help_text=_(
            "Printed on the paperwork the municipality sends you (enrolment letter, invoice). "
            "With it, your account is linked to your family file as soon as it is activated. "
            "You can also add it later."
        ),
    )
    accept_terms = forms.BooleanField(
        label=_("I have read and I accept the terms of use of the portal."),
        error_messages={
            "required": _("You must accept the terms of use to create an account."),
        },
    )

    def clean(self):
        cleaned_data = super().clean()
        password1, password2 = cleaned_data.get("password1"), cleaned_data.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords are different. Type them again."))
        if password1:
            # The service checks it too; checked here as well so that a weak password is shown
            # with the other mistakes at once, not after they are fixed.
            try:
                password_validation.validate_password(password1, user=self._candidate())
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned_data

    def _candidate(self):
        """An unsaved account with what was typed, for the "too similar" validator."""
        User = get_user_model()
        data = self.cleaned_data
        user = User(**{User.get_email_field_name(): data.get("email", "")})
        user.first_name, user.last_name = data.get("first_name", ""), data.get("last_name", "")
        return user

    def service_arguments(self) -> dict:
        """The keyword arguments of ``services.accounts.sign_up`` this form provides."""
        data = self.cleaned_data
        return {
            "email": data["email"],
            "password": data["password1"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "accept_terms": data["accept_terms"],
            "civility": data["civility"],
            "phone": data["phone"],
            "subscriber_code": data["subscriber_code"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the errors of ``sign_up`` on the fields they concern."""
        for field, messages in error.message_dict.items():
            field = self.SERVICE_FIELDS.get(field, field)
            if field not in self.fields:
                field = NON_FIELD_ERRORS
            self.add_error(None if field == NON_FIELD_ERRORS else field, messages)


class EmailForm(forms.Form):
    """The address to send a new activation link to."""

    email = _email_field()


class PortalPasswordResetForm(PasswordResetForm):
    """Django's password-reset form, whose e-mail is the portal's, queued after commit.

    Django finds the accounts (active ones with a usable password, by their e-mail field) and
    makes the token; the e-mail itself is rendered by ``tasks.send_password_reset_email`` from
    the site's editable wording, through django-q2. The view passes ``portal_page``,
    ``portal_url`` and ``site_id`` in ``extra_email_context``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")
        self.fields["email"].widget.attrs.update(
            {"autocomplete": "email", "autocapitalize": "none"}
        )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from django_q.tasks import async_task

        page, portal_url = context["portal_page"], context["portal_url"]
        reset_path = page.reverse_subpage(
            "password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        args = (
            context["user"].pk,
            context["site_id"],
            portal_url,
            portal_url.rstrip("/") + "/" + reset_path,
            get_language(),
        )
        transaction.on_commit(
            lambda: async_task("wagtail_family_portal.tasks.send_password_reset_email", *args)
        )


class NotificationSettingsForm(forms.ModelForm):
    """Whether the account gets the digest of decisions at set times, or no e-mail about them.

    Receipts of requests are always sent (the field's help text says so).
    """

    class Meta:
        model = AccountProfile
        fields = ["decision_emails"]
        widgets = {"decision_emails": forms.RadioSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["decision_emails"]
        field.choices = [(value, capfirst(label)) for value, label in field.choices]
