"""API views of the family file and of its change requests.

Every query goes through ``Family.objects.for_account`` or ``Request.objects.for_account``: an
id of another family answers 404, like an unknown one. The field rules and the texts are those
of the site of the family's municipality (the request's site for a municipality tied to none),
so that an account linked to families of two towns sees each file as its town configured it.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ..http import request_site
from ..models import Family, FamilyFileRules, Request, RequestEvent
from ..models.bookings import BookingLine, BookingLineEvent
from ..services import bookings, dossier
from ..services import requests as requests_service
from .base import FamilyPortalAPIView
from .bookings import WAITING, BookingRequestSerializer, WithdrawBodySerializer
from .change_requests import (
    FileChangeBodySerializer,
    PhotoUploadSerializer,
    RequestSerializer,
    api_error,
)
from .exceptions import NOT_FOUND, ConflictError
from .family_file import (
    ChildPhotoLinks,
    FamilyFileSerializer,
    family_file_queryset,
    pending_changes,
    tax_help_text,
)
from .openapi import extend_schema
from .parsers import FormParser, MultiPartParser
from .serializers import ErrorSerializer
from .views import ERROR_401, ERROR_429

TAGS = ["family file"]
ERROR_404 = OpenApiResponse(
    ErrorSerializer, description="Unknown, or belonging to a family the account is not linked to."
)
ERROR_409_PENDING = OpenApiResponse(
    ErrorSerializer,
    description="A change of the same field (or the same removal, or a photo) is already "
    "waiting for validation: withdraw it first.",
)
ANY_REQUEST = PolymorphicProxySerializer(
    component_name="AnyRequest",
    serializers={
        Request.Kind.FILE_CHANGE.value: RequestSerializer,
        Request.Kind.BOOKING.value: BookingRequestSerializer,
        Request.Kind.ABSENCE.value: BookingRequestSerializer,
    },
    resource_type_field_name="kind",
)
NOTHING_WAITING = _("Nothing in this request is still waiting: it cannot be withdrawn.")
UNKNOWN_LINES = _("These days are not days of this request.")
WITHDRAWN_WHOLE = _("A change to the family file is withdrawn as a whole: send no lines.")


def family_site(family: Family, request):
    """The site whose rules and texts apply to ``family``."""
    return family.municipality.site or request_site(request)


def account_family(request, family_id, queryset=None) -> Family:
    """The account's family ``family_id`` (``Family.objects.account_family``), or 404."""
    families = queryset if queryset is not None else Family.objects.all()
    family = families.select_related("municipality__site").account_family(request.user, family_id)
    if family is None:
        raise NotFound(NOT_FOUND)
    return family


def account_request(request, request_id) -> Request:
    requests = (
        Request.objects.for_account(request.user)
        .select_related("family__municipality__site")
        .prefetch_related(
            "file_changes",
            Prefetch("events", queryset=RequestEvent.objects.select_related("user")),
            Prefetch("booking_lines", queryset=BookingLine.objects.order_by("date", "pk")),
            Prefetch(
                "booking_lines__events",
                queryset=BookingLineEvent.objects.select_related("user"),
            ),
        )
    )
    return get_object_or_404(requests, pk=request_id)


def request_answer(request, family_request: Request, status_code=status.HTTP_200_OK) -> Response:
    """The request as the account sees it: its messages not read yet are ``new``."""
    context = {"unread": requests_service.unread_event_ids(family_request, request.user)}
    if family_request.kind != Request.Kind.FILE_CHANGE:
        return Response(
            BookingRequestSerializer(family_request, context=context).data, status=status_code
        )
    context["rules"] = FamilyFileRules.rules_for(family_site(family_request.family, request))
    return Response(RequestSerializer(family_request, context=context).data, status=status_code)


def created(request, family_request: Request) -> Response:
    """201 with the new request, read again with its lines and history."""
    return request_answer(
        request, account_request(request, family_request.pk), status.HTTP_201_CREATED
    )


class FamilyFileView(FamilyPortalAPIView):
    """The family file: the family, its guardians and children, and the changes waiting."""

    @extend_schema(
        operation_id="family_file_retrieve",
        tags=TAGS,
        responses={200: FamilyFileSerializer, 401: ERROR_401, 404: ERROR_404, 429: ERROR_429},
    )
    def get(self, request, family_id):
        family = account_family(request, family_id, family_file_queryset(Family.objects))
        site = family_site(family, request)
        rules = FamilyFileRules.rules_for(site)
        context = {
            "rules": rules,
            "tax_help_text": tax_help_text(site),
            "photo_url": ChildPhotoLinks(request._request, site),
            "pending_changes": pending_changes(family, rules),
        }
        return Response(FamilyFileSerializer(family, context=context).data)


