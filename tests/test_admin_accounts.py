"""Family accounts in the admin: accounts and their families, activation e-mails sent again,
subscriber codes regenerated, the log of codes tried, and the editors' e-mail texts."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from wagtail_family_portal import models
from wagtail_family_portal.emails import kinds
from wagtail_family_portal.emails.rendering import render_email
from wagtail_family_portal.models.accounts import SubscriptionAttempt
from wagtail_family_portal.permissions import AGENTS_GROUP_NAME
from wagtail_family_portal.services import subscriptions

from . import factories
from .admin_login import login

pytestmark = pytest.mark.django_db

Outcome = SubscriptionAttempt.Outcome
EMAIL_TEXTS = "wagtailsnippets_wagtail_family_portal_emailtemplate"


def url(viewset, view, *args):
    return reverse(f"family_portal_{viewset}:{view}", args=args)


def make_account(email, *, municipality=None, active=True, first_name="Camille", **fields):
    """An account with its profile; an inactive one waits for its activation."""
    user = factories.UserFactory(
        username=email, email=email, is_active=active, first_name=first_name, last_name="Petit"
    )
    # Every account gets its profile when created (signals.py); this one signed up on a portal.
    fields.setdefault("activated_at", timezone.now() if active else None)
    models.AccountProfile.objects.filter(user=user).update(municipality=municipality, **fields)
    return models.AccountProfile.objects.get(user=user)


def remove_permissions(user, *codenames):
    """The agent keeps the group's other permissions but loses these."""
    from django.contrib.auth.models import Group

    user.groups.clear()
    group = Group.objects.create(name="Agents with fewer permissions")
    group.permissions.set(
        Permission.objects.filter(group__name=AGENTS_GROUP_NAME).exclude(codename__in=codenames)
    )
    user.groups.add(group)


