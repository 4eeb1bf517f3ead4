"""Accessibility of the family pages as the server writes them (RGAA / WCAG 2.1 AA): messages
in a live region and in the title, errors announced by the title and focused, login errors tied
to the fields, the planning's way back to the cell just changed and its activity names.

What only a browser can tell (axe, the focus, the accessibility tree, the styles) is in
test_browser_accessibility.py.
"""

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import timezone

from wagtail_family_portal.services import bookings

from . import factories

PORTAL_URL = "/espace-famille/"
TEMPLATES = Path(__file__).resolve().parent.parent / "wagtail_family_portal" / "templates"
ERROR_TITLE = "Erreur : "
PASSWORD = "correct-horse-battery"

# Thursday 3 December 2026 at 09:00, in the season of tests/factories.py (as the planning tests).
NOW = factories.NOW
THU = dt.date(2026, 12, 10)
TOO_SOON = dt.date(2026, 12, 4)  # its booking deadline was Wednesday at 10:00


class Page(HTMLParser):
    """What these tests read in a page: its title, the focused-at-load elements, the inputs."""

    def __init__(self, html: str):
        super().__init__()
        self.title = ""
        self.autofocus = []  # (tag, attrs) of every element with the autofocus attribute
        self.inputs = {}  # name → attrs
        self.lists_with_role = []
        self.ids = set()
        self._in_title = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "title":
            self._in_title = True
        if "autofocus" in attrs:
            self.autofocus.append((tag, attrs))
        if tag in ("input", "select", "textarea") and "name" in attrs:
            self.inputs.setdefault(attrs["name"], attrs)
        if tag in ("ul", "ol") and "role" in attrs:
            self.lists_with_role.append(attrs)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    @property
    def clean_title(self) -> str:
        return re.sub(r"\s+", " ", self.title).strip()


def page_of(response) -> Page:
    return Page(response.content.decode())


def url(family, rest=""):
    return f"{PORTAL_URL}famille/{family.pk}/{rest}"


# 1. Messages after a redirect


def test_a_message_after_a_redirect_is_a_list_inside_a_live_region_and_opens_the_title(
    parent_client, portal_page, municipality, parent
):
    response = parent_client.post(
        f"{PORTAL_URL}compte/notifications/", {"decision_emails": "none"}, follow=True
    )

    html = response.content.decode()
    region = re.search(
        r'<div class="wfp-messages" id="wfp-messages" role="status">(.*?)</div>', html, re.S
    )
    assert region, "the messages are not inside a live region"
    assert re.search(
        r"<ul[^>]*>\s*<li[^>]*>Votre choix d’e-mails a été enregistré.</li>", region.group(1)
    )
    page = page_of(response)
    assert page.lists_with_role == []
    # Read first when the page opens: the message, then the page's own title.
    assert page.clean_title == (
        f"Votre choix d’e-mails a été enregistré. – E-mails sur mes demandes – {municipality.name}"
    )


def test_a_page_without_message_keeps_its_own_title(parent_client, portal_page):
    response = parent_client.get(f"{PORTAL_URL}compte/notifications/")

    assert page_of(response).clean_title.startswith("E-mails sur mes demandes – ")
    assert 'id="wfp-messages"' not in response.content.decode()


# 2. No list with a role, anywhere


