"""Forms of the family file pages, built from the site's field rules.

One form per block of the file (the family's address, a guardian, a child, a child's health
information, an authorised contact) and one for a child's photo. A form holds only the fields
the rules show: read-only ones disabled, required ones required, hidden ones absent. The forms
check what a field can check alone; ``services.dossier`` decides the rest (the rules again, the
model's validation, changes already waiting), and the views show its errors on the fields.
"""

from django import forms
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.html import avoid_wrapping
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from ..file_fields import ADDRESS, TARGETS, FieldMode
from ..images import MB, max_photo_bytes
from ..models import Establishment
from ..services import dossier
from ..validators import mask_iban

PHOTO_FIELD = "photo"

# The blocks each record is shown and edited in, in display order. A catalogue field missing
# here still appears, in a last block, so that a field added to the catalogue is never lost.
SECTIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "family": [
        ("address", _("Address"), ADDRESS),
        ("tax", _("Tax data"), ("family_quotient", "quotient_year", "caf_number")),
    ],
    "guardian": [
        (
            "identity",
            _("Identity"),
            ("civility", "last_name", "first_name", "birth_date", "relation"),
        ),
        ("contact", _("Contact"), ("email", "mobile_phone", "home_phone", "work_phone")),
        ("address", _("Address"), ("same_address_as_family", *ADDRESS)),
        ("work", _("Work"), ("profession", "employer")),
        ("bank", _("Bank details"), ("iban", "bic", "account_holder")),
    ],
    "child": [
        (
            "general",
            _("General information"),
            ("first_name", "last_name", "birth_date", "sex", "establishment", "class_level"),
        ),
        (
            "consents",
            _("Consents"),
            ("photo_rights", "may_leave_alone", "transport_allowed", "emergency_care_allowed"),
        ),
    ],
    "health": [("health", _("Health information"), ())],
    "contact": [("contact", _("Authorised contact"), ())],
}

# Shown in their own way, never as a field of a "Modifier" form: the tax data is read-only
# for families (its own block says how to change it), the photo has its own upload form.
NOT_IN_FORMS = {"family": {"family_quotient", "quotient_year", "caf_number"}, "child": {"photo"}}

AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "email": "email",
    "address_line1": "address-line1",
    "address_line2": "address-line2",
    "postcode": "postal-code",
    "city": "address-level2",
    "iban": "off",
    "bic": "off",
}


def model_for(target_type: str) -> type[models.Model]:
    return dossier.TARGETS[target_type].model


def sections(target_type: str, names) -> list[tuple[str, str, list[str]]]:
    """``names`` (in catalogue order) split into the target's blocks, empty blocks left out.

    A block declared without fields takes every field of the target.
    """
    names = list(names)
    result, placed = [], set()
    for key, title, fields in SECTIONS.get(target_type, []):
        chosen = [name for name in names if name in fields] if fields else list(names)
        placed.update(chosen)
        if chosen:
            result.append((key, title, chosen))
    rest = [name for name in names if name not in placed]
    if rest:
        result.append(("other", _("Other information"), rest))
    return result


def form_fields(target_type: str, rules, adding: bool) -> list[str]:
    """The fields of a target's form: the visible ones, or, to add a record, the changeable ones."""
    names = rules.editable_fields(target_type) if adding else rules.visible_fields(target_type)
    excluded = NOT_IN_FORMS.get(target_type, set())
    return [name for name in names if name not in excluded]


def _optional(label):
    return _("%(label)s (optional)") % {"label": label}


def _widget(model_field, name: str):
    autocomplete = AUTOCOMPLETE.get(name)
    attrs = {"autocomplete": autocomplete} if autocomplete else {}
    if isinstance(model_field, models.DateField):
        return forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d")
    if isinstance(model_field, models.TextField):
        return forms.Textarea(attrs={**attrs, "rows": 3})
    if name.endswith("phone"):
        return forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})
    if name in ("iban", "bic"):
        return forms.TextInput(
            attrs={**attrs, "autocapitalize": "characters", "spellcheck": "false"}
        )
    return None


