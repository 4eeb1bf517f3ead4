"""Billing (Espace Facturation): régies, price grids, billing runs, invoices, payments, SEPA.

A ``BillingOffice`` (régie) of a municipality bills the activities tied to it. Each activity has
``PriceGrid`` rows valid between dates: family-quotient bands (``PriceBand``) or an effort rate
on the QF, with the billing rules of the activity (late absences, no-shows, presence without a
booking). A ``BillingRun`` computes, for a period, one draft ``Invoice`` per family with its
``InvoiceLine`` rows; issuing the run numbers them (``InvoiceSequence``: gap-free per régie and
year, under a row lock) and freezes them. Money received is a ``Payment``, split over invoices
by ``PaymentAllocation``; what is not allocated is the family's credit. Online payments are
``OnlinePayment`` transactions with their ``OnlinePaymentEvent`` log; direct debits need a
``DirectDebitMandate`` and are gathered in a ``DirectDebitBatch`` (a pain.008 file).

Every amount is a ``Decimal`` with two places; the rounding rule is ``money()``'s: half-up to
the cent per line, totals summed from rounded lines.
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from .. import clock
from ..fields import optional_link
from ..storage import private_storage
from ..validators import normalise_iban, validate_bic, validate_iban
from .municipality import ScopedQuerySet, scoped_manager

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    """``value`` rounded half-up to the cent: the one rounding of the billing."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def amount_field(verbose_name, **kwargs):
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)


class BillingOffice(models.Model):
    """A régie: the office that issues the invoices of some activities and receives payments."""

    class PaymentBackend(models.TextChoices):
        NONE = "", _("no online payment")
        DUMMY = "dummy", _("test backend (no real money)")
        TIPI = "tipi", _("PayFiP (DGFiP)")
        SYSTEMPAY = "systempayv2", _("Systempay")
        PAYZEN = "payzen", _("PayZen")
        PAYBOX = "paybox", _("Paybox")
        MOLLIE = "mollie", _("Mollie")

    municipality = models.ForeignKey(
        "wagtail_family_portal.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="billing_offices",
    )
    name = models.CharField(
        pgettext_lazy("family portal", "name"),
        max_length=150,
        help_text=_("e.g. Régie enfance-restauration"),
    )
    code = models.CharField(
        _("code"),
        max_length=20,
        help_text=_("Short code of the régie, printed on its documents, e.g. ENF."),
    )
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^\d{14}$", _("A SIRET number has fourteen digits."))],
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("days to pay"),
        default=30,
        validators=[MaxValueValidator(120)],
        help_text=_("The due date is this many days after the issue date."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder after (days)"),
        default=10,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "A reminder e-mail is sent this many days after the due date of an unpaid invoice; "
            "0 sends none."
        ),
    )
    payment_instructions = models.TextField(
        _("payment instructions"),
        blank=True,
        help_text=_("Printed on each invoice, e.g. where to send a cheque and to whose order."),
    )
    footer = models.TextField(
        _("invoice footer"),
        blank=True,
        help_text=_("Printed at the foot of every page, e.g. the legal notices of the régie."),
    )
    # Online payment (eopayment). Secrets never sit in a plain field: ``payment_secrets_env``
    # names an environment variable holding them as JSON.
    payment_backend = models.CharField(
        _("online payment service"),
        max_length=20,
        choices=PaymentBackend.choices,
        blank=True,
        default="",
    )
    payment_options = models.JSONField(
        _("online payment options"),
        default=dict,
        blank=True,
        help_text=_(
            'Options of the service that are not secret, e.g. {"numcli": "012345"} for '
            "PayFiP. Secrets go in the environment variable below."
        ),
    )
    payment_secrets_env = models.CharField(
        _("environment variable with the secrets"),
        max_length=100,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z_][A-Z0-9_]*$",
                _("An environment variable name has capitals, digits and underscores."),
            )
        ],
        help_text=_(
            "Name of an environment variable of the server holding the service's secret options "
            'as JSON, e.g. FAMILY_PORTAL_PAYFIP_ENF = {"secret": "…"}.'
        ),
    )
    # SEPA direct debit: the creditor (the régie or the treasury that collects).
    creditor_name = models.CharField(_("SEPA creditor name"), max_length=70, blank=True)
    creditor_identifier = models.CharField(
        _("SEPA creditor identifier (ICS)"),
        max_length=35,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z]{2}\d{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$",
                _("A creditor identifier looks like FR12ZZZ123456."),
            )
        ],
    )
    creditor_iban = models.CharField(
        _("SEPA creditor IBAN"), max_length=42, blank=True, validators=[validate_iban]
    )
    creditor_bic = models.CharField(
        _("SEPA creditor BIC"), max_length=11, blank=True, validators=[validate_bic]
    )
    debit_days_after_issue = models.PositiveSmallIntegerField(
        _("direct debit: days after issue"),
        default=10,
        validators=[MinValueValidator(2), MaxValueValidator(60)],
        help_text=_("The collection date of a run's direct debits, counted from its issue date."),
    )

    objects = scoped_manager("municipality")

    class Meta:
        verbose_name = _("régie")
        verbose_name_plural = _("régies")
        ordering = ["municipality", "name"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="wfp_unique_office_code")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        self.creditor_iban = normalise_iban(self.creditor_iban)
        self.creditor_bic = (self.creditor_bic or "").replace(" ", "").upper()
        if self.payment_backend and self.payment_backend != self.PaymentBackend.DUMMY:
            if not self.payment_secrets_env:
                raise ValidationError(
                    {
                        "payment_secrets_env": _(
                            "Name the environment variable that holds the service's secrets."
                        )
                    }
                )

    @property
    def accepts_direct_debit(self) -> bool:
        return bool(self.creditor_identifier and self.creditor_iban and self.creditor_name)