def test_no_template_gives_a_list_a_role():
    """A list with role="alert" or "status" is no longer a list to screen readers (axe
    ``listitem``): the live region must wrap the list instead."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for tag in re.findall(r"<(?:ul|ol)\b[^>]*>", path.read_text()):
            if re.search(r"\brole=", tag):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
    assert offenders == []


def test_a_single_checkbox_error_is_a_plain_list_tied_to_the_checkbox():
    class Consent(forms.Form):
        accept = forms.BooleanField(label="J’accepte", required=True)

    form = Consent(data={})
    html = render_to_string(
        "wagtail_family_portal/family/form_field.html", {"field": form["accept"]}
    )

    assert '<ul class="errorlist" id="id_accept_error">' in html
    assert re.search(r'<input type="checkbox"[^>]*aria-describedby="id_accept_error"', html)
    assert re.search(r'<input type="checkbox"[^>]*aria-invalid="true"', html)


def test_a_wrong_subscriber_code_is_a_plain_list_tied_to_the_field(parent_client, portal_page):
    response = parent_client.post(
        f"{PORTAL_URL}abonnements/ajouter/", {"step": "search", "code": "ABCD-EFGH-2026"}
    )

    page = page_of(response)
    assert page.lists_with_role == []
    assert "id_code_error" in page.inputs["code"]["aria-describedby"].split()
    assert page.inputs["code"]["aria-invalid"] == "true"


# 3. Errors: tied to the fields, in the title, focused


def test_a_wrong_password_is_tied_to_both_fields_and_the_error_box_takes_the_focus(
    client, portal_page, parent
):
    response = client.post(
        f"{PORTAL_URL}connexion/", {"username": "parent@example.org", "password": "wrong"}
    )

    page = page_of(response)
    assert "wfp-login-errors" in page.ids
    for name in ("username", "password"):
        assert page.inputs[name]["aria-invalid"] == "true"
        assert page.inputs[name]["aria-describedby"].split() == ["wfp-login-errors"]
    assert [(tag, attrs["id"]) for tag, attrs in page.autofocus] == [("div", "wfp-login-errors")]
    assert (
        page_of(client.get(f"{PORTAL_URL}connexion/")).inputs["username"].get("aria-invalid")
        is None
    )


def test_a_refused_login_attempt_is_tied_to_the_fields_too(client, portal_page, parent, settings):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": "1/minute"}
    client.post(f"{PORTAL_URL}connexion/", {"username": "x@example.org", "password": "no"})

    response = client.post(
        f"{PORTAL_URL}connexion/", {"username": "parent@example.org", "password": PASSWORD}
    )

    assert response.status_code == 429
    page = page_of(response)
    assert page.inputs["username"]["aria-describedby"] == "wfp-login-errors"
    assert page.clean_title.startswith(ERROR_TITLE)


def _login(client, request):
    return client.post(
        f"{PORTAL_URL}connexion/", {"username": "parent@example.org", "password": "wrong"}
    )


def _signup(client, request):
    return client.post(f"{PORTAL_URL}inscription/", {"email": "pas-une-adresse"})


def _password_reset(client, request):
    return client.post(f"{PORTAL_URL}mot-de-passe/oublie/", {"email": "pas-une-adresse"})


def _password_reset_link(client, request):
    return client.get(f"{PORTAL_URL}mot-de-passe/nouveau/Mw/abc-123/")


def _password_change(client, request):
    client.force_login(request.getfixturevalue("parent"))
    return client.post(
        f"{PORTAL_URL}mot-de-passe/",
        {"old_password": "wrong", "new_password1": "x", "new_password2": "y"},
    )


def _resend_activation(client, request):
    return client.post(f"{PORTAL_URL}activation/nouveau-lien/", {"email": "pas-une-adresse"})


def _activation_link(client, request):
    return client.get(f"{PORTAL_URL}activation/not-a-token/")


def _notification_settings(client, request):
    client.force_login(request.getfixturevalue("parent"))
    return client.post(f"{PORTAL_URL}compte/notifications/", {"decision_emails": "hourly"})


def _subscription(client, request):
    client.force_login(request.getfixturevalue("parent"))
    return client.post(
        f"{PORTAL_URL}abonnements/ajouter/", {"step": "search", "code": "ABCD-EFGH-2026"}
    )


def _family_file(client, request):
    client.force_login(request.getfixturevalue("parent"))
    lea = request.getfixturevalue("lea")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return client.post(
        url(lea.family, f"modifier/child/{lea.pk}/"),
        {"first_name": "", "last_name": lea.last_name, "birth_date": tomorrow, "sex": lea.sex},
    )


def _photo(client, request):
    client.force_login(request.getfixturevalue("parent"))
    lea = request.getfixturevalue("lea")
    return client.post(url(lea.family, f"enfant/{lea.pk}/photo/modifier/"))


def _period_form(client, request):
    client.force_login(request.getfixturevalue("parent"))
    canteen = request.getfixturevalue("canteen")
    family = request.getfixturevalue("family")
    return client.post(url(family, "reservations/"), {"activity": canteen.pk, "step": "preview"})


def _planning_day(client, request):
    request.getfixturevalue("fixed_now")
    client.force_login(request.getfixturevalue("parent"))
    canteen, lea = request.getfixturevalue("canteen"), request.getfixturevalue("lea")
    query = f"enfant={lea.pk}&activite={canteen.pk}&date={TOO_SOON}&operation=booking"
    return client.post(url(lea.family, f"planning/jour/?{query}"))


def _request_withdrawal(client, request):
    request.getfixturevalue("fixed_now")
    parent = request.getfixturevalue("parent")
    client.force_login(parent)
    canteen, lea = request.getfixturevalue("canteen"), request.getfixturevalue("lea")
    outcome = bookings.request_days(
        family=lea.family,
        child_id=lea.pk,
        activity_id=canteen.pk,
        operation="booking",
        dates=[THU],
        user=parent,
        now=NOW,
    )
    return client.post(url(lea.family, f"demandes/{outcome.request.pk}/"), {"action": "chosen"})


ERROR_PAGES = {
    "login": (_login, "wfp-login-errors"),
    "signup": (_signup, "wfp-form-errors"),
    "password reset": (_password_reset, "wfp-form-errors"),
    "password reset link": (_password_reset_link, "wfp-reset-link-error"),
    "password change": (_password_change, "wfp-form-errors"),
    "resend activation": (_resend_activation, "wfp-form-errors"),
    "activation link": (_activation_link, "wfp-activation-error"),
    "notification settings": (_notification_settings, "wfp-form-errors"),
    "subscription": (_subscription, "wfp-form-errors"),
    "family file form": (_family_file, "wfp-form-errors"),
    "photo form": (_photo, "wfp-form-errors"),
    "period form": (_period_form, "wfp-form-errors"),
    "planning day": (_planning_day, "wfp-day-reason"),
    "request withdrawal": (_request_withdrawal, "wfp-form-errors"),
}


@pytest.mark.parametrize("name", ERROR_PAGES)
def test_a_page_shown_again_with_errors_says_so_in_its_title_and_focuses_the_errors(
    client, portal_page, parent, name, request, settings, tmp_path
):
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT = str(tmp_path / "private")
    show_errors, summary_id = ERROR_PAGES[name]

    response = show_errors(client, request)

    page = page_of(response)
    assert page.clean_title.startswith(ERROR_TITLE), page.clean_title
    # One element takes the focus when the page opens: the summary of the errors, which the
    # keyboard can focus but not tab to.
    assert [attrs.get("id") for _tag, attrs in page.autofocus] == [summary_id]
    [(_tag, attrs)] = page.autofocus
    assert attrs["tabindex"] == "-1"
    assert attrs["role"] == "alert"


def test_the_same_pages_without_errors_keep_their_title(client, portal_page):
    for path in ("connexion/", "inscription/", "mot-de-passe/oublie/"):
        page = page_of(client.get(PORTAL_URL + path))
        assert not page.clean_title.startswith(ERROR_TITLE)
        assert not any(attrs.get("role") == "alert" for _tag, attrs in page.autofocus)


# 4. Back to the cell just changed


def test_withdrawing_a_day_goes_back_to_its_cell(
    parent_client, portal_page, family, lea, canteen, parent, fixed_now
):
    bookings.request_days(
        family=family,
        child_id=lea.pk,
        activity_id=canteen.pk,
        operation="booking",
        dates=[THU],
        user=parent,
        now=NOW,
    )
    query = f"enfant={lea.pk}&activite={canteen.pk}&date={THU}&operation=withdraw"

    confirmation = parent_client.get(url(family, f"planning/jour/?{query}"))
    response = parent_client.post(url(family, f"planning/jour/?{query}"))

    anchor = f"wfp-cell-{lea.pk}-{canteen.pk}-{THU}"
    assert response.status_code == 302
    assert response["Location"] == url(family, f"planning/?date={THU}#{anchor}")
    # "Cancel" goes back to the same cell.
    assert f'href="{url(family, f"planning/?date={THU}#{anchor}")}"' in (
        confirmation.content.decode()
    )
    planning = parent_client.get(response["Location"].split("#")[0])
    assert f'id="{anchor}"' in planning.content.decode()


def test_every_cell_of_the_planning_has_an_id_of_its_own(
    parent_client, portal_page, family, lea, canteen, fixed_now
):
    response = parent_client.get(url(family, "planning/?date=2026-12-01"))

    ids = re.findall(r'class="wfp-cell__body" id="([^"]+)"', response.content.decode())
    assert len(ids) == len(set(ids)) > 0
    assert f"wfp-cell-{lea.pk}-{canteen.pk}-{THU}" in ids


# 6. Activities by their name


def test_the_planning_names_each_activity_as_the_dashboard_does(
    parent_client, portal_page, family, lea, canteen, fixed_now
):
    response = parent_client.get(url(family, f"planning/?vue=semaine&date={THU}"))

    html = response.content.decode()
    activities = re.findall(r'<span class="wfp-cell__activity"[^>]*>([^<]*)</span>', html)
    assert activities and set(activities) == {"Repas école"}
    # Nothing that only a mouse can read (a title attribute) in a cell.
    cells = re.findall(r'<li class="wfp-cell [^"]*">.*?</li>', html, re.S)
    assert cells and not any("title=" in cell for cell in cells)
