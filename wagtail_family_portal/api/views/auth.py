"""The ``auth/`` endpoints: log in for a token, sign up, activate an account, send a new link.

Open to anonymous clients and rate limited per IP address. Errors that follow a write the
request must keep (a failed login counted by django-axes, a subscriber code attempt) are
returned rather than raised (api/responses.py).
"""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from ... import lockout
from ...http import absolute_portal_url, client_ip, portal_page_for_request, request_site
from ...models.accounts import SubscriptionAttempt
from ...services import accounts
from ...throttling import AuthRateThrottle
from ..base import FamilyPortalAPIView
from ..exceptions import InvalidCredentials
from ..openapi import extend_schema
from ..responses import ERROR_429, error_answer, error_response
from ..serializers.accounts import (
    ActivationErrorSerializer,
    ActivationRequestSerializer,
    EmailRequestSerializer,
    SignUpRequestSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from ..serializers.common import DetailSerializer

SIGNUP_ACCEPTED = _(
    "Thank you. Unless this address already has an account, an e-mail with a link to activate "
    "your account is on its way: check your inbox (and your spam folder)."
)
ACTIVATION_RESENT = _(
    "If this address has an account waiting for activation, a new activation link is on its "
    "way: check your inbox (and your spam folder)."
)
ACCOUNT_ACTIVATED = _("Your account is activated: you can log in.")
NO_PORTAL_PAGE = _(
    "Accounts cannot be created on this site yet: it has no family portal page, so activation "
    "links cannot be built. Contact the municipality."
)
NOT_ACTIVATED = _(
    "This account is not activated yet. Open the link in the e-mail we sent you, or ask for a "
    "new one."
)


def portal_links(request):
    """(site, portal_url) for the e-mails' links, or (site, None) when no portal page exists."""
    page = portal_page_for_request(request)
    site = request_site(request)
    return site, (absolute_portal_url(request, page) if page is not None else None)


class AuthEndpoint(FamilyPortalAPIView):
    """An ``auth/`` endpoint: open to anonymous clients, rate limited per IP address."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AuthRateThrottle]


class TokenView(AuthEndpoint):
    """Exchange an e-mail address and password for the account's API token."""

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: error_answer(
                (
                    "A field is missing or invalid, or the address and password do not open an "
                    "active account (the same answer whether or not the address exists). An "
                    "account not activated yet gets its own message, only when the password is "
                    "right."
                ),
            ),
            429: error_answer(
                (
                    "Too many attempts, or too many failed logins for this account from this IP "
                    "address, or from this IP address whatever the accounts (blocked for a "
                    "while); the message and the Retry-After header say how long is left."
                ),
            ),
        },
        auth=[],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = serializer.validated_data["email"]
        password = serializer.validated_data["password"]
        # django-axes counts the failures and refuses an account locked from this IP address, or
        # an IP address over its own ceiling (see lockout.py).
        user = authenticate(request._request, email=email, password=password)
        if lockout.is_locked_out(request._request):
            refused = lockout.current_lockout(request._request)
            response = error_response(429, {"detail": refused.message}, retry_after=refused.seconds)
            # The axes middleware keeps this answer (see lockout.lockout_response).
            response.wfp_lockout_shown = True
            return response
        if user is None:
            if accounts.awaits_activation(email, password):
                return error_response(400, {"detail": NOT_ACTIVATED})
            return error_response(400, {"detail": InvalidCredentials.default_detail})
        return Response(TokenSerializer({"token": accounts.issue_token(user)}).data)


class SignUpView(AuthEndpoint):
    """Create an inactive account and send its activation e-mail."""

    @extend_schema(
        operation_id="auth_signup_create",
        tags=["auth"],
        request=SignUpRequestSerializer,
        responses={
            202: OpenApiResponse(
                DetailSerializer,
                description=(
                    "The same answer whether the address is new or already has an account (that "
                    "account's owner gets an e-mail saying so), and whether the subscriber code "
                    "exists or not: the activation e-mail says whether the family will be "
                    "linked, or that the code was not recognised (or not checked, after too "
                    "many wrong codes from this IP address) and how to link it later."
                ),
            ),
            400: error_answer(
                (
                    "{field: [messages]} for bad input (email, password, first_name, last_name, "
                    "phone, civility, subscriber_code too long, accept_terms), or {detail} when "
                    "the site has no portal page to build activation links from."
                ),
            ),
            429: error_answer(
                (
                    "Too many sign-up attempts from this IP address; the Retry-After header says "
                    "when to retry."
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "Sign-up",
                request_only=True,
                value={
                    "email": "parent@example.org",
                    "password": "a long passphrase",
                    "first_name": "Camille",
                    "last_name": "Martin",
                    "phone": "06 12 34 56 78",
                    "civility": "MME",
                    "subscriber_code": "DEMO-DURAND-2026",
                    "accept_terms": True,
                },
            )
        ],
        auth=[],
    )
    def post(self, request):
        serializer = SignUpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        site, portal_url = portal_links(request)
        if portal_url is None:
            return error_response(400, {"detail": NO_PORTAL_PAGE})
        data = serializer.validated_data
        try:
            accounts.sign_up(
                email=data["email"],
                password=data["password"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                accept_terms=data["accept_terms"],
                civility=data.get("civility", ""),
                phone=data.get("phone", ""),
                subscriber_code=data.get("subscriber_code", ""),
                site=site,
                portal_url=portal_url,
                ip_address=client_ip(request),
                channel=SubscriptionAttempt.Channel.API,
            )
        except ValidationError as error:
            return error_response(400, error.message_dict)
        return Response({"detail": SIGNUP_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class ActivateView(AuthEndpoint):
    """Activate an account with the token of its activation link."""

    @extend_schema(
        operation_id="auth_activate_create",
        tags=["auth"],
        request=ActivationRequestSerializer,
        responses={
            200: DetailSerializer,
            400: OpenApiResponse(
                ActivationErrorSerializer,
                description=(
                    "The link cannot activate an account: {token: [message], code: expired | "
                    "invalid | already_active}; a missing token is {token: [message]} alone."
                ),
            ),
            429: ERROR_429,
        },
        auth=[],
    )
    def post(self, request):
        serializer = ActivationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            activation = accounts.activate(serializer.validated_data["token"])
        except accounts.AccountError as error:
            return error_response(400, {"token": [error.message], "code": error.code})
        notice = accounts.activation_notice(activation)
        detail = f"{ACCOUNT_ACTIVATED} {notice}" if notice else str(ACCOUNT_ACTIVATED)
        return Response({"detail": detail})


class ResendActivationView(AuthEndpoint):
    """Send a new activation link to an account waiting for activation."""

    @extend_schema(
        operation_id="auth_activate_resend_create",
        tags=["auth"],
        request=EmailRequestSerializer,
        responses={
            202: OpenApiResponse(
                DetailSerializer,
                description=(
                    "The same answer whatever the address: unknown, active, waiting for "
                    "activation, or sent a link moments ago."
                ),
            ),
            400: error_answer(
                (
                    "{email: [message]} for a missing or invalid address, or {detail} when the "
                    "site has no portal page to build activation links from."
                ),
            ),
            429: ERROR_429,
        },
        auth=[],
    )
    def post(self, request):
        serializer = EmailRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        site, portal_url = portal_links(request)
        if portal_url is None:
            return error_response(400, {"detail": NO_PORTAL_PAGE})
        accounts.resend_activation(
            email=serializer.validated_data["email"], site=site, portal_url=portal_url
        )
        return Response({"detail": ACTIVATION_RESENT}, status=status.HTTP_202_ACCEPTED)
