"""Family accounts: sign-up, activation by e-mail, API tokens.

Views (pages, API, admin) call these functions and show the errors they raise. E-mails are
queued to django-q2 after the transaction commits, so a rolled-back sign-up sends nothing.
"""

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import conf
from ..emails.rendering import email_address
from ..models import AccountProfile, Family, Guardian
from ..models.accounts import SubscriptionAttempt
from ..phones import validate_phone
from . import subscriptions

ACTIVATION_SALT = "wagtail_family_portal.accounts.activation"
# An address asking again for its activation e-mail gets at most one per this delay.
RESEND_DELAY = dt.timedelta(minutes=2)


class AccountError(Exception):
    """An account operation that cannot be done; ``message`` is shown to the person."""

    def __init__(self, message, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class SignUpResult:
    """What a sign-up did. The page and the API answer the same whatever ``created`` is, so that
    nobody learns whether an address already has an account, nor whether a code exists."""

    created: bool
    user: object | None = None


@dataclass(frozen=True)
class Activation:
    """An account just activated, with the family linked from its sign-up code (if any) and
    what that code gave (``AccountProfile.SignupCode``, empty when none was typed)."""

    user: object
    family: Family | None = None
    signup_code: str = ""


def activation_timeout() -> int:
    """Seconds an activation link stays valid (``conf.activation_timeout``)."""
    return conf.activation_timeout()


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_account(email: str):
    """The account with this address (case-insensitive), or None."""
    User = get_user_model()
    email_field = User.get_email_field_name()
    return (
        User._default_manager.filter(**{f"{email_field}__iexact": normalise_email(email)})
        .order_by("pk")
        .first()
    )


def awaits_activation(email: str, password: str) -> bool:
    """Whether ``password`` is right for an account of ``email`` that was never activated.

    Login forms use it to say "not activated yet" instead of "incorrect": only someone who knows
    the password learns it. One password hash either way, so timing does not tell either. An
    account activated and later switched off by an agent is not "awaiting activation".
    """
    user = find_account(email) if email and password else None
    profile = (
        AccountProfile.objects.filter(user=user).first()
        if user is not None and not user.is_active
        else None
    )
    if profile is None or not profile.awaiting_activation:
        get_user_model()().set_password(password or "")
        return False
    return user.check_password(password)


def sign_up(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    accept_terms: bool,
    site,
    portal_url: str,
    civility: str = "",
    phone: str = "",
    subscriber_code: str = "",
    ip_address: str | None = None,
    channel: str = SubscriptionAttempt.Channel.SIGNUP,
) -> SignUpResult:
    """Create an inactive account and queue its activation e-mail.

    Raises ``ValidationError`` (a dict by field) for bad input. An address that already has an
    account gets an e-mail saying so (or a new activation link if it was never activated) and
    nothing is created: the caller answers as for a new account, following Django's
    password-reset approach. The optional subscriber code never changes the answer either: it
    is checked (and logged, and counted against the limits of ``services.subscriptions``), and
    the activation e-mail says what it gave; a code refused for too many wrong ones is not
    checked at all.
    """
    from ..models import Municipality

    email = normalise_email(email)
    first_name, last_name, phone = first_name.strip(), last_name.strip(), phone.strip()
    errors: dict[str, list] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not value:
            errors[field] = [pgettext_lazy("family portal", "This field is required.")]
    if phone:
        try:
            validate_phone(phone)
        except ValidationError as error:
            errors["phone"] = list(error.messages)
    if civility and civility not in Guardian.Civility.values:
        errors["civility"] = [_("Choose Madame or Monsieur, or leave it empty.")]
    if not accept_terms:
        errors["accept_terms"] = [_("You must accept the terms of use to create an account.")]
    User = get_user_model()
    candidate = User(**{User.get_email_field_name(): email})
    candidate.first_name, candidate.last_name = first_name, last_name
    try:
        password_validation.validate_password(password, user=candidate)
    except ValidationError as error:
        errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)

    municipality = Municipality.objects.filter(site=site).first() if site else None
    family, code_outcome = None, ""
    if subscriber_code.strip():
        # Checked before the address, for everybody: the work done must not depend on whether
        # the address already has an account.
        family, code_outcome = _check_signup_code(
            code=subscriber_code,
            email=email,
            municipality=municipality,
            ip_address=ip_address,
            channel=channel,
        )

    existing = find_account(email)
    if existing is not None:
        _queue_existing_account_email(existing, site, portal_url)
        return SignUpResult(created=False)

    try:
        with transaction.atomic():
            user = User(**{User.get_email_field_name(): email})
            if User.USERNAME_FIELD != User.get_email_field_name():
                setattr(user, User.USERNAME_FIELD, _free_username(User, email))
            user.first_name, user.last_name = first_name, last_name
            user.is_active = False
            user.set_password(password)
            user.save()
            now = timezone.now()
            # Saving the user made a profile for an account "created outside the portal"
            # (signals.py): this one is the portal's, waiting for its activation.
            profile, _created = AccountProfile.objects.update_or_create(
                user=user,
                defaults={
                    "civility": civility,
                    "phone": phone,
                    "municipality": municipality,
                    "created_at": now,
                    "terms_accepted_at": now,
                    "activation_sent_at": None,
                    "activated_at": None,
                    "pending_family": family,
                    "signup_code_outcome": code_outcome,
                },
            )
            _queue_activation(profile, site, portal_url)
    except IntegrityError:
        # The same address signed up twice at the same instant: the other one won.
        return SignUpResult(created=False)
    return SignUpResult(created=True, user=user)


