"""Account pages: sign-up, activation, new activation link, login protections, passwords."""

import base64
import datetime as dt
import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from wagtail_family_portal.models import AccountProfile, Subscription
from wagtail_family_portal.models.accounts import SubscriptionAttempt
from wagtail_family_portal.services import accounts

from . import factories

User = get_user_model()

PORTAL_URL = "/espace-famille/"
LOGIN_URL = PORTAL_URL + "connexion/"
SIGNUP_URL = PORTAL_URL + "inscription/"
SIGNUP_DONE_URL = PORTAL_URL + "inscription/envoyee/"
RESEND_URL = PORTAL_URL + "activation/nouveau-lien/"
PASSWORD_CHANGE_URL = PORTAL_URL + "mot-de-passe/"
PASSWORD_RESET_URL = PORTAL_URL + "mot-de-passe/oublie/"
PASSWORD_RESET_DONE_URL = PORTAL_URL + "mot-de-passe/oublie/envoye/"
PASSWORD_RESET_COMPLETE_URL = PORTAL_URL + "mot-de-passe/nouveau/fait/"
PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Tournesol-Violet-42"

# The assertions read the English msgids; the French catalogue must not change what they see.
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
ACTIVATION_LINK = re.compile(r"http://testserver/espace-famille/activation/[^/\s\"<]+/")
RESET_LINK = re.compile(r"http://testserver/espace-famille/mot-de-passe/nouveau/[^/\s]+/[^/\s]+/")


@pytest.fixture
def no_rate_limit(settings):
    """Lockout tests make more attempts than the per-minute rate allows."""
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": None}


@pytest.fixture
def submit(client, django_capture_on_commit_callbacks):
    """POST in English, running what the view queued after commit (e-mails)."""

    def submit(url, data, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **ENGLISH, **kwargs)

    return submit


def get(client, url, **kwargs):
    return client.get(url, **ENGLISH, **kwargs)


