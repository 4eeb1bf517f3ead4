"""Where and what children attend: establishments, activities, closures and enrolments."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..fields import PhoneField, WeekdaysField
from .municipality import ScopedQuerySet, scoped_manager

MAX_DEADLINE_DAYS = 60


@dataclass(frozen=True)
class Deadline:
    """ "N days before at HH:MM": the last moment a day can still be booked or cancelled.

    ``days`` counts calendar days, or only working days when ``working_days`` is set; in that case
    ``is_working_day`` tells which dates count (weekends, public holidays and closures do not).
    """

    days: int
    time: dt.time
    working_days: bool = False

    def last_moment(
        self,
        day: dt.date,
        is_working_day: Callable[[dt.date], bool] = lambda d: d.weekday() < 5,
    ) -> dt.datetime:
        """Naive local datetime after which ``day`` can no longer be changed."""
        cursor = day
        remaining = self.days
        while remaining > 0:
            cursor -= dt.timedelta(days=1)
            if not self.working_days or is_working_day(cursor):
                remaining -= 1
        return dt.datetime.combine(cursor, self.time)

    def __str__(self):
        if self.working_days:
            text = _("%(days)d working day(s) before at %(time)s")
        else:
            text = _("%(days)d day(s) before at %(time)s")
        return text % {"days": self.days, "time": self.time.strftime("%H:%M")}


class Establishment(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", _("school")
        LEISURE_CENTRE = "leisure_centre", _("leisure centre")
        NURSERY = "nursery", _("nursery")
        OTHER = "other", _("other")

    municipality = models.ForeignKey(
        "wagtail_family_portal.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="establishments",
    )
    name = models.CharField(pgettext_lazy("family portal", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SCHOOL)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = PhoneField(_("phone"), blank=True)

    objects = scoped_manager("municipality")

    class Meta:
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Activity(models.Model):
    class Kind(models.TextChoices):
        CANTEEN = "canteen", _("school canteen")
        SCHOOL_CARE = "school_care", _("before/after-school care")
        LEISURE_CENTRE = "leisure_centre", _("leisure centre")
        OTHER = "other", _("other")

    class BookingMode(models.TextChoices):
        AGENT = "agent", _("validated by an agent")
        AUTOMATIC = "automatic", _("accepted automatically")

    establishment = models.ForeignKey(
        Establishment,
        verbose_name=_("establishment"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    name = models.CharField(
        pgettext_lazy("family portal", "name"), max_length=150, help_text=_("e.g. Repas école")
    )
    short_code = models.CharField(
        _("short code"), max_length=30, blank=True, help_text=_("e.g. 1/Péri MATIN")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    weekdays = WeekdaysField(_("weekdays"), default=[0, 1, 3, 4])
    season_start = models.DateField(_("season start"))
    season_end = models.DateField(_("season end"))
    booking_mode = models.CharField(
        _("booking mode"), max_length=10, choices=BookingMode.choices, default=BookingMode.AGENT
    )
    booking_deadline_days = models.PositiveSmallIntegerField(
        _("booking deadline: days before"),
        default=2,
        validators=[MaxValueValidator(MAX_DEADLINE_DAYS)],
    )
    booking_deadline_time = models.TimeField(_("booking deadline: time"), default=dt.time(10, 0))
    absence_deadline_days = models.PositiveSmallIntegerField(
        _("absence deadline: days before"),
        default=2,
        validators=[MaxValueValidator(MAX_DEADLINE_DAYS)],
    )
    absence_deadline_time = models.TimeField(_("absence deadline: time"), default=dt.time(10, 0))
    deadline_working_days = models.BooleanField(
        _("count working days only"),
        default=False,
        help_text=_("Weekends, public holidays and closures are not counted in the deadlines."),
    )
    capacity = models.IntegerField(
        _("capacity per day"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0, _("The capacity cannot be negative."))],
        help_text=_("Empty means no limit."),
    )
    waiting_list = models.BooleanField(_("waiting list when full"), default=False)
    is_active = models.BooleanField(pgettext_lazy("family portal", "active"), default=True)

    objects = scoped_manager("establishment__municipality")

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["establishment__name", "start_time", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gte=0),
                name="wfp_activity_capacity_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.establishment})" if self.establishment_id else self.name

    @property
    def municipality(self):
        return self.establishment.municipality

    @property
    def booking_deadline(self) -> Deadline:
        return Deadline(
            self.booking_deadline_days, self.booking_deadline_time, self.deadline_working_days
        )

    @property
    def absence_deadline(self) -> Deadline:
        return Deadline(
            self.absence_deadline_days, self.absence_deadline_time, self.deadline_working_days
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = _("The end time must be after the start time.")
        if self.season_start and self.season_end and self.season_end < self.season_start:
            errors["season_end"] = _("The season cannot end before it starts.")
        if self.waiting_list and self.capacity is None:
            errors["waiting_list"] = _("A waiting list needs a capacity.")
        if errors:
            raise ValidationError(errors)

    def runs_on(self, day: dt.date) -> bool:
        """Whether the activity is scheduled on that date (closures aside)."""
        return self.season_start <= day <= self.season_end and day.weekday() in self.weekdays


class ClosureQuerySet(ScopedQuerySet):
    municipality_path = "municipality"

    def overlapping(self, start: dt.date, end: dt.date):
        return self.filter(start_date__lte=end, end_date__gte=start)


class Closure(models.Model):
    class Kind(models.TextChoices):
        PUBLIC_HOLIDAY = "public_holiday", _("public holiday")
        SCHOOL_HOLIDAY = "school_holiday", _("school holidays")
        CLOSURE = "closure", _("closure")

    municipality = models.ForeignKey(
        "wagtail_family_portal.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.CASCADE,
        related_name="closures",
    )
    label = models.CharField(pgettext_lazy("family portal", "label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CLOSURE)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    activities = models.ManyToManyField(
        Activity,
        verbose_name=_("activities"),
        blank=True,
        related_name="closures",
        help_text=_("Leave empty to close every activity of the municipality."),
    )
    source = models.CharField(
        max_length=100,
        blank=True,
        editable=False,
        help_text="Key of an imported closure, so that importing again updates it.",
    )

    objects = ClosureQuerySet.as_manager()

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        ordering = ["start_date", "label"]
        indexes = [models.Index(fields=["municipality", "start_date", "end_date"])]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "source"],
                condition=~models.Q(source=""),
                name="wfp_unique_imported_closure",
            )
        ]

    def __str__(self):
        return self.label

    def clean(self):
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The last day cannot be before the first day.")})


class EnrolmentQuerySet(ScopedQuerySet):
    municipality_path = "child__family__municipality"

    def covering(self, start: dt.date, end: dt.date):
        return self.filter(start_date__lte=end, end_date__gte=start)


class Enrolment(models.Model):
    """A child registered to an activity over a period: the days it may be booked."""

    child = models.ForeignKey(
        "wagtail_family_portal.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="enrolments"
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    created_at = models.DateTimeField(
        pgettext_lazy("family portal", "created at"), auto_now_add=True
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["child", "activity", "start_date"]
        indexes = [models.Index(fields=["activity", "start_date", "end_date"])]

    def __str__(self):
        return f"{self.child} — {self.activity.name}"

    def clean(self):
        super().clean()
        if not (self.start_date and self.end_date and self.activity_id and self.child_id):
            return
        if self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})
        activity = self.activity
        if self.start_date < activity.season_start or self.end_date > activity.season_end:
            raise ValidationError(
                _("The enrolment must stay within the activity's season (%(start)s – %(end)s).")
                % {
                    "start": activity.season_start.strftime("%d/%m/%Y"),
                    "end": activity.season_end.strftime("%d/%m/%Y"),
                }
            )
        if activity.establishment.municipality_id != self.child.family.municipality_id:
            raise ValidationError({"activity": _("This activity belongs to another municipality.")})
        overlapping = (
            Enrolment.objects.filter(child_id=self.child_id, activity_id=self.activity_id)
            .covering(self.start_date, self.end_date)
            .exclude(pk=self.pk)
        )
        if overlapping.exists():
            raise ValidationError(
                _("This child is already enrolled in this activity over part of that period.")
            )
