"""The portal root: home page for visitors, login and logout, the families' dashboard."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from . import factories

PORTAL_URL = "/espace-famille/"
LOGIN_URL = "/espace-famille/connexion/"
LOGOUT_URL = "/espace-famille/deconnexion/"
SIGNUP_URL = "/espace-famille/inscription/"

# The assertions read the English msgids; the French catalogue must not change what they see.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def get(client, url, **kwargs):
    return client.get(url, **ENGLISH, **kwargs)


def post(client, url, data, **kwargs):
    return client.post(url, data, **ENGLISH, **kwargs)


# Visitors


def test_visitor_sees_intro_login_form_and_signup_entry(client, portal_page, municipality):
    response = get(client, PORTAL_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bienvenue sur l’espace famille de Belleville-sur-Loire." in html
    assert 'id="wfp-login"' in html
    assert f'action="{LOGIN_URL}"' in html
    assert 'name="username"' in html and 'type="email"' in html
    assert 'name="password"' in html
    assert "No account yet?" in html
    # Header with the municipality's name.
    assert "Belleville-sur-Loire" in response.context["municipality"].name
    assert '<span class="wfp-brand__name">Belleville-sur-Loire</span>' in html


def test_header_shows_the_municipality_logo(client, portal_page, municipality):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    municipality.logo = Image.objects.create(title="Logo", file=get_test_image_file())
    municipality.save()

    html = get(client, PORTAL_URL).content.decode()

    header = html[html.index('<header class="wfp-header">') : html.index("</header>")]
    assert 'class="wfp-brand__logo"' in header
    assert 'alt=""' in header  # the name next to it already says it


def test_signup_entry_links_to_the_signup_page(client, portal_page, municipality):
    response = get(client, PORTAL_URL)

    assert response.context["signup_url"] == SIGNUP_URL
    html = response.content.decode()
    signup = html[
        html.index('id="wfp-signup"') : html.index("</section>", html.index('id="wfp-signup"'))
    ]
    assert f'href="{SIGNUP_URL}"' in signup
    assert "Create an account" in signup
    assert "tel:" not in signup  # no more "ask the town hall" fallback
    assert get(client, SIGNUP_URL).status_code == 200


def test_subpage_url_is_none_for_a_route_the_page_does_not_have(rf, portal_page):
    from wagtail_family_portal.views.base import subpage_url

    request = rf.get(PORTAL_URL)

    assert subpage_url(portal_page, "signup", request) == SIGNUP_URL
    assert subpage_url(portal_page, "no-such-route", request) is None


def test_login_page_is_themed_and_translated(client, portal_page):
    response = client.get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    html = response.content.decode()
    assert "wagtail_family_portal/portal.css" in html
    assert 'class="wfp-skip"' in html
    assert "Mot de passe" in html  # Django's own catalogue already speaks French


# Login and logout


def test_login_with_email_and_password_leads_to_the_dashboard(client, portal_page, parent):
    response = post(
        client,
        LOGIN_URL,
        {"username": "Parent@Example.org", "password": "correct-horse-battery"},
    )

    assert response.status_code == 302
    assert response["Location"] == PORTAL_URL
    assert get(client, PORTAL_URL).context["user"] == parent


def test_login_with_a_wrong_password_shows_an_error_and_stays(client, portal_page, parent):
    response = post(client, LOGIN_URL, {"username": "parent@example.org", "password": "nope"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "The e-mail address or the password is incorrect." in html
    assert 'value="parent@example.org"' in html
    assert not response.context["user"].is_authenticated


def test_login_follows_a_safe_next_and_ignores_another_host(client, portal_page, parent):
    credentials = {"username": "parent@example.org", "password": "correct-horse-battery"}

    response = post(client, LOGIN_URL + "?next=/espace-famille/?tab=1", credentials)
    assert response["Location"] == "/espace-famille/?tab=1"

    client.logout()
    response = post(client, LOGIN_URL + "?next=https://evil.example.com/", credentials)
    assert response["Location"] == PORTAL_URL


def test_login_form_keeps_next_in_a_hidden_field(client, portal_page):
    html = get(client, LOGIN_URL + "?next=/espace-famille/").content.decode()

    assert '<input type="hidden" name="next" value="/espace-famille/">' in html


def test_logged_in_account_visiting_login_goes_to_the_dashboard(parent_client, portal_page):
    response = get(parent_client, LOGIN_URL)

    assert response.status_code == 302
    assert response["Location"] == PORTAL_URL


def test_logout_needs_a_post_and_leads_back_to_the_portal(parent_client, portal_page, parent):
    response = get(parent_client, LOGOUT_URL)
    assert response.status_code == 302
    assert get(parent_client, PORTAL_URL).context["user"] == parent

    response = post(parent_client, LOGOUT_URL, {})
    assert response.status_code == 302
    assert response["Location"] == PORTAL_URL
    assert not get(parent_client, PORTAL_URL).context["user"].is_authenticated


def test_dashboard_has_a_logout_form(parent_client, portal_page):
    html = get(parent_client, PORTAL_URL).content.decode()

    assert f'<form class="wfp-header__logout" method="post" action="{LOGOUT_URL}">' in html


def test_header_links_to_the_account_pages_when_logged_in(parent_client, client, portal_page):
    html = get(parent_client, PORTAL_URL).content.decode()

    header = html[html.index('<header class="wfp-header">') : html.index("</header>")]
    nav = header[header.index('<nav class="wfp-nav"') :]
    assert f'<a href="{PORTAL_URL}" aria-current="page">My space</a>' in nav
    assert '<a href="/espace-famille/abonnements/">My subscriptions</a>' in nav
    assert '<a href="/espace-famille/mot-de-passe/">Password</a>' in nav
    assert "Log out" in nav

    parent_client.logout()
    html = get(client, PORTAL_URL).content.decode()
    assert 'class="wfp-nav"' not in html and "My space" not in html


# Dashboard


def test_parent_sees_the_family_file_and_planning(parent_client, portal_page, enrolled_family):
    response = get(parent_client, PORTAL_URL)

    html = response.content.decode()
    assert "Martin family" in html
    assert "Claire Martin" in html
    assert "Léa Martin" in html and "Hugo Martin" in html
    assert "Class: CE1" in html and "École Jules Ferry" in html
    planning = html[html.index('data-block="planning"') :]
    assert "Repas école" in planning and "Périscolaire matin" in planning
    assert "Monday, Tuesday, Thursday, Friday" in planning
    assert "07:30–08:20" in planning and "11:45–13:30" in planning
    for block in ("family-file", "planning", "requests", "invoices"):
        assert f'data-block="{block}"' in html


def test_ended_enrolments_are_not_in_the_planning(parent_client, portal_page, enrolled_family):
    child = enrolled_family.children.get(first_name="Hugo")
    today = dt.date.today()
    factories.EnrolmentFactory(
        child=child,
        activity__name="Stage de Pâques",
        activity__season_start=today - dt.timedelta(days=300),
        activity__season_end=today - dt.timedelta(days=5),
        start_date=today - dt.timedelta(days=20),
        end_date=today - dt.timedelta(days=10),
    )

    html = get(parent_client, PORTAL_URL).content.decode()

    assert "Stage de Pâques" not in html


def test_parent_does_not_see_another_family(parent_client, portal_page, enrolled_family):
    other = factories.FamilyFactory(municipality=enrolled_family.municipality, name="Durand")
    factories.GuardianFactory(family=other, first_name="Paul")
    other_child = factories.ChildFactory(family=other, first_name="Zoé")
    factories.EnrolmentFactory(child=other_child, activity__name="Accueil de loisirs mercredi")

    html = get(parent_client, PORTAL_URL).content.decode()

    assert "Léa Martin" in html
    assert "Durand" not in html
    assert "Zoé" not in html
    assert "Accueil de loisirs mercredi" not in html


def test_the_invoices_block_says_nothing_is_due_and_links_to_the_invoices(
    parent_client, portal_page, family
):
    html = get(parent_client, PORTAL_URL).content.decode()

    block = html[html.index('data-block="invoices"') :]
    block = block[: block.index("</section>")]
    assert "Nothing to pay at the moment." in block
    assert f'href="{PORTAL_URL}famille/{family.pk}/factures/">See my invoices</a>' in block


def test_the_requests_block_links_to_the_requests_and_the_choice_of_e_mails(
    parent_client, portal_page, family
):
    html = get(parent_client, PORTAL_URL).content.decode()

    block = html[html.index('data-block="requests"') :]
    block = block[: block.index("</section>")]
    assert f'href="{PORTAL_URL}famille/{family.pk}/demandes/">See my requests</a>' in block
    assert f'href="{PORTAL_URL}compte/notifications/">E-mails about my requests</a>' in block


def test_welcome_text_comes_from_the_site_settings(parent_client, portal_page, portal_settings):
    portal_settings.welcome_text = "<p>Les inscriptions d’été sont ouvertes.</p>"
    portal_settings.save()

    html = get(parent_client, PORTAL_URL).content.decode()

    assert "Les inscriptions d’été sont ouvertes." in html


def test_optional_module_blocks_are_hidden_by_default(parent_client, portal_page, family):
    html = get(parent_client, PORTAL_URL).content.decode()

    assert 'data-block="documents"' not in html
    assert 'data-block="nursery"' not in html


@pytest.mark.parametrize(
    ("setting", "block", "title"),
    [
        ("documents_enabled", "documents", "Supporting documents"),
        ("nursery_enabled", "nursery", "Nursery pre-registration"),
    ],
)
def test_optional_module_block_appears_when_enabled(
    parent_client, portal_page, family, portal_settings, setting, block, title
):
    setattr(portal_settings, setting, True)
    portal_settings.save()

    html = get(parent_client, PORTAL_URL).content.decode()

    assert f'data-block="{block}"' in html
    assert title in html
    other_block = {"documents": "nursery", "nursery": "documents"}[block]
    assert f'data-block="{other_block}"' not in html


def test_account_without_family_sees_how_to_subscribe(client, portal_page, municipality):
    user = factories.UserFactory(username="new@example.org")
    client.force_login(user)

    response = get(client, PORTAL_URL)

    html = response.content.decode()
    assert response.context["families"] == []
    assert 'id="wfp-no-family"' in html
    assert "subscriber code" in html and "code abonné" in html
    assert 'href="mailto:enfance@example.org"' in html
    assert 'data-block="planning"' not in html


def test_account_linked_to_two_families_sees_both(parent_client, portal_page, parent, family):
    second = factories.FamilyFactory(municipality=family.municipality, name="Bernard")
    factories.ChildFactory(family=second, first_name="Nina")
    factories.SubscriptionFactory(user=parent, family=second)

    html = get(parent_client, PORTAL_URL).content.decode()

    assert "Martin family" in html and "Bernard family" in html
    assert "Nina Bernard" in html


def test_family_of_another_town_is_not_shown_on_this_town_portal(
    parent_client, portal_page, parent, family, other_municipality
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    factories.SubscriptionFactory(user=parent, family=elsewhere)

    response = get(parent_client, PORTAL_URL)

    assert response.context["families"] == [family]
    assert "Bernard family" not in response.content.decode()


def _add_children(family, count, activities_per_child):
    school = factories.EstablishmentFactory(municipality=family.municipality)
    factories.GuardianFactory(family=family)
    today = dt.date.today()
    season = {
        "season_start": today - dt.timedelta(days=30),
        "season_end": today + dt.timedelta(days=100),
    }
    activities = [
        factories.ActivityFactory(establishment=school, name=f"Activité {i}", **season)
        for i in range(activities_per_child)
    ]
    for _ in range(count):
        child = factories.ChildFactory(family=family, establishment=school, class_level="CP")
        for activity in activities:
            factories.EnrolmentFactory(
                child=child,
                activity=activity,
                start_date=season["season_start"],
                end_date=season["season_end"],
            )


def test_dashboard_runs_a_constant_number_of_queries(
    parent_client, portal_page, family, django_assert_max_num_queries
):
    _add_children(family, count=1, activities_per_child=1)
    get(parent_client, PORTAL_URL)  # warm up caches (content types, site root paths)
    with CaptureQueriesContext(connection) as small:
        get(parent_client, PORTAL_URL)

    _add_children(family, count=5, activities_per_child=4)
    # 17 with the Wagtail userbar's check of the account's permissions (2 queries).
    with django_assert_max_num_queries(17):
        response = get(parent_client, PORTAL_URL)
    with CaptureQueriesContext(connection) as large:
        get(parent_client, PORTAL_URL)

    assert len(response.context["families"][0].children.all()) == 6
    assert len(large.captured_queries) == len(small.captured_queries)