def assert_denied(response):
    """Wagtail answers a permission error with a redirect to the dashboard and a message."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == reverse("wagtailadmin_home")


@pytest.fixture
def accounts(municipality, other_municipality, family, other_family):
    """Accounts of every kind an agent of ``municipality`` may or may not see."""
    signed_up_here = make_account("ici@example.org", municipality=municipality)
    linked_here = make_account("lie@example.org", municipality=other_municipality)
    factories.SubscriptionFactory(user=linked_here.user, family=family)
    factories.SubscriptionFactory(user=linked_here.user, family=other_family)
    elsewhere = make_account("ailleurs@example.org", municipality=other_municipality)
    factories.SubscriptionFactory(user=elsewhere.user, family=other_family)
    return {"here": signed_up_here, "linked": linked_here, "elsewhere": elsewhere}


# The accounts list and detail are scoped


def test_agent_lists_accounts_signed_up_on_their_portal_or_linked_to_their_families(
    agent_client, accounts
):
    response = agent_client.get(url("accounts", "index"))

    assert response.status_code == 200
    assert set(response.context["object_list"]) == {accounts["here"], accounts["linked"]}
    assert "ailleurs@example.org" not in response.content.decode()


def test_linked_families_of_other_municipalities_are_counted_not_named(agent_client, accounts):
    listing = agent_client.get(url("accounts", "index")).content.decode()
    detail = agent_client.get(url("accounts", "inspect", accounts["linked"].pk)).content.decode()

    for page in (listing, detail):
        assert "Martin" in page
        assert "1 family of another municipality" in page
        assert "Dupont" not in page
        assert "Autreville" not in page  # nor the town the account signed up on


def test_superuser_sees_every_account_and_family(client, superuser, accounts):
    login(client, superuser)

    response = client.get(url("accounts", "inspect", accounts["linked"].pk))

    listed = client.get(url("accounts", "index")).context["object_list"]
    # The three family accounts, and the superuser's own: every account has a profile.
    assert {profile.user for profile in listed} == {
        *(profile.user for profile in accounts.values()),
        superuser,
    }
    assert "Dupont" in response.content.decode()
    assert "Autreville" in response.content.decode()


def test_account_of_another_municipality_is_unknown_to_the_agent(
    agent_client, accounts, mailoutbox, django_capture_on_commit_callbacks
):
    elsewhere = make_account("attente@example.org", active=False)
    elsewhere.municipality = accounts["elsewhere"].municipality
    elsewhere.save()

    with django_capture_on_commit_callbacks(execute=True):
        resend = agent_client.post(url("accounts", "resend_activation", elsewhere.pk))

    assert agent_client.get(url("accounts", "inspect", elsewhere.pk)).status_code == 404
    assert resend.status_code == 404
    assert mailoutbox == []


def test_accounts_cannot_be_created_edited_or_deleted_in_the_admin(client, superuser, accounts):
    login(client, superuser)
    base = url("accounts", "index")
    pk = accounts["here"].pk

    for path in ("new/", f"edit/{pk}/", f"delete/{pk}/"):
        assert client.get(base + path).status_code == 404
    assert client.post(base + f"delete/{pk}/").status_code == 404
    assert models.AccountProfile.objects.filter(pk=pk).exists()


def test_account_detail_shows_its_profile_and_subscriptions(agent_client, accounts, agent):
    profile = accounts["linked"]
    profile.phone = "06 11 22 33 44"
    profile.save()
    subscription = models.Subscription.objects.get(user=profile.user, family__name="Martin")
    subscription.created_by = agent
    subscription.save()
    agent.first_name, agent.last_name = "Agnès", "Lebrun"
    agent.save()

    page = agent_client.get(url("accounts", "inspect", profile.pk)).content.decode()

    assert "lie@example.org" in page
    assert "Camille Petit" in page
    assert "06 11 22 33 44" in page
    assert "Active" in page
    assert "Belleville-sur-Loire" in page  # the family's town
    assert "Agnès Lebrun" in page  # linked by


def test_accounts_list_queries_do_not_grow_with_the_accounts(
    agent_client, municipality, family, other_family
):
    def add_accounts(start, count):
        for n in range(start, start + count):
            profile = make_account(f"compte{n}@example.org", municipality=municipality)
            factories.SubscriptionFactory(user=profile.user, family=family)
            factories.SubscriptionFactory(user=profile.user, family=other_family)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert agent_client.get(url("accounts", "index")).status_code == 200
        return len(context)

    add_accounts(0, 2)
    few = queries()
    add_accounts(2, 6)

    assert queries() == few


def test_accounts_search_by_email_last_name_and_first_name(agent_client, municipality):
    camille = make_account("camille@example.org", municipality=municipality)
    zoe = make_account("z.bernard@example.org", municipality=municipality, first_name="Zoé")
    zoe.user.last_name = "Bernard"
    zoe.user.save()

    def search(q):
        response = agent_client.get(url("accounts", "index"), {"q": q})
        return list(response.context["object_list"])

    assert search("camille@") == [camille]
    assert search("bernard") == [zoe]
    assert search("zoé") == [zoe]


def test_accounts_filter_by_status(agent_client, municipality):
    active = make_account("actif@example.org", municipality=municipality)
    waiting = make_account("attente@example.org", municipality=municipality, active=False)

    def listed(status):
        response = agent_client.get(url("accounts", "index"), {"status": status})
        return list(response.context["object_list"])

    assert listed("active") == [active]
    assert listed("awaiting_activation") == [waiting]
    assert listed("deactivated") == []
    page = agent_client.get(url("accounts", "index")).content.decode()
    assert "Awaiting activation since" in page


def test_accounts_filter_by_portal_offers_only_the_agents_municipalities(
    client, agent, municipality, other_municipality, accounts
):
    third = factories.MunicipalityFactory(name="Troisville")
    third.agents.add(agent)
    there = make_account("troisville@example.org", municipality=third)
    login(client, agent)

    response = client.get(url("accounts", "index"), {"municipality": third.pk})

    assert list(response.context["object_list"]) == [there]
    choices = response.context["filters"].form.fields["municipality"].queryset
    assert set(choices) == {municipality, third}


def test_agent_without_the_view_permission_cannot_see_accounts(client, agent, accounts):
    remove_permissions(agent, "view_accountprofile", "change_accountprofile")
    login(client, agent)

    assert_denied(client.get(url("accounts", "index")))
    assert_denied(client.get(url("accounts", "inspect", accounts["here"].pk)))


# Resending the activation e-mail


@pytest.fixture
def waiting(municipality, portal_page):
    return make_account("attente@example.org", municipality=municipality, active=False)


def test_agent_resends_the_activation_email(
    agent_client, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("accounts", "resend_activation", waiting.pk), follow=True)

    assert "A new activation e-mail is being sent to attente@example.org." in (
        response.content.decode()
    )
    assert [email.to for email in mailoutbox] == [["attente@example.org"]]
    assert "http://localhost/espace-famille/activation/" in mailoutbox[0].body
    waiting.refresh_from_db()
    assert waiting.activation_sent_at is not None


def test_resend_button_shown_for_an_account_awaiting_activation_only(
    agent_client, waiting, municipality
):
    active = make_account("actif@example.org", municipality=municipality)
    resend_url = url("accounts", "resend_activation", waiting.pk)

    listing = agent_client.get(url("accounts", "index")).content.decode()
    detail = agent_client.get(url("accounts", "inspect", waiting.pk)).content.decode()
    active_detail = agent_client.get(url("accounts", "inspect", active.pk)).content.decode()

    assert f'data-w-action-url-value="{resend_url}"' in listing
    assert url("accounts", "resend_activation", active.pk) not in listing
    assert f'action="{resend_url}"' in detail
    assert "Resend the activation e-mail" not in active_detail


def test_resending_to_an_active_account_is_refused(
    agent_client, municipality, portal_page, mailoutbox, django_capture_on_commit_callbacks
):
    active = make_account("actif@example.org", municipality=municipality)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("accounts", "resend_activation", active.pk), follow=True)

    assert "This account is already active." in response.content.decode()
    assert mailoutbox == []


def test_resending_without_a_portal_page_shows_an_error(
    agent_client, municipality, mailoutbox, django_capture_on_commit_callbacks
):
    waiting = make_account("attente@example.org", municipality=municipality, active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("accounts", "resend_activation", waiting.pk), follow=True)

    assert "no family portal page is published" in response.content.decode()
    assert mailoutbox == []


def test_resend_is_post_only(agent_client, waiting, mailoutbox):
    assert agent_client.get(url("accounts", "resend_activation", waiting.pk)).status_code == 405
    assert mailoutbox == []


def test_agent_without_the_change_permission_cannot_resend(
    client, agent, waiting, mailoutbox, django_capture_on_commit_callbacks
):
    remove_permissions(agent, "change_accountprofile")
    login(client, agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("accounts", "resend_activation", waiting.pk))

    assert_denied(response)
    assert mailoutbox == []
    detail = client.get(url("accounts", "inspect", waiting.pk)).content.decode()
    assert "Resend the activation e-mail" not in detail


# Regenerating a family's subscriber code


def test_regenerate_page_warns_before_changing_the_code(agent_client, family, parent):
    old_code = family.subscriber_code

    response = agent_client.get(url("families", "regenerate_code", family.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert f"The current code, {old_code}, stops working at once" in page
    assert "The account already linked to this family stays linked." in page
    family.refresh_from_db()
    assert family.subscriber_code == old_code


def test_regenerating_the_code_retires_the_old_one_and_keeps_the_links(
    agent_client, family, parent, municipality
):
    old_code = family.subscriber_code

    response = agent_client.post(url("families", "regenerate_code", family.pk), follow=True)

    family.refresh_from_db()
    assert family.subscriber_code != old_code
    assert f"New subscriber code of the Martin family: {family.subscriber_code}." in (
        response.content.decode()
    )
    with pytest.raises(subscriptions.SubscriptionError) as error:
        subscriptions.find_family(
            code=old_code, user=None, municipality=municipality, ip_address=None, channel="portal"
        )
    assert error.value.code == "not_recognised"
    found = subscriptions.find_family(
        code=family.subscriber_code,
        user=None,
        municipality=municipality,
        ip_address=None,
        channel="portal",
    )
    assert found == family
    assert models.Subscription.objects.filter(user=parent, family=family).exists()


def test_regenerating_the_code_of_another_municipalitys_family_is_a_404(agent_client, other_family):
    old_code = other_family.subscriber_code

    get = agent_client.get(url("families", "regenerate_code", other_family.pk))
    post = agent_client.post(url("families", "regenerate_code", other_family.pk))

    assert (get.status_code, post.status_code) == (404, 404)
    other_family.refresh_from_db()
    assert other_family.subscriber_code == old_code


def test_agent_without_change_family_cannot_regenerate(client, agent, family):
    old_code = family.subscriber_code
    remove_permissions(agent, "change_family")
    login(client, agent)

    assert_denied(client.post(url("families", "regenerate_code", family.pk)))
    family.refresh_from_db()
    assert family.subscriber_code == old_code


def test_family_form_lists_linked_accounts_with_who_linked_and_when(
    agent_client, family, parent, agent
):
    by_agent = factories.UserFactory(username="grand-mere@example.org", first_name="Odette")
    subscription = factories.SubscriptionFactory(user=by_agent, family=family, created_by=agent)
    own = models.Subscription.objects.get(user=parent)
    own.created_by = parent
    own.save()

    response = agent_client.get(url("families", "edit", family.pk))

    page = response.content.decode()
    assert "Linked accounts" in page
    assert "parent@example.org" in page
    assert "the account holder, with the subscriber code" in page
    assert "grand-mere@example.org" in page
    unlink = url("subscriptions", "delete", subscription.pk)
    assert f'href="{unlink}?next=' in page
    assert url("families", "regenerate_code", family.pk) in page


def test_unlinking_from_the_family_form_comes_back_to_it(agent_client, family, parent):
    subscription = models.Subscription.objects.get(user=parent)
    edit = url("families", "edit", family.pk)
    form_page = agent_client.get(edit).content.decode()
    unlink = re.search(r'href="([^"]+)"[^>]*>\s*Unlink', form_page).group(1).replace("&amp;", "&")

    confirmation = agent_client.get(unlink).content.decode()
    action = re.search(r'<form action="([^"]+)" method="POST"', confirmation).group(1)
    response = agent_client.post(action.replace("&amp;", "&"))

    assert response["Location"] == edit
    assert not models.Subscription.objects.filter(pk=subscription.pk).exists()


def test_new_family_form_has_no_linked_accounts_panel(agent_client):
    response = agent_client.get(url("families", "add"))

    assert response.status_code == 200
    assert "Linked accounts" not in response.content.decode()


# Subscriber code attempts


def attempt(municipality, **fields):
    return SubscriptionAttempt.objects.create(
        municipality=municipality,
        code=fields.pop("code", "ABCD-1234"),
        outcome=fields.pop("outcome", Outcome.NOT_RECOGNISED),
        channel=fields.pop("channel", SubscriptionAttempt.Channel.PORTAL),
        ip_address=fields.pop("ip_address", "203.0.113.7"),
        **fields,
    )


def test_attempts_list_is_scoped_to_the_agents_portals(
    agent_client, municipality, other_municipality, parent
):
    own = attempt(municipality, user=parent, code="MAUVAIS-1")
    attempt(other_municipality, code="AILLEURS-2")

    response = agent_client.get(url("attempts", "index"))

    page = response.content.decode()
    assert list(response.context["object_list"]) == [own]
    assert "MAUVAIS-1" in page and "parent@example.org" in page and "203.0.113.7" in page
    assert "AILLEURS-2" not in page


def test_attempt_with_another_municipalitys_code_hides_that_family(
    agent_client, municipality, other_family
):
    attempt(
        municipality,
        email="visiteur@example.org",
        code=other_family.subscriber_code,
        family=other_family,
        outcome=Outcome.OTHER_MUNICIPALITY,
        channel=SubscriptionAttempt.Channel.SIGNUP,
    )

    page = agent_client.get(url("attempts", "index")).content.decode()

    assert "visiteur@example.org" in page
    assert "code of another municipality" in page
    assert "Dupont" not in page
    assert other_family.subscriber_code not in page


def test_attempts_filters(agent_client, municipality, family):
    wrong = attempt(municipality)
    linked = attempt(
        municipality,
        family=family,
        outcome=Outcome.LINKED,
        channel=SubscriptionAttempt.Channel.API,
        code=family.subscriber_code,
    )
    old = attempt(municipality, created_at=timezone.now() - dt.timedelta(days=30))

    def listed(**params):
        return set(agent_client.get(url("attempts", "index"), params).context["object_list"])

    assert listed(outcome="linked") == {linked}
    assert listed(channel="portal") == {wrong, old}
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert listed(created_at_from=since) == {wrong, linked}
    assert "Martin" in agent_client.get(url("attempts", "index")).content.decode()


def test_attempts_are_read_only_even_for_superusers(client, superuser, municipality):
    login(client, superuser)
    row = attempt(municipality)
    base = url("attempts", "index")

    assert client.get(base).status_code == 200
    for path in ("new/", f"edit/{row.pk}/", f"delete/{row.pk}/", f"inspect/{row.pk}/"):
        assert client.get(base + path).status_code == 404
    assert SubscriptionAttempt.objects.filter(pk=row.pk).exists()


def test_agent_without_the_permission_cannot_see_attempts(client, agent, municipality):
    attempt(municipality)
    remove_permissions(agent, "view_subscriptionattempt")
    login(client, agent)

    assert_denied(client.get(url("attempts", "index")))
    assert url("attempts", "index") not in client.get(reverse("wagtailadmin_home")).content.decode()


# E-mail texts, for editors


def email_text_data(site, **overrides):
    return {
        "site": site.pk,
        "kind": kinds.ACTIVATION.key,
        "subject": "Bienvenue {{ first_name }}",
        "intro": (
            "Bonjour {{ full_name }},\n\nActivez votre compte sur le portail de {{ municipality }}."
        ),
        "button_label": "J'active mon compte",
        **overrides,
    }


def shown_placeholders(content: str) -> str:
    """The placeholders listed in the blocks of the form that are not hidden."""
    blocks = re.findall(
        r"<div data-wfp-placeholders=\"[a-z_]+\"( hidden)?>(.*?)</div>", content, re.S
    )
    return "".join(text for hidden, text in blocks if not hidden)


def test_superuser_edits_an_email_text_and_the_emails_use_it(
    client, superuser, portal_site, portal_page
):
    login(client, superuser)

    response = client.post(reverse(f"{EMAIL_TEXTS}:add"), email_text_data(portal_site))

    assert response.status_code == 302
    email = render_email(
        kinds.ACTIVATION.key,
        to="camille@example.org",
        site=portal_site,
        values={"first_name": "Camille", "full_name": "Camille Petit", "expiry_days": 3},
        action_url="http://localhost/espace-famille/activation/abc/",
    )
    assert email.subject == "Bienvenue Camille"
    assert "Activez votre compte sur le portail de Belleville-sur-Loire." in email.text
    assert "J&#x27;active mon compte" in email.html or "J'active mon compte" in email.html

    template = models.EmailTemplate.objects.get()
    listing = client.get(reverse(f"{EMAIL_TEXTS}:list")).content.decode()
    assert "Bienvenue {{ first_name }}" in listing
    edited = client.post(
        reverse(f"{EMAIL_TEXTS}:edit", args=[template.pk]),
        email_text_data(portal_site, subject="Votre compte, {{first_name}}"),
    )
    assert edited.status_code == 302
    template.refresh_from_db()
    assert template.subject == "Votre compte, {{first_name}}"


def test_email_text_form_lists_the_placeholders_of_the_email(client, superuser, portal_site):
    login(client, superuser)
    template = models.EmailTemplate.objects.create(site=portal_site, kind=kinds.PASSWORD_RESET.key)

    edit = client.get(reverse(f"{EMAIL_TEXTS}:edit", args=[template.pk])).content.decode()
    add = client.get(reverse(f"{EMAIL_TEXTS}:add")).content.decode()

    shown = shown_placeholders(edit)
    assert "{{ full_name }}" in shown and "{{ portal_url }}" in shown
    assert "{{ expiry_days }}" not in shown  # only the activation e-mail has it
    assert "{{ expiry_days }}" in shown_placeholders(add)  # every e-mail's before one is chosen


def test_email_text_with_an_unknown_placeholder_is_refused(client, superuser, portal_site):
    login(client, superuser)

    response = client.post(
        reverse(f"{EMAIL_TEXTS}:add"),
        email_text_data(portal_site, intro="Bonjour {{ prenom }}, cliquez."),
    )

    content = response.content.decode()
    assert response.status_code == 200
    # The message names the placeholder refused and those the e-mail offers.
    assert "Unknown placeholder: {{ prenom }}." in content
    assert "This e-mail offers {{ first_name }}, {{ last_name }}, {{ full_name }}" in content
    assert "{{ expiry_days }}." in content
    assert not models.EmailTemplate.objects.exists()


def test_email_texts_are_not_given_to_agents(agent_client):
    assert_denied(agent_client.get(reverse(f"{EMAIL_TEXTS}:list")))
    assert_denied(agent_client.get(reverse(f"{EMAIL_TEXTS}:add")))


def test_email_texts_are_in_the_settings_menu(client, superuser):
    login(client, superuser)

    home = client.get(reverse("wagtailadmin_home")).content.decode()

    assert reverse(f"{EMAIL_TEXTS}:list") in home
    assert "E-mail texts" in home


def test_superusers_see_accounts_and_attempts_tied_to_no_municipality(db):
    from wagtail_family_portal.models import AccountProfile, SubscriptionAttempt

    admin = factories.UserFactory(is_superuser=True, is_staff=True)
    agent = factories.AgentFactory(municipality=factories.MunicipalityFactory())
    profile = AccountProfile.objects.get(user=factories.UserFactory())
    attempt = SubscriptionAttempt.objects.create(code="X", outcome="not_recognised", channel="api")

    assert profile in AccountProfile.objects.for_agent(admin)
    assert AccountProfile.objects.for_agent(admin).count() == AccountProfile.objects.count()
    assert list(SubscriptionAttempt.objects.for_agent(admin)) == [attempt]
    assert not AccountProfile.objects.for_agent(agent).exists()
    assert not SubscriptionAttempt.objects.for_agent(agent).exists()


# Accounts created outside the portal's sign-up


def listed_accounts(client) -> set:
    return {
        p.user.get_username() for p in client.get(url("accounts", "index")).context["object_list"]
    }


def test_createsuperuser_and_the_admin_user_form_make_accounts_the_portal_knows(
    client, superuser, monkeypatch
):
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Un-mot-de-passe-2026")
    call_command("createsuperuser", interactive=False, username="maire", email="maire@example.org")
    login(client, superuser)
    response = client.post(
        reverse("wagtailusers_users:add"),
        {
            "username": "secretariat",
            "email": "secretariat@example.org",
            "first_name": "Lou",
            "last_name": "Secrétariat",
            "password1": "Un-mot-de-passe-2026",
            "password2": "Un-mot-de-passe-2026",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    User = get_user_model()
    for username in ("maire", "secretariat"):
        profile = models.AccountProfile.objects.get(user=User.objects.get(username=username))
        assert profile.activated_at is not None and not profile.awaiting_activation
    assert {"maire", "secretariat"} <= listed_accounts(client)
    listing = client.get(url("accounts", "index")).content.decode()
    assert "maire@example.org" in listing


def test_an_account_created_inactive_elsewhere_is_never_opened_by_the_portal(
    client, portal_page, django_capture_on_commit_callbacks, mailoutbox
):
    from wagtail_family_portal.services import accounts

    off = factories.UserFactory(email="off@example.org", is_active=False)
    profile = off.family_portal_profile

    assert not profile.awaiting_activation
    from wagtail_family_portal.admin.accounts import status_label

    assert status_label(profile) == "Désactivé"
    with django_capture_on_commit_callbacks(execute=True):
        accounts.resend_activation(email="off@example.org", site=None, portal_url="http://x/")
    assert mailoutbox == []
    with pytest.raises(accounts.AccountError):
        accounts.check_activation_token(accounts.make_activation_token(off))


def test_migration_0017_gives_older_accounts_a_profile_and_keeps_the_others(db):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "wagtail_family_portal.migrations.0017_account_profiles_for_every_account"
    )
    older = factories.UserFactory(email="ancien@example.org")
    older.date_joined = timezone.now() - dt.timedelta(days=800)
    older.save(update_fields=["date_joined"])
    models.AccountProfile.objects.filter(user=older).delete()  # as before profiles existed
    portal = make_account("portail@example.org", active=False)

    migration.create_missing_profiles(apps, None)
    migration.create_missing_profiles(apps, None)  # twice: nothing more

    profile = models.AccountProfile.objects.get(user=older)
    assert profile.created_at == older.date_joined == profile.activated_at
    portal.refresh_from_db()
    assert portal.awaiting_activation  # the portal's own sign-up is left as it was
    assert models.AccountProfile.objects.filter(user=older).count() == 1
