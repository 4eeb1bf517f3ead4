"""Bodies of the changes to the family file a family sends (a change, an addition, a removal, a
photo), and the change request it gets back."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from ...models.requests import FileChange, RequestEvent
from .family_file import FileChangeLineSerializer, present_line
from .fields import MAX_ID, REQUIRED
from .requests import ACTORS, RequestDetailSerializer

Target = FileChange.Target
Operation = FileChange.Operation

NOT_A_VALUE = _("Give a text, a number, true, false or null.")


def as_text(value):
    """A JSON value as the text a form would send: what the dossier service reads.

    ``true``/``false`` become ``"True"``/``"False"`` (what Django's boolean fields read), and
    numbers become their text, so that a number sent for a date is refused as an invalid date.
    """
    if value is None or isinstance(value, str):
        return value
    return str(value)


class FileChangeBodySerializer(serializers.Serializer):
    """``POST families/{family_id}/changes/``: change, add or remove a record of the file."""

    operation = serializers.ChoiceField(
        choices=Operation.choices,
        default=Operation.UPDATE,
        help_text=_(
            "update (default): change fields of a record; add: a child, a guardian, or a "
            "contact of the child parent_id; remove: the contact target_id."
        ),
    )
    target_type = serializers.ChoiceField(choices=Target.choices)
    target_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_(
            "The record to change or remove; for health, the child's id; for the family, "
            "optional (the family of the path)."
        ),
    )
    parent_id = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("Adding a contact: the child it is for."),
    )
    fields = serializers.DictField(
        required=False,
        help_text=_("The new values by field name (text, number, true, false or null)."),
    )

    def validate(self, data):
        operation, target_type = data["operation"], data["target_type"]
        errors = {}
        if operation == Operation.UPDATE and target_type == Target.FAMILY:
            data.setdefault("target_id", self.context["family"].pk)
        needs_id = operation != Operation.ADD
        if needs_id and "target_id" not in data:
            errors["target_id"] = [REQUIRED]
        if operation == Operation.ADD and target_type == Target.CONTACT and "parent_id" not in data:
            errors["parent_id"] = [REQUIRED]
        if operation != Operation.REMOVE and "fields" not in data:
            errors["fields"] = [REQUIRED]
        values = {}
        for name, value in data.get("fields", {}).items():
            if isinstance(value, (dict, list)):
                errors[name] = [NOT_A_VALUE]
            else:
                values[name] = as_text(value)
        if errors:
            raise ValidationError(errors)
        data["fields"] = values
        return data


class PhotoUploadSerializer(serializers.Serializer):
    photo = serializers.FileField(
        help_text=_("A JPEG, PNG or WebP image of at most 5 MB (checked by its content).")
    )


class RequestEventSerializer(serializers.ModelSerializer):
    """One step of a change request's history (``context["unread"]``: the ids of the events
    the account has not read)."""

    at = serializers.DateTimeField(source="created_at", read_only=True)
    by = serializers.SerializerMethodField()
    new = serializers.SerializerMethodField(
        help_text=_("A message of the municipality this account had not read before this answer.")
    )

    class Meta:
        model = RequestEvent
        fields = ["action", "at", "by", "message", "new"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ACTORS))
    def get_by(self, event) -> str:
        return event.actor

    def get_new(self, event) -> bool:
        return event.pk in self.context.get("unread", frozenset())


class RequestSerializer(RequestDetailSerializer):
    """A request with its lines, history and the municipality's messages; the lines obey the
    site's field rules (``context["rules"]``)."""

    lines = serializers.SerializerMethodField()
    history = RequestEventSerializer(source="events", many=True, read_only=True)

    @extend_schema_field(FileChangeLineSerializer(many=True))
    def get_lines(self, request) -> list[dict]:
        rules = self.context["rules"]
        shown = (present_line(line, rules) for line in request.file_changes.all())
        return [line for line in shown if line is not None]