def signup_data(**changes):
    data = {
        "civility": "MME",
        "last_name": "Durand",
        "first_name": "Alice",
        "email": "alice@example.org",
        "phone": "06 11 22 33 44",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "subscriber_code": "",
        "accept_terms": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def activation_link(message) -> str:
    return ACTIVATION_LINK.search(message.body).group(0)


def awaiting_account(email="waiting@example.org", sent_ago=dt.timedelta(hours=1)):
    """An account signed up on the portal and never activated."""
    user = factories.UserFactory(username=email, email=email, is_active=False)
    AccountProfile.objects.filter(user=user).update(
        activated_at=None, activation_sent_at=timezone.now() - sent_ago
    )
    return user


def nothing_created():
    return not User.objects.filter(email__iexact="alice@example.org").exists()


# Sign-up: the form


def test_signup_form_asks_for_everything_with_the_password_rules(client, portal_page):
    response = get(client, SIGNUP_URL)

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("last_name", "first_name", "email", "phone", "subscriber_code"):
        assert f'name="{name}"' in html
    assert html.count('type="radio" name="civility"') == 2
    assert html.count('autocomplete="new-password"') == 2
    assert 'autocomplete="email"' in html and 'type="tel"' in html
    # Django's password validators say their rules next to the field.
    assert 'id="id_password1_helptext"' in html
    assert "at least 8 characters" in html
    assert 'aria-describedby="id_password1_helptext"' in html
    assert 'name="accept_terms"' in html
    # Without terms in the settings, a default sentence is shown in the terms box.
    terms = html[html.index('id="wfp-terms"') :]
    assert "only to manage your family file" in terms


def test_signup_form_shows_the_municipality_terms(client, portal_page, portal_settings):
    portal_settings.terms_text = "<p>Charte d’utilisation du portail de Belleville.</p>"
    portal_settings.save()

    html = get(client, SIGNUP_URL).content.decode()

    terms = html[html.index('id="wfp-terms"') :]
    assert "Charte d’utilisation du portail de Belleville." in terms
    # A scrolled box: reachable with the keyboard, named for screen readers.
    box = re.search(r'<div[^>]*id="wfp-terms"[^>]*>', html).group(0)
    assert 'tabindex="0"' in box and 'role="region"' in box
    assert "only to manage your family file" not in html


def test_logged_in_account_visiting_signup_goes_to_the_dashboard(parent_client, portal_page):
    response = get(parent_client, SIGNUP_URL)

    assert response.status_code == 302
    assert response["Location"] == PORTAL_URL


def test_home_page_links_to_the_signup_page(client, portal_page):
    html = get(client, PORTAL_URL).content.decode()

    assert f'href="{SIGNUP_URL}"' in html


# Sign-up: success and the activation e-mail


def test_signup_creates_an_inactive_account_and_sends_the_activation_email(
    client, submit, portal_page, municipality, mailoutbox
):
    response = submit(SIGNUP_URL, signup_data())

    assert response.status_code == 302
    assert response["Location"] == SIGNUP_DONE_URL
    user = User.objects.get(email="alice@example.org")
    assert not user.is_active
    assert (user.first_name, user.last_name) == ("Alice", "Durand")
    assert user.check_password(NEW_PASSWORD)
    profile = user.family_portal_profile
    assert (profile.civility, profile.phone) == ("MME", "06 11 22 33 44")
    assert profile.municipality == municipality
    assert profile.terms_accepted_at is not None

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.org"]
    assert message.subject == "Citizen portal: account creation confirmation"
    assert "Hello Alice Durand" in message.body
    link = activation_link(message)
    assert link in message.body and link in html_of(message)
    assert "expires in 3 days" in message.body
    assert "enfance@example.org" in message.body  # the municipality's contact block


def test_signup_done_page_says_to_check_the_inbox_and_the_spam_folder(client, portal_page):
    response = get(client, SIGNUP_DONE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Check your inbox" in html
    assert "expires in 3 days" in html
    assert "spam" in html
    assert f'href="{RESEND_URL}"' in html


def test_activation_link_shows_a_button_and_activates_only_on_post(
    client, submit, portal_page, mailoutbox
):
    submit(SIGNUP_URL, signup_data())
    link = activation_link(mailoutbox[0])

    # A mail scanner following the link changes nothing.
    response = get(client, link)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Activate my account" in html and 'method="post"' in html
    assert not User.objects.get(email="alice@example.org").is_active

    response = submit(link, {})
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    user = User.objects.get(email="alice@example.org")
    assert user.is_active
    assert user.family_portal_profile.activated_at is not None
    assert "Your account is activated." in get(client, LOGIN_URL).content.decode()

    response = submit(LOGIN_URL, {"username": "alice@example.org", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert get(client, PORTAL_URL).context["user"] == user


def test_good_code_at_signup_links_the_family_at_activation(
    client, submit, portal_page, family, mailoutbox
):
    typed = family.subscriber_code.lower().replace("-", " ")
    submit(SIGNUP_URL, signup_data(subscriber_code=typed))

    user = User.objects.get(email="alice@example.org")
    assert user.family_portal_profile.pending_family == family
    assert not Subscription.objects.filter(user=user).exists()

    submit(activation_link(mailoutbox[0]), {})

    assert Subscription.objects.filter(user=user, family=family).exists()
    submit(LOGIN_URL, {"username": "alice@example.org", "password": NEW_PASSWORD})
    html = get(client, PORTAL_URL).content.decode()
    assert "Martin family" in html


def test_duplicate_email_is_answered_like_a_new_one_and_told_by_email(
    client, submit, portal_page, parent, mailoutbox
):
    users_before = User.objects.count()

    response = submit(SIGNUP_URL, signup_data(email="Parent@Example.org"))

    # The same answer as for a new address: nobody learns that this one is registered.
    assert response.status_code == 302
    assert response["Location"] == SIGNUP_DONE_URL
    assert User.objects.count() == users_before
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)
    assert parent.first_name == "Camille"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["parent@example.org"]
    assert mailoutbox[0].subject == "Citizen portal: you already have an account"
    assert "http://testserver/espace-famille/mot-de-passe/oublie/" in mailoutbox[0].body


# Sign-up: bad input (nothing is created, no e-mail is sent)


def test_weak_password_is_refused_with_the_validators_messages(
    client, submit, portal_page, mailoutbox
):
    response = submit(SIGNUP_URL, signup_data(password1="12345678", password2="12345678"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This password is too common." in html
    assert "This password is entirely numeric." in html
    assert 'id="id_password1_error"' in html and 'aria-invalid="true"' in html
    assert 'role="alert"' in html
    assert nothing_created() and mailoutbox == []


def test_password_too_similar_to_the_name_is_refused(client, submit, portal_page, mailoutbox):
    response = submit(SIGNUP_URL, signup_data(password1="alicedurand", password2="alicedurand"))

    assert "too similar" in response.content.decode()
    assert nothing_created() and mailoutbox == []


def test_different_passwords_are_refused(client, submit, portal_page, mailoutbox):
    response = submit(SIGNUP_URL, signup_data(password2=NEW_PASSWORD + "x"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "The two passwords are different." in html
    assert 'id="id_password2_error"' in html
    # What was typed is kept, except the passwords.
    assert 'value="alice@example.org"' in html and NEW_PASSWORD not in html
    assert nothing_created() and mailoutbox == []


def test_missing_terms_acceptance_is_refused(client, submit, portal_page, mailoutbox):
    response = submit(SIGNUP_URL, signup_data(accept_terms=None))

    html = response.content.decode()
    assert "You must accept the terms of use to create an account." in html
    assert 'id="id_accept_terms_error"' in html
    assert nothing_created() and mailoutbox == []


def test_required_fields_and_email_format(client, submit, portal_page, mailoutbox):
    response = submit(SIGNUP_URL, {})

    form = response.context["form"]
    assert set(form.errors) == {
        "last_name",
        "first_name",
        "email",
        "password1",
        "password2",
        "accept_terms",
    }
    assert "civility" not in form.errors and "phone" not in form.errors

    # Every mistake is shown at once, the weak password with the others.
    response = submit(SIGNUP_URL, {"last_name": "Durand", "password1": "abc", "password2": "abc"})
    assert "This password is too short." in response.content.decode()
    assert "first_name" in response.context["form"].errors

    response = submit(SIGNUP_URL, signup_data(email="alice@"))
    assert "Enter a valid email address." in response.content.decode()
    assert nothing_created() and mailoutbox == []


def code_notice(message) -> str:
    """The activation e-mail's block about the sign-up code ("" when there is none)."""
    body = message.body
    return body[body.index("Your subscriber code") :] if "Your subscriber code" in body else ""


def test_the_signup_answer_does_not_tell_whether_a_code_exists(
    client, submit, portal_page, family, other_municipality, mailoutbox
):
    elsewhere = factories.FamilyFactory(municipality=other_municipality, name="Bernard")
    codes = ["", family.subscriber_code, "NOPE-1234", elsewhere.subscriber_code]

    answers = []
    for n, code in enumerate(codes):
        response = submit(
            SIGNUP_URL, signup_data(email=f"parent{n}@example.org", subscriber_code=code)
        )
        answers.append((response.status_code, response["Location"]))
        done = get(client, response["Location"]).content.decode()
        assert "Bernard" not in done and "Martin" not in done

    assert answers == [(302, SIGNUP_DONE_URL)] * 4
    assert User.objects.filter(email__startswith="parent", is_active=False).count() == 4
    notices = [code_notice(message) for message in mailoutbox]
    assert notices[0] == ""
    assert "is that of the Martin family file" in notices[1]
    for notice in notices[2:]:
        assert "was not recognised" in notice and "“Mes abonnements”" in notice
        assert "Bernard" not in notice and "Autreville" not in notice
    outcomes = [a.outcome for a in SubscriptionAttempt.objects.order_by("created_at", "pk")]
    assert outcomes == ["found", "not_recognised", "other_municipality"]
    assert {a.channel for a in SubscriptionAttempt.objects.all()} == {"signup"}


def test_an_unknown_code_at_signup_is_told_again_after_activation(
    client, submit, portal_page, family, mailoutbox
):
    submit(SIGNUP_URL, signup_data(subscriber_code="NOPE-1234"))

    response = submit(activation_link(mailoutbox[0]), {}, follow=True)

    html = response.content.decode()
    assert "Your account is activated. You can now log in." in html
    assert "The subscriber code you gave at sign-up could not be used" in html
    assert not Subscription.objects.exists()


def test_too_many_wrong_codes_from_one_address_leave_the_code_unchecked(
    client, submit, portal_page, family, mailoutbox
):
    for _ in range(20):
        SubscriptionAttempt.objects.create(
            ip_address="127.0.0.1", code="NOPE", outcome="not_recognised", channel="signup"
        )

    # Even a good code is not checked: the address is blocked. The answer is the usual one.
    response = submit(SIGNUP_URL, signup_data(subscriber_code=family.subscriber_code))

    assert (response.status_code, response["Location"]) == (302, SIGNUP_DONE_URL)
    user = User.objects.get(email="alice@example.org")
    assert user.family_portal_profile.pending_family is None
    assert "could not be checked" in code_notice(mailoutbox[0])
    assert SubscriptionAttempt.objects.filter(outcome="blocked").count() == 1


def test_signup_posts_are_rate_limited_per_address(
    client, submit, portal_page, settings, mailoutbox
):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": "2/minute"}
    submit(SIGNUP_URL, signup_data(accept_terms=None))
    submit(SIGNUP_URL, signup_data(accept_terms=None))

    response = submit(SIGNUP_URL, signup_data())

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Too many attempts from your connection." in html
    assert 'value="alice@example.org"' in html and NEW_PASSWORD not in html
    assert nothing_created() and mailoutbox == []


# Activation links: expired, used, forged


def test_expired_activation_link_activates_nothing_and_offers_a_new_one(
    client, submit, portal_page, mailoutbox, signing_clock
):
    submit(SIGNUP_URL, signup_data())
    link = activation_link(mailoutbox[0])
    four_days_later = time.time() + 4 * 24 * 3600
    signing_clock(four_days_later)

    response = get(client, link)

    html = response.content.decode()
    assert response.status_code == 200
    assert "This activation link has expired." in html
    assert f'action="{RESEND_URL}"' in html and 'name="email"' in html

    response = submit(link, {})
    assert response.status_code == 400
    assert "This activation link has expired." in response.content.decode()
    assert not User.objects.get(email="alice@example.org").is_active


def test_activation_timeout_comes_from_the_settings(
    client, submit, portal_page, mailoutbox, signing_clock, settings
):
    settings.WAGTAIL_FAMILY_PORTAL_ACTIVATION_TIMEOUT = 3600
    submit(SIGNUP_URL, signup_data())
    link = activation_link(mailoutbox[0])
    two_hours_later = time.time() + 2 * 3600
    signing_clock(two_hours_later)

    assert "has expired" in get(client, link).content.decode()


def test_used_activation_link_says_the_account_is_active(client, submit, portal_page, mailoutbox):
    submit(SIGNUP_URL, signup_data())
    link = activation_link(mailoutbox[0])
    submit(link, {})

    response = get(client, link)

    html = response.content.decode()
    assert "This account is already activated: you can log in." in html
    assert f'href="{LOGIN_URL}"' in html
    assert 'name="email"' not in html

    response = submit(link, {})
    assert response["Location"] == LOGIN_URL
    assert "already activated" in get(client, LOGIN_URL).content.decode()


@pytest.mark.parametrize("tamper", ["replace", "garbage"])
def test_forged_activation_link_activates_nothing(client, submit, portal_page, mailoutbox, tamper):
    submit(SIGNUP_URL, signup_data())
    other = awaiting_account()
    token = activation_link(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    if tamper == "replace":
        # Another account's id in the payload, with the signature of the genuine link.
        genuine = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        payload = signing.dumps({"u": other.pk}, salt=accounts.ACTIVATION_SALT).split(":")[0]
        forged = payload + ":" + genuine.split(":", 1)[1]
        token = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    else:
        token = "not-a-real-token"
    url = f"{PORTAL_URL}activation/{token}/"

    response = get(client, url)
    assert "This activation link is not valid." in response.content.decode()

    response = submit(url, {})
    assert response.status_code == 400
    assert "This activation link is not valid." in response.content.decode()
    assert not User.objects.get(email="alice@example.org").is_active
    other.refresh_from_db()
    assert not other.is_active


# New activation link


def test_resend_page_asks_for_the_address(client, portal_page):
    response = get(client, RESEND_URL)

    assert response.status_code == 200
    assert 'name="email"' in response.content.decode()


def test_resend_sends_a_new_link_to_an_account_awaiting_activation(
    client, submit, portal_page, mailoutbox
):
    user = awaiting_account()

    response = submit(RESEND_URL, {"email": "Waiting@Example.org"})

    assert response.status_code == 200
    assert "we have sent it a new activation link" in response.content.decode()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["waiting@example.org"]
    submit(activation_link(mailoutbox[0]), {})
    user.refresh_from_db()
    assert user.is_active


def test_resend_answers_the_same_for_unknown_and_active_addresses(
    client, submit, portal_page, parent, mailoutbox
):
    awaiting_account()
    answers = [
        submit(RESEND_URL, {"email": email}).content.decode()
        for email in ("waiting@example.org", "nobody@example.org", "parent@example.org")
    ]

    def main(html):
        return html[html.index("<main") : html.index("</main>")]

    assert main(answers[0]) == main(answers[1]) == main(answers[2])
    assert [message.to for message in mailoutbox] == [["waiting@example.org"]]


def test_resend_with_an_invalid_address_asks_again(client, submit, portal_page, mailoutbox):
    response = submit(RESEND_URL, {"email": "not an address"})

    assert "Enter a valid email address." in response.content.decode()
    assert mailoutbox == []


# Login


def test_login_form_links_to_the_forgotten_password_page(client, portal_page):
    for url in (LOGIN_URL, PORTAL_URL):
        assert f'href="{PASSWORD_RESET_URL}"' in get(client, url).content.decode()


def test_account_not_activated_is_told_only_with_the_right_password(client, submit, portal_page):
    awaiting_account()

    response = submit(LOGIN_URL, {"username": "waiting@example.org", "password": PASSWORD})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Your account is not activated yet" in html
    assert f'href="{RESEND_URL}"' in html
    assert not response.context["user"].is_authenticated

    response = submit(LOGIN_URL, {"username": "waiting@example.org", "password": "wrong"})
    html = response.content.decode()
    assert "The e-mail address or the password is incorrect." in html
    assert "not activated" not in html and f'href="{RESEND_URL}"' not in html


def test_ten_failures_lock_the_account_even_with_the_right_password(
    client, submit, portal_page, parent, no_rate_limit
):
    for _ in range(9):
        response = submit(LOGIN_URL, {"username": "parent@example.org", "password": "wrong"})
        assert response.status_code == 200

    response = submit(LOGIN_URL, {"username": "parent@example.org", "password": "wrong"})
    assert response.status_code == 429
    assert "logging in is blocked for 15 minutes" in response.content.decode()

    response = submit(LOGIN_URL, {"username": "Parent@example.org", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "logging in is blocked for 15 minutes" in html
    assert 'role="alert"' in html and 'class="wfp-form"' in html  # the portal's page, themed
    assert 'value="Parent@example.org"' in html
    assert not get(client, PORTAL_URL).context["user"].is_authenticated


IP_A, IP_B = "203.0.113.10", "198.51.100.20"


def fail_logins(submit, email, times, ip=IP_A):
    for _ in range(times):
        submit(LOGIN_URL, {"username": email, "password": "wrong"}, REMOTE_ADDR=ip)


def logs_in(client, submit, email, ip) -> bool:
    response = submit(LOGIN_URL, {"username": email, "password": PASSWORD}, REMOTE_ADDR=ip)
    logged_in = (
        response.status_code == 302 and get(client, PORTAL_URL).context["user"].is_authenticated
    )
    client.logout()
    return logged_in


def test_failures_lock_an_account_from_their_address_only(
    client, submit, portal_page, parent, no_rate_limit
):
    """Somebody who knows a family's address cannot lock the family out of its own connection,
    and one account's failures do not lock the other accounts behind a shared address."""
    factories.UserFactory(username="voisin@example.org", email="voisin@example.org")
    fail_logins(submit, "parent@example.org", 10, ip=IP_A)

    response = submit(
        LOGIN_URL, {"username": "parent@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    assert response.status_code == 429
    assert logs_in(client, submit, "parent@example.org", IP_B)
    assert logs_in(client, submit, "voisin@example.org", IP_A)
    # Logging in from B cleared nothing of A's lock.
    assert not logs_in(client, submit, "parent@example.org", IP_A)


def test_an_address_over_its_own_ceiling_is_locked_for_every_account(
    client, submit, portal_page, parent, no_rate_limit, settings
):
    settings.WAGTAIL_FAMILY_PORTAL_LOGIN_LIMITS = {"ip": 20}
    for n in range(5):  # 4 failures each: no account reaches its own limit of 10
        fail_logins(submit, f"someone{n}@example.org", 4, ip=IP_A)

    response = submit(
        LOGIN_URL, {"username": "parent@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed logins from your connection" in html
    assert "blocked for 15 more minutes, whatever the account" in html
    assert 890 < int(response["Retry-After"]) <= 900
    assert not get(client, PORTAL_URL).context["user"].is_authenticated
    # Another address is not concerned.
    assert logs_in(client, submit, "parent@example.org", IP_B)


def test_the_lockout_says_how_long_is_left_and_waiting_does_not_restart_it(
    client, submit, portal_page, parent, no_rate_limit
):
    fail_logins(submit, "parent@example.org", 10, ip=IP_A)
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=6))

    response = submit(
        LOGIN_URL, {"username": "parent@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )

    assert response.status_code == 429
    assert "logging in is blocked for 9 minutes" in response.content.decode()
    assert 8 * 60 < int(response["Retry-After"]) <= 9 * 60
    # Trying again while blocked does not add to the wait.
    again = submit(
        LOGIN_URL, {"username": "parent@example.org", "password": PASSWORD}, REMOTE_ADDR=IP_A
    )
    assert "logging in is blocked for 9 minutes" in again.content.decode()
    # Once the cool-off is over, the right password opens the account again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - dt.timedelta(minutes=16))
    assert logs_in(client, submit, "parent@example.org", IP_A)


def test_the_wagtail_admin_login_is_locked_per_account_and_address_too(
    client, portal_page, agent, no_rate_limit
):
    admin_login = "/admin/login/"
    for _ in range(10):
        client.post(
            admin_login, {"username": "agent", "password": "wrong"}, REMOTE_ADDR=IP_A, **ENGLISH
        )

    locked = client.post(
        admin_login, {"username": "agent", "password": PASSWORD}, REMOTE_ADDR=IP_A, **ENGLISH
    )
    assert locked.status_code == 429
    assert "logging in is blocked for 15 minutes" in locked.content.decode()
    assert 890 < int(locked["Retry-After"]) <= 900
    # The agent's colleagues in the same town hall, and the agent from elsewhere, log in.
    from_b = client.post(
        admin_login, {"username": "agent", "password": PASSWORD}, REMOTE_ADDR=IP_B, **ENGLISH
    )
    assert from_b.status_code == 302


def test_login_posts_are_rate_limited_per_address(client, submit, portal_page, parent, settings):
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": "3/minute"}
    for _ in range(3):
        assert submit(LOGIN_URL, {"username": "x@example.org", "password": "no"}).status_code == 200

    response = submit(LOGIN_URL, {"username": "parent@example.org", "password": PASSWORD})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    html = response.content.decode()
    assert "Too many attempts from your connection. For your security, try again in" in html
    assert 'value="parent@example.org"' in html and PASSWORD not in html
    assert not get(client, PORTAL_URL).context["user"].is_authenticated
    # The refused attempt did not even try the password.
    assert not AccessAttempt.objects.filter(username="parent@example.org").exists()


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (RESEND_URL, {"email": "waiting@example.org"}),
        (PASSWORD_RESET_URL, {"email": "parent@example.org"}),
    ],
)
def test_email_forms_are_rate_limited_per_address(
    client, submit, portal_page, parent, settings, mailoutbox, url, data
):
    awaiting_account()
    settings.WAGTAIL_FAMILY_PORTAL_API_THROTTLE_RATES = {"auth": "1/minute"}
    submit(url, {"email": "nobody@example.org"})

    response = submit(url, data)

    assert response.status_code == 429
    assert "Too many attempts from your connection." in response.content.decode()
    assert mailoutbox == []


# Password reset


def test_password_reset_queues_the_email_after_commit(
    client, portal_page, parent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(PASSWORD_RESET_URL, {"email": "Parent@Example.org"}, **ENGLISH)

    assert response.status_code == 302
    assert response["Location"] == PASSWORD_RESET_DONE_URL
    assert mailoutbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Citizen portal: choose a new password"
    assert mailoutbox[0].to == ["parent@example.org"]


def test_password_reset_link_lets_the_person_choose_a_new_password(
    client, submit, portal_page, parent, mailoutbox
):
    submit(PASSWORD_RESET_URL, {"email": "parent@example.org"})
    message = mailoutbox[0]
    link = RESET_LINK.search(message.body).group(0)
    assert link in html_of(message)
    assert "Hello Camille Martin" in message.body

    response = get(client, link)  # Django moves the token into the session, then redirects
    assert response.status_code == 302
    form_url = response["Location"]
    response = get(client, form_url)
    assert response.status_code == 200
    assert 'name="new_password1"' in response.content.decode()

    response = submit(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert "This password is too common." in response.content.decode()

    response = submit(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == PASSWORD_RESET_COMPLETE_URL
    assert (
        "Your new password is saved." in get(client, PASSWORD_RESET_COMPLETE_URL).content.decode()
    )
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD)

    # The link works once.
    response = get(client, link)
    assert "This link to choose a new password is not valid" in response.content.decode()


def test_password_reset_answers_the_same_for_unknown_and_inactive_addresses(
    client, submit, portal_page, mailoutbox
):
    switched_off = factories.UserFactory(email="off@example.org", is_active=False)
    assert not switched_off.family_portal_profile.awaiting_activation  # an agent's doing
    for email in ("nobody@example.org", "off@example.org"):
        response = submit(PASSWORD_RESET_URL, {"email": email})
        assert response.status_code == 302
        assert response["Location"] == PASSWORD_RESET_DONE_URL
    assert mailoutbox == []
    html = get(client, PASSWORD_RESET_DONE_URL).content.decode()
    assert "Check your inbox" in html


def test_password_reset_of_an_account_never_activated_sends_a_new_activation_link(
    client, submit, portal_page, mailoutbox
):
    waiting = awaiting_account()

    response = submit(PASSWORD_RESET_URL, {"email": "Waiting@example.org"})

    # The same answer as for any address: nothing tells that the account exists.
    assert (response.status_code, response["Location"]) == (302, PASSWORD_RESET_DONE_URL)
    [message] = mailoutbox
    assert message.to == ["waiting@example.org"]
    assert message.subject == "Citizen portal: account creation confirmation"
    # Asked again at once: no second e-mail (one link every two minutes at most).
    submit(PASSWORD_RESET_URL, {"email": "waiting@example.org"})
    assert len(mailoutbox) == 1
    submit(activation_link(message), {})
    waiting.refresh_from_db()
    assert waiting.is_active


def test_forged_password_reset_link_is_refused(client, portal_page, parent):
    response = get(client, f"{PORTAL_URL}mot-de-passe/nouveau/MQ/forged-token/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "This link to choose a new password is not valid" in html
    assert 'name="new_password1"' not in html
    assert f'href="{PASSWORD_RESET_URL}"' in html


def test_password_reset_page_is_themed(client, portal_page):
    html = get(client, PASSWORD_RESET_URL).content.decode()

    assert "wagtail_family_portal/portal.css" in html
    assert "Forgot your password?" in html and 'name="email"' in html


# Password change


def test_password_change_needs_a_login(client, portal_page):
    response = get(client, PASSWORD_CHANGE_URL)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/espace-famille/mot-de-passe/"


def test_password_change_keeps_the_session_and_takes_the_new_password(
    parent_client, submit, portal_page, parent
):
    html = get(parent_client, PASSWORD_CHANGE_URL).content.decode()
    assert 'name="old_password"' in html and 'name="new_password1"' in html

    response = submit(
        PASSWORD_CHANGE_URL,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert 'id="id_old_password_error"' in response.content.decode()

    response = submit(
        PASSWORD_CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other"},
    )
    assert 'id="id_new_password2_error"' in response.content.decode()
    parent.refresh_from_db()
    assert parent.check_password(PASSWORD)

    response = submit(
        PASSWORD_CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == PORTAL_URL
    response = get(parent_client, PORTAL_URL)
    assert response.context["user"] == parent  # still logged in
    assert "Your password has been changed." in response.content.decode()
    parent.refresh_from_db()
    assert parent.check_password(NEW_PASSWORD)


def test_signup_form_shows_the_services_errors_on_its_fields():
    from wagtail_family_portal.views.account_forms import SignUpForm

    form = SignUpForm(signup_data())
    assert form.is_valid()

    form.add_service_errors(
        ValidationError({"password": ["Too weak."], "email": ["Taken."], "other": ["Oops."]})
    )

    assert form.errors["password1"] == ["Too weak."]
    assert form.errors["email"] == ["Taken."]
    assert form.non_field_errors() == ["Oops."]
