"""API views of the family file: read it, propose a change, send a child's photo.

Nothing changes until an agent accepts the change; the answer is the new change request. Every
family comes from ``AccountScopedMixin.account_family`` (api/scoping.py): another family's id
answers 404, like an unknown one.
"""

from drf_spectacular.utils import OpenApiExample
from rest_framework.response import Response

from ...models import Family, FamilyFileRules
from ...services import dossier
from ..base import FamilyPortalAPIView
from ..openapi import extend_schema
from ..parsers import FormParser, MultiPartParser
from ..responses import (
    ERROR_401,
    ERROR_404,
    ERROR_409_PENDING,
    ERROR_429,
    dossier_error,
    error_answer,
)
from ..scoping import AccountScopedMixin
from ..serializers.family_file import (
    ChildPhotoLinks,
    FamilyFileSerializer,
    family_file_queryset,
    pending_changes,
    tax_help_text,
)
from ..serializers.file_changes import (
    FileChangeBodySerializer,
    PhotoUploadSerializer,
    RequestSerializer,
)
from .requests import RequestAnswerMixin

TAGS = ["family file"]


class FamilyFileView(AccountScopedMixin, FamilyPortalAPIView):
    """The family file: the family, its guardians and children, and the changes waiting."""

    @extend_schema(
        operation_id="family_file_retrieve",
        tags=TAGS,
        responses={200: FamilyFileSerializer, 401: ERROR_401, 404: ERROR_404, 429: ERROR_429},
    )
    def get(self, request, family_id):
        family = self.account_family(family_id, family_file_queryset(Family.objects))
        site = self.family_site(family)
        rules = FamilyFileRules.rules_for(site)
        context = {
            "rules": rules,
            "tax_help_text": tax_help_text(site),
            "photo_url": ChildPhotoLinks(request._request, site),
            "pending_changes": pending_changes(family, rules),
        }
        return Response(FamilyFileSerializer(family, context=context).data)


class FamilyChangesView(RequestAnswerMixin, FamilyPortalAPIView):
    """Propose a change to the family file; nothing changes until an agent accepts it."""

    @extend_schema(
        operation_id="family_changes_create",
        tags=TAGS,
        request=FileChangeBodySerializer,
        responses={
            201: RequestSerializer,
            400: error_answer(
                (
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
        family = self.account_family(family_id)
        body = FileChangeBodySerializer(data=request.data, context={"family": family})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rules = FamilyFileRules.rules_for(self.family_site(family))
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
            raise dossier_error(error) from None
        return self.created(family_request)


class ChildPhotoView(RequestAnswerMixin, FamilyPortalAPIView):
    """Send a new photo of a child; it replaces the current one once an agent accepts it."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="family_child_photo_create",
        tags=TAGS,
        request={"multipart/form-data": PhotoUploadSerializer},
        responses={
            201: RequestSerializer,
            400: error_answer(
                (
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
        family = self.account_family(family_id)
        body = PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            family_request = dossier.propose_photo(
                family=family,
                user=request.user,
                child_id=child_id,
                uploaded=body.validated_data["photo"],
                rules=FamilyFileRules.rules_for(self.family_site(family)),
            )
        except dossier.DossierError as error:
            raise dossier_error(error) from None
        return self.created(family_request)
