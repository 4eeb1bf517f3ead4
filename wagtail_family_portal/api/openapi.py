"""How the API describes itself in OpenAPI: the package's own schema class and ``extend_schema``.

Nothing here reads the host's ``REST_FRAMEWORK`` or ``SPECTACULAR_SETTINGS``:

- every view of the API carries :class:`FamilyPortalAutoSchema` (``api/base.py``), and the
  views' methods are annotated with this module's :func:`extend_schema`, whose schema derives
  from it. drf-spectacular's own ``extend_schema`` builds a method's schema on
  ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` when it is imported, which is DRF's own class in a
  host that does not name drf-spectacular's there (and then every schema answers 500);
- every operation documents the errors every endpoint of its kind can answer (400, 401, 403,
  404, 415, 429: :meth:`FamilyPortalAutoSchema.error_responses`), and a 400 is described as what
  it is: ``{"field": ["…"]}`` for the fields at fault, ``{"detail": "…"}`` for the request;
- the choice sets that share a field name (``state``, ``kind``, ``operation``) get their names
  here (:data:`NAMED_ENUMS`) rather than from ``SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]``,
  so that ``manage.py spectacular --urlconf wagtail_family_portal.urls --fail-on-warn`` passes
  whatever the host's settings.
"""

import inspect

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_choice_description_list
from drf_spectacular.utils import extend_schema as spectacular_extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated

from ..models.billing import Invoice, InvoiceLine, Payment
from ..models.bookings import BookingLine, DayState
from ..models.requests import FileChange, Request
from .serializers.accounts import ACTIVATION_ERROR_CODES
from .serializers.common import ErrorSerializer

# Enum components, by name: the value and label of each choice.
NAMED_ENUMS: dict[str, list[tuple[str, str]]] = {
    "ActivationErrorCodeEnum": [(code, code) for code in ACTIVATION_ERROR_CODES],
    "RequestKindEnum": Request.Kind.choices,
    "RequestStateEnum": Request.State.choices,
    "FileChangeOperationEnum": FileChange.Operation.choices,
    "DayStateEnum": DayState.choices,
    "DayOperationEnum": BookingLine.Operation.choices,
    "LineStateEnum": BookingLine.State.choices,
    "InvoiceKindEnum": Invoice.Kind.choices,
    "InvoiceStatusEnum": Invoice.Status.choices,
    "InvoiceLineKindEnum": InvoiceLine.Kind.choices,
    "PaymentMethodEnum": Payment.Method.choices,
}
_BY_VALUES = {
    frozenset(value for value, _label in choices): name for name, choices in NAMED_ENUMS.items()
}


ERROR_REF = {"$ref": "#/components/schemas/Error"}
BAD_REQUEST = ResolvedComponent(
    name="BadRequest",
    type=ResolvedComponent.SCHEMA,
    object="BadRequest",
    schema={
        "type": "object",
        "description": (
            "Bad input. Each field at fault is a key with its messages: {field: [messages]}, "
            "a nested field with dots (fields.profession) and an item of a list with its "
            "position (dates.0); an error about the request as a whole is {detail: message} "
            "(a body that is not JSON or is nested too deeply, a combination of fields)."
        ),
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"birth_date": ["A birth date cannot be in the future."]},
    },
)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class FamilyPortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the package's named enums and error answers."""

    def error_responses(self) -> dict[str, str]:
        """The errors this operation can answer whatever it does, by status code."""
        view = self.view
        errors = {
            "400": "Bad input: {field: [messages]} or {detail: message}. A text with a NUL "
            "character or an unpaired surrogate, in the body or the query string, is one.",
        }
        if IsAuthenticated in getattr(view, "permission_classes", ()):
            errors["401"] = "Not logged in: no valid token or session."
            if self.method in UNSAFE_METHODS and SessionAuthentication in getattr(
                view, "authentication_classes", ()
            ):
                errors["403"] = "Session authentication without a valid CSRF token."
        if self.method in ("POST", "PUT", "PATCH"):
            errors["415"] = "The body is not in a format the endpoint reads (Content-Type)."
        if "{" in self.path:
            errors["404"] = "Unknown, or belonging to a family the account is not linked to."
        if getattr(view, "throttle_classes", None):
            errors["429"] = "Too many requests; the Retry-After header says when to retry."
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self.error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ErrorSerializer, code, direction=direction
                )
                responses[code]["description"] = description
        for content in responses.get("400", {}).get("content", {}).values():
            self.registry.register_on_missing(BAD_REQUEST)
            if content.get("schema") == ERROR_REF:
                content["schema"] = BAD_REQUEST.ref
            elif content.get("schema") != BAD_REQUEST.ref:
                # An endpoint's own 400 (auth/activate/'s code) or the general one.
                content["schema"] = {"anyOf": [content["schema"], BAD_REQUEST.ref]}
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        return self._named_enum(schema)

    def _named_enum(self, schema):
        """A choice set of :data:`NAMED_ENUMS` as a reference to its component."""
        if not isinstance(schema, dict) or "enum" not in schema:
            return schema
        values = [value for value in schema["enum"] if value not in ("", None)]
        name = _BY_VALUES.get(frozenset(values))
        if name is None:
            return schema
        choices = NAMED_ENUMS[name]
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=name,
            schema={
                "type": "string",
                "enum": [value for value, _label in choices],
                "description": build_choice_description_list(choices),
            },
        )
        self.registry.register_on_missing(component)
        rest = {
            key: value
            for key, value in schema.items()
            if key not in ("type", "enum", "x-spec-enum-id")
        }
        alternatives = [component.ref]
        if "" in schema["enum"]:
            alternatives.append({"type": "string", "enum": [""]})
        if None in schema["enum"]:
            rest["nullable"] = True
        if len(alternatives) > 1:
            return {"oneOf": alternatives, **rest}
        return {"allOf": alternatives, **rest} if rest else component.ref


def extend_schema(*args, **kwargs):
    """drf-spectacular's ``extend_schema``, built on :class:`FamilyPortalAutoSchema`.

    On a view method, drf-spectacular derives the method's schema from the schema the method
    already carries, else from the host's ``DEFAULT_SCHEMA_CLASS``; giving the method ours first
    makes the schema the same in every host.
    """
    decorate = spectacular_extend_schema(*args, **kwargs)

    def decorator(target):
        if not inspect.isclass(target) and "schema" not in getattr(target, "kwargs", {}):
            target.kwargs = {**getattr(target, "kwargs", {}), "schema": FamilyPortalAutoSchema}
        return decorate(target)

    return decorator