class FamilyChangesView(FamilyPortalAPIView):
    """Propose a change to the family file; nothing changes until an agent accepts it."""

    @extend_schema(
        operation_id="family_changes_create",
        tags=TAGS,
        request=FileChangeBodySerializer,
        responses={
            201: RequestSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "{<field>: [messages]} for a field of the body (target_type, target_id, "
                    "parent_id, fields) or of the record (a value that is not valid, a field "
                    "the rules make read-only or hide, a required field missing from an "
                    "addition); {detail} when nothing would change or the record cannot be "
                    "added or removed online."
                ),
            ),
            401: ERROR_401,
            404: ERROR_404,
            409: ERROR_409_PENDING,
            429: ERROR_429,
        },
        examples=[
            OpenApiExample(
                "Change a guardian's phone",
                request_only=True,
                value={
                    "target_type": "guardian",
                    "target_id": 7,
                    "fields": {"mobile_phone": "06 11 22 33 44"},
                },
            ),
            OpenApiExample(
                "Change an allergy (health: the child's id)",
                request_only=True,
                value={"target_type": "health", "target_id": 12, "fields": {"allergies": "kiwi"}},
            ),
            OpenApiExample(
                "Add an authorised contact",
                request_only=True,
                value={
                    "operation": "add",
                    "target_type": "contact",
                    "parent_id": 12,
                    "fields": {
                        "first_name": "Michel",
                        "last_name": "Durand",
                        "phone": "06 12 34 56 78",
                    },
                },
            ),
            OpenApiExample(
                "Remove an authorised contact",
                request_only=True,
                value={"operation": "remove", "target_type": "contact", "target_id": 31},
            ),
        ],
    )
    def post(self, request, family_id):
        family = account_family(request, family_id)
        body = FileChangeBodySerializer(data=request.data, context={"family": family})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rules = FamilyFileRules.rules_for(family_site(family, request))
        common = {"family": family, "user": request.user, "target_type": data["target_type"]}
        try:
            if data["operation"] == dossier.Operation.ADD:
                family_request = dossier.propose_addition(
                    **common, fields=data["fields"], rules=rules, parent_id=data.get("parent_id")
                )
            elif data["operation"] == dossier.Operation.REMOVE:
                family_request = dossier.propose_removal(**common, target_id=data["target_id"])
            else:
                family_request = dossier.propose_change(
                    **common, target_id=data["target_id"], fields=data["fields"], rules=rules
                )
        except dossier.DossierError as error:
            raise api_error(error) from None
        return created(request, family_request)


class ChildPhotoView(FamilyPortalAPIView):
    """Send a new photo of a child; it replaces the current one once an agent accepts it."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="family_child_photo_create",
        tags=TAGS,
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={
            201: RequestSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "{photo: [message]}: no file, not a JPEG, PNG or WebP image (whatever its "
                    "name), larger than 5 MB or 40 megapixels, or the rules do not let the "
                    "family change the photo."
                ),
            ),
            401: ERROR_401,
            404: ERROR_404,
            409: ERROR_409_PENDING,
            429: ERROR_429,
        },
    )
    def post(self, request, family_id, child_id):
        family = account_family(request, family_id)
        body = PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            family_request = dossier.propose_photo(
                family=family,
                user=request.user,
                child_id=child_id,
                uploaded=body.validated_data["photo"],
                rules=FamilyFileRules.rules_for(family_site(family, request)),
            )
        except dossier.DossierError as error:
            raise api_error(error) from None
        return created(request, family_request)


class RequestDetailView(FamilyPortalAPIView):
    """One request of the account's families: its lines, its history and the municipality's
    messages. Reading it marks its messages read for this account (not for the family's other
    accounts): they are ``new`` in this answer, no longer in the next one."""

    @extend_schema(
        operation_id="request_retrieve",
        tags=["requests"],
        description="Marks the request's messages read for this account: new is true in this "
        "answer for the messages not read before, and unread_messages of the list drops to 0.",
        responses={200: ANY_REQUEST, 401: ERROR_401, 404: ERROR_404, 429: ERROR_429},
    )
    def get(self, request, id):
        family_request = account_request(request, id)
        answer = request_answer(request, family_request)
        # Up to what this answer shows: a message written meanwhile stays new.
        shown = [event.pk for event in family_request.events.all()]
        requests_service.mark_read(family_request, request.user, up_to=max(shown, default=None))
        return answer


class RequestWithdrawView(FamilyPortalAPIView):
    """Withdraw a request still waiting for an agent, or some of its days."""

    @extend_schema(
        operation_id="request_withdraw_create",
        tags=["requests"],
        request=WithdrawBodySerializer,
        responses={
            200: ANY_REQUEST,
            400: OpenApiResponse(
                ErrorSerializer,
                description="{lines: [message]}: ids that are not numbers, or lines sent for a "
                "change to the family file (withdrawn as a whole).",
            ),
            401: ERROR_401,
            404: OpenApiResponse(
                ErrorSerializer,
                description="The request is unknown or another family's, or a line of "
                "lines is not one of its days.",
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="The request (or a line of lines) is no longer waiting for an agent.",
            ),
            429: ERROR_429,
        },
        examples=[
            OpenApiExample("Every day still waiting", request_only=True, value={}),
            OpenApiExample("Some days", request_only=True, value={"lines": [501, 502]}),
        ],
    )
    def post(self, request, id):
        family_request = account_request(request, id)
        body = WithdrawBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line_ids = body.validated_data.get("lines")
        if family_request.kind == Request.Kind.FILE_CHANGE:
            if line_ids:
                raise ValidationError({"lines": [WITHDRAWN_WHOLE]})
            try:
                dossier.withdraw(family_request, user=request.user)
            except dossier.DossierError as error:
                raise api_error(error) from None
        else:
            withdraw_days(request, family_request, line_ids)
        return request_answer(request, account_request(request, id))


def withdraw_days(request, family_request: Request, line_ids) -> None:
    """Withdraw the lines ``line_ids`` of a booking or absence request, or all those waiting."""
    lines = list(family_request.booking_lines.all())
    if line_ids:
        by_id = {line.pk: line for line in lines}
        if any(pk not in by_id for pk in line_ids):
            raise NotFound(UNKNOWN_LINES)
        chosen = [by_id[pk] for pk in line_ids]
    else:
        chosen = [line for line in lines if line.state in WAITING]
        if not chosen:
            raise ConflictError(NOTHING_WAITING)
    try:
        bookings.withdraw_lines(chosen, user=request.user)
    except bookings.BookingError as error:
        if error.code == "not_found":
            raise NotFound(error.message) from None
        raise ConflictError(error.message) from None
