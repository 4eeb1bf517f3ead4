"""services.accounts: sign-up, activation links, resending, tokens."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from wagtail_family_portal.models import AccountProfile, Subscription, SubscriptionAttempt
from wagtail_family_portal.services import accounts

from . import factories

User = get_user_model()
PORTAL_URL = "http://testserver/espace-famille/"


def sign_up(site, **overrides):
    values = {
        "email": "Nouveau.Parent@Example.org",
        "password": "un-mot-de-passe-solide",
        "first_name": "Camille",
        "last_name": "Petit",
        "accept_terms": True,
        "site": site,
        "portal_url": PORTAL_URL,
        "civility": "MME",
        "phone": "06 12 34 56 78",
        "ip_address": "203.0.113.7",
    }
    return accounts.sign_up(**{**values, **overrides})


def activation_link(message) -> str:
    return next(line for line in message.body.splitlines() if "/activation/" in line).strip()


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def signed_up(portal_page, portal_site, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(portal_site)
    return result


def test_sign_up_creates_an_inactive_account_and_sends_the_activation_email(signed_up, mailoutbox):
    user = signed_up.user

    assert signed_up.created
    assert not user.is_active
    assert user.email == "nouveau.parent@example.org"
    assert user.check_password("un-mot-de-passe-solide")
    profile = user.family_portal_profile
    assert (profile.civility, profile.phone) == ("MME", "06 12 34 56 78")
    assert profile.terms_accepted_at is not None and profile.activation_sent_at is not None
    assert profile.municipality.name == "Belleville-sur-Loire"
    [message] = mailoutbox
    assert message.to == ["nouveau.parent@example.org"]
    assert "Camille Petit" in message.body
    link = activation_link(message)
    assert link.startswith(PORTAL_URL + "activation/")
    html = message.alternatives[0][0]
    assert link in html and "Belleville-sur-Loire" in html


def test_nothing_is_sent_when_the_transaction_rolls_back(portal_page, portal_site, mailoutbox):
    # Without running the on-commit callbacks (as in a rolled-back transaction), nothing leaves.
    sign_up(portal_site)

    assert mailoutbox == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "pas-une-adresse"}, "email"),
        ({"first_name": "  "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"accept_terms": False}, "accept_terms"),
        ({"password": "123"}, "password"),
        ({"password": "camillepetit"}, "password"),
        ({"civility": "Dr"}, "civility"),
    ],
)
def test_bad_input_creates_nothing(portal_page, portal_site, overrides, field):
    with pytest.raises(ValidationError) as raised:
        sign_up(portal_site, **overrides)

    assert field in raised.value.message_dict
    assert not User.objects.filter(email__iexact="nouveau.parent@example.org").exists()
    assert not AccountProfile.objects.exists()


def notice_of(message) -> str:
    """The block of the activation e-mail about the sign-up code ("" when there is none)."""
    body = message.body
    return body[body.index("Votre code abonné") :] if "Votre code abonné" in body else ""


@pytest.mark.parametrize("code", ["NOPE-NOPE-1234", "elsewhere"])
def test_a_code_that_links_nothing_still_creates_the_account_and_the_email_says_so(
    portal_page,
    portal_site,
    other_municipality,
    django_capture_on_commit_callbacks,
    mailoutbox,
    code,
):
    """The sign-up answers the same whatever the code: only the mailbox's owner learns it."""
    if code == "elsewhere":  # a real code, of another town's family: the same words
        code = factories.FamilyFactory(municipality=other_municipality).subscriber_code
    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(portal_site, subscriber_code=code)

    assert result.created
    profile = AccountProfile.objects.get(user=result.user)
    assert profile.pending_family is None and profile.signup_code_outcome == "not_recognised"
    [message] = mailoutbox
    notice = notice_of(message)
    assert "n'a pas été reconnu" in notice and "« Mes abonnements »" in notice
    attempt = SubscriptionAttempt.objects.get()
    assert attempt.outcome in ("not_recognised", "other_municipality")
    assert (attempt.channel, attempt.email) == ("signup", "nouveau.parent@example.org")

    activation = accounts.activate(token_of(activation_link(message)))

    assert activation.family is None
    assert not Subscription.objects.filter(user=result.user).exists()
    assert "Mes abonnements" in accounts.activation_notice(activation)


