"""The planning's query and its answer.

The answer is built by hand, for speed, by ``planning.Planning.to_json()``; the serializers below
document it (the OpenAPI schema), and tests/test_api_planning_body.py holds the body to them.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ...models.bookings import DayState
from .fields import IdListField, check_in_range

END_BEFORE_START = _("The last day cannot be before the first day.")
PLANNING_TOO_LONG = _("A planning covers at most %(days)d days.")

# At most this many days in one planning answer (two months, whole weeks included).
MAX_PLANNING_DAYS = 62


class PlanningQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, validators=[check_in_range])
    end = serializers.DateField(required=False, validators=[check_in_range])
    child = IdListField(required=False)
    activity = IdListField(required=False)

    def validate(self, data):
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                raise ValidationError({"end": [END_BEFORE_START]})
            if (end - start).days >= MAX_PLANNING_DAYS:
                raise ValidationError({"end": [PLANNING_TOO_LONG % {"days": MAX_PLANNING_DAYS}]})
        return data


# The answer (documentation only: the body is ``Planning.to_json()``)


class PlanningChildSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    colour = serializers.CharField(help_text=_("The child's colour, #RRGGBB."))


class PlanningActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_code = serializers.CharField(allow_blank=True)  # blank when the activity has none
    establishment = serializers.CharField()
    start_time = serializers.CharField(help_text=_("HH:MM"))
    end_time = serializers.CharField(help_text=_("HH:MM"))


class LegendEntrySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=DayState.choices)
    label = serializers.CharField()
    colour = serializers.CharField(help_text=_("#RRGGBB"))


class PlanningCellSerializer(serializers.Serializer):
    date = serializers.DateField()
    child_id = serializers.IntegerField()
    activity_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=DayState.choices)
    start_time = serializers.CharField(help_text=_("HH:MM"))
    end_time = serializers.CharField(help_text=_("HH:MM"))
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=["book", "cancel", "withdraw"]),
        help_text=_(
            "What the family may do: book, cancel (ask for an absence on a booked day), "
            "withdraw (the request still waiting)."
        ),
    )
    reason = serializers.CharField(
        allow_null=True,
        help_text=_("Why no action is possible: deadline_passed, closed, full…"),
    )
    rank = serializers.IntegerField(allow_null=True, help_text=_("Rank on the waiting list."))
    request_id = serializers.IntegerField(allow_null=True)
    line_id = serializers.IntegerField(allow_null=True)


class PlanningSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    children = PlanningChildSerializer(many=True)
    activities = PlanningActivitySerializer(many=True)
    legend = LegendEntrySerializer(many=True)
    cells = PlanningCellSerializer(many=True)
