"""The family file (dossier famille): family, guardians, children and what hangs off them."""

import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from .. import clock
from ..fields import PhoneField, optional_link
from ..storage import private_storage
from ..validators import normalise_iban, validate_bic, validate_hex_colour, validate_iban
from .municipality import ScopedQuerySet, scoped_manager

# No 0/O, 1/I/L: a parent copying the code from paper cannot confuse two characters.
SUBSCRIBER_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SUBSCRIBER_CODE_LENGTH = 12

CHILD_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"]


def normalise_subscriber_code(code: str) -> str:
    """The form codes are compared in: upper-case, without spaces or dashes."""
    return re.sub(r"[\s\-]+", "", code or "").upper()


def generate_subscriber_code() -> str:
    """A random code such as ``K7QM-XW3P-9TDA`` (31¹² ≈ 7.9·10¹⁷ possibilities)."""
    raw = "".join(secrets.choice(SUBSCRIBER_CODE_ALPHABET) for _ in range(SUBSCRIBER_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, SUBSCRIBER_CODE_LENGTH, 4))


class Address(models.Model):
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(
        _("postcode"),
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("A French postcode has five digits."))],
    )
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        abstract = True

    @property
    def postal_address(self) -> str:
        lines = [self.address_line1, self.address_line2, f"{self.postcode} {self.city}".strip()]
        return "\n".join(line for line in lines if line)


class FamilyQuerySet(ScopedQuerySet):
    def for_account(self, user):
        """Families the account is subscribed to: the only ones a family-side view may show.

        The one family-side scoping rule. The planning API's fast path,
        ``planning.account_family``, says it again in SQL: tests/test_scoping.py compares the
        two on every shape of account and subscription, and fails when one changes alone.
        """
        if not user.is_authenticated:
            return self.none()
        return self.filter(subscriptions__user=user)

    def on_portal(self, municipality):
        """The families a town's portal shows: that town's when its site is tied to one
        (``municipality``), all of them otherwise. An account linked to families of two towns
        sees each on its own town's portal; the API, which belongs to no town, shows both."""
        return self if municipality is None else self.filter(municipality=municipality)

    def account_family(self, user, family_id, *, municipality=None):
        """The account's family ``family_id`` (on ``municipality``'s portal, when given), or
        None: where every family-side page and endpoint of one family starts."""
        return self.for_account(user).on_portal(municipality).filter(pk=family_id).first()


