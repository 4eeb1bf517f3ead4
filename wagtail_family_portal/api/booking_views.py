"""API views of the planning and of booking and absence requests.

Thin: the planning is ``planning.build_planning``'s, every rule and change is
``services.bookings``'; these views read the query or body, scope ids to the account's
families (another family's id answers 404, like an unknown one) and shape the answer.
"""

import datetime as dt

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

from .. import clock, planning
from ..http import request_site
from ..models import Activity, Child, Request
from ..services import bookings
from ..services.requests import family_requests
from .base import FamilyPortalAPIView, FamilyPortalGenericAPIView
from .bookings import (
    MAX_PLANNING_DAYS,
    BookingRequestSerializer,
    ConfirmSkippedSerializer,
    CreatedBookingRequestSerializer,
    DaysRequestBodySerializer,
    NothingToRequestSerializer,
    PlanningQuerySerializer,
    PlanningSerializer,
    RequestListQuerySerializer,
    RequestSummarySerializer,
    request_summaries,
    skipped_data,
)
from .exceptions import NOT_FOUND
from .family_views import account_family, account_request
from .openapi import extend_schema
from .serializers import ErrorSerializer
from .views import ERROR_401, ERROR_429

UNKNOWN = _("Unknown child or activity.")
IDS_HELP = "Ids, repeated (?{0}=1&{0}=2) or separated by commas (?{0}=1,2)."


def check_children(family, ids) -> None:
    """404 unless every id is a child of ``family``."""
    if ids and Child.objects.filter(family_id=family.pk, pk__in=ids).count() != len(ids):
        raise NotFound(UNKNOWN)


def check_activities(family, ids) -> None:
    """404 unless every id is an activity of the family's municipality."""
    if not ids:
        return
    activities = Activity.objects.filter(
        pk__in=ids, establishment__municipality_id=family.municipality_id
    )
    if activities.count() != len(ids):
        raise NotFound(UNKNOWN)


def planning_range(data, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates asked, a week long when one end is missing: the current one without either."""
    start, end = data.get("start"), data.get("end")
    week = dt.timedelta(days=6)
    if start is None and end is None:
        return planning.week_range(today)
    if end is None:
        return start, start + week
    if start is None:
        return end - week, end
    return start, end


def request_site_id(request) -> int | None:
    site = request_site(request)
    return site.pk if site else None


class PlanningView(FamilyPortalAPIView):
    """The family's planning: one cell per child, activity and day the child is enrolled."""

    @extend_schema(
        operation_id="family_planning_retrieve",
        tags=["planning"],
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATE,
                description="First day (YYYY-MM-DD). Default: Monday of the current week, or "
                "6 days before end.",
            ),
            OpenApiParameter(
                "end",
                OpenApiTypes.DATE,
                description=f"Last day, included; at most {MAX_PLANNING_DAYS} days after "
                "start. Default: 6 days after start (Sunday of the current week).",
            ),
            OpenApiParameter(
                "child",
                {"type": "array", "items": {"type": "integer"}},
                explode=True,
                description="Only these children. " + IDS_HELP.format("child"),
            ),
            OpenApiParameter(
                "activity",
                {"type": "array", "items": {"type": "integer"}},
                explode=True,
                description="Only these activities. " + IDS_HELP.format("activity"),
            ),
        ],
        responses={
            200: PlanningSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="{start|end|child|activity: [message]}: not a date, end before "
                f"start, more than {MAX_PLANNING_DAYS} days, ids that are not numbers.",
            ),
            401: ERROR_401,
            404: OpenApiResponse(
                ErrorSerializer,
                description="The family, or a child or activity of the filters, is unknown or "
                "another family's.",
            ),
            429: ERROR_429,
        },
    )
    def get(self, request, family_id):
        # The planning is what families open most: its family and legend are read by plain SQL
        # (planning.account_family and site_legend) rather than account_family's ORM query.
        family = planning.account_family(request.user, family_id)
        if family is None:
            raise NotFound(NOT_FOUND)
        query = PlanningQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        now = clock.local_now()
        start, end = planning_range(data, now.date())
        child_ids = data.get("child") or None
        activity_ids = data.get("activity") or None
        check_children(family, child_ids)
        check_activities(family, activity_ids)
        result = planning.build_planning(
            family,
            start,
            end,
            children=child_ids,
            activities=activity_ids,
            now=now,
            legend=planning.site_legend(family.site_id or request_site_id(request)),
        )
        return Response(result.to_json())


class FamilyRequestsView(FamilyPortalGenericAPIView):
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
            400: OpenApiResponse(
                ErrorSerializer,
                description="{child|state|kind|topic: [message]}: an unknown value.",
            ),
            401: ERROR_401,
            404: OpenApiResponse(
                ErrorSerializer,
                description="The family, or a child of the filter, is unknown or another "
                "family's; or a page after the last.",
            ),
            429: ERROR_429,
        },
    )
    def get(self, request, family_id):
        family = account_family(request, family_id)
        query = RequestListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        check_children(family, data.get("child"))
        requests = family_requests(
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
            400: OpenApiResponse(
                ErrorSerializer,
                description="{<field>: [message]}: kind, child_id, activity_id, a date that is "
                "not YYYY-MM-DD, no date, dates or a period spanning more than a school year, "
                "end before start, no weekday or one outside 0–6; {detail} for dates and a "
                "period together, or neither.",
            ),
            401: ERROR_401,
            404: OpenApiResponse(
                ErrorSerializer,
                description="The family, the child or the activity is unknown or another "
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
        family = account_family(request, family_id)
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
        answer = BookingRequestSerializer(account_request(request, outcome.request.pk)).data
        answer["skipped"] = skipped_data(outcome.skipped)
        return Response(answer, status=status.HTTP_201_CREATED)


def booking_error_response(error: bookings.BookingError) -> Response:
    """The API's answer to an error of the bookings service."""
    if error.code == "not_found":
        raise NotFound(error.message)
    if error.code == "invalid":
        raise ValidationError({"detail": error.message})
    data = {"detail": str(error.message), "code": error.code}
    if error.code == "confirm_skipped":
        data["dates"] = [day.isoformat() for day in error.dates]
    if error.code in ("confirm_skipped", "nothing_to_request"):
        data["skipped"] = skipped_data(error.skipped)
    return Response(data, status=status.HTTP_409_CONFLICT)
