"""Which fields of the family file families see and may change, per municipality.

The catalogue below lists, per *target* (the family, a guardian, a child, a child's health
information, an authorised contact), every field a family may see, in display order, with its
default mode. A site's ``FamilyFileRules`` setting stores only the modes its editors changed;
``FamilyFileRules.rules_for(site)`` merges them over these defaults. Forms, views and the API ask a
``FieldRules`` what to show and check every proposed change with ``check_change``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.apps import apps
from django.db import models
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

APP_LABEL = "wagtail_family_portal"


class FieldMode(models.TextChoices):
    HIDDEN = "hidden", _("Hidden")
    READ_ONLY = "read_only", _("Read-only")
    EDITABLE = "editable", _("Editable")
    REQUIRED = "required", _("Required")


CHANGEABLE_MODES = frozenset({FieldMode.EDITABLE, FieldMode.REQUIRED})

# Read-only and hidden fields are refused with the same words, so that nothing hints at a field
# that the municipality hides.
UNKNOWN_FIELD_MESSAGE = _("This field does not exist.")
NOT_CHANGEABLE_MESSAGE = _("This field cannot be changed online. Contact the service.")
REQUIRED_MESSAGE = pgettext_lazy("family portal", "This field is required.")
TAX_DATA_MESSAGE = _("Tax data is read-only for families.")
MANDATORY_FIELD_MESSAGE = _(
    "The family file cannot do without this field: choose required, read-only or hidden."
)


def _field_label(model_name: str, field_name: str) -> str:
    model = apps.get_model(APP_LABEL, model_name)
    return capfirst(model._meta.get_field(field_name).verbose_name)


field_label = lazy(_field_label, str)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a target.

    ``tax``: tax data, which families never change (only hidden or read-only).
    ``mandatory``: the model refuses it empty, so it is never merely "editable" (a family
    could then empty it): required, read-only or hidden.
    """

    name: str
    default: FieldMode
    tax: bool = False
    mandatory: bool = False

    @property
    def allowed_modes(self) -> tuple[FieldMode, ...]:
        if self.tax:
            return (FieldMode.HIDDEN, FieldMode.READ_ONLY)
        if self.mandatory:
            return (FieldMode.HIDDEN, FieldMode.READ_ONLY, FieldMode.REQUIRED)
        return tuple(FieldMode)


@dataclass(frozen=True)
class Target:
    name: str
    model_name: str
    label: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == name), None)

    def field_label(self, name: str) -> str:
        """The field's verbose name, capitalised (lazy: the catalogue loads before the models)."""
        return field_label(self.model_name, name)


def _fields(default: FieldMode, *names: str, **flags) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(name, default, **flags) for name in names)


ADDRESS = ("address_line1", "address_line2", "postcode", "city")