class Family(ClusterableModel, Address):
    municipality = models.ForeignKey(
        "wagtail_family_portal.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="families",
    )
    name = models.CharField(_("family name"), max_length=150)
    subscriber_code = models.CharField(
        _("subscriber code"),
        max_length=40,
        blank=True,
        help_text=_(
            "Secret code printed on the family's paperwork; it links an account to this file. "
            "Left empty, a random code is generated."
        ),
    )
    subscriber_key = models.CharField(max_length=40, unique=True, editable=False, blank=True)
    calendar_token = models.CharField(
        _("calendar feed secret"),
        max_length=64,
        blank=True,
        editable=False,
        db_index=True,
        help_text=_("Secret part of the family's calendar (.ics) address; empty: no feed yet."),
    )
    family_quotient = models.DecimalField(
        _("family quotient (QF)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    quotient_year = models.PositiveSmallIntegerField(
        _("QF reference year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
    )
    lives_outside = models.BooleanField(
        _("lives outside the municipality"),
        default=False,
        help_text=_("Price grids may charge families living outside the municipality more."),
    )
    caf_number = models.CharField(
        _("CAF allocataire number"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^\d{4,20}$", _("A CAF number has only digits."))],
    )
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), auto_now_add=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.subscriber_code:
            self.subscriber_code = self._unused_code()
        self.subscriber_key = normalise_subscriber_code(self.subscriber_code)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if not self.subscriber_code:
            return
        key = normalise_subscriber_code(self.subscriber_code)
        if len(key) < SUBSCRIBER_CODE_LENGTH:
            raise ValidationError(
                {
                    "subscriber_code": _(
                        "A subscriber code has at least %(length)d letters or digits."
                    )
                    % {"length": SUBSCRIBER_CODE_LENGTH}
                }
            )
        clash = Family.objects.filter(subscriber_key=key).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError(
                {"subscriber_code": _("This subscriber code is already used by another family.")}
            )

    @staticmethod
    def _unused_code() -> str:
        while True:
            code = generate_subscriber_code()
            if not Family.objects.filter(subscriber_key=normalise_subscriber_code(code)).exists():
                return code

    def regenerate_calendar_token(self) -> str:
        """A new secret for the family's calendar feed; the old address stops working."""
        self.calendar_token = secrets.token_urlsafe(24)
        self.save(update_fields=["calendar_token", "updated_at"])
        return self.calendar_token

    def regenerate_subscriber_code(self) -> str:
        """Give the family a new code; the old one stops working at once."""
        self.subscriber_code = self._unused_code()
        self.save(update_fields=["subscriber_code", "subscriber_key", "updated_at"])
        return self.subscriber_code


class Guardian(Address):
    class Civility(models.TextChoices):
        MR = "M", _("Mr")
        MRS = "MME", _("Mrs")

    class Relation(models.TextChoices):
        MOTHER = "mother", _("mother")
        FATHER = "father", _("father")
        LEGAL_GUARDIAN = "guardian", _("legal guardian")
        GRANDPARENT = "grandparent", _("grandparent")
        OTHER = "other", _("other")

    family = ParentalKey(
        Family, verbose_name=_("family"), on_delete=models.CASCADE, related_name="guardians"
    )
    civility = models.CharField(_("civility"), max_length=3, choices=Civility.choices)
    last_name = models.CharField(pgettext_lazy("family portal", "last name"), max_length=100)
    first_name = models.CharField(pgettext_lazy("family portal", "first name"), max_length=100)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    mobile_phone = PhoneField(_("mobile phone"), blank=True)
    home_phone = PhoneField(_("home phone"), blank=True)
    work_phone = PhoneField(_("work phone"), blank=True)
    same_address_as_family = models.BooleanField(_("same address as the family"), default=True)
    profession = models.CharField(_("profession"), max_length=100, blank=True)
    employer = models.CharField(_("employer"), max_length=150, blank=True)
    relation = models.CharField(
        _("relation to the children"), max_length=20, choices=Relation.choices
    )
    iban = models.CharField(_("IBAN"), max_length=42, blank=True, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    account_holder = models.CharField(_("account holder"), max_length=150, blank=True)

    objects = scoped_manager("family__municipality")

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["family", "pk"]

    def __str__(self):
        return f"{self.get_civility_display()} {self.first_name} {self.last_name}"

    def clean(self):
        super().clean()
        self.iban = normalise_iban(self.iban)
        self.bic = (self.bic or "").replace(" ", "").upper()
        if self.birth_date and self.birth_date > clock.today():
            raise ValidationError({"birth_date": _("A birth date cannot be in the future.")})
        if not self.same_address_as_family and not (self.address_line1 and self.city):
            raise ValidationError(
                {"address_line1": _("Give the guardian's address, or tick “same address”.")}
            )

    @property
    def effective_address(self) -> str:
        return self.family.postal_address if self.same_address_as_family else self.postal_address


class Child(ClusterableModel):
    class Sex(models.TextChoices):
        FEMALE = "F", _("girl")
        MALE = "M", _("boy")

    class ClassLevel(models.TextChoices):
        NONE = "", _("not at school")
        PS = "PS", _("PS (petite section)")
        MS = "MS", _("MS (moyenne section)")
        GS = "GS", _("GS (grande section)")
        CP = "CP", "CP"
        CE1 = "CE1", "CE1"
        CE2 = "CE2", "CE2"
        CM1 = "CM1", "CM1"
        CM2 = "CM2", "CM2"
        OTHER = "other", _("other")

    family = ParentalKey(
        Family, verbose_name=_("family"), on_delete=models.CASCADE, related_name="children"
    )
    first_name = models.CharField(pgettext_lazy("family portal", "first name"), max_length=100)
    last_name = models.CharField(pgettext_lazy("family portal", "last name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    establishment = optional_link(
        "wagtail_family_portal.Establishment",
        _("school"),
        related_name="pupils",
    )
    class_level = models.CharField(
        _("class level"), max_length=5, choices=ClassLevel.choices, blank=True
    )
    # Stored privately (no public URL): served only to the family's accounts and the agents.
    photo = models.ImageField(
        _("photo"), upload_to="family_portal/children/", storage=private_storage, blank=True
    )
    colour = models.CharField(
        _("planning colour"),
        max_length=7,
        blank=True,
        validators=[validate_hex_colour],
        help_text=_("Colour of this child in the planning, as #RRGGBB. Left empty, one is chosen."),
    )
    photo_rights = models.BooleanField(_("may be photographed"), default=False)
    may_leave_alone = models.BooleanField(_("may leave alone"), default=False)
    transport_allowed = models.BooleanField(_("may use the transport"), default=False)
    emergency_care_allowed = models.BooleanField(_("emergency care authorised"), default=False)

    objects = scoped_manager("family__municipality")

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["family", "birth_date", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs):
        if not self.colour:
            self.colour = self._free_colour()
        super().save(*args, **kwargs)

    def health_or_defaults(self) -> "ChildHealth":
        """The child's health information; an unsaved one, with the defaults as its values,
        when none was given yet (the pages, the API and the agents' screens show it alike)."""
        try:
            return self.health
        except ChildHealth.DoesNotExist:
            return ChildHealth(child=self)

    def _free_colour(self) -> str:
        """The first planning colour no sibling has (they repeat beyond seven children).

        The siblings are read from the database, never through ``self.family.children``: while
        the admin saves a family with its inline children, django-modelcluster's relation holds
        them in memory, where only some lookups work, and saves them one by one.
        """
        if not self.family_id:
            return CHILD_COLOURS[0]
        siblings = Child.objects.filter(family_id=self.family_id).exclude(pk=self.pk)
        used = set(siblings.values_list("colour", flat=True))
        free = [colour for colour in CHILD_COLOURS if colour not in used]
        return free[0] if free else CHILD_COLOURS[len(used) % len(CHILD_COLOURS)]

    def _family_or_none(self):
        """The family, also when it is not saved yet (a child added with a new family)."""
        try:
            return self.family
        except Family.DoesNotExist:
            return None

    def clean(self):
        super().clean()
        if self.birth_date and self.birth_date > clock.today():
            raise ValidationError({"birth_date": _("A birth date cannot be in the future.")})
        family = self._family_or_none()
        if (
            self.establishment_id
            and family is not None
            and family.municipality_id is not None
            and self.establishment.municipality_id != family.municipality_id
        ):
            raise ValidationError(
                {"establishment": _("This school belongs to another municipality.")}
            )


class ChildHealth(models.Model):
    """Health information: sensitive, kept apart so that reading it can be permissioned."""

    child = models.OneToOneField(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="health"
    )
    allergies = models.TextField(_("allergies"), blank=True)
    diet = models.CharField(
        _("diet"),
        max_length=200,
        blank=True,
        help_text=_("e.g. no pork, vegetarian, gluten-free"),
    )
    has_care_plan = models.BooleanField(_("individual care plan (PAI)"), default=False)
    care_plan_details = models.TextField(_("care plan details"), blank=True)
    doctor_name = models.CharField(_("doctor"), max_length=150, blank=True)
    doctor_phone = PhoneField(_("doctor's phone"), blank=True)
    vaccinations_up_to_date = models.BooleanField(_("vaccinations up to date"), default=False)
    vaccination_notes = models.TextField(_("vaccinations"), blank=True)

    objects = scoped_manager("child__family__municipality")

    class Meta:
        verbose_name = _("health information")
        verbose_name_plural = _("health information")

    def __str__(self):
        return str(self.child)


class AuthorisedContact(models.Model):
    child = ParentalKey(
        Child,
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="authorised_contacts",
    )
    last_name = models.CharField(pgettext_lazy("family portal", "last name"), max_length=100)
    first_name = models.CharField(pgettext_lazy("family portal", "first name"), max_length=100)
    phone = PhoneField(_("phone"))
    relation = models.CharField(_("relation to the child"), max_length=100, blank=True)
    may_pick_up = models.BooleanField(_("may pick the child up"), default=True)

    objects = scoped_manager("child__family__municipality")

    class Meta:
        verbose_name = _("authorised contact")
        verbose_name_plural = _("authorised contacts")
        ordering = ["child", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class SubscriptionQuerySet(ScopedQuerySet):
    municipality_path = "family__municipality"

    def for_account(self, user):
        """The account's own links to family files: what ``Family.objects.for_account`` follows."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def listed(self):
        """As "Mes abonnements" lists them (pages and API): by family name, with each family's
        town, in one query."""
        return self.select_related("family__municipality").order_by("family__name", "family__pk")


class Subscription(models.Model):
    """The link between an account and a family file ("Mes abonnements")."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("family portal", "account"),
        on_delete=models.CASCADE,
        related_name="family_subscriptions",
    )
    family = models.ForeignKey(
        Family, verbose_name=_("family"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    created_at = models.DateTimeField(_("linked at"), default=timezone.now)
    created_by = optional_link(
        settings.AUTH_USER_MODEL,
        _("linked by"),
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["user", "family"], name="wfp_unique_subscription")
        ]

    def __str__(self):
        return f"{self.user} → {self.family}"
