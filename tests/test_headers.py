"""The headers of the portal's own answers (headers.py, decisions.md §28): no cache may keep a
page of the portal or an answer of its API, and the portal's pages carry a strict
Content-Security-Policy, with or without django-csp's middleware in the host."""

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern

from wagtail_family_portal import clock
from wagtail_family_portal.api import urls as api_urls
from wagtail_family_portal.models import FamilyPortalPage, OnlinePayment, OnlinePaymentEvent
from wagtail_family_portal.services import dossier
from wagtail_family_portal.services.billing import online

from . import factories
from .test_family_pages import jpeg

API = "/api/family-portal/v1/"
# The OpenAPI schema, its docs and their assets: no personal data. "unknown" is the JSON 404 of
# any other address, checked on its own below.
PUBLIC_API_ROUTES = {"schema", "docs", "docs-asset", "unknown"}


@pytest.fixture
def household(enrolled_family, portal_page, private_root, parent):
    """The family of ``parent`` with everything a route of the portal can show: children with a
    photo, a guardian, a contact, a change waiting, a calendar address."""
    family = enrolled_family
    lea = family.children.get(first_name="Léa")
    lea.photo.save("lea.jpg", ContentFile(jpeg()), save=True)
    guardian = family.guardians.get()
    contact = factories.AuthorisedContactFactory(child=lea)
    change = dossier.propose_change(
        family=family,
        user=None,
        target_type="guardian",
        target_id=guardian.pk,
        fields={"mobile_phone": "06 98 76 54 32"},
        rules=None,
    )
    family.regenerate_calendar_token()
    office = factories.BillingOfficeFactory(municipality=family.municipality)
    activity = lea.enrolments.first().activity
    invoice = factories.issued_invoice(
        office, family, [(lea, activity, 2, "3.20")], issue_date=dt.date(2025, 12, 1)
    )
    dummy, _url = online.start_payment(
        family=family,
        invoice_ids=[invoice.pk],
        user=parent,
        return_url="https://example.org/retour/",
        notify_url="https://example.org/notification/",
        test_bank_url="https://example.org/banque-test/",
    )
    # A payment of a service that takes a posted form (Systempay…), as start_payment logs it.
    form = OnlinePayment.objects.create(
        billing_office=office,
        family=family,
        amount=invoice.total,
        backend="systempayv2",
        transaction_id="form-payment",
    )
    OnlinePaymentEvent.objects.create(
        online_payment=form,
        source="request",
        outcome="started",
        data={"kind": 3, "url": "https://bank.example/", "method": "POST", "fields": []},
    )
    return {
        "family": family,
        "child": lea,
        "guardian": guardian,
        "contact": contact,
        "request": change,
        "office": office,
        "invoice": invoice,
        "dummy_payment": dummy,
        "form_payment": form,
    }


def portal_routes(household) -> dict[str, dict]:
    """Every route of the portal page, with arguments of the household's own records."""
    family_id, child_id = household["family"].pk, household["child"].pk
    family = {"family_id": family_id}
    return {
        "index": {},
        "login": {},
        "logout": {},
        "signup": {},
        "signup_done": {},
        "resend_activation": {},
        "activate": {"token": "not-a-token"},
        "password_change": {},
        "password_reset": {},
        "password_reset_done": {},
        "password_reset_confirm": {"uidb64": "MQ", "token": "set-password"},
        "password_reset_complete": {},
        "notification_settings": {},
        "subscriptions": {},
        "subscribe": {},
        "family_file": family,
        "child_file": {**family, "child_id": child_id},
        "family_change": {
            **family,
            "target_type": "guardian",
            "target_id": household["guardian"].pk,
        },
        "family_add": {**family, "target_type": "child"},
        "family_add_for": {**family, "target_type": "contact", "parent_id": child_id},
        "family_remove_contact": {**family, "contact_id": household["contact"].pk},
        "child_photo": {**family, "child_id": child_id},
        "child_photo_change": {**family, "child_id": child_id},
        "withdraw_change": {**family, "request_id": household["request"].pk},
        "planning": family,
        "planning_day": family,  # with QUERIES below
        "period_request": family,
        "calendar_settings": family,
        "calendar_feed": {"token": household["family"].calendar_token},
        "requests_list": family,
        "request_detail": {**family, "request_id": household["request"].pk},
        "invoices_entry": {},
        "invoices": family,
        "pay": family,  # POST only: a GET answers 405
        "invoice_detail": {**family, "invoice_id": household["invoice"].pk},
        "invoice_pdf": {**family, "invoice_id": household["invoice"].pk},
        "payment_form": {**family, "online_payment_id": household["form_payment"].pk},
        "payment_return": {**family, "office_id": household["office"].pk},
        "attestation": {**family, "office_id": household["office"].pk, "year": 2025},
        "test_bank": {},
    }