def test_a_code_refused_for_too_many_wrong_ones_is_not_checked_and_the_email_says_so(
    portal_page, portal_site, family, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.WAGTAIL_FAMILY_PORTAL_SUBSCRIPTION_LIMITS = {"ip": 2}
    for n in range(2):
        sign_up(portal_site, email=f"essai{n}@example.org", subscriber_code=f"FAUX-{n}")

    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(portal_site, subscriber_code=family.subscriber_code)

    assert result.created
    profile = AccountProfile.objects.get(user=result.user)
    assert profile.pending_family is None and profile.signup_code_outcome == "not_checked"
    assert "n'a pas pu être vérifié" in notice_of(mailoutbox[-1])
    assert SubscriptionAttempt.objects.order_by("-created_at", "-pk")[0].outcome == "blocked"


def test_an_address_already_registered_creates_nothing_and_gets_an_email(
    portal_page, portal_site, parent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(portal_site, email="PARENT@example.org")

    assert not result.created
    assert User.objects.filter(email__iexact="parent@example.org").count() == 1
    [message] = mailoutbox
    assert message.to == ["parent@example.org"]
    assert message.subject == "Portail citoyen : vous avez déjà un compte"
    assert PORTAL_URL + "mot-de-passe/oublie/" in message.body


def test_signing_up_again_before_activating_resends_the_link(
    signed_up, portal_site, django_capture_on_commit_callbacks, mailoutbox
):
    AccountProfile.objects.update(activation_sent_at=signed_up.user.date_joined.replace(year=2020))
    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(portal_site)

    assert not result.created
    assert len(mailoutbox) == 2
    assert "/activation/" in mailoutbox[1].body


def test_activation_works_once(signed_up, mailoutbox):
    token = token_of(activation_link(mailoutbox[0]))

    user = accounts.activate(token).user

    user.refresh_from_db()
    assert user.is_active
    assert user.family_portal_profile.activated_at is not None
    with pytest.raises(accounts.AccountError) as raised:
        accounts.activate(token)
    assert raised.value.code == "already_active"


def test_an_expired_link_is_refused(signed_up, mailoutbox, settings):
    token = token_of(activation_link(mailoutbox[0]))
    settings.WAGTAIL_FAMILY_PORTAL_ACTIVATION_TIMEOUT = -1  # every link is already too old

    with pytest.raises(accounts.AccountError) as raised:
        accounts.activate(token)

    assert raised.value.code == "expired"
    assert not User.objects.get(pk=signed_up.user.pk).is_active


def test_the_link_expires_after_three_days_by_default(signed_up, mailoutbox, signing_clock):
    token = token_of(activation_link(mailoutbox[0]))
    import time

    now = time.time()
    signing_clock(now + 3 * 24 * 3600 - 60)
    assert accounts.check_activation_token(token) == signed_up.user
    signing_clock(now + 3 * 24 * 3600 + 60)
    with pytest.raises(accounts.AccountError):
        accounts.check_activation_token(token)


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "abc", lambda t: ""])
def test_a_forged_link_is_refused(signed_up, mailoutbox, mangle):
    token = token_of(activation_link(mailoutbox[0]))

    with pytest.raises(accounts.AccountError) as raised:
        accounts.activate(mangle(token))

    assert raised.value.code == "invalid"


def test_a_link_sent_to_an_old_address_stops_working(signed_up, mailoutbox):
    token = token_of(activation_link(mailoutbox[0]))
    User.objects.filter(pk=signed_up.user.pk).update(email="autre@example.org")

    with pytest.raises(accounts.AccountError) as raised:
        accounts.activate(token)

    assert raised.value.code == "invalid"


def test_the_code_given_at_sign_up_links_the_family_on_activation(
    portal_page, portal_site, family, django_capture_on_commit_callbacks, mailoutbox
):
    typed = " " + family.subscriber_code.lower().replace("-", " ") + " "
    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(portal_site, subscriber_code=typed)
    assert not Subscription.objects.filter(user=result.user).exists()
    notice = notice_of(mailoutbox[0])
    assert f"est celui du dossier famille {family.name}" in notice

    activation = accounts.activate(token_of(activation_link(mailoutbox[0])))

    user = activation.user
    assert activation.family == family
    assert accounts.activation_notice(activation) == (
        f"Votre compte est lié au dossier famille {family.name}."
    )
    subscription = Subscription.objects.get(user=user)
    assert subscription.family == family and subscription.created_by == user
    attempt = SubscriptionAttempt.objects.get()
    assert (attempt.outcome, attempt.channel, attempt.email) == (
        "found",
        "signup",
        "nouveau.parent@example.org",
    )


def test_resend_is_silent_and_limited(
    signed_up, portal_site, parent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        accounts.resend_activation(email="inconnu@example.org", site=portal_site, portal_url="x")
        accounts.resend_activation(email="parent@example.org", site=portal_site, portal_url="x")
        # Just sent at sign-up: a second e-mail would only be noise (or a way to flood a box).
        accounts.resend_activation(
            email="nouveau.parent@example.org", site=portal_site, portal_url=PORTAL_URL
        )
    assert len(mailoutbox) == 1

    AccountProfile.objects.update(activation_sent_at=signed_up.user.date_joined.replace(year=2020))
    with django_capture_on_commit_callbacks(execute=True):
        accounts.resend_activation(
            email="NOUVEAU.parent@example.org", site=portal_site, portal_url=PORTAL_URL
        )
    assert len(mailoutbox) == 2
    # Both links work until one of them is used.
    first, second = (token_of(activation_link(m)) for m in mailoutbox)
    assert accounts.check_activation_token(first) == accounts.check_activation_token(second)


def test_an_agent_resends_at_once_but_not_to_an_active_account(
    signed_up, portal_site, parent, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        accounts.send_activation_by_agent(
            signed_up.user.family_portal_profile, site=portal_site, portal_url=PORTAL_URL
        )
    assert len(mailoutbox) == 2

    profile = AccountProfile.objects.get(user=parent)
    with pytest.raises(accounts.AccountError):
        accounts.send_activation_by_agent(profile, site=portal_site, portal_url=PORTAL_URL)


def test_issue_token_returns_the_same_token(parent):
    assert accounts.issue_token(parent) == accounts.issue_token(parent)


def test_sign_up_without_a_portal_municipality_accepts_any_town_code(
    portal_site, other_municipality, django_capture_on_commit_callbacks, mailoutbox
):
    family = factories.FamilyFactory(municipality=other_municipality)

    with django_capture_on_commit_callbacks(execute=True):
        result = sign_up(None, subscriber_code=family.subscriber_code)

    assert result.user.family_portal_profile.pending_family == family
