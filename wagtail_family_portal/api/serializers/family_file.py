"""The family file as the API shows it to a family account.

One object per record, each a *target* of the dossier service and of the field rules:
``family`` (the top level, with its read-only ``tax_data``), ``guardian``, ``child``, ``health``
(nested in its child, addressed by the child's id) and ``contact``. Field names are those of the
models, so that an app sends back in ``POST families/{id}/changes/`` the names it reads here.

What the site's rules hide is left out (the key is absent, not null); ``editable_fields`` lists
what the family may ask to change. The IBAN never leaves the server whole: every value of an
``iban`` field, in the file and in the changes, is masked but for its last 4 characters.
"""

import re
from html import unescape

from django.db.models import Prefetch
from django.urls import NoReverseMatch
from django.utils.functional import cached_property
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...file_fields import TARGETS as RULE_TARGETS
from ...models import (
    AuthorisedContact,
    Child,
    ChildHealth,
    Establishment,
    Family,
    FamilyPortalPage,
    FamilyPortalSettings,
    Guardian,
)
from ...models.requests import FileChange
from ...services import dossier, file_changes
from .common import MunicipalitySummarySerializer

Operation = FileChange.Operation
TAX_FIELDS = ("family_quotient", "quotient_year", "caf_number")
IBAN_FIELD = file_changes.IBAN_FIELD
PHOTO_FIELD = dossier.PHOTO_FIELD


_BLOCK_END = re.compile(r"</(p|h[1-6]|li|blockquote)>|<(br|hr)\s*/?>", re.IGNORECASE)


def plain_text(rich_text: str) -> str:
    """A CMS rich text as plain text: one line per paragraph, no markup, entities decoded."""
    text = unescape(strip_tags(_BLOCK_END.sub("\n", rich_text or "")))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def catalogue_fields(target: str, exclude=()) -> list[str]:
    """The fields the rules govern for ``target``, in the catalogue's order."""
    return [spec.name for spec in RULE_TARGETS[target].fields if spec.name not in exclude]


# Records


class RuledFieldsMixin:
    """Leaves out the fields the site's rules (``context["rules"]``) hide.

    ``target`` names the rules' target; ``rule_sources`` maps an output field to the catalogue
    field it shows when the names differ (``photo_url`` shows ``photo``). Fields the rules
    govern are marked not required, so that the schema says they may be absent.
    """

    target: str
    rule_sources: dict[str, str] = {}

    def get_fields(self):
        fields = super().get_fields()
        rules = self.context.get("rules")
        visible = set(rules.visible_fields(self.target)) if rules is not None else None
        for name in list(fields):
            source = self.rule_sources.get(name, name)
            if RULE_TARGETS[self.target].field(source) is None:
                continue
            if visible is not None and source not in visible:
                del fields[name]
            else:
                fields[name].required = False
        return fields


