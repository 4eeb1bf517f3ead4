"""Request and response bodies of the API."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Municipality, Subscription


class ErrorSerializer(serializers.Serializer):
    """The body of an error that concerns the whole request (documentation only)."""

    detail = serializers.CharField()


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("e-mail address"))
    password = serializers.CharField(
        label=_("password"), trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text=_("Send it as the header “Authorization: Token <token>”.")
    )


class MunicipalitySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Municipality
        fields = ["id", "name"]


class SubscriptionSerializer(serializers.ModelSerializer):
    family_id = serializers.IntegerField(source="family.pk", read_only=True)
    family_name = serializers.CharField(source="family.name", read_only=True)
    municipality = MunicipalitySummarySerializer(source="family.municipality", read_only=True)

    class Meta:
        model = Subscription
        fields = ["family_id", "family_name", "municipality"]


class AccountSerializer(serializers.ModelSerializer):
    """The logged-in account and the family files it is linked to."""

    subscriptions = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "email", "first_name", "last_name", "subscriptions"]
        read_only_fields = fields

    @extend_schema_field(SubscriptionSerializer(many=True))
    def get_subscriptions(self, user):
        # The view passes the account's subscriptions, loaded in one query.
        return SubscriptionSerializer(self.context["subscriptions"], many=True).data