TARGETS: Mapping[str, Target] = MappingProxyType(
    {
        target.name: target
        for target in (
            Target(
                "family",
                "Family",
                _("Family"),
                _fields(FieldMode.EDITABLE, *ADDRESS)
                + _fields(
                    FieldMode.READ_ONLY, "family_quotient", "quotient_year", "caf_number", tax=True
                ),
            ),
            Target(
                "guardian",
                "Guardian",
                _("Guardians"),
                _fields(FieldMode.REQUIRED, "civility", "last_name", "first_name", mandatory=True)
                + _fields(FieldMode.EDITABLE, "birth_date")
                + _fields(FieldMode.REQUIRED, "relation", mandatory=True)
                + _fields(FieldMode.EDITABLE, "email", "mobile_phone", "home_phone", "work_phone")
                + _fields(FieldMode.EDITABLE, "same_address_as_family", *ADDRESS)
                + _fields(
                    FieldMode.EDITABLE, "profession", "employer", "iban", "bic", "account_holder"
                ),
            ),
            Target(
                "child",
                "Child",
                _("Children"),
                _fields(
                    FieldMode.REQUIRED,
                    "first_name",
                    "last_name",
                    "birth_date",
                    "sex",
                    mandatory=True,
                )
                # The service decides the school and the class.
                + _fields(FieldMode.READ_ONLY, "establishment", "class_level")
                + _fields(
                    FieldMode.EDITABLE,
                    "photo",
                    "photo_rights",
                    "may_leave_alone",
                    "transport_allowed",
                    "emergency_care_allowed",
                ),
            ),
            Target(
                "health",
                "ChildHealth",
                _("Health information"),
                _fields(
                    FieldMode.EDITABLE,
                    "allergies",
                    "diet",
                    "has_care_plan",
                    "care_plan_details",
                    "doctor_name",
                    "doctor_phone",
                    "vaccinations_up_to_date",
                    "vaccination_notes",
                ),
            ),
            Target(
                "contact",
                "AuthorisedContact",
                _("Authorised contacts"),
                _fields(FieldMode.REQUIRED, "last_name", "first_name", "phone", mandatory=True)
                + _fields(FieldMode.EDITABLE, "relation", "may_pick_up"),
            ),
        )
    }
)


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True)
class FieldRules:
    """The mode of every catalogue field for one site. Build it with ``from_overrides``."""

    modes: Mapping[str, Mapping[str, FieldMode]]

    @classmethod
    def defaults(cls) -> "FieldRules":
        return cls.from_overrides({})

    @classmethod
    def from_overrides(cls, overrides) -> "FieldRules":
        """The defaults, with the modes of ``overrides`` (``{target: {field: mode}}``) on top.

        Unknown targets, fields and modes, and modes a field does not allow, are ignored: a
        field removed from the catalogue, or a stored value edited by hand, never breaks a site.
        """
        overrides = overrides if isinstance(overrides, Mapping) else {}
        modes = {}
        for target in TARGETS.values():
            chosen = overrides.get(target.name)
            chosen = chosen if isinstance(chosen, Mapping) else {}
            modes[target.name] = MappingProxyType(
                {
                    spec.name: _allowed_or_default(spec, chosen.get(spec.name))
                    for spec in target.fields
                }
            )
        return cls(MappingProxyType(modes))

    def overrides(self) -> dict[str, dict[str, str]]:
        """Only the modes that differ from the defaults: what a site stores."""
        result = {}
        for target in TARGETS.values():
            changed = {
                spec.name: self.modes[target.name][spec.name].value
                for spec in target.fields
                if self.modes[target.name][spec.name] != spec.default
            }
            if changed:
                result[target.name] = changed
        return result

    def mode(self, target: str, field: str) -> FieldMode:
        """The field's mode; ``KeyError`` for a target or field that is not in the catalogue."""
        return self.modes[target][field]

    def _fields_in(self, target: str, modes) -> list[str]:
        return [
            spec.name for spec in TARGETS[target].fields if self.modes[target][spec.name] in modes
        ]

    def visible_fields(self, target: str) -> list[str]:
        return self._fields_in(target, {FieldMode.READ_ONLY, *CHANGEABLE_MODES})

    def editable_fields(self, target: str) -> list[str]:
        """Fields a family may change (the required ones included)."""
        return self._fields_in(target, CHANGEABLE_MODES)

    def required_fields(self, target: str) -> list[str]:
        return self._fields_in(target, {FieldMode.REQUIRED})

    def check_change(
        self, target: str, changed: dict, adding: bool = False
    ) -> dict[str, list[str]]:
        """Errors, per field, of a family's proposed ``changed`` values (empty when acceptable).

        ``adding`` is for a new record (a child, a contact): every required field must then be
        given. Messages are translated into the active language.
        """
        modes = self.modes[target]
        errors: dict[str, list[str]] = {}
        for name, value in changed.items():
            mode = modes.get(name)
            if mode is None:
                errors[name] = [gettext(UNKNOWN_FIELD_MESSAGE)]
            elif mode not in CHANGEABLE_MODES:
                errors[name] = [gettext(NOT_CHANGEABLE_MESSAGE)]
            elif mode == FieldMode.REQUIRED and _is_empty(value):
                errors[name] = [gettext(REQUIRED_MESSAGE)]
        if adding:
            for name in self.required_fields(target):
                if name not in changed:
                    errors[name] = [gettext(REQUIRED_MESSAGE)]
        return errors


def _allowed_or_default(spec: FieldSpec, value) -> FieldMode:
    return FieldMode(value) if value in spec.allowed_modes else spec.default
