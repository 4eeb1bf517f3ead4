"""API view of the family's planning: one cell per child, activity and day.

Thin: the planning is ``planning.build_planning``'s, and its body ``Planning.to_json()``'s
(documented by ``serializers.planning.PlanningSerializer``).
"""

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework.response import Response

from ... import clock, planning
from ...http import request_site
from ..base import FamilyPortalAPIView
from ..openapi import extend_schema
from ..responses import ERROR_401, ERROR_429, error_answer
from ..scoping import AccountScopedMixin
from ..serializers.fields import IDS_HELP
from ..serializers.planning import MAX_PLANNING_DAYS, PlanningQuerySerializer, PlanningSerializer


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


class PlanningView(AccountScopedMixin, FamilyPortalAPIView):
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
            400: error_answer(
                "{start|end|child|activity: [message]}: not a date, end before "
                f"start, more than {MAX_PLANNING_DAYS} days, ids that are not numbers.",
            ),
            401: ERROR_401,
            404: error_answer(
                "The family, or a child or activity of the filters, is unknown or "
                "another family's.",
            ),
            429: ERROR_429,
        },
    )
    def get(self, request, family_id):
        # The planning is what families open most: its family and legend are read by plain SQL
        # (planning_family, planning.site_legend) rather than account_family's ORM query.
        family = self.planning_family(family_id)
        query = PlanningQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        now = clock.local_now()
        start, end = planning_range(data, now.date())
        child_ids = data.get("child") or None
        activity_ids = data.get("activity") or None
        self.check_children(family, child_ids)
        self.check_activities(family, activity_ids)
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
