"""API views: thin, they check input, call the domain and serialise the answer."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from ..models import Subscription
from .base import FamilyPortalAPIView
from .exceptions import InvalidCredentials
from .serializers import (
    AccountSerializer,
    ErrorSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .throttling import AuthRateThrottle

ERROR_401 = OpenApiResponse(ErrorSerializer, description="Not logged in.")
ERROR_429 = OpenApiResponse(ErrorSerializer, description="Too many attempts; retry later.")


class TokenView(FamilyPortalAPIView):
    """Exchange an e-mail address and password for the account's API token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "A field is missing or invalid, or the address and password do not open an "
                    "active account (the same answer whether or not the address exists)."
                ),
            ),
            429: ERROR_429,
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            email=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise InvalidCredentials()
        token, _created = Token.objects.get_or_create(user=user)
        return Response(TokenSerializer({"token": token.key}).data)


class MeView(FamilyPortalAPIView):
    """The logged-in account and its subscriptions (the family files it may see)."""

    @extend_schema(
        operation_id="me_retrieve",
        tags=["account"],
        responses={200: AccountSerializer, 401: ERROR_401, 429: ERROR_429},
    )
    def get(self, request):
        subscriptions = (
            Subscription.objects.filter(user=request.user)
            .select_related("family__municipality")
            .order_by("family__name", "family__pk")
        )
        serializer = AccountSerializer(request.user, context={"subscriptions": subscriptions})
        return Response(serializer.data)
