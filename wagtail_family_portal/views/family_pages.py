"""What the pages of one family share: the planning pages (views/planning.py) and "Mes demandes"
(views/requests.py).

``family_route`` is the only way in: log-in required, then the account's family ``family_id``
through ``Family.objects.for_account`` (and the site's municipality), or a 404. Another family's
id, or a child, activity or request that is not the family's, is a 404 too (``FamilyPages`` and
``checked_ids``).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.utils.http import urlencode

from .. import clock
from ..models import Activity, Child, Enrolment, Family
from .planning_forms import parse_ids
from .portal import portal_context, subpage_url

TEMPLATES = "wagtail_family_portal/"


class FamilyPages:
    """One family's pages for one request: the family, its URLs, the rendering."""

    def __init__(self, request, page, family, context):
        self.request = request
        self.page = page
        self.family = family
        self.context = context
        self.base_url = page.get_url(request)

    def url(self, name: str, *args, query=None) -> str:
        url = self.base_url + self.page.reverse_subpage(name, args=(self.family.pk, *args))
        query = {key: value for key, value in (query or {}).items() if value not in (None, "", [])}
        return f"{url}?{urlencode(query, doseq=True)}" if query else url

    def render(self, template: str, context: dict, status: int = 200):
        """``template`` under ``wagtail_family_portal/`` (``planning/day.html``)."""
        context = {
            **self.context,
            "family": self.family,
            "planning_url": self.url("planning"),
            "requests_url": self.url("requests_list"),
            "period_url": self.url("period_request"),
            "calendar_url": self.url("calendar_settings"),
            **context,
        }
        return TemplateResponse(self.request, TEMPLATES + template, context, status=status)

    def children(self) -> list[Child]:
        return list(Child.objects.filter(family=self.family).order_by("birth_date", "pk"))

    def child(self, child_id: int) -> Child:
        child = Child.objects.filter(family=self.family, pk=child_id).first()
        if child is None:
            raise Http404
        return child

    def activities(self, *, current=False) -> dict[int, Activity]:
        """The activities the family's children are (or were) enrolled in, by id.

        An activity of the town that none of the children ever attended is not the family's:
        the pages answer 404 for it, as for another family's child. ``current`` keeps those
        whose enrolment has not ended yet (what the family may still ask for).
        """
        enrolments = Enrolment.objects.filter(child__family=self.family)
        if current:
            enrolments = enrolments.filter(end_date__gte=clock.today())
        queryset = (
            Activity.objects.filter(pk__in=enrolments.values("activity_id"))
            .select_related("establishment")
            .order_by("start_time", "name", "pk")
        )
        return {activity.pk: activity for activity in queryset}

    def activity(self, activity_id: int) -> Activity:
        activity = (
            Activity.objects.filter(
                pk=activity_id,
                pk__in=Enrolment.objects.filter(child__family=self.family).values("activity_id"),
            )
            .select_related("establishment")
            .first()
        )
        if activity is None:
            raise Http404
        return activity


def account_family(request, context, family_id) -> Family:
    """The account's family ``family_id``, on this site's town when the site has one, or 404."""
    family = Family.objects.select_related("municipality").account_family(
        request.user, family_id, municipality=context["municipality"]
    )
    if family is None:
        raise Http404
    return family


def family_route(view):
    """Log-in required, then the account's family ``family_id`` (on this site's town) or 404."""

    @wraps(view)
    def wrapper(request, page, family_id, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), subpage_url(page, "login", request))
        context = portal_context(request, page)
        family = account_family(request, context, family_id)
        return view(FamilyPages(request, page, family, context), **kwargs)

    return wrapper


def only(request, *methods):
    """A 405 answer when ``request`` uses none of ``methods``, else None."""
    if request.method not in methods:
        return HttpResponseNotAllowed(methods)
    return None


def checked_ids(values, allowed) -> None:
    """404 when a posted id is not one of ``allowed`` (another family's, or not an id)."""
    ids = parse_ids([value for value in values if value != ""])
    if ids and not set(ids) <= set(allowed):
        raise Http404
