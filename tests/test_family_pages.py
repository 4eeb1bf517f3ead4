"""The family file pages: the family, each child, the "Modifier" forms, additions, removals,
the photo, withdrawals and the answers, through the test client."""

import datetime as dt
import re
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from wagtail_family_portal.models import (
    AuthorisedContact,
    Child,
    ChildHealth,
    FileChange,
    Guardian,
    Request,
)
from wagtail_family_portal.services import dossier

from . import factories

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
IBAN = "FR7630006000011234567890189"
MASKED_IBAN = "•••• •••• •••• •••• •••• •••• 0189"
SENT = "Your change has been sent to the service; it appears as waiting for validation."
NOT_CHANGEABLE = "This field cannot be changed online. Contact the service."

# The assertions read the English msgids; the French catalogue must not change what they see.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def family_url(family, rest=""):
    return f"{PORTAL_URL}famille/{family.pk}/{rest}"


def child_url(child, rest=""):
    return family_url(child.family, f"enfant/{child.pk}/{rest}")


def change_url(family, target_type, target_id):
    return family_url(family, f"modifier/{target_type}/{target_id}/")


def get(client, url, **kwargs):
    return client.get(url, **ENGLISH, **kwargs)


def post(client, url, data=None, **kwargs):
    return client.post(url, data or {}, **ENGLISH, **kwargs)


def html_of(response) -> str:
    return response.content.decode()


def text(html: str) -> str:
    """The page's text, tags removed and spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def element(html: str, element_id: str) -> str:
    """The HTML from the element with ``element_id`` to the end of its block (a rough cut:
    up to the next element of the same kind at the same level is enough for these pages)."""
    start = html.index(f'id="{element_id}"')
    tag_start = html.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", html[tag_start:]).group(1)
    depth, position = 0, tag_start
    pattern = re.compile(rf"<(/?){tag}\b")
    for match in pattern.finditer(html, tag_start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = html.index(">", match.end()) + 1
            break
    return html[tag_start:position]


def field_errors(response, name) -> list[str]:
    form = response.context["form"]
    return [str(error) for error in form.errors.get(name, [])]


def form_errors(response) -> list[str]:
    return [str(error) for error in response.context["form"].non_field_errors()]


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def jpeg(size=(40, 30), colour="red") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def claire(family):
    """Overrides conftest's claire: with her bank details (the pages mask the IBAN)."""
    return factories.GuardianFactory(
        family=family,
        first_name="Claire",
        mobile_phone="06 12 34 56 78",
        iban=IBAN,
        bic="BNPAFRPP",
        account_holder="Claire Martin",
    )


@pytest.fixture
def papi(lea):
    return factories.AuthorisedContactFactory(child=lea, first_name="Michel", last_name="Durand")


@pytest.fixture
def stranger(municipality):
    """Another family of the same town, with a guardian, a child, a contact and health data."""
    other = factories.FamilyFactory(municipality=municipality, name="Petit")
    factories.GuardianFactory(family=other, first_name="Paul")
    child = factories.ChildFactory(family=other, first_name="Zoé")
    factories.ChildHealthFactory(child=child)
    factories.AuthorisedContactFactory(child=child, first_name="Gérard")
    return other


@pytest.fixture
def page_client(parent_client, portal_page):
    return parent_client


def pending_requests():
    return Request.objects.filter(state=Request.State.PENDING)


# Logged-out visitors


@pytest.mark.parametrize(
    "rest",
    [
        "",
        "enfant/{child}/",
        "modifier/guardian/{guardian}/",
        "ajouter/child/",
        "ajouter/contact/{child}/",
        "retirer/contact/{contact}/",
        "enfant/{child}/photo/",
        "enfant/{child}/photo/modifier/",
    ],
)
def test_anonymous_visitor_is_sent_to_the_login_page(client, portal_page, claire, papi, rest):
    url = family_url(
        claire.family, rest.format(child=papi.child_id, guardian=claire.pk, contact=papi.pk)
    )

    response = get(client, url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"


def test_anonymous_posts_change_nothing(client, portal_page, family, claire, papi):
    dossier.propose_change(
        family=family,
        user=None,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "07 81 23 45 01"},
        rules=None,
    )
    waiting = Request.objects.get()

    responses = [
        post(client, change_url(family, "guardian", claire.pk), {"mobile_phone": "0781234502"}),
        post(client, family_url(family, "ajouter/child/"), {"first_name": "Zoé"}),
        post(client, family_url(family, f"retirer/contact/{papi.pk}/")),
        post(client, family_url(family, f"demandes/{waiting.pk}/retirer/")),
    ]

    assert all(response.status_code == 302 for response in responses)
    assert all(response["Location"].startswith(LOGIN_URL) for response in responses)
    assert list(Request.objects.values_list("state", flat=True)) == ["pending"]


