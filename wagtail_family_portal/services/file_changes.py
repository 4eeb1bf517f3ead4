"""The family file's changes as people read them: what a family may see of a change, the
records its lines are about, and how a stored value is written out for a family or an agent.

A ``FileChange`` keeps values in the text form of their field (``Field.value_to_string``). The
family pages, "Mes demandes", the API and the agents' screens all show them; what they may
show, and how, is decided here once:

- a family never sees a field the site's rules hide, an IBAN whole (``family_value``), or the
  private file name of a photo waiting for validation (``family_line``);
- a value is written out the same way everywhere (``ValueDisplay``): choices by their label,
  yes or no, dates, the name of the record a relation points to. Those records (a school) are
  read for all the values of a page at once, one query per model, never one per value; the
  records the lines change likewise, one query per kind of record (``line_records``).

Nothing here writes: ``services.dossier`` proposes, accepts and refuses the changes.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import pgettext

from .. import clock
from ..models import AuthorisedContact, Child, ChildHealth, Guardian
from ..models.requests import FileChange
from ..validators import mask_iban
from .dossier import PHOTO_FIELD, TARGETS

Target = FileChange.Target
Operation = FileChange.Operation
IBAN_FIELD = "iban"


def field_of(target_type: str, name: str):
    """The model field ``name`` of a target's records, or None (a field that no longer exists,
    or a line without a field)."""
    target = TARGETS.get(target_type)
    if target is None or not name:
        return None
    try:
        found = target.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if getattr(found, "concrete", False) else None


# What a family may see


def family_value(name: str, value):
    """A value of the field ``name`` as a family may receive it: an IBAN masked but for its last
    4 characters (masking it again changes nothing; empty stays empty), anything else as is."""
    if name == IBAN_FIELD and value:
        return mask_iban(str(value))
    return value


@dataclass(frozen=True)
class FamilyLine:
    """What a family may see of one line: its values as stored, but an IBAN masked, a photo's
    file never named (None), and an addition's values only for the fields the rules show."""

    line: FileChange
    old_value: object
    new_value: object


def family_line(line: FileChange, rules) -> FamilyLine | None:
    """``line`` as the family may see it under the site's ``rules``, or None when the rules hide
    its field (a removal is always shown: it names its record only)."""
    old, new = line.old_value, line.new_value
    if line.operation == Operation.UPDATE:
        if line.field not in rules.visible_fields(line.target_type):
            return None
        if line.field == PHOTO_FIELD:
            old = new = None
        else:
            old, new = family_value(line.field, old), family_value(line.field, new)
    elif line.operation == Operation.ADD and isinstance(new, dict):
        visible = set(rules.visible_fields(line.target_type))
        new = {name: family_value(name, value) for name, value in new.items() if name in visible}
    return FamilyLine(line, old, new)


# The records the lines are about


def line_records(family, keys: Iterable[tuple[str, int | None]]) -> dict:
    """The records of ``family`` named by (target type, id) ``keys``, one query per kind of
    record (a child's health information comes with the child): a key of another family, or of
    a record that no longer exists, is left out. A child without health information yet has an
    unsaved one, with the defaults as its values."""
    wanted = defaultdict(set)
    for target_type, target_id in keys:
        if target_id is not None:
            wanted[target_type].add(target_id)
    found = {}
    if family.pk in wanted.pop(Target.FAMILY, ()):
        found[Target.FAMILY, family.pk] = family
    healths = wanted.pop(Target.HEALTH, set())
    if wanted.get(Target.CHILD) or healths:
        children = Child.objects.filter(
            family=family, pk__in=wanted.pop(Target.CHILD, set()) | healths
        )
        for child in children.select_related("health") if healths else children:
            found[Target.CHILD, child.pk] = child
            if child.pk in healths:
                found[Target.HEALTH, child.pk] = child.health_or_defaults()
    scoped = {
        Target.GUARDIAN: Guardian.objects.filter(family=family),
        Target.CONTACT: AuthorisedContact.objects.filter(child__family=family),
    }
    for target_type, ids in wanted.items():
        if target_type in scoped:
            for record in scoped[target_type].filter(pk__in=ids):
                found[target_type, record.pk] = record
    return found