class PriceGridQuerySet(ScopedQuerySet):
    municipality_path = "activity__establishment__municipality"

    def valid_on(self, day: dt.date):
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day)
        )


class PriceGrid(ClusterableModel):
    """The prices of an activity between two dates, and the rules its days are billed by."""

    class Method(models.TextChoices):
        BANDS = "bands", _("family-quotient bands")
        EFFORT_RATE = "effort_rate", _("effort rate on the family quotient")

    class Unit(models.TextChoices):
        BOOKED_DAY = "booked_day", _("per day booked")
        ATTENDED_DAY = "attended_day", _("per day attended")
        MONTHLY = "monthly", _("flat monthly fee")

    activity = models.ForeignKey(
        "wagtail_family_portal.Activity",
        verbose_name=_("activity"),
        on_delete=models.CASCADE,
        related_name="price_grids",
    )
    billing_office = models.ForeignKey(
        BillingOffice,
        verbose_name=_("régie"),
        on_delete=models.PROTECT,
        related_name="price_grids",
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    method = models.CharField(
        _("pricing"), max_length=20, choices=Method.choices, default=Method.BANDS
    )
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices, default=Unit.BOOKED_DAY)
    effort_rate = models.DecimalField(
        _("effort rate (% of the QF)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("e.g. 0.5 for a price of 0.5 % of the family quotient."),
    )
    minimum_price = amount_field(
        _("minimum price"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    maximum_price = amount_field(
        _("maximum price"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    outside_price_increase = models.DecimalField(
        _("increase outside the municipality (%)"),
        max_digits=6,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Families living outside the municipality pay this much more, unless a band gives "
            "its own outside price."
        ),
    )
    second_child_reduction = models.DecimalField(
        _("reduction for the second child (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    third_child_reduction = models.DecimalField(
        _("reduction from the third child (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    bill_late_absences = models.BooleanField(
        _("bill absences reported after the deadline"),
        default=True,
        help_text=_("Unless the absence is justified (e.g. a medical certificate)."),
    )
    bill_no_shows = models.BooleanField(
        _("bill booked days the child did not come"),
        default=True,
        help_text=_("Unless the absence is justified."),
    )
    unbooked_surcharge = amount_field(
        _("surcharge for presence without a booking"),
        default=ZERO,
        validators=[MinValueValidator(0)],
        help_text=_("Added to the day's price when a child came without being booked."),
    )

    objects = PriceGridQuerySet.as_manager()

    class Meta:
        verbose_name = _("price grid")
        verbose_name_plural = _("price grids")
        ordering = ["activity", "-valid_from"]
        indexes = [models.Index(fields=["activity", "valid_from"], name="wfp_grid_valid_idx")]

    def __str__(self):
        until = self.valid_until.isoformat() if self.valid_until else "…"
        return f"{self.activity} {self.valid_from.isoformat()} → {until}"

    def clean(self):
        super().clean()
        errors = {}
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            errors["valid_until"] = _("A grid cannot end before it starts.")
        if self.method == self.Method.EFFORT_RATE and self.effort_rate is None:
            errors["effort_rate"] = _("An effort rate needs its percentage.")
        if (
            self.minimum_price is not None
            and self.maximum_price is not None
            and self.maximum_price < self.minimum_price
        ):
            errors["maximum_price"] = _("The maximum price cannot be below the minimum.")
        if self.activity_id and self.billing_office_id:
            office_town = BillingOffice.objects.filter(pk=self.billing_office_id).values_list(
                "municipality_id", flat=True
            )
            if self.activity.establishment.municipality_id not in office_town:
                errors["billing_office"] = _(
                    "The régie must belong to the activity's municipality."
                )
        if self.activity_id and self.valid_from:
            overlapping = PriceGrid.objects.filter(activity_id=self.activity_id).exclude(pk=self.pk)
            if self.valid_until:
                overlapping = overlapping.filter(valid_from__lte=self.valid_until)
            overlapping = overlapping.filter(
                models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=self.valid_from)
            )
            if overlapping.exists():
                errors["valid_from"] = _(
                    "Another price grid of this activity is valid on some of these dates."
                )
        if errors:
            raise ValidationError(errors)


class PriceBand(models.Model):
    """One family-quotient band of a grid: families whose QF is in [``quotient_min``,
    ``quotient_max``] pay ``price`` (``outside_price`` when they live outside the town)."""

    grid = ParentalKey(
        PriceGrid, verbose_name=_("price grid"), on_delete=models.CASCADE, related_name="bands"
    )
    label = models.CharField(
        pgettext_lazy("family portal", "label"), max_length=50, help_text=_("e.g. tranche 2")
    )
    quotient_min = models.DecimalField(
        _("QF from"), max_digits=8, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    quotient_max = models.DecimalField(
        _("QF up to"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Empty for the last band (no upper limit)."),
    )
    price = amount_field(_("price"), validators=[MinValueValidator(0)])
    outside_price = amount_field(
        _("price outside the municipality"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    for_missing_quotient = models.BooleanField(
        _("band of families without a QF"),
        default=False,
        help_text=_("Families whose QF is not known pay this band (the highest one otherwise)."),
    )

    class Meta:
        verbose_name = _("price band")
        verbose_name_plural = _("price bands")
        ordering = ["grid", "quotient_min"]

    def __str__(self):
        return self.label

    def contains(self, quotient: Decimal) -> bool:
        if quotient < self.quotient_min:
            return False
        return self.quotient_max is None or quotient <= self.quotient_max


def check_bands(bands) -> list[str]:
    """The errors of a grid's bands taken together (gaps, overlaps, an open band not last, two
    bands for families without a QF), as translated sentences; an empty list when they hold."""
    errors = []
    ordered = sorted(bands, key=lambda band: band.quotient_min)
    if not ordered:
        return [str(_("A grid by family quotient needs at least one band."))]
    if ordered[0].quotient_min != 0:
        errors.append(str(_("The first band must start at a QF of 0.")))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.quotient_max is None:
            errors.append(str(_("Only the last band may have no upper limit.")))
            break
        if after.quotient_min > before.quotient_max + CENT:
            errors.append(
                str(_("There is a gap between the bands “%(a)s” and “%(b)s”."))
                % {"a": before.label, "b": after.label}
            )
        elif after.quotient_min <= before.quotient_max:
            errors.append(
                str(_("The bands “%(a)s” and “%(b)s” overlap."))
                % {"a": before.label, "b": after.label}
            )
    if ordered[-1].quotient_max is not None:
        errors.append(str(_("The last band must have no upper limit.")))
    for band in ordered:
        if band.quotient_max is not None and band.quotient_max < band.quotient_min:
            errors.append(str(_("The band “%(a)s” ends before it starts.")) % {"a": band.label})
    if sum(1 for band in ordered if band.for_missing_quotient) > 1:
        errors.append(str(_("Only one band can be the band of families without a QF.")))
    return errors


class BillingRun(models.Model):
    """The billing of a period by a régie: computed as drafts, reviewed, issued in one step."""

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("family portal", "draft")
        ISSUED = "issued", _("issued")

    billing_office = models.ForeignKey(
        BillingOffice, verbose_name=_("régie"), on_delete=models.PROTECT, related_name="runs"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    label = models.CharField(
        pgettext_lazy("family portal", "label"),
        max_length=100,
        blank=True,
        help_text=_("e.g. Novembre 2026; the period is used when left empty."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), default=timezone.now
    )
    created_by = optional_link(settings.AUTH_USER_MODEL, _("created by"))
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = optional_link(settings.AUTH_USER_MODEL, _("issued by"))
    # Figures of the last computation, for the list of runs.
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    total_amount = amount_field(_("total"), default=ZERO)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)

    objects = scoped_manager("billing_office__municipality")

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        ordering = ["-period_start", "-pk"]

    def __str__(self):
        return self.label or f"{self.billing_office} {self.period_start} → {self.period_end}"

    def clean(self):
        super().clean()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period cannot end before it starts.")})
        if (
            self.period_start
            and self.period_end
            and (self.period_end - self.period_start).days > 92
        ):
            raise ValidationError({"period_end": _("A billing run covers at most three months.")})

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT


class InvoiceSequence(models.Model):
    """The last number given by a régie in a year, for invoices (credit notes included) or
    payments: the row locked while numbers are handed out, so that they are gap-free."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoices")
        PAYMENT = "payment", _("payments")

    billing_office = models.ForeignKey(
        BillingOffice, on_delete=models.CASCADE, related_name="sequences"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("numbering sequence")
        verbose_name_plural = _("numbering sequences")
        constraints = [
            models.UniqueConstraint(
                fields=["billing_office", "kind", "year"], name="wfp_unique_sequence"
            )
        ]

    def __str__(self):
        return f"{self.billing_office} {self.kind} {self.year}: {self.last_number}"


class InvoiceQuerySet(ScopedQuerySet):
    municipality_path = "billing_office__municipality"

    def issued(self):
        return self.filter(state=Invoice.State.ISSUED)

    def for_account(self, user):
        """The invoices of the account's families a family-side page may show: issued ones and
        those a credit note cancelled since (read "annulée"); never a draft."""
        from .families import Family

        return self.exclude(state=Invoice.State.DRAFT).filter(
            family__in=Family.objects.for_account(user)
        )

    def with_balance(self):
        return self.annotate(
            allocated=models.functions.Coalesce(
                models.Sum(
                    "allocations__amount", filter=models.Q(allocations__payment__rejected=False)
                ),
                models.Value(ZERO),
                output_field=models.DecimalField(max_digits=12, decimal_places=2),
            )
        )

    def to_pay(self):
        """Issued invoices (not credit notes) whose balance is above zero."""
        return self.issued().filter(kind=Invoice.Kind.INVOICE, total__gt=models.F("paid_amount"))


class Invoice(models.Model):
    """An invoice (or a credit note) of a régie to a family. A draft belongs to its run and is
    recomputed freely; once issued it is frozen: names, address and prices are a snapshot, and
    only its payments change (``paid_amount`` follows them)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", pgettext_lazy("family portal", "invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    class State(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("family portal", "draft")
        ISSUED = "issued", _("issued")
        CANCELLED = "cancelled", _("cancelled")

    class Status(models.TextChoices):
        """What a family reads: computed from the state, the balance and the due date."""

        DRAFT = "draft", pgettext_lazy("family portal", "draft")
        TO_PAY = "to_pay", _("to pay")
        PARTIALLY_PAID = "partially_paid", _("partially paid")
        PAID = "paid", _("paid")
        OVERDUE = "overdue", _("overdue")
        CANCELLED = "cancelled", _("cancelled")
        CREDIT_NOTE = "credit_note", _("credit note")

    billing_office = models.ForeignKey(
        BillingOffice, verbose_name=_("régie"), on_delete=models.PROTECT, related_name="invoices"
    )
    family = models.ForeignKey(
        "wagtail_family_portal.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    run = models.ForeignKey(
        BillingRun,
        verbose_name=_("billing run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invoices",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrected invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    number = models.CharField(pgettext_lazy("family portal", "number"), max_length=30, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    total = amount_field(_("amount"), default=ZERO)
    paid_amount = amount_field(_("paid"), default=ZERO)
    # The snapshot printed on the invoice.
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    addressee = models.CharField(_("addressee"), max_length=250, blank=True)
    address = models.TextField(_("address"), blank=True)
    family_quotient = models.DecimalField(
        _("family quotient (QF)"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    quotient_year = models.PositiveSmallIntegerField(_("QF reference year"), null=True, blank=True)
    lives_outside = models.BooleanField(_("lives outside the municipality"), default=False)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    direct_debit = models.BooleanField(
        _("paid by direct debit"),
        default=False,
        help_text=_("The family had an active mandate when the invoice was issued."),
    )
    debit_date = models.DateField(_("direct debit date"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why a credit note was made."))
    pdf = models.FileField(
        _("PDF"), storage=private_storage, upload_to="invoices/%Y/", blank=True, editable=False
    )
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), default=timezone.now
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("family notified at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("family portal", "invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-sequence", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["billing_office", "year", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="wfp_unique_invoice_number",
            ),
            models.UniqueConstraint(
                fields=["run", "family"],
                condition=models.Q(run__isnull=False),
                name="wfp_one_invoice_per_run_family",
            ),
        ]
        indexes = [
            models.Index(fields=["family", "state"], name="wfp_invoice_family_idx"),
            models.Index(fields=["state", "due_date"], name="wfp_invoice_due_idx"),
        ]

    def __str__(self):
        return self.number or str(_("draft invoice of %(family)s")) % {"family": self.family_name}

    # What an issued invoice never changes: only its payments, PDF and e-mail dates do.
    FROZEN_FIELDS = (
        "billing_office_id",
        "family_id",
        "run_id",
        "kind",
        "corrects_id",
        "number",
        "year",
        "sequence",
        "period_start",
        "period_end",
        "issue_date",
        "due_date",
        "total",
        "family_name",
        "addressee",
        "address",
        "family_quotient",
        "quotient_year",
        "lives_outside",
        "direct_debit",
        "debit_date",
    )

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = Invoice.objects.filter(pk=self.pk).values("state", *self.FROZEN_FIELDS).first()
            if stored is not None and stored["state"] != self.State.DRAFT:
                changed = [f for f in self.FROZEN_FIELDS if stored[f] != getattr(self, f)]
                if changed or self.state == self.State.DRAFT:
                    raise ValidationError(IMMUTABLE_INVOICE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # Checked before Django's delete opens its transaction (the signal below catches
        # queryset deletes, inside it).
        if Invoice.objects.filter(pk=self.pk).exclude(state=self.State.DRAFT).exists():
            raise ValidationError(IMMUTABLE_INVOICE)
        return super().delete(*args, **kwargs)

    @property
    def balance(self) -> Decimal:
        if self.kind == self.Kind.CREDIT_NOTE or self.state != self.State.ISSUED:
            return ZERO
        return max(self.total - self.paid_amount, ZERO)

    def status_on(self, day: dt.date) -> str:
        if self.state == self.State.DRAFT:
            return self.Status.DRAFT
        if self.state == self.State.CANCELLED:
            return self.Status.CANCELLED
        if self.kind == self.Kind.CREDIT_NOTE:
            return self.Status.CREDIT_NOTE
        if self.paid_amount >= self.total:
            return self.Status.PAID
        if self.due_date and day > self.due_date:
            return self.Status.OVERDUE
        if self.paid_amount > 0:
            return self.Status.PARTIALLY_PAID
        return self.Status.TO_PAY

    @classmethod
    def status_query(cls, status: str, day: dt.date) -> models.Q:
        """``status_on(day) == status`` as a query (the same tests, in SQL), so that lists
        filter by status before they paginate."""
        issued = models.Q(state=cls.State.ISSUED)
        invoice = issued & models.Q(kind=cls.Kind.INVOICE)
        unpaid = invoice & models.Q(paid_amount__lt=models.F("total"))
        late = models.Q(due_date__isnull=False, due_date__lt=day)
        return {
            cls.Status.DRAFT: models.Q(state=cls.State.DRAFT),
            cls.Status.CANCELLED: models.Q(state=cls.State.CANCELLED),
            cls.Status.CREDIT_NOTE: issued & models.Q(kind=cls.Kind.CREDIT_NOTE),
            cls.Status.PAID: invoice & models.Q(paid_amount__gte=models.F("total")),
            cls.Status.OVERDUE: unpaid & late,
            cls.Status.PARTIALLY_PAID: unpaid & ~late & models.Q(paid_amount__gt=0),
            cls.Status.TO_PAY: unpaid & ~late & models.Q(paid_amount__lte=0),
        }[status]

    @property
    def status(self) -> str:
        return self.status_on(clock.today())

    @property
    def status_label(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def is_issued(self) -> bool:
        return self.state != self.State.DRAFT


IMMUTABLE_INVOICE = _(
    "An issued invoice cannot be changed or deleted: correct it with a credit note."
)


@receiver(pre_delete, sender=Invoice)
def _keep_issued_invoice(sender, instance, **kwargs):
    # A queryset's delete loads the rows before sending this: ``state`` is the stored one.
    if instance.state != Invoice.State.DRAFT:
        raise ValidationError(IMMUTABLE_INVOICE)


class InvoiceLine(models.Model):
    """One line of an invoice: a child's days (or month) of an activity at one price."""

    class Kind(models.TextChoices):
        BOOKED = "booked", _("days booked")
        ATTENDED = "attended", _("days attended")
        LATE_ABSENCE = "late_absence", _("absences after the deadline")
        NO_SHOW = "no_show", _("booked days not attended")
        UNBOOKED = "unbooked", _("presence without a booking")
        MONTHLY = "monthly", _("monthly fee")
        CREDIT = "credit", _("credit")

    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("family portal", "invoice"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    child = optional_link("wagtail_family_portal.Child", _("child"))
    activity = optional_link("wagtail_family_portal.Activity", _("activity"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    child_name = models.CharField(_("child"), max_length=200, blank=True)
    activity_name = models.CharField(_("activity"), max_length=200, blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2)
    unit_price = amount_field(_("unit price"))
    amount = amount_field(_("amount"))
    basis = models.CharField(
        _("pricing basis"), max_length=200, blank=True, help_text=_("e.g. QF 620 → tranche 2")
    )
    warning = models.CharField(_("warning"), max_length=250, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = scoped_manager("invoice__billing_office__municipality")

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "pk"]

    def __str__(self):
        return f"{self.child_name} {self.activity_name} {self.quantity} × {self.unit_price}"

    def save(self, *args, **kwargs):
        issued = Invoice.objects.filter(pk=self.invoice_id).exclude(state=Invoice.State.DRAFT)
        if not self._state.adding and issued.exists():
            raise ValidationError(IMMUTABLE_INVOICE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if Invoice.objects.filter(pk=self.invoice_id).exclude(state=Invoice.State.DRAFT).exists():
            raise ValidationError(IMMUTABLE_INVOICE)
        return super().delete(*args, **kwargs)


class PaymentQuerySet(ScopedQuerySet):
    municipality_path = "billing_office__municipality"

    def for_account(self, user):
        from .families import Family

        return self.filter(family__in=Family.objects.for_account(user))

    def valid(self):
        return self.filter(rejected=False)


class Payment(models.Model):
    """Money received from a family by a régie, split over invoices by its allocations; what is
    left unallocated is the family's credit, used by its next invoices."""

    class Method(models.TextChoices):
        CHEQUE = "cheque", _("cheque")
        CASH = "cash", _("cash")
        CARD = "card", _("card at the desk")
        TRANSFER = "transfer", _("bank transfer")
        DIRECT_DEBIT = "direct_debit", _("direct debit")
        ONLINE = "online", _("online payment")
        CESU = "cesu", _("CESU")
        ANCV = "ancv", _("chèques-vacances ANCV")
        CREDIT = "credit", _("credit from a credit note")

    billing_office = models.ForeignKey(
        BillingOffice, verbose_name=_("régie"), on_delete=models.PROTECT, related_name="payments"
    )
    family = models.ForeignKey(
        "wagtail_family_portal.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    number = models.CharField(pgettext_lazy("family portal", "number"), max_length=30, blank=True)
    method = models.CharField(_("payment method"), max_length=15, choices=Method.choices)
    date = models.DateField(pgettext_lazy("family portal", "date"))
    amount = amount_field(_("amount"), validators=[MinValueValidator(CENT)])
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("e.g. the cheque's number.")
    )
    recorded_by = optional_link(settings.AUTH_USER_MODEL, _("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    rejected = models.BooleanField(_("rejected"), default=False)
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=200, blank=True)
    debit_batch = models.ForeignKey(
        "DirectDebitBatch",
        verbose_name=_("direct debit file"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["family", "date"], name="wfp_payment_family_idx")]

    def __str__(self):
        return self.number or f"{self.get_method_display()} {self.amount}"


class PaymentAllocation(models.Model):
    """The part of a payment that settles one invoice."""

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.CASCADE, related_name="allocations"
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=pgettext_lazy("family portal", "invoice"),
        on_delete=models.PROTECT,
        related_name="allocations",
    )
    amount = amount_field(_("amount"), validators=[MinValueValidator(CENT)])

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints = [
            models.UniqueConstraint(fields=["payment", "invoice"], name="wfp_unique_allocation")
        ]

    def __str__(self):
        return f"{self.payment} → {self.invoice}: {self.amount}"


class OnlinePaymentQuerySet(ScopedQuerySet):
    municipality_path = "billing_office__municipality"


class OnlinePayment(models.Model):
    """One online payment started by a family (eopayment), for one or more invoices."""

    class State(models.TextChoices):
        STARTED = "started", _("started")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    billing_office = models.ForeignKey(
        BillingOffice,
        verbose_name=_("régie"),
        on_delete=models.PROTECT,
        related_name="online_payments",
    )
    family = models.ForeignKey(
        "wagtail_family_portal.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="online_payments",
    )
    user = optional_link(settings.AUTH_USER_MODEL, pgettext_lazy("family portal", "account"))
    invoices = models.ManyToManyField(
        Invoice, verbose_name=_("invoices"), related_name="online_payments"
    )
    amount = amount_field(_("amount"))
    backend = models.CharField(_("service"), max_length=20)
    transaction_id = models.CharField(_("transaction"), max_length=100, unique=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.STARTED
    )
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), default=timezone.now
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment",
    )

    objects = OnlinePaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("online payment")
        verbose_name_plural = _("online payments")
        ordering = ["-created_at"]

    def __str__(self):
        return self.transaction_id


class OnlinePaymentEvent(models.Model):
    """Every answer received about an online payment (the family's return, the service's
    notification), kept whatever it said: the log of attempts."""

    online_payment = models.ForeignKey(
        OnlinePayment,
        verbose_name=_("online payment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    source = models.CharField(_("source"), max_length=20)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=30)
    detail = models.TextField(_("detail"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("online payment event")
        verbose_name_plural = _("online payment events")
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.source}: {self.outcome}"


class DirectDebitMandateQuerySet(ScopedQuerySet):
    municipality_path = "family__municipality"

    def active(self):
        return self.filter(revoked_on__isnull=True)


class DirectDebitMandate(models.Model):
    """A family's SEPA direct-debit mandate: its guardian's account, a unique reference and the
    date it was signed. An active mandate makes the family's invoices paid by direct debit."""

    family = models.ForeignKey(
        "wagtail_family_portal.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="mandates",
    )
    guardian = models.ForeignKey(
        "wagtail_family_portal.Guardian",
        verbose_name=_("guardian"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    billing_office = models.ForeignKey(
        BillingOffice, verbose_name=_("régie"), on_delete=models.PROTECT, related_name="mandates"
    )
    reference = models.CharField(
        _("mandate reference (RUM)"),
        max_length=35,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9+?/\-:().,' ]{1,35}$",
                _("A mandate reference has at most 35 letters, digits and + ? / - : ( ) . , '"),
            )
        ],
    )
    signed_on = models.DateField(_("signed on"))
    iban = models.CharField(_("IBAN"), max_length=42, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    account_holder = models.CharField(_("account holder"), max_length=70)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    first_debit_done = models.BooleanField(_("first debit done"), default=False, editable=False)
    rejections = models.PositiveSmallIntegerField(_("rejected debits"), default=0, editable=False)
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), default=timezone.now
    )

    objects = DirectDebitMandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("direct debit mandate")
        verbose_name_plural = _("direct debit mandates")
        ordering = ["family", "-signed_on"]

    def __str__(self):
        return self.reference

    def clean(self):
        super().clean()
        self.iban = normalise_iban(self.iban)
        self.bic = (self.bic or "").replace(" ", "").upper()
        errors = {}
        if not self.iban:
            errors["iban"] = _("A mandate needs the IBAN of the account to debit.")
        if self.signed_on and self.signed_on > clock.today():
            errors["signed_on"] = _("A mandate cannot be signed in the future.")
        if self.guardian_id and self.family_id and self.guardian.family_id != self.family_id:
            errors["guardian"] = _("The guardian must belong to the family.")
        if errors:
            raise ValidationError(errors)


class DirectDebitBatchQuerySet(ScopedQuerySet):
    municipality_path = "billing_office__municipality"


class DirectDebitBatch(models.Model):
    """A pain.008 file: the direct debits of a run's invoices, for the town's bank or treasury."""

    billing_office = models.ForeignKey(
        BillingOffice,
        verbose_name=_("régie"),
        on_delete=models.PROTECT,
        related_name="debit_batches",
    )
    run = optional_link(BillingRun, _("billing run"))
    collection_date = models.DateField(_("collection date"))
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), default=timezone.now
    )
    transaction_count = models.PositiveIntegerField(_("debits"), default=0)
    total_amount = amount_field(_("total"), default=ZERO)
    message_id = models.CharField(_("message identifier"), max_length=35, unique=True)
    file = models.FileField(
        pgettext_lazy("family portal", "file"),
        storage=private_storage,
        upload_to="sepa/%Y/",
        blank=True,
        editable=False,
    )

    objects = DirectDebitBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("direct debit file")
        verbose_name_plural = _("direct debit files")
        ordering = ["-created_at"]

    def __str__(self):
        return self.message_id
