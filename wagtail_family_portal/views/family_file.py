"""The family file pages under the portal page ("Mon dossier famille").

The family page (address, tax data, guardians, children, recent answers) and one page per child
(general information, consents, health information, authorised contacts, photo). The "Modifier"
forms, the additions, the removal of a contact and the withdrawal of a change are in
views/family_changes.py, the child's photo in views/child_photo.py; ``FamilyFile`` is what they
all read.

Every route is a ``base.portal_view(family=True)``, so another family's id, or a record of
another family, is a 404. Nothing here changes the file: the forms call ``services.dossier``,
which records a change request for an agent to accept. Wherever a field is shown, a change
waiting for it is shown too, highlighted, with a button to withdraw it. Which fields appear,
and which can be changed, follows the site's field rules (``FamilyFileRules.rules_for``).
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..file_fields import ADDRESS
from ..http import request_site
from ..models import AuthorisedContact, Child, FamilyFileRules
from ..models.requests import FileChange, Request
from ..services import dossier, file_changes
from .base import FamilyPages, portal_view
from .family_forms import NOT_IN_FORMS, PHOTO_FIELD, model_for, sections

TEMPLATES = "family/"
RECENT_ANSWERS_DAYS = 60
TAX_FIELDS = ("family_quotient", "quotient_year", "caf_number")
CHILD_SUMMARY = ("birth_date", "class_level", "establishment")
NAME_FIELDS = ("first_name", "last_name")

SENT = _("Your change has been sent to the service; it appears as waiting for validation.")

State = Request.State
Operation = FileChange.Operation


@dataclass
class FieldRow:
    """One field of a record on a page: its current value, and the value waiting, if any."""

    name: str
    label: str
    value: str
    pending: bool = False
    pending_value: str = ""
    withdraw_url: str = ""
    withdraw_label: str = ""
    # The request also changes other fields: withdrawing it withdraws them too.
    shared_request: bool = False


@dataclass
class PendingRecord:
    """A guardian, child or contact the family asked to add, or a contact it asked to remove."""

    title: str
    rows: list = field(default_factory=list)
    withdraw_url: str = ""


class FamilyFile:
    """What the pages of one family need: its rules, its waiting changes, its URLs.

    The waiting changes are read once per page (two queries), whatever the number of records.
    """

    def __init__(self, pages: FamilyPages):
        self.pages = pages
        self.request = pages.request
        self.family = pages.family
        self.rules = FamilyFileRules.rules_for(request_site(pages.request))
        self.url = pages.url

    # Waiting changes

    @cached_property
    def pending(self) -> dict:
        return dossier.pending_changes(self.family)

    @cached_property
    def _other_pending(self) -> tuple[dict, dict]:
        """Waiting additions by (target type, parent id), removals by (target type, id)."""
        additions, removals = defaultdict(list), {}
        for line in dossier.pending_records(self.family):
            if line.operation == Operation.ADD:
                additions[(line.target_type, line.target_id)].append(line)
            else:
                removals[(line.target_type, line.target_id)] = line
        return additions, removals

    @cached_property
    def _lines_per_request(self) -> Counter:
        return Counter(line.request_id for line in self.pending.values())

    @cached_property
    def display(self) -> file_changes.ValueDisplay:
        """Values written out for the family; the records that waiting values of relations (a
        school) point to are read at once, one query per model."""
        waiting = [
            (file_changes.field_of(target_type, name), line.new_value)
            for (target_type, _id, name), line in self.pending.items()
        ]
        return file_changes.ValueDisplay(file_changes.FAMILY, waiting)

    def withdraw_url(self, request_id) -> str:
        return self.url("withdraw_change", request_id)

    # Asking for a change

    def propose(self, propose, back_url: str, form=None, **arguments):
        """Ask ``services.dossier`` for a change of this family's file (``propose``:
        ``dossier.propose_change``, ``propose_addition``, ``propose_removal`` or
        ``propose_photo``): the answer is the way back to ``back_url`` with "sent", or None when
        the service refused, its reason on ``form`` (or in the page's messages without one). A
        record that is not the family's is a 404."""
        try:
            propose(family=self.family, user=self.request.user, **arguments)
        except dossier.DossierError as error:
            if error.code == "not_found":
                raise Http404 from None
            if form is None:
                messages.error(self.request, error.message)
            else:
                form.show_service_error(error)
            return None
        messages.success(self.request, SENT)
        return redirect(back_url)

    # Rows

    def visible(self, target_type: str, names=None) -> list[str]:
        shown = self.rules.visible_fields(target_type)
        if target_type == "child":
            shown = [name for name in shown if name != PHOTO_FIELD]
        return shown if names is None else [name for name in shown if name in names]

    def rows(self, target_type: str, record, key_id, names) -> list[FieldRow]:
        model = model_for(target_type)
        rows = []
        for name in names:
            model_field = model._meta.get_field(name)
            current = getattr(record, name)
            row = FieldRow(
                name=name,
                label=capfirst(model_field.verbose_name),
                value=self.display.value(model_field, current),
            )
            line = self.pending.get((target_type, key_id, name))
            if line is not None:
                row.pending = True
                row.pending_value = self.display.text(model_field, line.new_value)
                row.withdraw_url = self.withdraw_url(line.request_id)
                row.withdraw_label = _("Withdraw the change of %(field)s") % {
                    "field": model_field.verbose_name
                }
                row.shared_request = self._lines_per_request[line.request_id] > 1
            rows.append(row)
        return rows

    def sections(self, target_type: str, record, key_id) -> list[dict]:
        """The record's visible fields, in the blocks of its page."""
        return [
            {"key": key, "title": title, "rows": self.rows(target_type, record, key_id, chosen)}
            for key, title, chosen in sections(target_type, self.visible(target_type))
        ]

    def can_change(self, target_type: str) -> bool:
        excluded = NOT_IN_FORMS.get(target_type, set())
        return any(name not in excluded for name in self.rules.editable_fields(target_type))

    def pending_additions(self, target_type: str, parent_id=None) -> list[PendingRecord]:
        additions, _removals = self._other_pending
        model = model_for(target_type)
        records = []
        for line in additions.get((target_type, parent_id), []):
            values = line.new_value if isinstance(line.new_value, dict) else {}
            rows = [
                FieldRow(
                    name=name,
                    label=capfirst(model._meta.get_field(name).verbose_name),
                    value=self.display.text(model._meta.get_field(name), values[name]),
                )
                for name in self.visible(target_type)
                if name in values
            ]
            title = " ".join(str(values.get(name) or "") for name in NAME_FIELDS).strip()
            records.append(
                PendingRecord(
                    title=title or str(line.request.summary),
                    rows=[row for row in rows if row.value],
                    withdraw_url=self.withdraw_url(line.request_id),
                )
            )
        return records

    def pending_removal(self, target_type: str, target_id) -> PendingRecord | None:
        _additions, removals = self._other_pending
        line = removals.get((target_type, target_id))
        if line is None:
            return None
        return PendingRecord(
            title=str(line.request.summary), withdraw_url=self.withdraw_url(line.request_id)
        )

    def block_url(self, target_type: str, record) -> str:
        """The page, and the place on it, where a record's block is shown."""
        if target_type == "family":
            return self.url("family_file") + "#wfp-family-address"
        if target_type == "guardian":
            return self.url("family_file") + f"#wfp-guardian-{record.pk}"
        if target_type == "health":
            return self.url("child_file", record.child_id) + "#wfp-child-health"
        if target_type == "contact":
            return self.url("child_file", record.child_id) + f"#wfp-contact-{record.pk}"
        return self.url("child_file", record.pk) + "#wfp-child-general"


# Pages


@portal_view(family=True)
def family_file(request, pages):
    """The family page: address, tax data, guardians, children, recent answers."""
    files = FamilyFile(pages)
    family = files.family
    guardians = list(family.guardians.order_by("pk"))
    children = list(
        Child.objects.filter(family=family)
        .select_related("establishment")
        .order_by("birth_date", "pk")
    )
    since = timezone.now() - dt.timedelta(days=RECENT_ANSWERS_DAYS)
    answers = Request.objects.filter(
        family=family,
        kind=Request.Kind.FILE_CHANGE,
        state__in=[State.ACCEPTED, State.REFUSED],
        decided_at__gte=since,
    ).order_by("-decided_at", "-pk")
    summary_fields = files.visible("child", (*NAME_FIELDS, *CHILD_SUMMARY))
    return pages.render(
        TEMPLATES + "family_file.html",
        {
            "address_rows": files.rows(
                "family",
                family,
                family.pk,
                [name for name in files.visible("family") if name not in TAX_FIELDS],
            ),
            "address_change_url": (
                files.url("family_change", "family", family.pk)
                if files.can_change("family")
                else None
            ),
            "tax_rows": files.rows(
                "family", family, family.pk, files.visible("family", TAX_FIELDS)
            ),
            "guardians": [
                {
                    "record": guardian,
                    "sections": _guardian_sections(files, guardian),
                    "change_url": (
                        files.url("family_change", "guardian", guardian.pk)
                        if files.can_change("guardian")
                        else None
                    ),
                }
                for guardian in guardians
            ],
            "new_guardians": files.pending_additions("guardian"),
            "add_guardian_url": files.url("family_add", "guardian"),
            "children": [
                {
                    "record": child,
                    "url": files.url("child_file", child.pk),
                    # The name is the link; a waiting change of it is shown under it.
                    "rows": [
                        row
                        for row in files.rows("child", child, child.pk, summary_fields)
                        if row.name not in NAME_FIELDS or row.pending
                    ],
                }
                for child in children
            ],
            "new_children": files.pending_additions("child"),
            "add_child_url": files.url("family_add", "child"),
            "answers": answers,
            "answers_days": RECENT_ANSWERS_DAYS,
        },
    )


def _guardian_sections(files: FamilyFile, guardian) -> list[dict]:
    """A guardian living at the family's address shows no empty address of its own."""
    blocks = files.sections("guardian", guardian, guardian.pk)
    if guardian.same_address_as_family:
        for block in blocks:
            block["rows"] = [
                row for row in block["rows"] if row.name not in ADDRESS or row.value or row.pending
            ]
    return [block for block in blocks if block["rows"]]


@portal_view(family=True)
def child_file(request, pages, child_id):
    """One child: general information, consents, health information, contacts, photo."""
    files = FamilyFile(pages)
    child = pages.child(child_id, Child.objects.select_related("establishment", "health"))
    health = child.health_or_defaults()
    contacts = list(AuthorisedContact.objects.filter(child=child).order_by("pk"))
    can_change_contact = files.can_change("contact")
    photo_line = files.pending.get(("child", child.pk, PHOTO_FIELD))
    return pages.render(
        TEMPLATES + "child_file.html",
        {
            "child": child,
            "child_sections": files.sections("child", child, child.pk),
            "child_change_url": (
                files.url("family_change", "child", child.pk) if files.can_change("child") else None
            ),
            "health_sections": files.sections("health", health, child.pk),
            "health_change_url": (
                files.url("family_change", "health", child.pk)
                if files.can_change("health")
                else None
            ),
            "contacts_visible": bool(files.visible("contact")),
            "contacts": [
                {
                    "record": contact,
                    "rows": files.rows("contact", contact, contact.pk, files.visible("contact")),
                    "change_url": (
                        files.url("family_change", "contact", contact.pk)
                        if can_change_contact
                        else None
                    ),
                    "remove_url": files.url("family_remove_contact", contact.pk),
                    "removal": files.pending_removal("contact", contact.pk),
                }
                for contact in contacts
            ],
            "new_contacts": files.pending_additions("contact", child.pk),
            "add_contact_url": files.url("family_add_for", "contact", child.pk),
            "photo": {
                "visible": PHOTO_FIELD in files.rules.visible_fields("child"),
                "url": files.url("child_photo", child.pk) if child.photo else None,
                "pending_url": (
                    files.url("child_photo", child.pk) + "?version=pending" if photo_line else None
                ),
                "withdraw_url": files.withdraw_url(photo_line.request_id) if photo_line else None,
                "change_url": (
                    files.url("child_photo_change", child.pk)
                    if PHOTO_FIELD in files.rules.editable_fields("child")
                    else None
                ),
            },
        },
    )
