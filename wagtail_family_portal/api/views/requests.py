"""API views of "Mes demandes": a family's requests and a new booking or absence request, one
request with its history, and withdrawing it (or some of its days).

Thin: every rule and change is ``services.bookings``' or ``services.dossier``'; these views read
the query or body, scope ids to the account's families (api/scoping.py: another family's id
answers 404, like an unknown one) and shape the answer.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    OpenApiTypes,
    PolymorphicProxySerializer,
)
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ...models import BookingLine, FamilyFileRules, Request
from ...services import bookings, dossier
from ...services import requests as requests_service
from ..base import FamilyPortalAPIView, FamilyPortalGenericAPIView
from ..exceptions import ConflictError
from ..openapi import extend_schema
from ..responses import (
    ERROR_401,
    ERROR_404,
    ERROR_429,
    booking_error_response,
    dossier_error,
    error_answer,
)
from ..scoping import AccountScopedMixin
from ..serializers.bookings import (
    BookingRequestSerializer,
    ConfirmSkippedSerializer,
    CreatedBookingRequestSerializer,
    DaysRequestBodySerializer,
    NothingToRequestSerializer,
    skipped_data,
)
from ..serializers.fields import IDS_HELP
from ..serializers.file_changes import RequestSerializer
from ..serializers.requests import (
    RequestListQuerySerializer,
    RequestSummarySerializer,
    WithdrawBodySerializer,
    request_summaries,
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
# The lines of a request a family withdraws when it names none.
WAITING = (BookingLine.State.PENDING, BookingLine.State.WAITING_LIST)


class RequestAnswerMixin(AccountScopedMixin):
    """Answers with one request of the account's families, as the account sees it."""

    def request_answer(self, family_request: Request, status_code=status.HTTP_200_OK) -> Response:
        """The request as the account sees it: its messages not read yet are ``new``."""
        user = self.request.user
        context = {"unread": requests_service.unread_event_ids(family_request, user)}
        if family_request.kind != Request.Kind.FILE_CHANGE:
            return Response(
                BookingRequestSerializer(family_request, context=context).data, status=status_code
            )
        context["rules"] = FamilyFileRules.rules_for(self.family_site(family_request.family))
        return Response(RequestSerializer(family_request, context=context).data, status=status_code)

    def created(self, family_request: Request) -> Response:
        """201 with the new request, read again with its lines and history."""
        return self.request_answer(self.account_request(family_request.pk), status.HTTP_201_CREATED)