class FileRecordSerializer(RuledFieldsMixin, serializers.ModelSerializer):
    """One record of the family file. Only ever used to answer, never to read input."""

    editable_fields = serializers.SerializerMethodField(
        help_text=_("The fields the family may ask to change (see the site's field rules).")
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_editable_fields(self, record) -> list[str]:
        return self.context["rules"].editable_fields(self.target)


@extend_schema_field({"type": "string", "nullable": True, "example": "***********************0189"})
class MaskedIBANField(serializers.CharField):
    """The IBAN with all but its last 4 characters replaced by ``*``."""

    def to_representation(self, value):
        return file_changes.family_value(IBAN_FIELD, super().to_representation(value))


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class ChildPhotoURLField(serializers.Field):
    """The address of the child's photo on the family pages (they check who asks), or null."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, child):
        return self.context["photo_url"](child)


class EstablishmentSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Establishment
        fields = ["id", "name"]


class GuardianSerializer(FileRecordSerializer):
    target = "guardian"
    iban = MaskedIBANField(help_text=_("Masked: only the last 4 characters are shown."))

    class Meta:
        model = Guardian
        fields = ["id", *catalogue_fields("guardian"), "editable_fields"]


class ContactSerializer(FileRecordSerializer):
    target = "contact"

    class Meta:
        model = AuthorisedContact
        fields = ["id", *catalogue_fields("contact"), "editable_fields"]


class HealthSerializer(FileRecordSerializer):
    """Health information, nested in its child: changes address it by the child's id."""

    target = "health"

    class Meta:
        model = ChildHealth
        fields = [*catalogue_fields("health"), "editable_fields"]

    def to_representation(self, child):
        return super().to_representation(child.health_or_defaults())


class ChildSerializer(FileRecordSerializer):
    target = "child"
    rule_sources = {"photo_url": PHOTO_FIELD}
    establishment = EstablishmentSummarySerializer(allow_null=True)
    photo_url = ChildPhotoURLField(
        help_text=_(
            "The photo on the family pages, for a logged-in session; null without a photo. "
            "Send a new one to children/{child_id}/photo/."
        )
    )
    health = HealthSerializer(source="*")
    authorised_contacts = ContactSerializer(many=True)

    class Meta:
        model = Child
        fields = [
            "id",
            *catalogue_fields("child", exclude={PHOTO_FIELD}),
            "photo_url",
            "editable_fields",
            "health",
            "authorised_contacts",
        ]


class TaxDataSerializer(RuledFieldsMixin, serializers.ModelSerializer):
    """Read-only for families: the municipality's ``help_text`` says how to have it changed."""

    target = "family"
    family_quotient = serializers.DecimalField(
        max_digits=8, decimal_places=2, coerce_to_string=True, allow_null=True
    )
    help_text = serializers.SerializerMethodField()

    class Meta:
        model = Family
        fields = [*TAX_FIELDS, "help_text"]

    def get_help_text(self, family) -> str:
        return self.context["tax_help_text"]


# Changes waiting for an agent


class FileChangeLineSerializer(serializers.Serializer):
    """One line of a change request, as the family may see it (documentation only)."""

    target_type = serializers.ChoiceField(choices=FileChange.Target.choices)
    target_id = serializers.IntegerField(
        allow_null=True,
        help_text=_(
            "The record; for health, the child; for an added contact, its child; null for an "
            "added child or guardian."
        ),
    )
    operation = serializers.ChoiceField(choices=Operation.choices)
    field = serializers.CharField(
        help_text=_("The field changed; empty for an addition or removal.")
    )
    old_value = serializers.JSONField(
        allow_null=True,
        help_text=_("Text, as stored; for a removal, {name}; an IBAN is masked, a photo null."),
    )
    new_value = serializers.JSONField(
        allow_null=True,
        help_text=_("Text, as stored; for an addition, the values by field; a photo is null."),
    )


class PendingChangeSerializer(FileChangeLineSerializer):
    request_id = serializers.IntegerField(help_text=_("Withdraw it with requests/{id}/withdraw/."))
    submitted_at = serializers.DateTimeField()


def present_line(line: FileChange, rules) -> dict | None:
    """A file-change line as the family sees it (``file_changes.family_line``: a photo's file
    never named, an IBAN masked), or None when the rules now hide its field."""
    seen = file_changes.family_line(line, rules)
    if seen is None:
        return None
    return {
        "target_type": line.target_type,
        "target_id": line.target_id,
        "operation": line.operation,
        "field": line.field,
        "old_value": seen.old_value,
        "new_value": seen.new_value,
    }


def pending_changes(family: Family, rules) -> list[dict]:
    """Every line of the family's pending requests, oldest request first (two queries)."""
    lines = [*dossier.pending_changes(family).values(), *dossier.pending_records(family)]
    lines.sort(key=lambda line: (line.request.created_at, line.request_id, line.pk))
    result = []
    for line in lines:
        shown = present_line(line, rules)
        if shown is not None:
            shown.update(request_id=line.request_id, submitted_at=line.request.created_at)
            result.append(shown)
    return result


# The whole file


class FamilyFileSerializer(FileRecordSerializer):
    target = "family"
    municipality = MunicipalitySummarySerializer()
    tax_data = TaxDataSerializer(source="*")
    guardians = GuardianSerializer(many=True)
    children = ChildSerializer(many=True)
    pending_changes = serializers.SerializerMethodField(
        help_text=_("Every change waiting for an agent, additions and removals included.")
    )

    class Meta:
        model = Family
        fields = [
            "id",
            "name",
            "municipality",
            *catalogue_fields("family", exclude=TAX_FIELDS),
            "editable_fields",
            "tax_data",
            "guardians",
            "children",
            "pending_changes",
        ]

    @extend_schema_field(PendingChangeSerializer(many=True))
    def get_pending_changes(self, family):
        return PendingChangeSerializer(self.context["pending_changes"], many=True).data


def family_file_queryset(families):
    """``families`` with everything the file shows, in four queries whatever their size."""
    children = Child.objects.select_related("establishment", "health").prefetch_related(
        Prefetch("authorised_contacts", queryset=AuthorisedContact.objects.order_by("pk"))
    )
    return families.select_related("municipality__site").prefetch_related(
        Prefetch("guardians", queryset=Guardian.objects.order_by("pk")),
        Prefetch("children", queryset=children),
    )


def tax_help_text(site) -> str:
    """The municipality's words on changing tax data (read without creating the settings row)."""
    if site is None:
        return ""
    text = (
        FamilyPortalSettings.objects.filter(site=site)
        .values_list("tax_data_help_text", flat=True)
        .first()
    )
    return plain_text(text)


class ChildPhotoLinks:
    """``photo_url`` of each child: the family pages' ``child_photo`` route, which checks who
    asks. Null without a photo, or when the site has no portal page with that route."""

    route = "child_photo"

    def __init__(self, request, site):
        self.request = request
        self.site = site

    @cached_property
    def page(self):
        return FamilyPortalPage.for_site(self.site)

    @cached_property
    def page_url(self) -> str | None:
        return self.page.get_url(self.request) if self.page is not None else None

    def __call__(self, child: Child):
        # Never ``child.photo.url``: the photo is private and its storage has no URL.
        if not child.photo or not self.page_url:
            return None
        try:
            subpath = self.page.reverse_subpage(
                self.route, kwargs={"family_id": child.family_id, "child_id": child.pk}
            )
        except NoReverseMatch:
            return None
        return self.request.build_absolute_uri(self.page_url + subpath)
