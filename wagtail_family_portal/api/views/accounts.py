"""The logged-in account (``me/``), its e-mail preferences and its subscriptions."""

from drf_spectacular.utils import OpenApiExample
from rest_framework import status
from rest_framework.response import Response

from ...http import client_ip, municipality_for_request
from ...models import AccountProfile, Family, Subscription
from ...models.accounts import SubscriptionAttempt
from ...services import accounts, subscriptions
from ...services import requests as requests_service
from ..base import FamilyPortalAPIView
from ..openapi import extend_schema
from ..responses import ERROR_401, ERROR_429, error_answer, error_response, too_many_attempts
from ..serializers.accounts import (
    AccountSerializer,
    LinkedSubscriptionSerializer,
    NotificationPreferencesSerializer,
    SubscribeRequestSerializer,
)

PREFERENCE_ANSWERS = {
    200: NotificationPreferencesSerializer,
    400: error_answer(
        "{decision_emails: [message]}: missing (PUT), or neither digest nor none.",
    ),
    401: ERROR_401,
    429: ERROR_429,
}


class MeView(FamilyPortalAPIView):
    """The logged-in account, its subscriptions (the family files it may see) and its number of
    unread messages."""

    @extend_schema(
        operation_id="me_retrieve",
        tags=["account"],
        responses={200: AccountSerializer, 401: ERROR_401, 429: ERROR_429},
    )
    def get(self, request):
        serializer = AccountSerializer(
            request.user,
            context={
                "profile": AccountProfile.objects.filter(user=request.user).first(),
                "subscriptions": Subscription.objects.for_account(request.user).listed(),
                "unread_messages": requests_service.unread_total(
                    request.user, Family.objects.for_account(request.user)
                ),
            },
        )
        return Response(serializer.data)


class NotificationsView(FamilyPortalAPIView):
    """The account's e-mail preferences: the decisions in a digest, or no e-mail about them."""

    @extend_schema(
        operation_id="me_notifications_retrieve",
        tags=["account"],
        responses={200: NotificationPreferencesSerializer, 401: ERROR_401, 429: ERROR_429},
    )
    def get(self, request):
        profile = AccountProfile.objects.filter(user=request.user).only("decision_emails").first()
        value = profile.decision_emails if profile else AccountProfile.DecisionEmails.DIGEST
        return Response({"decision_emails": value})

    @extend_schema(
        operation_id="me_notifications_update",
        tags=["account"],
        request=NotificationPreferencesSerializer,
        responses=PREFERENCE_ANSWERS,
        examples=[
            OpenApiExample("No e-mail about decisions", value={"decision_emails": "none"}),
        ],
    )
    def put(self, request):
        return self.save(request, partial=False)

    @extend_schema(
        operation_id="me_notifications_partial_update",
        tags=["account"],
        request=NotificationPreferencesSerializer,
        responses=PREFERENCE_ANSWERS,
    )
    def patch(self, request):
        return self.save(request, partial=True)

    def save(self, request, *, partial):
        serializer = NotificationPreferencesSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        value = serializer.validated_data.get("decision_emails")
        if value is None:  # PATCH {}: nothing to change
            return self.get(request)
        profile = accounts.set_decision_emails(request.user, value)
        return Response({"decision_emails": profile.decision_emails})


class SubscriptionsView(FamilyPortalAPIView):
    """The account's subscriptions ("Mes abonnements"), and linking a family by its code."""

    @extend_schema(
        operation_id="subscriptions_list",
        tags=["account"],
        responses={
            200: LinkedSubscriptionSerializer(many=True),
            401: ERROR_401,
            429: ERROR_429,
        },
    )
    def get(self, request):
        subscriptions_ = Subscription.objects.for_account(request.user).listed()
        return Response(LinkedSubscriptionSerializer(subscriptions_, many=True).data)

    @extend_schema(
        operation_id="subscriptions_create",
        tags=["account"],
        request=SubscribeRequestSerializer,
        responses={
            201: LinkedSubscriptionSerializer,
            400: error_answer(
                (
                    "{subscriber_code: [message]}: missing, or not recognised on this site (the "
                    "same words for an unknown code and for a code of another municipality)."
                ),
            ),
            401: ERROR_401,
            409: error_answer("The account is already linked to this family."),
            429: error_answer(
                (
                    "Too many wrong codes in the last hour (5 per account, 20 per IP address): "
                    "every code is refused, right or wrong, until the Retry-After header's "
                    "seconds have passed."
                ),
            ),
        },
    )
    def post(self, request):
        serializer = SubscribeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            subscription = subscriptions.subscribe(
                code=serializer.validated_data["subscriber_code"],
                user=request.user,
                municipality=municipality_for_request(request),
                ip_address=client_ip(request),
                channel=SubscriptionAttempt.Channel.API,
            )
        except subscriptions.TooManyAttempts as error:
            return too_many_attempts(error)
        except subscriptions.SubscriptionError as error:
            if error.code == "already_linked":
                return error_response(409, {"detail": error.message})
            return error_response(400, {"subscriber_code": [error.message]})
        return Response(
            LinkedSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED
        )