class FamilyRequestsView(AccountScopedMixin, FamilyPortalGenericAPIView):
    """The family's requests (GET), and a new booking or absence request (POST)."""

    @extend_schema(
        operation_id="family_requests_list",
        tags=["requests"],
        parameters=[
            OpenApiParameter(
                "child",
                {"type": "array", "items": {"type": "integer"}},
                explode=True,
                description="Only the requests concerning these children. "
                + IDS_HELP.format("child"),
            ),
            OpenApiParameter(
                "state",
                {"type": "array", "items": {"type": "string", "enum": Request.State.values}},
                explode=True,
                description="pending, accepted, partially_accepted, refused, withdrawn; "
                "repeated or separated by commas.",
            ),
            OpenApiParameter(
                "kind",
                {"type": "array", "items": {"type": "string", "enum": Request.Kind.values}},
                explode=True,
                description="booking, absence, file_change; repeated or separated by commas.",
            ),
            OpenApiParameter(
                "topic",
                {"type": "array", "items": {"type": "string", "enum": Request.Topic.values}},
                explode=True,
                description="The type of the request ("
                + ", ".join(Request.Topic.values)
                + "); repeated or separated by commas.",
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="At most 200."),
        ],
        responses={
            200: RequestSummarySerializer(many=True),
            400: error_answer(
                "{child|state|kind|topic: [message]}: an unknown value.",
            ),
            401: ERROR_401,
            404: error_answer(
                "The family, or a child of the filter, is unknown or another "
                "family's; or a page after the last.",
            ),
            429: ERROR_429,
        },
    )
    def get(self, request, family_id):
        family = self.account_family(family_id)
        query = RequestListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        self.check_children(family, data.get("child"))
        requests = requests_service.family_requests(
            family,
            child_ids=data.get("child"),
            states=data.get("state"),
            kinds=data.get("kind"),
            topics=data.get("topic"),
        )
        page = self.paginate_queryset(requests)
        items = RequestSummarySerializer(request_summaries(page, request.user), many=True).data
        return self.get_paginated_response(items)

    @extend_schema(
        operation_id="family_requests_create",
        tags=["requests"],
        request=DaysRequestBodySerializer,
        responses={
            201: CreatedBookingRequestSerializer,
            400: error_answer(
                "{<field>: [message]}: kind, child_id, activity_id, a date that is "
                "not YYYY-MM-DD, no date, dates or a period spanning more than a school year, "
                "end before start, no weekday or one outside 0–6; {detail} for dates and a "
                "period together, or neither.",
            ),
            401: ERROR_401,
            404: error_answer(
                "The family, the child or the activity is unknown or another "
                "family's (or municipality's).",
            ),
            409: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="DaysRequestConflict",
                    serializers=[ConfirmSkippedSerializer, NothingToRequestSerializer],
                    resource_type_field_name=None,
                ),
                description="code confirm_skipped: some days cannot be requested; nothing was "
                "saved. Show dates and skipped, then send the same body with confirm_skipped: "
                "true. code nothing_to_request ({detail, code, skipped}): no day at all can be "
                "requested. code conflict ({detail, code}): another request for one of these "
                "days was saved at the same instant.",
                examples=[
                    OpenApiExample(
                        "Some days would be skipped",
                        value={
                            "detail": "1 day cannot be requested: check the list and confirm.",
                            "code": "confirm_skipped",
                            "dates": ["2026-12-03"],
                            "skipped": [
                                {
                                    "date": "2026-12-02",
                                    "reason": "not_running",
                                    "message": "The activity does not take place that day.",
                                }
                            ],
                        },
                    ),
                ],
            ),
            429: ERROR_429,
        },
        examples=[
            OpenApiExample(
                "Book listed days",
                request_only=True,
                value={
                    "kind": "booking",
                    "child_id": 12,
                    "activity_id": 3,
                    "dates": ["2026-12-03", "2026-12-04"],
                },
            ),
            OpenApiExample(
                "Absences over a period",
                request_only=True,
                value={
                    "kind": "absence",
                    "child_id": 12,
                    "activity_id": 3,
                    "start": "2027-01-04",
                    "end": "2027-02-05",
                    "weekdays": [0, 1, 3, 4],
                },
            ),
            OpenApiExample(
                "After the preview: save the days that can be",
                request_only=True,
                value={
                    "kind": "booking",
                    "child_id": 12,
                    "activity_id": 3,
                    "dates": ["2026-12-02", "2026-12-03"],
                    "confirm_skipped": True,
                },
            ),
        ],
    )
    def post(self, request, family_id):
        family = self.account_family(family_id)
        body = DaysRequestBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            outcome = bookings.request_days(
                family=family,
                child_id=data["child_id"],
                activity_id=data["activity_id"],
                operation=data["kind"],
                dates=data["dates"],
                user=request.user,
                confirm_skipped=data["confirm_skipped"],
            )
        except bookings.BookingError as error:
            return booking_error_response(error)
        answer = BookingRequestSerializer(self.account_request(outcome.request.pk)).data
        answer["skipped"] = skipped_data(outcome.skipped)
        return Response(answer, status=status.HTTP_201_CREATED)


class RequestDetailView(RequestAnswerMixin, FamilyPortalAPIView):
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
        family_request = self.account_request(id)
        answer = self.request_answer(family_request)
        # Up to what this answer shows: a message written meanwhile stays new.
        shown = [event.pk for event in family_request.events.all()]
        requests_service.mark_read(family_request, request.user, up_to=max(shown, default=None))
        return answer


class RequestWithdrawView(RequestAnswerMixin, FamilyPortalAPIView):
    """Withdraw a request still waiting for an agent, or some of its days."""

    @extend_schema(
        operation_id="request_withdraw_create",
        tags=["requests"],
        request=WithdrawBodySerializer,
        responses={
            200: ANY_REQUEST,
            400: error_answer(
                "{lines: [message]}: ids that are not numbers, or lines sent for a "
                "change to the family file (withdrawn as a whole).",
            ),
            401: ERROR_401,
            404: error_answer(
                "The request is unknown or another family's, or a line of "
                "lines is not one of its days.",
            ),
            409: error_answer(
                "The request (or a line of lines) is no longer waiting for an agent.",
            ),
            429: ERROR_429,
        },
        examples=[
            OpenApiExample("Every day still waiting", request_only=True, value={}),
            OpenApiExample("Some days", request_only=True, value={"lines": [501, 502]}),
        ],
    )
    def post(self, request, id):
        family_request = self.account_request(id)
        body = WithdrawBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line_ids = body.validated_data.get("lines")
        if family_request.kind == Request.Kind.FILE_CHANGE:
            if line_ids:
                raise ValidationError({"lines": [WITHDRAWN_WHOLE]})
            try:
                dossier.withdraw(family_request, user=request.user)
            except dossier.DossierError as error:
                raise dossier_error(error) from None
        else:
            withdraw_days(request, family_request, line_ids)
        return self.request_answer(self.account_request(id))


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
