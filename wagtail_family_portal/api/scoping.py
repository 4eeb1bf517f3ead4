"""Where every endpoint of one family or one request starts: the account's own, or 404.

The rule itself is the models' (``Family.objects.for_account``, ``account_family`` and
``Request.objects.for_account``, models/families.py and models/requests.py); the views mix in
:class:`AccountScopedMixin` to apply it, so that an id of another family answers 404 like an
unknown one, with the same words. The field rules and the texts are those of the site of the
family's municipality (:func:`family_site`), so that an account linked to families of two towns
sees each file as its town configured it.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound

from .. import planning
from ..http import request_site
from ..models import Activity, Child, Family, Request, RequestEvent
from ..models.bookings import BookingLine, BookingLineEvent
from .exceptions import NOT_FOUND

UNKNOWN = _("Unknown child or activity.")


def family_site(family: Family, request):
    """The site whose rules and texts apply to ``family``."""
    return family.municipality.site or request_site(request)


class AccountScopedMixin:
    """The account's family, request, children and activities of the URL and the query, or 404.

    Mixed into the API views of one family or one request (``self.request`` is DRF's request).
    """

    def account_family(self, family_id, queryset=None) -> Family:
        """The account's family ``family_id`` (``Family.objects.account_family``), or 404."""
        families = queryset if queryset is not None else Family.objects.all()
        family = families.select_related("municipality__site").account_family(
            self.request.user, family_id
        )
        if family is None:
            raise NotFound(NOT_FOUND)
        return family

    def planning_family(self, family_id) -> planning.FamilyRef:
        """The account's family ``family_id`` for the planning, or 404.

        The planning is what families open most: its family is read by ``planning.account_family``'s
        plain SQL rather than the ORM's query, held to ``Family.objects.for_account`` by
        tests/test_scoping.py on every shape of data.
        """
        family = planning.account_family(self.request.user, family_id)
        if family is None:
            raise NotFound(NOT_FOUND)
        return family

    def account_request(self, request_id) -> Request:
        """The account's request ``request_id`` with its lines, changes and history, or 404."""
        requests = (
            Request.objects.for_account(self.request.user)
            .select_related("family__municipality__site")
            .prefetch_related(
                "file_changes",
                Prefetch("events", queryset=RequestEvent.objects.select_related("user")),
                Prefetch("booking_lines", queryset=BookingLine.objects.order_by("date", "pk")),
                Prefetch(
                    "booking_lines__events",
                    queryset=BookingLineEvent.objects.select_related("user"),
                ),
            )
        )
        return get_object_or_404(requests, pk=request_id)

    def family_site(self, family: Family):
        return family_site(family, self.request)

    @staticmethod
    def check_children(family, ids) -> None:
        """404 unless every id is a child of ``family``."""
        if ids and Child.objects.filter(family_id=family.pk, pk__in=ids).count() != len(ids):
            raise NotFound(UNKNOWN)

    @staticmethod
    def check_activities(family, ids) -> None:
        """404 unless every id is an activity of the family's municipality."""
        if not ids:
            return
        activities = Activity.objects.filter(
            pk__in=ids, establishment__municipality_id=family.municipality_id
        )
        if activities.count() != len(ids):
            raise NotFound(UNKNOWN)