# The family page


def test_family_page_shows_address_tax_data_guardians_and_children(
    page_client, portal_settings, family, claire, lea
):
    family.family_quotient = "812.50"
    family.quotient_year = 2026
    family.caf_number = "1234567"
    family.save()
    portal_settings.tax_data_help_text = "<p>Apportez votre avis d’imposition à l’accueil.</p>"
    portal_settings.save()

    response = get(page_client, family_url(family))

    assert response.status_code == 200
    html = html_of(response)
    address = text(element(html, "wfp-family-address"))
    assert "3 rue des Lilas" in address and "44000" in address and "Nantes" in address
    tax = text(element(html, "wfp-family-tax"))
    assert "812.50" in tax and "2026" in tax and "1234567" in tax
    assert "Apportez votre avis d’imposition à l’accueil." in tax
    assert "Cannot be changed online." in tax
    assert f'href="{change_url(family, "family", family.pk)}"' in html
    guardian = text(element(html, f"wfp-guardian-{claire.pk}"))
    for value in ["Claire", "Mrs", "Mother", "06 12 34 56 78", "claire@example.org"]:
        assert value in guardian
    assert f'href="{change_url(family, "guardian", claire.pk)}"' in html
    children = element(html, "wfp-children")
    assert f'href="{child_url(lea)}"' in children and "Léa Martin" in children
    assert "05/14/2018" in text(children)  # the birth date, in the English short format
    assert f'href="{family_url(family, "ajouter/child/")}"' in children
    assert f'href="{family_url(family, "ajouter/guardian/")}"' in html


def test_a_guardian_at_the_familys_address_shows_no_empty_address(page_client, family, claire):
    paul = factories.GuardianFactory(
        family=family,
        first_name="Paul",
        same_address_as_family=False,
        address_line1="8 avenue de la Gare",
        postcode="44100",
        city="Nantes",
    )

    html = html_of(get(page_client, family_url(family)))

    claire_block = element(html, f"wfp-guardian-{claire.pk}")
    assert 'data-field="same_address_as_family"' in claire_block
    assert 'data-field="address_line1"' not in claire_block
    paul_block = text(element(html, f"wfp-guardian-{paul.pk}"))
    assert "8 avenue de la Gare" in paul_block and "44100" in paul_block


def test_tax_data_can_never_be_changed_from_the_family_form(page_client, family):
    html = html_of(get(page_client, change_url(family, "family", family.pk)))

    assert 'name="address_line1"' in html
    assert 'name="family_quotient"' not in html and 'name="caf_number"' not in html


def test_the_iban_is_masked_everywhere_the_family_sees_it(page_client, family, claire):
    new_iban = "FR1420041010050500013M02606"
    response = post(
        page_client, change_url(family, "guardian", claire.pk), guardian_data(claire, iban=new_iban)
    )
    assert response.status_code == 302

    pages = [
        html_of(get(page_client, family_url(family))),
        html_of(get(page_client, change_url(family, "guardian", claire.pk))),
    ]

    assert MASKED_IBAN in pages[0]
    assert "•••• •••• •••• •••• •••• •••• 2606" in pages[0]  # the waiting one, masked too
    assert MASKED_IBAN in pages[1]
    for html in pages:
        for full in (IBAN, new_iban, "3000 6000 0112 3456 7890"):
            assert full not in html
    assert re.search(r'<input type="text" name="iban"(?![^>]*value=)[^>]*>', pages[1])


def test_an_empty_iban_field_keeps_the_current_iban(page_client, family, claire):
    response = post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, iban="", mobile_phone="07 81 23 45 01"),
    )

    assert response.status_code == 302
    [line] = FileChange.objects.all()
    assert line.field == "mobile_phone"


def test_dashboard_links_to_the_family_page_and_each_childs_page(page_client, family, lea):
    hugo = factories.ChildFactory(family=family, first_name="Hugo")

    html = html_of(get(page_client, PORTAL_URL))

    block = html[html.index('data-block="family-file"') :]
    assert f'href="{family_url(family)}"' in block
    assert f'href="{child_url(lea)}"' in block and f'href="{child_url(hugo)}"' in block


# The child page