def queries(household) -> dict[str, str]:
    """The query strings that a route needs to answer at all."""
    activity = household["child"].enrolments.first().activity
    day = dt.date.today() + dt.timedelta(days=14)
    return {
        "planning_day": f"?enfant={household['child'].pk}&activite={activity.pk}"
        f"&date={day.isoformat()}&operation=booking",
        "test_bank": f"?transaction_id={household['dummy_payment'].transaction_id}",
    }


def api_routes(household) -> dict[str, dict]:
    family = {"family_id": household["family"].pk}
    request = {"id": household["request"].pk}
    return {
        "auth-token": {},
        "auth-signup": {},
        "auth-activate": {},
        "auth-activate-resend": {},
        "me": {},
        "me-notifications": {},
        "subscriptions": {},
        "family": family,
        "family-changes": family,
        "family-child-photo": {**family, "child_id": household["child"].pk},
        "family-planning": family,
        "family-requests": family,
        "request": request,
        "request-withdraw": request,
        "family-invoices": family,
        "invoice": {"id": household["invoice"].pk},
        "invoice-pdf": {"id": household["invoice"].pk},
        "family-attestation-pdf": {**family, "year": clock.today().year - 1},
        "invoices-pay": {},  # POST only: a GET answers 405
    }


def assert_not_cached(response, url):
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= cache_control, (url, response.status_code, cache_control)


def test_every_route_of_the_portal_is_walked():
    """A new route must join the walk below: it is where its headers are checked."""
    names = {pattern.name for pattern in FamilyPortalPage.get_subpage_urls()}
    names.discard("index_route")  # Wagtail's own route for "", which the page's "index" replaces
    assert names == set(portal_routes({k: _Any() for k in _HOUSEHOLD_KEYS}))


def test_every_route_of_the_api_is_walked():
    names = {p.name for p in api_urls.urlpatterns if isinstance(p, URLPattern)}
    assert names - PUBLIC_API_ROUTES == set(api_routes({k: _Any() for k in _HOUSEHOLD_KEYS}))


def test_no_page_of_the_portal_may_be_cached(parent_client, household, portal_page):
    query = queries(household)
    for name, kwargs in portal_routes(household).items():
        url = portal_page.url + portal_page.reverse_subpage(name, kwargs=kwargs)
        response = parent_client.get(url + query.get(name, ""))

        assert response.status_code != 404, url
        assert_not_cached(response, url)


def test_no_answer_of_the_api_may_be_cached(parent_client, household):
    for name, kwargs in api_routes(household).items():
        url = api_urls_reverse(name, kwargs)
        response = parent_client.get(url)

        assert response.status_code != 404, url
        assert_not_cached(response, url)


def test_api_errors_and_anonymous_answers_are_not_cached_either(client, household):
    family_url = api_urls_reverse("family", {"family_id": household["family"].pk})
    anonymous = client.get(family_url)
    assert anonymous.status_code == 401
    assert_not_cached(anonymous, family_url)

    token_url = api_urls_reverse("auth-token", {})
    refused = client.post(token_url, {"email": "x"}, content_type="application/json")
    assert refused.status_code == 400
    assert_not_cached(refused, token_url)

    unknown_url = api_urls_reverse("me", {}) + "unknown/"
    unknown = client.get(unknown_url)
    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/json"
    assert_not_cached(unknown, unknown_url)


def test_the_visitors_pages_are_not_cached_either(client, portal_page):
    """The same address is a visitor's home page and a family's dashboard (decisions.md §28)."""
    for name in ("index", "login", "signup", "password_reset"):
        url = portal_page.url + portal_page.reverse_subpage(name)
        response = client.get(url)

        assert response.status_code == 200, url
        assert_not_cached(response, url)


# Content-Security-Policy


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in (part.strip() for part in header.split(";"))
        if directive
    }


