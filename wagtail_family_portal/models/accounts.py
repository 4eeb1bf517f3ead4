"""Family accounts: what the portal keeps about an account, and the log of subscriber codes tried.

The account itself is the host project's ``AUTH_USER_MODEL``; ``AccountProfile`` holds what a
French family portal needs on top of it (civility, phone, terms, activation) without asking the
host for a custom user model.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..fields import PhoneField, optional_link
from .families import Family, Guardian
from .municipality import Municipality, ScopedQuerySet, scoped_manager, sees_every_municipality


class AccountProfileQuerySet(ScopedQuerySet):
    def for_agent(self, user):
        """Accounts an agent may see: signed up on their portal, or linked to one of their families.

        An account belongs to no municipality by itself (a grandparent may hold families of two
        towns); each town's agents see it as soon as it concerns them.
        """
        if sees_every_municipality(user):
            return self.all()
        municipalities = Municipality.objects.for_agent(user)
        linked = AccountProfile.objects.filter(
            user__family_subscriptions__family__municipality__in=municipalities
        ).values("pk")
        return self.filter(Q(municipality__in=municipalities) | Q(pk__in=linked))


class AccountProfile(models.Model):
    """A family account's portal data: identity details, terms, activation and pending link."""

    class DecisionEmails(models.TextChoices):
        DIGEST = "digest", _("a summary at set times of the day")
        NONE = "none", _("no e-mail")

    class SignupCode(models.TextChoices):
        """What the subscriber code typed at sign-up gave; the page and the API answer the same
        whatever it is, and the activation e-mail tells the family."""

        FOUND = "found", _("family found, linked on activation")
        NOT_RECOGNISED = "not_recognised", _("code not recognised")
        NOT_CHECKED = "not_checked", _("not checked: too many wrong codes")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("family portal", "account"),
        on_delete=models.CASCADE,
        related_name="family_portal_profile",
    )
    civility = models.CharField(
        _("civility"), max_length=5, choices=Guardian.Civility.choices, blank=True
    )
    phone = PhoneField(_("phone"), blank=True)
    municipality = optional_link(
        Municipality,
        _("signed up on the portal of"),
        related_name="accounts",
    )
    created_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    activation_sent_at = models.DateTimeField(_("activation e-mail sent at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    pending_family = optional_link(
        Family,
        _("family to link on activation"),
        help_text=_("The family of the subscriber code given at sign-up."),
    )
    signup_code_outcome = models.CharField(
        _("subscriber code given at sign-up"),
        max_length=20,
        choices=SignupCode.choices,
        blank=True,
        help_text=_("Empty when no code was typed. The activation e-mail tells the family."),
    )
    decision_emails = models.CharField(
        _("e-mails about decisions"),
        max_length=10,
        choices=DecisionEmails.choices,
        default=DecisionEmails.DIGEST,
        help_text=_("Receipts of requests are always sent."),
    )

    objects = AccountProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("family account")
        verbose_name_plural = _("family accounts")
        ordering = ["-created_at"]

    def __str__(self):
        return self.user.get_username()

    @property
    def awaiting_activation(self) -> bool:
        return self.activated_at is None and not self.user.is_active


class SubscriptionAttempt(models.Model):
    """One subscriber code tried by an account or a visitor, kept for the agents and the limits."""

    class Outcome(models.TextChoices):
        FOUND = "found", _("family found")
        LINKED = "linked", _("family linked")
        ALREADY_LINKED = "already_linked", _("family already linked")
        NOT_RECOGNISED = "not_recognised", _("code not recognised")
        OTHER_MUNICIPALITY = "other_municipality", _("code of another municipality")
        BLOCKED = "blocked", _("refused: too many wrong codes")

    WRONG = (Outcome.NOT_RECOGNISED, Outcome.OTHER_MUNICIPALITY)

    class Channel(models.TextChoices):
        PORTAL = "portal", _("portal")
        SIGNUP = "signup", _("sign-up form")
        API = "api", _("API")

    created_at = models.DateTimeField(_("tried at"), default=timezone.now, db_index=True)
    user = optional_link(
        settings.AUTH_USER_MODEL,
        pgettext_lazy("family portal", "account"),
    )
    email = models.CharField(_("e-mail address"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(
        pgettext_lazy("family portal", "IP address"), null=True, blank=True
    )
    code = models.CharField(_("code entered"), max_length=64, blank=True)
    family = optional_link(
        Family,
        _("family"),
    )
    municipality = optional_link(
        Municipality,
        _("portal of"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)

    objects = scoped_manager("municipality")

    class Meta:
        verbose_name = _("subscriber code attempt")
        verbose_name_plural = _("subscriber code attempts")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="wfp_attempt_user_idx"),
            models.Index(fields=["ip_address", "created_at"], name="wfp_attempt_ip_idx"),
        ]

    def __str__(self):
        return f"{self.code} ({self.get_outcome_display()})"