def test_child_page_shows_general_information_consents_health_contacts_and_photo(
    page_client, family, lea, papi
):
    lea.photo_rights = True
    lea.save()
    factories.ChildHealthFactory(child=lea, allergies="arachide", doctor_name="Dr Bernard")

    response = get(page_client, child_url(lea))

    assert response.status_code == 200
    html = html_of(response)
    general = text(element(html, "wfp-child-general"))
    assert "Léa" in general and "Girl" in general
    assert "May be photographed Yes" in general and "May leave alone No" in general
    health = text(element(html, "wfp-child-health"))
    assert "arachide" in health and "Dr Bernard" in health
    contact = text(element(html, f"wfp-contact-{papi.pk}"))
    assert "Michel" in contact and "06 98 76 54 32" in contact and "grand-père" in contact
    assert f'href="{change_url(family, "contact", papi.pk)}"' in html
    assert f'href="{family_url(family, f"retirer/contact/{papi.pk}/")}"' in html
    assert f'href="{family_url(family, f"ajouter/contact/{lea.pk}/")}"' in html
    assert f'href="{change_url(family, "child", lea.pk)}"' in html
    assert f'href="{change_url(family, "health", lea.pk)}"' in html
    assert "No photo" in text(element(html, "wfp-child-photo"))
    assert f'href="{child_url(lea, "photo/modifier/")}"' in html


def test_a_child_without_health_information_can_have_it_added(page_client, family, lea):
    response = post(
        page_client,
        change_url(family, "health", lea.pk),
        {"allergies": "gluten", "diet": "", "doctor_name": "", "doctor_phone": ""},
    )

    assert response.status_code == 302
    assert response["Location"] == child_url(lea) + "#wfp-child-health"
    assert not ChildHealth.objects.exists()  # the file is unchanged until an agent accepts
    html = html_of(get(page_client, child_url(lea)))
    health = element(html, "wfp-child-health")
    assert '<mark class="wfp-pending">gluten</mark>' in health


# "Modifier": a change waits for validation


def guardian_data(guardian, **changes):
    data = {
        "civility": guardian.civility,
        "last_name": guardian.last_name,
        "first_name": guardian.first_name,
        "birth_date": guardian.birth_date.isoformat() if guardian.birth_date else "",
        "relation": guardian.relation,
        "email": guardian.email,
        "mobile_phone": guardian.mobile_phone,
        "home_phone": guardian.home_phone,
        "work_phone": guardian.work_phone,
        "address_line1": guardian.address_line1,
        "address_line2": guardian.address_line2,
        "postcode": guardian.postcode,
        "city": guardian.city,
        "profession": guardian.profession,
        "employer": guardian.employer,
        "iban": "",
        "bic": guardian.bic,
        "account_holder": guardian.account_holder,
    }
    if guardian.same_address_as_family:
        data["same_address_as_family"] = "on"
    data.update(changes)
    return data


def child_data(child, **changes):
    data = {
        "first_name": child.first_name,
        "last_name": child.last_name,
        "birth_date": child.birth_date.isoformat(),
        "sex": child.sex,
    }
    for consent in ("photo_rights", "may_leave_alone", "transport_allowed"):
        if getattr(child, consent):
            data[consent] = "on"
    data.update(changes)
    return data


def test_the_change_form_shows_the_current_values(page_client, family, claire):
    response = get(page_client, change_url(family, "guardian", claire.pk))

    assert response.status_code == 200
    html = html_of(response)
    assert 'name="mobile_phone" value="06 12 34 56 78"' in html
    assert 'type="tel"' in html
    assert re.search(r'<input type="radio" name="civility" value="MME"[^>]*checked', html)
    # Required fields are required; optional ones say so.
    assert re.search(r'<input type="text" name="first_name"[^>]*required', html)
    assert "Work phone (optional)" in html
    assert not re.search(r'name="work_phone"[^>]*required', html)


def test_submitting_a_change_leaves_the_file_unchanged_and_shows_it_waiting(
    page_client, family, claire, parent
):
    response = post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, mobile_phone="07 81 23 45 01"),
    )

    assert response.status_code == 302
    assert response["Location"] == family_url(family) + f"#wfp-guardian-{claire.pk}"
    claire.refresh_from_db()
    assert claire.mobile_phone == "06 12 34 56 78"
    request = pending_requests().get()
    assert request.created_by == parent and request.family == family
    [line] = request.file_changes.all()
    assert (line.field, line.old_value, line.new_value) == (
        "mobile_phone",
        "06 12 34 56 78",
        "07 81 23 45 01",
    )

    page = get(page_client, response["Location"])

    assert SENT in messages_of(page)
    row = element(html_of(page), f"wfp-guardian-{claire.pk}")
    row = row[row.index('data-field="mobile_phone"') :]
    row = row[: row.index("</dd>")]
    assert "06 12 34 56 78" in row  # the current value
    assert '<mark class="wfp-pending">07 81 23 45 01</mark>' in row
    assert "waiting for validation" in row
    assert f'action="{family_url(family, f"demandes/{request.pk}/retirer/")}"' in row
    assert "Withdraw" in row


def test_the_pending_colour_comes_from_the_site_settings(page_client, portal_settings, family):
    portal_settings.pending_colour = "#A0E0FF"
    portal_settings.save()

    html = html_of(get(page_client, family_url(family)))

    assert "--wfp-pending: #A0E0FF;" in html


