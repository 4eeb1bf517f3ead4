"""What every family-facing page shares: the log-in, the family of the URL, the portal context.

Every route of ``views/routes.py`` is a view decorated with ``portal_view``, which calls it as
``view(request, pages, …)``:

- ``@portal_view()``: any visitor; ``pages`` is a ``PortalPages`` (the page, its context, its
  URLs, the rendering).
- ``@portal_view(login=True)``: a visitor not logged in is sent to the login page first.
- ``@portal_view(family=True)``: logged in, then the account's family ``family_id`` of the URL
  (on the site's town) through ``Family.objects.account_family``, or a 404; ``pages`` is a
  ``FamilyPages``. Another family's id, or a child, activity or request that is not the
  family's, is a 404 too (``FamilyPages.child``, ``checked_ids``…).

The methods a view answers are Django's decorators (``require_safe``, ``require_POST``…),
placed under ``portal_view``: a visitor not logged in, or asking for another family, gets the
login page or the 404 whatever the method.
"""

from functools import cached_property, wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch
from django.utils.http import urlencode
from wagtail.models import Site

from .. import clock, theming
from ..http import absolute_portal_url, request_site
from ..models import Activity, Child, Enrolment, Family, FamilyPortalSettings, Municipality
from ..validators import HEX_COLOUR_RE
from .planning_forms import parse_ids

TEMPLATES = "wagtail_family_portal/"


def portal_context(request, page) -> dict:
    """What every portal template needs: the page, the site's settings and municipality, and
    the page frame that ``base.html`` extends (the host's, when it names one)."""
    context = page.get_context(request)
    context.update(theming.frame_context())
    site = Site.find_for_request(request)
    context["portal_settings"] = FamilyPortalSettings.for_request(request)
    context["municipality"] = (
        Municipality.objects.select_related("logo").filter(site=site).first() if site else None
    )
    context["signup_url"] = subpage_url(page, "signup", request)
    context["subscribe_url"] = subpage_url(page, "subscribe", request)
    return context


def subpage_url(page, name: str, request=None) -> str | None:
    """The URL of a route of ``page``, or None when the page has no route of that name (a host's
    subclass of the page may leave one out)."""
    try:
        subpath = page.reverse_subpage(name)
    except NoReverseMatch:
        return None
    return page.get_url(request) + subpath


def login_redirect(request, page):
    """To the portal's login page, and back to this page once logged in."""
    return redirect_to_login(request.get_full_path(), subpage_url(page, "login", request))


class PortalPages:
    """The portal page for one request: its context, its URLs, the rendering.

    The context is read when first needed (a redirect needs none).
    """

    def __init__(self, request, page, context=None):
        self.request = request
        self.page = page
        if context is not None:
            self.context = context

    @cached_property
    def context(self) -> dict:
        return portal_context(self.request, self.page)

    @cached_property
    def base_url(self) -> str:
        return self.page.get_url(self.request)

    @cached_property
    def portal(self) -> dict:
        """Which portal a service writes to the family about: the site (its wording, its town)
        and the page's address as the visitor reached it (the links of the e-mails)."""
        return {
            "site": request_site(self.request),
            "portal_url": absolute_portal_url(self.request, self.page),
        }

    def subpage_url(self, name: str) -> str | None:
        """A route of the page without arguments (None if the page has none of that name)."""
        return subpage_url(self.page, name, self.request)

    def extra_context(self) -> dict:
        return {}

    def render(self, template: str, context: dict, status: int = 200):
        """``template`` under ``wagtail_family_portal/`` (``accounts/signup.html``)."""
        context = {**self.context, **self.extra_context(), **context}
        return TemplateResponse(self.request, TEMPLATES + template, context, status=status)


class FamilyPages(PortalPages):
    """One family's pages for one request: the family, its URLs and records, the rendering."""

    def __init__(self, request, page, family, context):
        super().__init__(request, page, context)
        self.family = family

    def url(self, name: str, *args, query=None) -> str:
        """The family's route ``name`` (its id first), with ``query`` minus its empty values."""
        url = self.base_url + self.page.reverse_subpage(name, args=(self.family.pk, *args))
        query = {key: value for key, value in (query or {}).items() if value not in (None, "", [])}
        return f"{url}?{urlencode(query, doseq=True)}" if query else url

    def extra_context(self) -> dict:
        colour = getattr(self.context.get("portal_settings"), "pending_colour", "") or ""
        return {
            "family": self.family,
            "family_url": self.url("family_file"),
            "planning_url": self.url("planning"),
            "requests_url": self.url("requests_list"),
            "period_url": self.url("period_request"),
            "calendar_url": self.url("calendar_settings"),
            # The colour of the changes waiting for validation (family/base.html).
            "pending_colour": colour if HEX_COLOUR_RE.match(colour) else "",
        }

    def children(self) -> list[Child]:
        return list(Child.objects.filter(family=self.family).order_by("birth_date", "pk"))

    def child(self, child_id, queryset=None) -> Child:
        """The family's child ``child_id`` (from ``queryset`` if given), or 404."""
        queryset = Child.objects.all() if queryset is None else queryset
        child = queryset.filter(family=self.family, pk=child_id).first()
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


def checked_ids(values, allowed) -> None:
    """404 when a posted id is not one of ``allowed`` (another family's, or not an id)."""
    ids = parse_ids([value for value in values if value != ""])
    if ids and not set(ids) <= set(allowed):
        raise Http404


def portal_view(*, login: bool = False, family: bool = False):
    """A route of the portal page: ``view(request, pages, …)`` (see the module's docstring).

    ``family`` implies ``login``: the route's ``family_id`` must be one of the account's.
    """

    def decorator(view):
        if family:

            @wraps(view)
            def family_route(request, page, family_id, **kwargs):
                if not request.user.is_authenticated:
                    return login_redirect(request, page)
                context = portal_context(request, page)
                found = account_family(request, context, family_id)
                return view(request, FamilyPages(request, page, found, context), **kwargs)

            return family_route

        @wraps(view)
        def route(request, page, *args, **kwargs):
            if login and not request.user.is_authenticated:
                return login_redirect(request, page)
            return view(request, PortalPages(request, page), *args, **kwargs)

        return route

    return decorator
