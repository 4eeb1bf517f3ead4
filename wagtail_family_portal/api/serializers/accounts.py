"""Bodies of the account endpoints: log in, sign up, activation, the account, its e-mail
preferences and its subscriptions."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import AccountProfile, Guardian, Subscription
from .common import MunicipalitySummarySerializer

# The machine codes of an activation link that cannot be used (services.accounts.AccountError).
ACTIVATION_ERROR_CODES = ["expired", "invalid", "already_active"]
TERMS_REQUIRED = _("You must accept the terms of use to create an account.")
DECISION_EMAILS_CHOICE = _(
    "Choose “digest” (a summary of the decisions at set times of the day) or “none” (no e-mail "
    "about decisions)."
)


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("e-mail address"))
    password = serializers.CharField(
        label=pgettext_lazy("family portal", "password"),
        trim_whitespace=False,
        style={"input_type": "password"},
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text=_("Send it as the header “Authorization: Token <token>”.")
    )


class SignUpRequestSerializer(serializers.Serializer):
    """The sign-up form's fields; the content rules (password strength…) are the service's."""

    email = serializers.EmailField(label=_("e-mail address"), max_length=254)
    password = serializers.CharField(
        label=pgettext_lazy("family portal", "password"),
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=_("Checked against the site's password rules."),
    )
    first_name = serializers.CharField(
        label=pgettext_lazy("family portal", "first name"), max_length=150
    )
    last_name = serializers.CharField(
        label=pgettext_lazy("family portal", "last name"), max_length=150
    )
    phone = serializers.CharField(label=_("phone"), max_length=30, required=False, allow_blank=True)
    civility = serializers.ChoiceField(
        label=_("civility"), choices=Guardian.Civility.choices, required=False, allow_blank=True
    )
    subscriber_code = serializers.CharField(
        label=_("subscriber code"),
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=_("Optional: the family file is linked when the account is activated."),
    )
    accept_terms = serializers.BooleanField(
        label=_("I accept the terms of use"),
        # Missing and false get the same message (the service words the "false" one).
        error_messages={"required": TERMS_REQUIRED},
        help_text=_("Must be true: the municipality's terms of use, shown on the sign-up page."),
    )


class ActivationRequestSerializer(serializers.Serializer):
    token = serializers.CharField(
        label=_("activation token"),
        max_length=500,
        help_text=_("The last part of the activation link: …/activation/<token>/."),
    )


class ActivationErrorSerializer(serializers.Serializer):
    """A link that cannot activate an account (documentation only)."""

    token = serializers.ListField(child=serializers.CharField())
    code = serializers.ChoiceField(
        choices=ACTIVATION_ERROR_CODES,
        help_text=_(
            "expired: ask for a new link (auth/activate/resend/); invalid: damaged or forged "
            "link; already_active: the account can log in."
        ),
    )


class EmailRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("e-mail address"), max_length=254)


class SubscriptionSerializer(serializers.ModelSerializer):
    family_id = serializers.IntegerField(source="family.pk", read_only=True)
    family_name = serializers.CharField(source="family.name", read_only=True)
    municipality = MunicipalitySummarySerializer(source="family.municipality", read_only=True)

    class Meta:
        model = Subscription
        fields = ["family_id", "family_name", "municipality"]


class LinkedSubscriptionSerializer(SubscriptionSerializer):
    """A subscription with the moment the account was linked to the family."""

    linked_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "linked_at"]


class SubscribeRequestSerializer(serializers.Serializer):
    subscriber_code = serializers.CharField(
        label=_("subscriber code"),
        max_length=64,
        help_text=_("As printed; case, spaces and dashes do not matter."),
    )


class AccountSerializer(serializers.ModelSerializer):
    """The logged-in account and the family files it is linked to."""

    phone = serializers.SerializerMethodField()
    civility = serializers.SerializerMethodField()
    subscriptions = serializers.SerializerMethodField()
    unread_messages = serializers.SerializerMethodField(
        help_text=_(
            "Messages of the municipality this account has not read yet, in the requests of "
            "all its families."
        )
    )

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "civility",
            "subscriptions",
            "unread_messages",
        ]
        read_only_fields = fields

    # The view passes the account's profile (None for an account made outside the portal, such
    # as an agent's), its subscriptions and its number of unread messages, each loaded in one
    # query.

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_phone(self, user):
        profile = self.context.get("profile")
        return (str(profile.phone) or None) if profile and profile.phone else None

    @extend_schema_field(
        serializers.ChoiceField(choices=Guardian.Civility.choices, allow_null=True)
    )
    def get_civility(self, user):
        profile = self.context.get("profile")
        return (profile.civility or None) if profile else None

    @extend_schema_field(SubscriptionSerializer(many=True))
    def get_subscriptions(self, user):
        return SubscriptionSerializer(self.context["subscriptions"], many=True).data

    def get_unread_messages(self, user) -> int:
        return self.context["unread_messages"]


class NotificationPreferencesSerializer(serializers.Serializer):
    """What the account receives by e-mail. Receipts of its requests are always sent."""

    decision_emails = serializers.ChoiceField(
        choices=AccountProfile.DecisionEmails.choices,
        error_messages={"invalid_choice": DECISION_EMAILS_CHOICE, "null": DECISION_EMAILS_CHOICE},
        help_text=_(
            "digest (the default): the decisions on the families' requests in one e-mail at set "
            "times of the day; none: no e-mail about decisions."
        ),
    )