def record_name(record) -> str:
    """How a record of the file is named: health information by its child."""
    return str(record.child) if isinstance(record, ChildHealth) else str(record)


def asked_values(lines) -> list[tuple[models.Field | None, object]]:
    """(field, stored text) of every value ``lines`` ask for: the new value of each change and
    each value of an addition (what ``ValueDisplay`` needs to read the records they name)."""
    values = []
    for line in lines:
        if line.operation == Operation.ADD:
            items = line.new_value.items() if isinstance(line.new_value, dict) else []
            values += [(field_of(line.target_type, name), value) for name, value in items]
        elif line.operation == Operation.UPDATE:
            values.append((field_of(line.target_type, line.field), line.new_value))
    return values


# How a value is written out


@dataclass(frozen=True)
class Audience:
    """Who reads a value. What a family and an agent are shown differs in these ways only."""

    name: str
    masks_iban: bool  # families never see an IBAN whole; agents work with it
    # Agents compare stored values: phones and numbers as stored, a vanished record by its id.
    as_stored: bool
    capitalised: bool  # families read choice labels capitalised, as in their forms


FAMILY = Audience("family", masks_iban=True, as_stored=False, capitalised=True)
AGENT = Audience("agent", masks_iban=False, as_stored=True, capitalised=False)


class ValueDisplay:
    """Writes out values of the family file for ``audience``. ``values`` are the (field, value)
    pairs whose related records it may be asked about: they are read at once, one query per
    related model. An empty value is written as "" (a screen puts its own dash)."""

    def __init__(self, audience: Audience = FAMILY, values: Iterable = ()):
        self.audience = audience
        self.related = related_records(values)

    def text(self, model_field, text) -> str:
        """A stored value (``Field.value_to_string``'s text, as the lines keep it)."""
        if text is None or text == "":
            return ""
        if model_field is None:
            return str(text)
        if model_field.is_relation:
            return self._related_name(model_field, text, stored=text)
        try:
            value = model_field.to_python(text)
        except (ValidationError, ValueError, TypeError):
            return str(family_value(model_field.name, text) if self.audience.masks_iban else text)
        return self.value(model_field, value, stored=text)

    def value(self, model_field, value, *, stored=None) -> str:
        """A value as a record holds it (``stored``: its text, when it came from a line)."""
        if value is None or value == "":
            return ""
        if self.audience.masks_iban and model_field.name == IBAN_FIELD:
            return family_value(IBAN_FIELD, value)
        if isinstance(value, models.Model):
            return str(value)
        if model_field.is_relation:
            return self._related_name(model_field, value, stored=stored)
        if isinstance(model_field, models.BooleanField):
            return pgettext("family portal", "Yes") if value else pgettext("family portal", "No")
        if model_field.choices:
            label = str(dict(model_field.flatchoices).get(value, value))
            return capfirst(label) if self.audience.capitalised else label
        if isinstance(value, dt.datetime):
            local = clock.to_local(value)
            return formats.date_format(local, "SHORT_DATETIME_FORMAT")
        if isinstance(value, dt.date):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        if self.audience.as_stored and stored is not None:
            return str(stored)
        if isinstance(value, Decimal):
            return formats.number_format(value)
        return str(value)

    def _related_name(self, model_field, value, *, stored) -> str:
        found = self.related.get((model_field.related_model, _pk(model_field, value)))
        if found is not None:
            return str(found)
        return str(stored) if self.audience.as_stored and stored is not None else ""


def related_records(values: Iterable) -> dict:
    """The records the relation values among (field, value) ``values`` point to, by (model,
    pk): one query per related model."""
    wanted = defaultdict(set)
    for model_field, value in values:
        if model_field is None or not model_field.is_relation or value in (None, ""):
            continue
        pk = _pk(model_field, value)
        if pk is not None:
            wanted[model_field.related_model].add(pk)
    found = {}
    for model, pks in wanted.items():
        for record in model._default_manager.filter(pk__in=pks):
            found[model, record.pk] = record
    return found


def _pk(model_field, value):
    if isinstance(value, models.Model):
        return value.pk
    try:
        return model_field.target_field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return None
