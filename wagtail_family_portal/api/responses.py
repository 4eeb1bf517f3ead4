"""How the API answers an error: the documented error answers of the schema, the body of an
error that is *returned*, and the services' errors in the API's format.

Errors that follow a write the request must keep (a subscriber code attempt, a failed login
counted by django-axes) are returned rather than raised: DRF's exception handler rolls back the
request's transaction when the host sets ``ATOMIC_REQUESTS``, and the brute-force counters would
go with it.
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from ..services import bookings, subscriptions
from ..services.dossier import DossierError
from .exceptions import ConflictError
from .serializers.bookings import skipped_data
from .serializers.common import ErrorSerializer


def error_answer(description: str) -> OpenApiResponse:
    """An error answer of the API's schema: the error body (``{"detail": …}`` or
    ``{field: [messages]}``) with what it means for that operation."""
    return OpenApiResponse(ErrorSerializer, description=description)


# The errors several endpoints document alike.
ERROR_400 = error_answer("A field is missing or invalid: {field: [messages]}.")
ERROR_401 = error_answer("Not logged in.")
ERROR_404 = error_answer("Unknown, or belonging to a family the account is not linked to.")
ERROR_409_PENDING = error_answer(
    "A change of the same field (or the same removal, or a photo) is already "
    "waiting for validation: withdraw it first."
)
ERROR_429 = error_answer("Too many attempts; the Retry-After header says when to retry.")


def error_response(status_code: int, data: dict, retry_after: int | None = None) -> Response:
    response = Response(data, status=status_code)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    return response


def too_many_attempts(error: subscriptions.TooManyAttempts) -> Response:
    return error_response(429, {"detail": error.message}, retry_after=error.retry_after)


def dossier_error(error: DossierError) -> Exception:
    """The API exception for an error of the dossier service."""
    if error.code == "not_found":
        return NotFound(error.message)
    if error.code in ("already_pending", "not_pending", "conflict"):
        return ConflictError(error.message)
    if error.code == "invalid" and error.errors:
        return ValidationError(error.errors)
    # unchanged, not_allowed, or an invalid request without a field to blame.
    return ValidationError({"detail": error.message})


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
