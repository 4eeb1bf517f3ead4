"""Custom model fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from .phones import INVALID_PHONE, PHONE_REGION, PortalPhoneNumber, to_phone, validate_phone


def optional_link(to, verbose_name, *, related_name="+", **options) -> models.ForeignKey:
    """A link that may be empty and outlives what it points to: deleting the account, the
    family, the school or the image empties the link and keeps the row (a log, a history, a
    profile). ``related_name="+"`` unless the other side lists the rows."""
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name=related_name,
        **options,
    )


WEEKDAY_CHOICES = [
    (0, pgettext_lazy("family portal", "Monday")),
    (1, pgettext_lazy("family portal", "Tuesday")),
    (2, pgettext_lazy("family portal", "Wednesday")),
    (3, pgettext_lazy("family portal", "Thursday")),
    (4, pgettext_lazy("family portal", "Friday")),
    (5, pgettext_lazy("family portal", "Saturday")),
    (6, pgettext_lazy("family portal", "Sunday")),
]


class WeekdaysField(models.CharField):
    """A set of weekdays (0 = Monday … 6 = Sunday), stored as a string of digits such as "0134".

    A string keeps the column portable between SQLite and PostgreSQL and readable in SQL; the
    Python value is a sorted list of ints.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 7:
            del kwargs["max_length"]
        return name, path, args, kwargs

    @staticmethod
    def _to_list(value):
        if value is None:
            return []
        if isinstance(value, str):
            value = [c for c in value if c.strip()]
        try:
            days = sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("Weekdays must be numbers from 0 (Monday) to 6.")) from exc
        if any(d < 0 or d > 6 for d in days):
            raise ValidationError(_("Weekdays must be numbers from 0 (Monday) to 6."))
        return days

    def from_db_value(self, value, expression, connection):
        return self._to_list(value)

    def to_python(self, value):
        return self._to_list(value)

    def get_prep_value(self, value):
        return "".join(str(d) for d in self._to_list(value))

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))

    def validate(self, value, model_instance):
        # The CharField checks (choices, max_length) do not apply to the list form.
        if not self.blank and not value:
            raise ValidationError(_("Choose at least one weekday."), code="required")

    def run_validators(self, value):
        return None

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": WEEKDAY_CHOICES,
            "coerce": int,
            "widget": forms.CheckboxSelectMultiple,
        }
        defaults.update(kwargs)
        defaults.pop("max_length", None)
        defaults.pop("empty_value", None)
        return forms.TypedMultipleChoiceField(
            choices=defaults["choices"],
            coerce=int,
            widget=defaults["widget"],
            required=defaults.get("required", not self.blank),
            label=defaults.get("label", self.verbose_name),
            help_text=defaults.get("help_text", self.help_text),
            initial=self.get_default(),
        )


class _PhoneDescriptor:
    """Every value set on the field becomes a ``phones.PortalPhoneNumber``."""

    def __init__(self, field):
        self.field = field

    def __get__(self, instance, owner):
        if instance is None:
            return self
        return instance.__dict__.get(self.field.name)

    def __set__(self, instance, value):
        instance.__dict__[self.field.name] = to_phone(value, region=self.field.region)


class PhoneField(PhoneNumberField):
    """A phone number (``phones.py``): French without an international prefix, any country's
    with one, stored as E.164, shown as its country writes it.

    django-phonenumber-field's field, with the package's region (``FR``) so that the host needs
    no ``PHONENUMBER_DEFAULT_REGION``, and values read back with that region, so that a number
    stored before numbers were checked (``06 12 34 56 78``) is still understood.
    """

    attr_class = PortalPhoneNumber
    descriptor_class = _PhoneDescriptor
    default_validators = [validate_phone]

    def __init__(self, *args, region=PHONE_REGION, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(*args, region=region, **kwargs)

    def to_python(self, value):
        return to_phone(value, region=self.region)

    def from_db_value(self, value, expression, connection):
        return to_phone(value, region=self.region)

    def formfield(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": INVALID_PHONE})
        return super().formfield(**kwargs)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value in (None, "") else str(value)