def _check_signup_code(*, code, email, municipality, ip_address, channel):
    """The family of a code typed at sign-up, and what the check gave; never an error.

    ``subscriptions.find_family`` logs the attempt and applies the limits as for any code; only
    the activation e-mail, read by whoever holds the address, tells the result.
    """
    SignupCode = AccountProfile.SignupCode
    try:
        family = subscriptions.find_family(
            code=code,
            user=None,
            email=email,
            municipality=municipality,
            ip_address=ip_address,
            channel=channel,
        )
    except subscriptions.TooManyAttempts:
        return None, SignupCode.NOT_CHECKED
    except subscriptions.SubscriptionError:
        return None, SignupCode.NOT_RECOGNISED
    return family, SignupCode.FOUND


def signup_code_email_notice(profile: AccountProfile) -> tuple[str, str] | None:
    """The block of the activation e-mail saying what the sign-up code gave (title, text)."""
    SignupCode = AccountProfile.SignupCode
    outcome = profile.signup_code_outcome
    if outcome == SignupCode.FOUND and profile.pending_family_id:
        text = gettext(
            "The subscriber code you gave is that of the %(family)s family file: your account "
            "will be linked to it as soon as you activate it."
        ) % {"family": profile.pending_family.name}
    elif outcome == SignupCode.NOT_RECOGNISED:
        text = gettext(
            "The subscriber code you gave was not recognised, so your account is not linked to "
            "a family file. Once your account is activated, log in and add the code printed on "
            "the paperwork the municipality sends you (enrolment letter, invoice) in “Mes "
            "abonnements”."
        )
    elif outcome == SignupCode.NOT_CHECKED:
        text = gettext(
            "The subscriber code you gave could not be checked: too many wrong codes were typed "
            "from your connection lately. Once your account is activated, log in and add it in "
            "“Mes abonnements”."
        )
    else:
        return None
    return gettext("Your subscriber code"), text


def activation_notice(activation: Activation) -> str:
    """What an account just activated is told about its sign-up code ("" when none was typed)."""
    SignupCode = AccountProfile.SignupCode
    if activation.family is not None:
        return gettext("Your account is linked to the %(family)s family file.") % {
            "family": activation.family.name
        }
    if activation.signup_code in (SignupCode.NOT_RECOGNISED, SignupCode.NOT_CHECKED):
        return gettext(
            "The subscriber code you gave at sign-up could not be used: once logged in, add it "
            "in “Mes abonnements”."
        )
    return ""


def _free_username(User, email: str) -> str:
    """The address as username when free (the usual case), otherwise the address and a suffix."""
    field = User._meta.get_field(User.USERNAME_FIELD)
    base = email[: field.max_length]
    username, n = base, 1
    while User._default_manager.filter(**{User.USERNAME_FIELD: username}).exists():
        n += 1
        suffix = f"-{n}"
        username = base[: field.max_length - len(suffix)] + suffix
    return username


def ensure_profile(user) -> AccountProfile:
    """The account's profile, made for an account created outside the portal's sign-up
    (``createsuperuser``, the admin's user form, a host's own sign-up, older accounts).

    Such an account counts as activated from when it joined: the portal's activation link and
    "new link" never open an account that someone else created inactive, or switched off.
    """
    joined = getattr(user, "date_joined", None) or timezone.now()
    # By id: the user object keeps no cached profile that a later update would leave stale.
    profile, _created = AccountProfile.objects.get_or_create(
        user_id=user.pk, defaults={"created_at": joined, "activated_at": joined}
    )
    return profile


def _queue_activation(profile: AccountProfile, site, portal_url: str) -> None:
    profile.activation_sent_at = timezone.now()
    profile.save(update_fields=["activation_sent_at"])
    _queue("send_activation_email", profile.user_id, site, portal_url)


def _queue_existing_account_email(user, site, portal_url: str) -> None:
    profile = ensure_profile(user)
    if profile.awaiting_activation:
        if _may_resend(profile):
            with transaction.atomic():
                _queue_activation(profile, site, portal_url)
    else:
        _queue("send_already_registered_email", user.pk, site, portal_url)


