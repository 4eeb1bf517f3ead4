"""API views: thin, they check input, call the domain and serialise the answer.

Errors that follow a write the request must keep (a subscriber code attempt, a failed login
counted by django-axes) are *returned* rather than raised: DRF's exception handler rolls back
the request's transaction when the host sets ``ATOMIC_REQUESTS``, and the brute-force counters
would go with it.
"""

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from .. import lockout
from ..http import (
    absolute_portal_url,
    client_ip,
    municipality_for_request,
    portal_page_for_request,
    request_site,
)
from ..models import AccountProfile, Family, Subscription
from ..models.accounts import SubscriptionAttempt
from ..services import accounts, subscriptions
from ..services import requests as requests_service
from ..throttling import AuthRateThrottle
from .base import FamilyPortalAPIView
from .exceptions import UNKNOWN_ADDRESS, InvalidCredentials
from .openapi import extend_schema
from .serializers import (
    AccountSerializer,
    ActivationErrorSerializer,
    ActivationRequestSerializer,
    DetailSerializer,
    EmailRequestSerializer,
    ErrorSerializer,
    LinkedSubscriptionSerializer,
    NotificationPreferencesSerializer,
    SignUpRequestSerializer,
    SubscribeRequestSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)

ERROR_400 = OpenApiResponse(
    ErrorSerializer, description="A field is missing or invalid: {field: [messages]}."
)
ERROR_401 = OpenApiResponse(ErrorSerializer, description="Not logged in.")
ERROR_429 = OpenApiResponse(
    ErrorSerializer, description="Too many attempts; the Retry-After header says when to retry."
)
PREFERENCE_ANSWERS = {
    200: NotificationPreferencesSerializer,
    400: OpenApiResponse(
        ErrorSerializer,
        description="{decision_emails: [message]}: missing (PUT), or neither digest nor none.",
    ),
    401: ERROR_401,
    429: ERROR_429,
}

SIGNUP_ACCEPTED = _(
    "Thank you. Unless this address already has an account, an e-mail with a link to activate "
    "your account is on its way: check your inbox (and your spam folder)."
)
ACTIVATION_RESENT = _(
    "If this address has an account waiting for activation, a new activation link is on its "
    "way: check your inbox (and your spam folder)."
)
MISSING_SLASH = _("The addresses of the family portal's API end with a slash (/).")
ACCOUNT_ACTIVATED = _("Your account is activated: you can log in.")
NO_PORTAL_PAGE = _(
    "Accounts cannot be created on this site yet: it has no family portal page, so activation "
    "links cannot be built. Contact the municipality."
)
NOT_ACTIVATED = _(
    "This account is not activated yet. Open the link in the e-mail we sent you, or ask for a "
    "new one."
)


def error_response(status_code: int, data: dict, retry_after: int | None = None) -> Response:
    response = Response(data, status=status_code)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


def too_many_attempts(error: subscriptions.TooManyAttempts) -> Response:
    return error_response(429, {"detail": error.message}, retry_after=error.retry_after)


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
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "A field is missing or invalid, or the address and password do not open an "
                    "active account (the same answer whether or not the address exists). An "
                    "account not activated yet gets its own message, only when the password is "
                    "right."
                ),
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description=(
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
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "{field: [messages]} for bad input (email, password, first_name, last_name, "
                    "phone, civility, subscriber_code too long, accept_terms), or {detail} when "
                    "the site has no portal page to build activation links from."
                ),
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description=(
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
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
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
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "{subscriber_code: [message]}: missing, or not recognised on this site (the "
                    "same words for an unknown code and for a code of another municipality)."
                ),
            ),
            401: ERROR_401,
            409: OpenApiResponse(
                ErrorSerializer, description="The account is already linked to this family."
            ),
            429: OpenApiResponse(
                ErrorSerializer,
                description=(
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


class UnknownAddressView(FamilyPortalAPIView):
    """Every address under the API's base path that no endpoint answers (``families/abc/``
    included): a JSON 404 for any method, logged in or not, rather than Django's HTML page."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.path.endswith("/") and is_api_endpoint(request.path + "/"):
            raise NotFound(MISSING_SLASH)
        raise NotFound(UNKNOWN_ADDRESS)


def is_api_endpoint(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return getattr(match.func, "view_class", None) is not UnknownAddressView