class FamilyFileForm(forms.Form):
    """The "Modifier" form of one record (or the form adding one), as the rules allow.

    ``record`` is the record being changed (None to add one). Its IBAN is never written into
    the page: the field starts empty, and left empty it keeps the current one.
    """

    def __init__(self, *args, target_type: str, rules, record=None, municipality=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_type = target_type
        self.record = record
        self.adding = record is None
        model = model_for(target_type)
        for name in form_fields(target_type, rules, self.adding):
            model_field = model._meta.get_field(name)
            self.fields[name] = self._form_field(
                model_field, rules.mode(target_type, name), municipality
            )
        self.changeable = [name for name, field in self.fields.items() if not field.disabled]

    def _form_field(self, model_field, mode, municipality):
        name = model_field.name
        kwargs = {"label": capfirst(model_field.verbose_name)}
        widget = _widget(model_field, name)
        if widget is not None:
            kwargs["widget"] = widget
        if model_field.is_relation:
            queryset = Establishment.objects.none()
            if municipality is not None:
                queryset = model_field.related_model._default_manager.filter(
                    municipality=municipality
                )
            kwargs["queryset"] = queryset
        field = model_field.formfield(**kwargs)
        is_boolean = isinstance(field, forms.BooleanField)
        if mode == FieldMode.READ_ONLY:
            field.disabled = True
            field.required = False
        else:
            field.required = mode == FieldMode.REQUIRED and not is_boolean
        if name == "iban" and self.record is not None and self.record.iban:
            # The page never shows the IBAN in full: the field starts empty and, left empty,
            # keeps the current one.
            current = mask_iban(self.record.iban)
            field.required = False
            field.help_text = (
                _("Current IBAN: %(iban)s.") % {"iban": current}
                if field.disabled
                else _("Current IBAN: %(iban)s. Leave empty to keep it.") % {"iban": current}
            )
        elif field.disabled:
            field.help_text = _("Cannot be changed online: contact the service.")
        if isinstance(field, forms.TypedChoiceField) and field.required:
            choices = [choice for choice in field.choices if choice[0] != ""]
            field.choices = choices
            if len(choices) <= 3:
                field.widget = forms.RadioSelect(choices=choices)
        if not field.required and not field.disabled and not is_boolean:
            field.label = _optional(field.label)
        field.initial = self._initial(model_field)
        return field

    def _initial(self, model_field):
        if self.record is None:
            return model_field.get_default() if model_field.has_default() else None
        if model_field.name == "iban":
            return ""
        return model_field.value_from_object(self.record)

    def fieldsets(self) -> list[dict]:
        """The bound fields grouped in the target's blocks, for the template."""
        return [
            {"key": key, "title": title, "fields": [self[name] for name in names]}
            for key, title, names in sections(self.target_type, self.fields)
        ]

    def service_values(self) -> dict:
        """The changeable fields' values, as ``services.dossier`` expects them."""
        values = {}
        for name in self.changeable:
            value = self.cleaned_data.get(name)
            if name == "iban" and not value and self.record is not None and self.record.iban:
                continue
            if isinstance(value, models.Model):
                value = value.pk
            values[name] = value
        return values

    def forbidden_values(self) -> dict:
        """Values posted for fields of the record that this form does not let the family
        change (read-only, hidden, or not in the file at all): sent on to the service, which
        refuses them with the rules' words, so that nothing is silently ignored."""
        model = model_for(self.target_type)
        names = {field.name for field in model._meta.concrete_fields}
        names.update(spec.name for spec in TARGETS[self.target_type].fields)
        return {
            name: self.data.get(name)
            for name in sorted(names)
            if name in self.data and name not in self.changeable
        }

    def show_service_error(self, error: dossier.DossierError) -> None:
        """Put the service's refusal on the fields it names (or above the form)."""
        if not error.errors:
            self.add_error(None, error.message)
            return
        for name, messages in error.errors.items():
            if name in self.fields:
                self.add_error(name, list(messages))
            else:
                # A field the form does not show: its messages, never its name.
                self.add_error(None, list(messages))


def _photo_help_text():
    return _(
        "A JPEG, PNG or WebP image of at most %(size)s. It is resized and kept private: only "
        "your family and the service see it."
    ) % {"size": _size(max_photo_bytes())}


def _size(limit: int) -> str:
    """'5 MB' rather than '5.0 MB' for a whole number of megabytes."""
    if limit >= MB and limit % MB == 0:
        return avoid_wrapping(pgettext("family portal", "%s MB") % number_format(limit // MB))
    return filesizeformat(limit)


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("New photo"),
        help_text=lazy(_photo_help_text, str)(),
        error_messages={
            "required": _("Choose a photo to send."),
            "empty": _("The file is empty."),
        },
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def show_service_error(self, error: dossier.DossierError) -> None:
        """Every refusal of a photo is about the one field: shown on it."""
        for messages in error.errors.values() or [[error.message]]:
            self.add_error("photo", list(messages))