def test_the_form_shows_what_is_already_waiting(page_client, family, claire):
    post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, mobile_phone="07 81 23 45 01"),
    )

    html = html_of(get(page_client, change_url(family, "guardian", claire.pk)))

    waiting = element(html, "wfp-waiting")
    assert '<mark class="wfp-pending">07 81 23 45 01</mark>' in waiting
    assert "Withdraw" in waiting
    # The field still holds the file's value.
    assert 'name="mobile_phone" value="06 12 34 56 78"' in html


def test_a_concurrent_change_of_the_same_field_is_refused_clearly(page_client, family, claire):
    url = change_url(family, "guardian", claire.pk)
    post(page_client, url, guardian_data(claire, mobile_phone="07 81 23 45 01"))

    response = post(page_client, url, guardian_data(claire, mobile_phone="07 81 23 45 02"))

    assert response.status_code == 200
    assert form_errors(response) == [
        "A change of mobile phone is already waiting for validation. Withdraw it first to ask "
        "for another one."
    ]
    assert "Withdraw it first" in html_of(response)
    assert FileChange.objects.get().new_value == "07 81 23 45 01"


def test_submitting_the_current_values_asks_for_nothing(page_client, family, claire):
    response = post(page_client, change_url(family, "guardian", claire.pk), guardian_data(claire))

    assert response.status_code == 200
    assert form_errors(response) == ["These values are already those of the file."]
    assert not Request.objects.exists()


def test_an_invalid_iban_is_refused_on_its_field(page_client, family, claire):
    response = post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, iban="FR76 3000 6000 0112 3456 7890 188"),
    )

    assert response.status_code == 200
    [error] = field_errors(response, "iban")
    assert "is not a valid IBAN" in error
    assert 'aria-invalid="true"' in html_of(response)
    assert not Request.objects.exists()


def test_a_birth_date_in_the_future_is_refused(page_client, family, lea):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = post(
        page_client, change_url(family, "child", lea.pk), child_data(lea, birth_date=tomorrow)
    )

    assert response.status_code == 200
    assert field_errors(response, "birth_date") == ["A birth date cannot be in the future."]
    assert not Request.objects.exists()


def test_a_required_field_cannot_be_emptied(page_client, family, lea):
    response = post(
        page_client, change_url(family, "child", lea.pk), child_data(lea, first_name="")
    )

    assert response.status_code == 200
    assert field_errors(response, "first_name") == ["This field is required."]
    assert not Request.objects.exists()


def test_a_consent_change_waits_like_any_other(page_client, family, lea):
    response = post(
        page_client, change_url(family, "child", lea.pk), child_data(lea, photo_rights="on")
    )

    assert response.status_code == 302
    assert response["Location"] == child_url(lea) + "#wfp-child-general"
    html = html_of(get(page_client, child_url(lea)))
    consent = html[html.index('data-field="photo_rights"') :]
    consent = consent[: consent.index("</dd>")]
    assert "No" in consent and '<mark class="wfp-pending">Yes</mark>' in consent


# Field rules


def test_a_hidden_field_never_appears(page_client, rules, family, claire):
    rules({"guardian": {"mobile_phone": "hidden"}})

    pages = [
        html_of(get(page_client, family_url(family))),
        html_of(get(page_client, change_url(family, "guardian", claire.pk))),
        html_of(get(page_client, family_url(family, "ajouter/guardian/"))),
    ]

    for html in pages:
        assert "06 12 34 56 78" not in html
        assert "mobile_phone" not in html
        assert "Mobile phone" not in html
    assert "Home phone" in pages[0] and 'name="home_phone"' in pages[1]


def test_a_hidden_field_posted_anyway_is_refused(page_client, rules, family, claire):
    rules({"guardian": {"mobile_phone": "hidden"}})

    response = post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, mobile_phone="07 81 23 45 01", email="new@example.org"),
    )

    assert response.status_code == 200
    assert form_errors(response) == [NOT_CHANGEABLE]
    assert "mobile_phone" not in html_of(response) and "Mobile phone" not in html_of(response)
    assert not Request.objects.exists()


def test_a_read_only_field_is_shown_disabled_and_refused_if_posted(
    page_client, rules, family, claire
):
    rules({"guardian": {"email": "read_only"}})

    page = html_of(get(page_client, family_url(family)))
    form = html_of(get(page_client, change_url(family, "guardian", claire.pk)))
    response = post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, email="new@example.org"),
    )

    assert "claire@example.org" in page
    assert re.search(
        r'<input type="email" name="email" value="claire@example.org"[^>]*disabled', form
    )
    assert "Cannot be changed online" in form
    assert response.status_code == 200
    assert field_errors(response, "email") == [NOT_CHANGEABLE]
    assert not Request.objects.exists()


