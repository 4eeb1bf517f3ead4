"""API exceptions, and the handler that turns every error into JSON.

Errors always have one of two shapes: ``{"detail": "…"}`` for a whole-request error, or
``{"field": ["…"]}`` for invalid input fields (a non-field error of a serializer is reported as
``detail``). Later endpoints raise :class:`ConflictError` when the request is valid but the state
of the data forbids it (a day already booked, a request already processed…).
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class ConflictError(APIException):
    """409: the request is well formed but conflicts with the current state of the data."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This action conflicts with the current state of the data.")
    default_code = "conflict"


class InvalidCredentials(APIException):
    """400: the e-mail address and password do not open an active account.

    The same message for an unknown address, a wrong password and an inactive account, so that
    the answer does not tell whether an address has an account.
    """

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("Unable to log in with this e-mail address and password.")
    default_code = "invalid_credentials"


# An id that is unknown or another family's (the same words: nothing tells them apart), and an
# address that is not one of the API's. Neither names a model.
NOT_FOUND = _("Unknown, or not visible to this account.")
UNKNOWN_ADDRESS = _("There is nothing at this address of the family portal's API.")


def exception_handler(exc, context):
    """DRF's handler, plus Django validation errors, with errors normalised to the API's shapes.

    Django's ``Http404`` (``get_object_or_404``'s "No Family matches the given query.") becomes
    the API's own 404 message. Exceptions that are not API errors (bugs) are left alone and end
    as a 500, as they should.
    """
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = NotFound(NOT_FOUND)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = normalise_error_data(response.data)
    return response


def _django_validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"detail": " ".join(exc.messages)}


def normalise_error_data(data):
    """``{"detail": "…"}`` or ``{"field": ["…"], "detail": "…"}``, whatever DRF produced."""
    if isinstance(data, list):
        return {"detail": _join(data)}
    if not isinstance(data, dict):
        return {"detail": str(data)}
    non_field_keys = {api_settings.NON_FIELD_ERRORS_KEY, NON_FIELD_ERRORS, "non_field_errors"}
    normalised = {}
    for key, value in data.items():
        if key in non_field_keys or key == "detail":
            normalised["detail"] = _join(value) if isinstance(value, list) else value
        else:
            normalised[key] = value
    return normalised


def _join(messages) -> str:
    return " ".join(str(message) for message in messages)