def _may_resend(profile: AccountProfile) -> bool:
    sent = profile.activation_sent_at
    return sent is None or timezone.now() - sent >= RESEND_DELAY


def _queue(task: str, user_id: int, site, portal_url: str) -> None:
    from django_q.tasks import async_task

    args = (user_id, site.pk if site else None, portal_url, get_language())
    transaction.on_commit(lambda: async_task(f"wagtail_family_portal.tasks.{task}", *args))


def resend_activation(*, email: str, site, portal_url: str) -> None:
    """Send a new activation link to an account still waiting for activation.

    Silent in every other case (unknown address, active account, a link sent moments ago), so
    that the page answers the same whatever the address.
    """
    user = find_account(email)
    if user is None:
        return
    profile = ensure_profile(user)
    if profile.awaiting_activation and _may_resend(profile):
        with transaction.atomic():
            _queue_activation(profile, site, portal_url)


def send_activation_by_agent(profile: AccountProfile, *, site, portal_url: str) -> None:
    """An agent sends the activation e-mail again (no delay between two sends)."""
    if not profile.awaiting_activation:
        raise AccountError(_("This account is already active."), code="active")
    with transaction.atomic():
        _queue_activation(profile, site, portal_url)


def _state_hash(user) -> str:
    """Changes when the address changes, so that a link sent to an old address stops working."""
    email = normalise_email(email_address(user))
    return hashlib.sha256(f"{user.pk}:{email}".encode()).hexdigest()[:16]


def make_activation_token(user) -> str:
    """A signed value, wrapped in URL-safe base64 because it goes into a page's path: Wagtail
    serves pages only at paths made of letters, digits, "_" and "-", and signed values hold ":"."""
    signed = signing.dumps({"u": user.pk, "h": _state_hash(user)}, salt=ACTIVATION_SALT)
    return base64.urlsafe_b64encode(signed.encode()).decode().rstrip("=")


def _unwrap(token: str) -> str:
    if ":" in token:  # a bare signed value
        return token
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except ValueError:  # not base64, or not text
        return ""


def check_activation_token(token: str):
    """The account a token designates, if the link is still usable; ``AccountError`` otherwise."""
    User = get_user_model()
    try:
        data = signing.loads(_unwrap(token), salt=ACTIVATION_SALT, max_age=activation_timeout())
    except signing.SignatureExpired:
        raise AccountError(
            _("This activation link has expired. Ask for a new one below."), code="expired"
        ) from None
    except signing.BadSignature:
        raise _invalid_link() from None
    user = (
        User._default_manager.filter(pk=data.get("u")).first() if isinstance(data, dict) else None
    )
    if user is None or data.get("h") != _state_hash(user):
        raise _invalid_link()
    profile = ensure_profile(user)
    if user.is_active or profile.activated_at is not None:
        raise AccountError(
            _("This account is already activated: you can log in."), code="already_active"
        )
    return user


def _invalid_link() -> AccountError:
    return AccountError(
        _(
            "This activation link is not valid. Check that you copied it whole, or ask for a "
            "new one below."
        ),
        code="invalid",
    )


def activate(token: str):
    """Activate the account of an activation link, once, and link the family of its sign-up code.

    The family is usable at once. Raises ``AccountError`` for an expired, used or forged link.
    """
    user = check_activation_token(token)
    User = get_user_model()
    with transaction.atomic():
        user = User._default_manager.select_for_update().get(pk=user.pk)
        profile = AccountProfile.objects.select_for_update().get(user=user)
        if user.is_active or profile.activated_at is not None:
            raise AccountError(
                _("This account is already activated: you can log in."), code="already_active"
            )
        user.is_active = True
        user.save(update_fields=["is_active"])
        profile.activated_at = timezone.now()
        family = profile.pending_family
        profile.pending_family = None
        profile.save(update_fields=["activated_at", "pending_family"])
        if family is not None:
            family = Family.objects.get(pk=family.pk)
            subscriptions.link(user, family, by=user)
    return Activation(user=user, family=family, signup_code=profile.signup_code_outcome)


def issue_token(user) -> str:
    """The account's API token, created on first use."""
    from rest_framework.authtoken.models import Token

    token, _created = Token.objects.get_or_create(user=user)
    return token.key


def set_decision_emails(user, value: str) -> AccountProfile:
    """The account's choice of e-mails about decisions (digest or none); the profile is created
    for an account that has none yet. Receipts of requests are sent whatever the choice."""
    if value not in AccountProfile.DecisionEmails.values:
        raise ValueError(value)
    profile = ensure_profile(user)
    if profile.decision_emails != value:
        profile.decision_emails = value
        profile.save(update_fields=["decision_emails"])
    return profile
