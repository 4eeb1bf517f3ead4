"""Changes to the family file ("dossier famille"), submitted by families, decided by agents.

Submitting never changes the file: it creates a ``Request`` of kind ``file_change`` whose
``FileChange`` lines keep, per field, the value the family saw and the value it asks for.
Accepting applies every line in one transaction and fails cleanly when a record changed in the
meantime; refusing keeps the file as it is and tells the family why.

Targets and their ids, as the pages and the API name them:

- ``family``: the family itself (``target_id`` = the family's id);
- ``guardian``, ``child``, ``contact``: that record of the family;
- ``health``: the health information of a child (``target_id`` = the child's id);
- adding a ``child`` or a ``guardian``: no ``target_id``; adding a ``contact``: ``target_id`` =
  the child it is for; removing a ``contact``: ``target_id`` = the contact.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.log_actions import log

from ..images import clean_child_photo
from ..models import AuthorisedContact, Child, ChildHealth, Family, Guardian
from ..models.requests import FileChange, Request, RequestEvent
from ..storage import private_storage
from ..validators import FILE_DATES, validate_plausible_date
from . import notifications

Target = FileChange.Target
Operation = FileChange.Operation
State = Request.State
PHOTO_FIELD = "photo"
PENDING_PHOTOS = "family_portal/pending/"


class DossierError(Exception):
    """A change that cannot be made; ``message`` is shown to the person, ``code`` says why:
    ``not_found`` (unknown here: a 404), ``invalid`` (see ``errors``), ``unchanged``,
    ``already_pending``, ``not_pending``, ``conflict``, ``not_allowed``."""

    def __init__(self, message, code: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.errors = errors or {}


@dataclass(frozen=True)
class TargetType:
    model: type[models.Model]
    family_path: str  # from the model to its family
    can_add: bool = False
    can_remove: bool = False


TARGETS: dict[str, TargetType] = {
    Target.FAMILY: TargetType(Family, "pk"),
    Target.GUARDIAN: TargetType(Guardian, "family", can_add=True),
    Target.CHILD: TargetType(Child, "family", can_add=True),
    Target.HEALTH: TargetType(ChildHealth, "child__family"),
    Target.CONTACT: TargetType(AuthorisedContact, "child__family", can_add=True, can_remove=True),
}


def _not_found() -> DossierError:
    return DossierError(_("This record does not exist in your family file."), code="not_found")


def _target(target_type: str) -> TargetType:
    try:
        return TARGETS[target_type]
    except KeyError:
        raise DossierError(
            _("Unknown kind of record: %(type)s.") % {"type": target_type}, code="invalid"
        ) from None


def _scoped(target: TargetType, family: Family):
    return target.model._default_manager.filter(**{target.family_path: family.pk})


def load_record(family: Family, target_type: str, target_id, *, for_update=False):
    """The record a change is about, within ``family`` only (another family's id: not found).

    Health information is addressed by its child and may not exist yet: an unsaved one is
    returned, so that its current values are the defaults.
    """
    target = _target(target_type)
    if target_type == Target.HEALTH:
        children = Child.objects.filter(family=family)
        child = (
            (children.select_for_update() if for_update else children).filter(pk=target_id).first()
        )
        if child is None:
            raise _not_found()
        health = ChildHealth.objects.filter(child=child)
        return (health.select_for_update() if for_update else health).first() or ChildHealth(
            child=child
        )
    records = _scoped(target, family)
    record = (records.select_for_update() if for_update else records).filter(pk=target_id).first()
    if record is None:
        raise _not_found()
    return record


def _field(model, name: str):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if getattr(field, "concrete", False) and not field.auto_created else None


def _text(field, record) -> str | None:
    value = field.value_from_object(record)
    return None if value is None else field.value_to_string(record)


def _set(record, field, value):
    """Set ``field`` from a value as a form or JSON gives it; ``ValidationError`` if invalid."""
    try:
        _convert_and_set(record, field, value)
    except (TypeError, ValueError, OverflowError):
        # e.g. a number where a date is expected: Django's to_python does not expect it.
        raise ValidationError(
            pgettext_lazy("family portal", "Enter a valid value."), code="invalid"
        ) from None


def _convert_and_set(record, field, value):
    if field.is_relation:
        python = None if value in (None, "") else field.target_field.to_python(value)
        if (
            python is not None
            and not field.related_model._default_manager.filter(pk=python).exists()
        ):
            raise ValidationError(_("Choose a valid option."), code="invalid_choice")
        setattr(record, field.attname, python)
        return
    python = field.to_python(value if value is not None else field.get_default())
    if isinstance(python, dt.date) and not isinstance(python, dt.datetime):
        # A birth date of 0001-01-01 is a typing mistake, never a person.
        validate_plausible_date(python, FILE_DATES)
    if python in (None, "") and not field.null:
        python = field.get_default() if field.has_default() else ("" if field.blank else python)
    field.validate(python, record)
    field.run_validators(python)
    setattr(record, field.attname, python)


def _apply_values(record, values: dict) -> dict:
    """Set ``values`` on ``record`` (unsaved changes) and return the errors, by field."""
    errors: dict[str, list] = {}
    model = type(record)
    for name, value in values.items():
        field = _field(model, name)
        if field is None:
            errors[name] = [_("This field does not exist.")]
            continue
        try:
            _set(record, field, value)
        except ValidationError as error:
            errors[name] = list(error.messages)
    if not errors:
        try:
            record.clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    return errors


def _check_rules(rules, target_type: str, values: dict, adding: bool) -> None:
    errors = rules.check_change(target_type, values, adding=adding) if rules is not None else {}
    if errors:
        raise DossierError(_("Some fields cannot be changed this way."), "invalid", errors)


def _labels(model, names) -> str:
    return ", ".join(str(_field(model, name).verbose_name) for name in names)


def _pending_lines(family: Family):
    return FileChange.objects.filter(request__family=family, request__state=State.PENDING)


def propose_change(
    *, family: Family, user, target_type: str, target_id=None, fields: dict, rules
) -> Request:
    """Ask to change fields of a record of ``family``; the file stays as it is until an agent
    accepts. Only the fields whose value really changes are kept."""
    if not fields:
        raise DossierError(_("Nothing to change."), code="unchanged")
    if target_type == Target.CHILD and PHOTO_FIELD in fields:
        raise DossierError(
            _("Some values are not valid."),
            "invalid",
            {PHOTO_FIELD: [_("Send the photo as an image file, with the photo form.")]},
        )
    _check_rules(rules, target_type, fields, adding=False)
    record = load_record(family, target_type, target_id)
    model = type(record)
    before = {name: _text(_field(model, name), record) for name in fields if _field(model, name)}
    errors = _apply_values(record, fields)
    if errors:
        raise DossierError(_("Some values are not valid."), "invalid", errors)
    changed = {
        name: (before[name], _text(_field(model, name), record))
        for name in fields
        if before[name] != _text(_field(model, name), record)
    }
    if not changed:
        raise DossierError(_("These values are already those of the file."), code="unchanged")
    key_id = target_id if target_type == Target.HEALTH else record.pk
    waiting = _pending_lines(family).filter(
        target_type=target_type, target_id=key_id, field__in=changed, operation=Operation.UPDATE
    )
    if waiting.exists():
        raise DossierError(
            _(
                "A change of %(fields)s is already waiting for validation. Withdraw it first to "
                "ask for another one."
            )
            % {"fields": _labels(model, waiting.values_list("field", flat=True).distinct())},
            code="already_pending",
        )
    summary = _("%(record)s: %(fields)s") % {
        "record": _record_name(target_type, record),
        "fields": _labels(model, changed),
    }
    changes = [
        FileChange(
            target_type=target_type,
            target_id=key_id,
            operation=Operation.UPDATE,
            field=name,
            old_value=old,
            new_value=new,
        )
        for name, (old, new) in changed.items()
    ]
    return _submit(family, user, summary, TOPICS[target_type], changes)


def propose_photo(*, family: Family, user, child_id, uploaded, rules=None) -> Request:
    """Ask to change a child's photo. The image is checked by its content, re-encoded, and kept
    privately until an agent accepts it (then it replaces the photo) or it is refused/withdrawn
    (then it is deleted)."""
    _check_rules(rules, Target.CHILD, {PHOTO_FIELD: "new"}, adding=False)
    child = load_record(family, Target.CHILD, child_id)
    try:
        content = clean_child_photo(uploaded)
    except ValidationError as error:
        raise DossierError(
            _("Some values are not valid."), "invalid", {PHOTO_FIELD: list(error.messages)}
        ) from None
    if (
        _pending_lines(family)
        .filter(target_type=Target.CHILD, target_id=child.pk, field=PHOTO_FIELD)
        .exists()
    ):
        raise DossierError(
            _("A new photo is already waiting for validation. Withdraw it first to send another."),
            code="already_pending",
        )
    field = _field(Child, PHOTO_FIELD)
    storage = private_storage()
    name = storage.save(PENDING_PHOTOS + content.name, content)
    change = FileChange(
        target_type=Target.CHILD,
        target_id=child.pk,
        operation=Operation.UPDATE,
        field=PHOTO_FIELD,
        old_value=_text(field, child),
        new_value=name,
    )
    summary = _("Photo of %(child)s") % {"child": child.first_name}
    return _submit(family, user, summary, Request.Topic.CHILD, [change])


def _pending_photo_names(request: Request) -> list[str]:
    return [
        name
        for name in request.file_changes.filter(
            target_type=Target.CHILD, field=PHOTO_FIELD
        ).values_list("new_value", flat=True)
        if name
    ]


def _delete_after_commit(names) -> None:
    """Delete private files once the transaction has committed (never a file still in use)."""
    names = [name for name in names if name]
    if names:
        storage = private_storage()
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def propose_addition(
    *, family: Family, user, target_type: str, fields: dict, rules, parent_id=None
) -> Request:
    """Ask to add a child, a guardian, or an authorised contact of the child ``parent_id``."""
    target = _target(target_type)
    if not target.can_add:
        raise DossierError(_("This kind of record cannot be added online."), code="not_allowed")
    _check_rules(rules, target_type, fields, adding=True)
    if target_type == Target.CONTACT:
        child = load_record(family, Target.CHILD, parent_id)
        record = AuthorisedContact(child=child)
    else:
        record = target.model(family=family)
    errors = _apply_values(record, fields)
    if errors:
        raise DossierError(_("Some values are not valid."), "invalid", errors)
    model = type(record)
    values = {name: _text(_field(model, name), record) for name in fields}
    summary = _("New %(record)s: %(name)s") % {
        "record": model._meta.verbose_name,
        "name": _display_name(record),
    }
    change = FileChange(
        target_type=target_type,
        target_id=parent_id if target_type == Target.CONTACT else None,
        operation=Operation.ADD,
        new_value=values,
    )
    return _submit(family, user, summary, ADDITION_TOPICS[target_type], [change])


def propose_removal(*, family: Family, user, target_type: str, target_id) -> Request:
    """Ask to remove an authorised contact."""
    target = _target(target_type)
    if not target.can_remove:
        raise DossierError(_("This kind of record cannot be removed online."), "not_allowed")
    record = load_record(family, target_type, target_id)
    if (
        _pending_lines(family)
        .filter(target_type=target_type, target_id=record.pk, operation=Operation.REMOVE)
        .exists()
    ):
        raise DossierError(_("Its removal is already waiting for validation."), "already_pending")
    summary = _("Removal of %(record)s: %(name)s") % {
        "record": type(record)._meta.verbose_name,
        "name": _display_name(record),
    }
    change = FileChange(
        target_type=target_type,
        target_id=record.pk,
        operation=Operation.REMOVE,
        old_value={"name": _display_name(record)},
    )
    return _submit(family, user, summary, TOPICS[target_type], [change])


def _display_name(record) -> str:
    if isinstance(record, Family):
        return str(_("%(name)s family") % {"name": record.name})
    if isinstance(record, ChildHealth):
        return str(record.child)
    return str(record)


def _record_name(target_type: str, record) -> str:
    if target_type == Target.HEALTH:
        return str(_("health information of %(child)s") % {"child": record.child})
    return capfirst(_display_name(record))


# What a change to a record is called in "Mes demandes"; additions have their own names.
TOPICS = {
    Target.FAMILY: Request.Topic.FAMILY,
    Target.GUARDIAN: Request.Topic.GUARDIAN,
    Target.CHILD: Request.Topic.CHILD,
    Target.HEALTH: Request.Topic.HEALTH,
    Target.CONTACT: Request.Topic.CONTACT,
}
ADDITION_TOPICS = {
    Target.GUARDIAN: Request.Topic.NEW_GUARDIAN,
    Target.CHILD: Request.Topic.NEW_CHILD,
    Target.CONTACT: Request.Topic.CONTACT,
}


def _submit(family, user, summary, topic, changes: list[FileChange]) -> Request:
    """The request of ``changes`` (unsaved lines), with its first history entry and its receipt:
    all saved, or none."""
    with transaction.atomic():
        request = _create_request(family, user, summary, topic)
        for change in changes:
            change.request = request
        FileChange.objects.bulk_create(changes)
    return request


def _create_request(family, user, summary, topic) -> Request:
    request = Request.objects.create(
        family=family,
        kind=Request.Kind.FILE_CHANGE,
        topic=topic,
        created_by=user,
        summary=str(summary)[:255],
    )
    _event(request, user, RequestEvent.Action.SUBMITTED, "", State.PENDING)
    notifications.request_received(request)
    return request


def _event(request, user, action, from_state, to_state, message=""):
    decided = action in (RequestEvent.Action.ACCEPTED, RequestEvent.Action.REFUSED)
    return RequestEvent.objects.create(
        request=request,
        user=user,
        actor=RequestEvent.Actor.AGENT if decided else RequestEvent.Actor.FAMILY,
        action=action,
        from_state=from_state,
        to_state=to_state,
        message=message,
    )


def _lock_pending(request: Request) -> Request:
    locked = Request.objects.select_for_update().get(pk=request.pk)
    if locked.state != State.PENDING:
        raise DossierError(
            _("This request has already been processed (%(state)s).")
            % {"state": locked.get_state_display()},
            code="not_pending",
        )
    return locked


def withdraw(request: Request, *, user) -> Request:
    """The family takes back a request still waiting for an agent."""
    with transaction.atomic():
        locked = _lock_pending(request)
        locked.state = State.WITHDRAWN
        locked.save(update_fields=["state"])
        _delete_after_commit(_pending_photo_names(locked))
        _event(locked, user, RequestEvent.Action.WITHDRAWN, State.PENDING, State.WITHDRAWN)
    return locked


def refuse(request: Request, *, agent, message: str) -> Request:
    """Refuse with a message to the family (required: the family must know why)."""
    if not (message or "").strip():
        raise DossierError(
            _("Write a message to the family saying why the change is refused."),
            code="invalid",
            errors={"message": [pgettext_lazy("family portal", "This field is required.")]},
        )
    return _decide(request, agent, State.REFUSED, message.strip())


def accept(request: Request, *, agent, message: str = "") -> Request:
    """Apply every line of the request to the file, all or nothing.

    A record changed since the family saw it (a value different from ``old_value``, a record
    deleted) makes it fail with ``conflict`` and changes nothing: the agent refuses it or asks
    the family to submit again.
    """
    return _decide(request, agent, State.ACCEPTED, (message or "").strip())


def _decide(request: Request, agent, state: str, message: str) -> Request:
    with transaction.atomic():
        locked = _lock_pending(request)
        if state == State.ACCEPTED:
            for change in locked.file_changes.order_by("pk"):
                _apply(locked.family, change)
        else:
            _delete_after_commit(_pending_photo_names(locked))
        locked.state = state
        locked.decided_at = timezone.now()
        locked.decided_by = agent
        locked.answer = message
        locked.save(update_fields=["state", "decided_at", "decided_by", "answer"])
        accepted = state == State.ACCEPTED
        action = RequestEvent.Action.ACCEPTED if accepted else RequestEvent.Action.REFUSED
        _event(locked, agent, action, State.PENDING, state, message)
        notifications.record_request_decision(locked, state, message, locked.decided_at)
        log(
            locked.family,
            f"wagtail_family_portal.file_change_{state}",
            user=agent,
            data={"request": locked.pk, "summary": locked.summary},
        )
    return locked


def _conflict(message) -> DossierError:
    return DossierError(message, code="conflict")


def _apply(family: Family, change: FileChange) -> None:
    if change.operation == Operation.ADD:
        _apply_addition(family, change)
        return
    try:
        record = load_record(family, change.target_type, change.target_id, for_update=True)
    except DossierError:
        raise _conflict(
            _("The record of this change no longer exists. Refuse the request.")
        ) from None
    if change.operation == Operation.REMOVE:
        record.delete()
        return
    field = _field(type(record), change.field)
    if field is None:
        raise _conflict(_("The field %(field)s no longer exists.") % {"field": change.field})
    if _text(field, record) != change.old_value:
        raise _conflict(
            _(
                "%(field)s has changed since the family asked (now “%(current)s”). Refuse the "
                "request, or ask the family to submit it again."
            )
            % {"field": capfirst(field.verbose_name), "current": _text(field, record) or ""}
        )
    if change.field == PHOTO_FIELD:
        # The new photo is already stored (privately); the old file goes once this commits.
        record.photo.name = change.new_value
        record.save()
        _delete_after_commit([change.old_value])
        return
    errors = _apply_values(record, {change.field: change.new_value})
    if errors:
        raise _conflict("; ".join(str(m) for messages in errors.values() for m in messages))
    record.save()


def _apply_addition(family: Family, change: FileChange) -> None:
    target = TARGETS[change.target_type]
    if change.target_type == Target.CONTACT:
        try:
            child = load_record(family, Target.CHILD, change.target_id, for_update=True)
        except DossierError:
            raise _conflict(_("The child of this contact no longer exists.")) from None
        record = AuthorisedContact(child=child)
    else:
        record = target.model(family=family)
    errors = _apply_values(record, change.new_value or {})
    if errors:
        raise _conflict("; ".join(str(m) for messages in errors.values() for m in messages))
    record.save()


def pending_changes(family: Family) -> dict[tuple[str, int | None, str], FileChange]:
    """The pending value of each field of the file, for the pages to highlight, in one query."""
    lines = _pending_lines(family).filter(operation=Operation.UPDATE).select_related("request")
    return {(line.target_type, line.target_id, line.field): line for line in lines}


def pending_records(family: Family) -> list[FileChange]:
    """The records the family asked to add or remove and that still wait, with their requests,
    in the order they were asked (one query): the pages and the API show them apart from the
    fields of ``pending_changes``."""
    lines = _pending_lines(family).filter(operation__in=[Operation.ADD, Operation.REMOVE])
    return list(lines.select_related("request").order_by("pk"))