def test_tax_data_posted_to_the_family_form_is_refused(page_client, family):
    response = post(
        page_client,
        change_url(family, "family", family.pk),
        {
            "address_line1": "3 rue des Lilas",
            "postcode": "44000",
            "city": "Nantes",
            "family_quotient": "100",
        },
    )

    assert response.status_code == 200
    assert form_errors(response) == [NOT_CHANGEABLE]
    assert not Request.objects.exists()


def test_a_field_outside_the_file_posted_anyway_is_refused(page_client, family, lea):
    response = post(
        page_client, change_url(family, "child", lea.pk), child_data(lea, colour="#000000")
    )

    assert response.status_code == 200
    assert form_errors(response) == ["This field does not exist."]
    assert not Request.objects.exists()


def test_a_block_with_nothing_changeable_has_no_change_link_nor_form(page_client, rules, family):
    rules(
        {
            "family": {
                name: "read_only" for name in ("address_line1", "address_line2", "postcode", "city")
            }
        }
    )

    page = html_of(get(page_client, family_url(family)))
    form = get(page_client, change_url(family, "family", family.pk))

    assert change_url(family, "family", family.pk) not in page
    assert "3 rue des Lilas" in page
    assert "Nothing in this block can be changed online." in html_of(form)
    assert "<button" not in element(html_of(form), "wfp-change-form")


# Withdrawing


def test_withdrawing_a_change_takes_it_back(page_client, family, claire, parent):
    post(
        page_client,
        change_url(family, "guardian", claire.pk),
        guardian_data(claire, mobile_phone="07 81 23 45 01"),
    )
    request = Request.objects.get()

    response = post(
        page_client,
        family_url(family, f"demandes/{request.pk}/retirer/"),
        {"next": family_url(family)},
    )

    assert response.status_code == 302 and response["Location"] == family_url(family)
    request.refresh_from_db()
    assert request.state == "withdrawn"
    assert [event.action for event in request.events.all()] == ["submitted", "withdrawn"]
    page = get(page_client, family_url(family))
    assert "Your change has been withdrawn." in messages_of(page)
    assert "wfp-pending" not in element(html_of(page), f"wfp-guardian-{claire.pk}")
    claire.refresh_from_db()
    assert claire.mobile_phone == "06 12 34 56 78"


def test_withdrawing_twice_says_it_is_no_longer_waiting(page_client, family, claire):
    request = dossier.propose_change(
        family=family,
        user=None,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "0781234501"},
        rules=None,
    )
    url = family_url(family, f"demandes/{request.pk}/retirer/")
    post(page_client, url)

    response = post(page_client, url, follow=True)

    assert any("already been processed" in message for message in messages_of(response))


def test_withdrawing_goes_back_only_to_this_site(page_client, family, claire):
    request = dossier.propose_change(
        family=family,
        user=None,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "0781234501"},
        rules=None,
    )

    response = post(
        page_client,
        family_url(family, f"demandes/{request.pk}/retirer/"),
        {"next": "https://evil.example.org/"},
    )

    assert response["Location"] == family_url(family)


def test_withdrawing_needs_a_post(page_client, family, claire):
    request = dossier.propose_change(
        family=family,
        user=None,
        target_type="guardian",
        target_id=claire.pk,
        fields={"mobile_phone": "0781234501"},
        rules=None,
    )

    response = get(page_client, family_url(family, f"demandes/{request.pk}/retirer/"))

    assert response.status_code == 405
    request.refresh_from_db()
    assert request.state == "pending"


# Adding and removing


def test_asking_to_add_a_child_shows_it_waiting_and_withdrawable(page_client, family):
    response = post(
        page_client,
        family_url(family, "ajouter/child/"),
        {"first_name": "Zoé", "last_name": "Martin", "birth_date": "2024-02-29", "sex": "F"},
    )

    assert response.status_code == 302
    assert response["Location"] == family_url(family) + "#wfp-children"
    assert not Child.objects.filter(first_name="Zoé").exists()
    line = FileChange.objects.get()
    assert (line.operation, line.target_type) == ("add", "child")
    html = html_of(get(page_client, family_url(family)))
    children = element(html, "wfp-children")
    assert '<mark class="wfp-pending">Zoé Martin</mark>' in children
    assert "waiting for validation" in children
    assert f'action="{family_url(family, f"demandes/{line.request_id}/retirer/")}"' in children


def test_the_add_form_has_no_read_only_field(page_client, family):
    html = html_of(get(page_client, family_url(family, "ajouter/child/")))

    assert 'name="first_name"' in html and 'name="birth_date"' in html
    assert 'name="class_level"' not in html and 'name="establishment"' not in html