FAMILY_PAGES = (
    "index",
    "family_file",
    "child_file",
    "planning",
    "requests_list",
    "invoices",
    "invoice_detail",
)


def family_page_urls(household, portal_page):
    routes = portal_routes(household)
    return [
        portal_page.url + portal_page.reverse_subpage(name, kwargs=routes[name])
        for name in FAMILY_PAGES
    ]


def test_family_pages_carry_a_policy_without_unsafe_inline(parent_client, household, portal_page):
    for url in family_page_urls(household, portal_page):
        response = parent_client.get(url)

        assert response.status_code == 200, url
        policy = policy_of(response)
        assert policy["script-src"][0] == "'self'", url
        assert "'unsafe-inline'" not in policy["script-src"], url
        assert "'unsafe-inline'" not in policy["style-src"], url
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'self'"]


def test_the_nonce_of_the_colours_is_the_one_in_the_policy(parent_client, household, portal_page):
    """The children's colours (edited in the CMS) come in a <style nonce> the policy allows."""
    url = portal_page.url + portal_page.reverse_subpage(
        "planning", kwargs={"family_id": household["family"].pk}
    )
    first, second = parent_client.get(url), parent_client.get(url)

    nonces = []
    for response in (first, second):
        html = response.content.decode()
        nonce = re.search(r'<style nonce="([^"]+)">', html).group(1)
        assert f"'nonce-{nonce}'" in policy_of(response)["style-src"]
        assert f".wfp-child-{household['child'].pk}{{--wfp-child-colour:" in html
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_no_inline_style_or_script_on_the_family_pages(parent_client, household, portal_page):
    for url in family_page_urls(household, portal_page):
        html = parent_client.get(url).content.decode()

        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r'\sstyle="', html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert not re.search(r"<style(?![^>]*\bnonce=\"[^\"]+\")[^>]*>", html), url


def test_with_django_csp_middleware_the_portal_keeps_its_own_policy(
    settings, parent_client, household, portal_page
):
    """A host that runs django-csp site-wide (here with a loose policy) gets the portal's policy
    on the portal's pages, with the middleware's nonce."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "csp.middleware.CSPMiddleware"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", "'unsafe-inline'"]}
    }
    url = portal_page.url + portal_page.reverse_subpage(
        "planning", kwargs={"family_id": household["family"].pk}
    )
    response = parent_client.get(url)

    policy = policy_of(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    nonce = re.search(r'<style nonce="([^"]+)">', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in policy["style-src"]


def test_the_host_can_change_or_switch_off_the_portal_policy(
    settings, parent_client, household, portal_page
):
    url = portal_page.url + portal_page.reverse_subpage(
        "family_file", kwargs={"family_id": household["family"].pk}
    )
    settings.WAGTAIL_FAMILY_PORTAL_CSP = {
        "img-src": ["'self'", "https://images.ville-exemple.fr"],
        "form-action": None,
    }
    policy = policy_of(parent_client.get(url))
    assert policy["img-src"] == ["'self'", "https://images.ville-exemple.fr"]
    assert "form-action" not in policy
    assert policy["script-src"][0] == "'self'"  # the other directives are the portal's

    settings.WAGTAIL_FAMILY_PORTAL_CSP = None
    assert "Content-Security-Policy" not in parent_client.get(url)


def test_static_files_from_another_origin_are_allowed(
    settings, parent_client, household, portal_page
):
    settings.STATIC_URL = "https://static.ville-exemple.fr/portail/"
    url = portal_page.url + portal_page.reverse_subpage(
        "family_file", kwargs={"family_id": household["family"].pk}
    )
    policy = policy_of(parent_client.get(url))

    for directive in ("script-src", "style-src", "img-src", "font-src"):
        assert "https://static.ville-exemple.fr" in policy[directive]


# Helpers


_HOUSEHOLD_KEYS = (
    "family",
    "child",
    "guardian",
    "contact",
    "request",
    "office",
    "invoice",
    "dummy_payment",
    "form_payment",
)


class _Any:
    """Stands for a record when only the route names matter."""

    pk = 1
    calendar_token = "token"


def api_urls_reverse(name: str, kwargs: dict) -> str:
    from django.urls import reverse

    return reverse(f"{api_urls.app_name}:{name}", kwargs=kwargs)