def test_adding_a_child_born_in_the_future_is_refused(page_client, family):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = post(
        page_client,
        family_url(family, "ajouter/child/"),
        {"first_name": "Zoé", "last_name": "Martin", "birth_date": tomorrow, "sex": "F"},
    )

    assert response.status_code == 200
    assert field_errors(response, "birth_date") == ["A birth date cannot be in the future."]
    assert not Request.objects.exists()


def test_asking_to_add_a_guardian(page_client, family):
    response = post(
        page_client,
        family_url(family, "ajouter/guardian/"),
        {
            "civility": "M",
            "last_name": "Martin",
            "first_name": "Paul",
            "relation": "father",
            "same_address_as_family": "on",
            "iban": "",
        },
    )

    assert response.status_code == 302
    assert not Guardian.objects.exists()
    html = html_of(get(page_client, family_url(family)))
    assert '<mark class="wfp-pending">Paul Martin</mark>' in element(html, "wfp-guardians")


def test_asking_to_add_an_authorised_contact(page_client, family, lea):
    response = post(
        page_client,
        family_url(family, f"ajouter/contact/{lea.pk}/"),
        {"last_name": "Roux", "first_name": "Anne", "phone": "06 11 22 33 44", "may_pick_up": "on"},
    )

    assert response.status_code == 302
    assert response["Location"] == child_url(lea) + "#wfp-contacts"
    assert not AuthorisedContact.objects.exists()
    html = html_of(get(page_client, child_url(lea)))
    contacts = element(html, "wfp-contacts")
    assert '<mark class="wfp-pending">Anne Roux</mark>' in contacts
    assert "06 11 22 33 44" in contacts


def test_asking_to_remove_a_contact_confirms_first(page_client, family, lea, papi):
    url = family_url(family, f"retirer/contact/{papi.pk}/")

    confirm = get(page_client, url)
    assert confirm.status_code == 200
    assert "Michel Durand" in html_of(confirm) and not Request.objects.exists()

    response = post(page_client, url)

    assert response.status_code == 302
    assert response["Location"] == child_url(lea) + "#wfp-contacts"
    assert AuthorisedContact.objects.filter(pk=papi.pk).exists()
    line = FileChange.objects.get()
    assert (line.operation, line.target_id) == ("remove", papi.pk)
    contact = element(html_of(get(page_client, child_url(lea))), f"wfp-contact-{papi.pk}")
    assert "Removal asked" in contact and "waiting for validation" in contact
    assert f'action="{family_url(family, f"demandes/{line.request_id}/retirer/")}"' in contact

    again = post(page_client, url, follow=True)
    assert "Its removal is already waiting for validation." in messages_of(again)
    assert FileChange.objects.count() == 1


@pytest.mark.parametrize(
    "rest",
    [
        "modifier/famille/{family}/",
        "modifier/request/{family}/",
        "ajouter/family/",
        "ajouter/health/",
        "ajouter/contact/",
        "ajouter/child/{child}/",
        "ajouter/guardian/{child}/",
    ],
)
def test_an_unknown_kind_of_record_is_not_found(page_client, family, lea, rest):
    url = family_url(family, rest.format(family=family.pk, child=lea.pk))

    assert get(page_client, url).status_code == 404
    assert post(page_client, url, {"first_name": "X"}).status_code == 404
    assert not Request.objects.exists()


# Another family


@pytest.mark.parametrize(
    "rest",
    [
        "",
        "enfant/{child}/",
        "modifier/family/{family}/",
        "modifier/guardian/{guardian}/",
        "modifier/child/{child}/",
        "modifier/health/{child}/",
        "modifier/contact/{contact}/",
        "ajouter/child/",
        "ajouter/contact/{child}/",
        "retirer/contact/{contact}/",
        "enfant/{child}/photo/",
        "enfant/{child}/photo/modifier/",
        "demandes/{request}/retirer/",
    ],
)
def test_another_familys_pages_are_not_found(page_client, family, stranger, rest):
    request = Request.objects.create(family=stranger, kind="file_change", summary="x")
    child = stranger.children.get()
    url = family_url(
        stranger,
        rest.format(
            family=stranger.pk,
            guardian=stranger.guardians.get().pk,
            child=child.pk,
            contact=child.authorised_contacts.get().pk,
            request=request.pk,
        ),
    )

    assert get(page_client, url).status_code == 404
    response = post(page_client, url, {"first_name": "X", "mobile_phone": "0781234501"})
    assert response.status_code == 404
    assert Request.objects.count() == 1
    request.refresh_from_db()
    assert request.state == "pending"


@pytest.mark.parametrize(
    "rest",
    [
        "enfant/{child}/",
        "modifier/family/{family}/",
        "modifier/guardian/{guardian}/",
        "modifier/child/{child}/",
        "modifier/health/{child}/",
        "modifier/contact/{contact}/",
        "ajouter/contact/{child}/",
        "retirer/contact/{contact}/",
        "enfant/{child}/photo/",
        "enfant/{child}/photo/modifier/",
        "demandes/{request}/retirer/",
    ],
)
def test_another_familys_records_under_ones_own_family_are_not_found(
    page_client, family, lea, stranger, rest
):
    request = Request.objects.create(family=stranger, kind="file_change", summary="x")
    child = stranger.children.get()
    url = family_url(
        family,
        rest.format(
            family=stranger.pk,
            guardian=stranger.guardians.get().pk,
            child=child.pk,
            contact=child.authorised_contacts.get().pk,
            request=request.pk,
        ),
    )

    if not rest.startswith("demandes/"):
        assert get(page_client, url).status_code == 404
    response = post(page_client, url, {"first_name": "X", "mobile_phone": "0781234501"})
    assert response.status_code == 404
    assert Request.objects.count() == 1
    request.refresh_from_db()
    assert request.state == "pending"


def test_a_family_of_another_town_is_not_shown_on_this_towns_portal(
    page_client, parent, other_municipality
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    factories.SubscriptionFactory(user=parent, family=elsewhere)

    assert get(page_client, family_url(elsewhere)).status_code == 404


# The photo


def test_a_photo_is_sent_waits_and_is_served_to_the_family_only(
    page_client, client, family, lea, private_root
):
    response = post(
        page_client,
        child_url(lea, "photo/modifier/"),
        {"photo": SimpleUploadedFile("lea.jpg", jpeg(), content_type="image/jpeg")},
    )

    assert response.status_code == 302
    assert response["Location"] == child_url(lea) + "#wfp-child-photo"
    lea.refresh_from_db()
    assert not lea.photo
    line = FileChange.objects.get()
    assert line.field == "photo"
    html = html_of(get(page_client, child_url(lea)))
    photo = element(html, "wfp-child-photo")
    assert f'src="{child_url(lea, "photo/")}?version=pending"' in photo
    assert "waiting for validation" in photo
    assert f'action="{family_url(family, f"demandes/{line.request_id}/retirer/")}"' in photo

    served = get(page_client, child_url(lea, "photo/") + "?version=pending")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert b"".join(served.streaming_content).startswith(b"\xff\xd8")
    assert get(page_client, child_url(lea, "photo/")).status_code == 404  # none accepted yet

    client.logout()
    other = factories.UserFactory(username="other@example.org")
    client.force_login(other)
    assert get(client, child_url(lea, "photo/") + "?version=pending").status_code == 404


def test_the_current_photo_is_served_privately(page_client, family, lea, private_root):
    lea.photo.save("lea.jpg", ContentFile(jpeg()), save=True)

    response = get(page_client, child_url(lea, "photo/"))

    assert response.status_code == 200
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")
    html = html_of(get(page_client, child_url(lea)))
    assert f'src="{child_url(lea, "photo/")}"' in html
    assert "/media/" not in html


def test_a_fake_image_is_refused_on_the_photo_field(page_client, family, lea, private_root):
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

    response = post(
        page_client,
        child_url(lea, "photo/modifier/"),
        {"photo": SimpleUploadedFile("photo.jpg", pdf, content_type="image/jpeg")},
    )

    assert response.status_code == 200
    assert field_errors(response, "photo") == ["This file is not a JPEG, PNG or WebP image."]
    assert 'role="alert"' in html_of(response)
    assert not Request.objects.exists()


def test_an_oversized_photo_is_refused(page_client, settings, family, lea, private_root):
    settings.WAGTAIL_FAMILY_PORTAL_MAX_PHOTO_BYTES = 1024
    big = jpeg(size=(400, 400), colour="blue")
    assert len(big) > 1024

    response = post(
        page_client,
        child_url(lea, "photo/modifier/"),
        {"photo": SimpleUploadedFile("big.jpg", big, content_type="image/jpeg")},
    )

    assert response.status_code == 200
    [error] = field_errors(response, "photo")
    assert error.startswith("The photo is too large") and "the maximum is 1.0" in error
    assert not Request.objects.exists()


def test_a_second_photo_while_one_waits_is_refused(page_client, family, lea, private_root):
    url = child_url(lea, "photo/modifier/")
    post(page_client, url, {"photo": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")})

    response = post(page_client, url, {"photo": SimpleUploadedFile("b.jpg", jpeg(), "image/jpeg")})

    assert field_errors(response, "photo") == [
        "A new photo is already waiting for validation. Withdraw it first to send another."
    ]
    assert FileChange.objects.count() == 1


def test_no_photo_chosen_is_asked_again(page_client, family, lea, private_root):
    response = post(page_client, child_url(lea, "photo/modifier/"))

    assert field_errors(response, "photo") == ["Choose a photo to send."]


def test_a_hidden_photo_is_neither_shown_nor_served(page_client, rules, family, lea, private_root):
    lea.photo.save("lea.jpg", ContentFile(jpeg()), save=True)
    rules({"child": {"photo": "hidden"}})

    html = html_of(get(page_client, child_url(lea)))

    assert 'id="wfp-child-photo"' not in html and "photo/" not in html
    assert get(page_client, child_url(lea, "photo/")).status_code == 404
    assert get(page_client, child_url(lea, "photo/modifier/")).status_code == 404


def test_a_read_only_photo_is_shown_but_cannot_be_changed(
    page_client, rules, family, lea, private_root
):
    rules({"child": {"photo": "read_only"}})

    html = html_of(get(page_client, child_url(lea)))
    response = post(
        page_client,
        child_url(lea, "photo/modifier/"),
        {"photo": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")},
    )

    assert 'id="wfp-child-photo"' in html and "photo/modifier/" not in html
    assert field_errors(response, "photo") == [NOT_CHANGEABLE]
    assert not Request.objects.exists()


# Answers


def test_recent_answers_show_the_decision_and_the_agents_message(
    page_client, family, claire, agent
):
    def proposed(phone):
        return dossier.propose_change(
            family=family,
            user=None,
            target_type="guardian",
            target_id=claire.pk,
            fields={"home_phone": phone},
            rules=None,
        )

    refused = dossier.refuse(
        proposed("02 40 00 00 01"), agent=agent, message="Numéro incomplet, merci de vérifier."
    )
    accepted = dossier.accept(proposed("02 40 00 00 02"), agent=agent)
    old = dossier.refuse(proposed("02 40 00 00 03"), agent=agent, message="Ancien refus")
    Request.objects.filter(pk=old.pk).update(decided_at=timezone.now() - dt.timedelta(days=61))
    withdrawn = dossier.withdraw(proposed("02 40 00 00 04"), user=None)

    html = html_of(get(page_client, family_url(family)))

    answers = element(html, "wfp-answers")
    refusal = text(element(answers, f"wfp-answer-{refused.pk}"))
    assert "Refused" in refusal and "Numéro incomplet, merci de vérifier." in refusal
    assert "Message from the service:" in refusal
    assert "Accepted" in text(element(answers, f"wfp-answer-{accepted.pk}"))
    assert f"wfp-answer-{old.pk}" not in answers and "Ancien refus" not in answers
    assert f"wfp-answer-{withdrawn.pk}" not in answers


# Queries


def _grow(family, children):
    """Add children with health data, contacts and changes waiting for each of them."""
    for index in range(children):
        child = factories.ChildFactory(family=family, first_name=f"Enfant{index}")
        factories.ChildHealthFactory(child=child)
        contact = factories.AuthorisedContactFactory(child=child)
        for target_type, target_id, fields in [
            ("child", child.pk, {"first_name": f"Prénom{index}"}),
            ("health", child.pk, {"allergies": "lait"}),
            ("contact", contact.pk, {"phone": "0600000000"}),
        ]:
            dossier.propose_change(
                family=family,
                user=None,
                target_type=target_type,
                target_id=target_id,
                fields=fields,
                rules=None,
            )
        dossier.propose_addition(
            family=family,
            user=None,
            target_type="contact",
            parent_id=child.pk,
            fields={"first_name": "A", "last_name": "B", "phone": "0611111111"},
            rules=None,
        )
        factories.GuardianFactory(family=family, first_name=f"Parent{index}")


def test_the_family_page_runs_a_bounded_number_of_queries(
    page_client, family, django_assert_max_num_queries
):
    _grow(family, 1)
    get(page_client, family_url(family))  # warm up caches (content types, site root paths)
    with CaptureQueriesContext(connection) as small:
        get(page_client, family_url(family))

    _grow(family, 6)
    with django_assert_max_num_queries(20):
        response = get(page_client, family_url(family))
    with CaptureQueriesContext(connection) as large:
        get(page_client, family_url(family))

    assert len(response.context["children"]) == 7
    assert html_of(response).count('<mark class="wfp-pending">Prénom') == 7
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_child_page_runs_a_bounded_number_of_queries(
    page_client, family, django_assert_max_num_queries
):
    _grow(family, 1)
    child = family.children.get()
    for index in range(5):
        factories.AuthorisedContactFactory(child=child, first_name=f"Contact{index}")

    # 22 with the Wagtail userbar's check of the account's permissions (2 queries).
    with django_assert_max_num_queries(22):
        response = get(page_client, child_url(child))

    assert response.status_code == 200
    assert "Contact4" in html_of(response)
