"""The family file pages under the portal page ("Mon dossier famille").

The family page (address, tax data, guardians, children, recent answers), one page per child
(general information, consents, health information, authorised contacts, photo), a "Modifier"
form per block, forms adding a guardian, a child or a contact, the removal of a contact, the
child's photo and the withdrawal of a change still waiting.

Every route takes the family through ``Family.objects.for_account`` (and the site's
municipality), so another family's id, or a record of another family, is a 404. Nothing here
changes the file: the forms call ``services.dossier``, which records a change request for an
agent to accept. Wherever a field is shown, a change waiting for it is shown too, highlighted,
with a button to withdraw it. Which fields appear, and which can be changed, follows the
site's field rules (``FamilyFileRules.rules_for``).
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property, wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..file_fields import ADDRESS
from ..http import request_site
from ..models import AuthorisedContact, Child, FamilyFileRules
from ..models.requests import FileChange, Request
from ..services import dossier, file_changes
from ..storage import photo_response, private_file_response
from ..validators import HEX_COLOUR_RE
from .family_forms import (
    NOT_IN_FORMS,
    PHOTO_FIELD,
    FamilyFileForm,
    PhotoForm,
    model_for,
    sections,
)
from .family_pages import account_family
from .portal import portal_context, subpage_url

TEMPLATES = "wagtail_family_portal/family/"
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


def _login_redirect(request, page):
    return redirect_to_login(request.get_full_path(), subpage_url(page, "login", request))


class FamilyFile:
    """What the pages of one family need: its rules, its waiting changes, its URLs.

    The waiting changes are read once per page (two queries), whatever the number of records.
    """

    def __init__(self, request, page, family, context):
        self.request = request
        self.page = page
        self.family = family
        self.context = context
        self.rules = FamilyFileRules.rules_for(request_site(request))
        self.base_url = page.get_url(request)

    def url(self, name: str, *args) -> str:
        return self.base_url + self.page.reverse_subpage(name, args=(self.family.pk, *args))

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

    # Rendering

    def render(self, template: str, context: dict, status: int = 200):
        colour = getattr(self.context.get("portal_settings"), "pending_colour", "") or ""
        context = {
            **self.context,
            "family": self.family,
            "family_url": self.url("family_file"),
            "pending_colour": colour if HEX_COLOUR_RE.match(colour) else "",
            **context,
        }
        return TemplateResponse(self.request, TEMPLATES + template, context, status=status)

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


def _family_route(view):
    """Log-in required, then the account's family ``family_id`` (on this site's town) or 404."""

    @wraps(view)
    def wrapper(request, page, family_id, **kwargs):
        if not request.user.is_authenticated:
            return _login_redirect(request, page)
        context = portal_context(request, page)
        family = account_family(request, context, family_id)
        return view(FamilyFile(request, page, family, context), **kwargs)

    return wrapper


def _child(files: FamilyFile, child_id, queryset=None) -> Child:
    queryset = Child.objects.all() if queryset is None else queryset
    child = queryset.filter(family=files.family, pk=child_id).first()
    if child is None:
        raise Http404
    return child


# Pages


@_family_route
def family_file(files: FamilyFile):
    """The family page: address, tax data, guardians, children, recent answers."""
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
    return files.render(
        "family_file.html",
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


@_family_route
def child_file(files: FamilyFile, child_id):
    """One child: general information, consents, health information, contacts, photo."""
    child = _child(files, child_id, Child.objects.select_related("establishment", "health"))
    health = child.health_or_defaults()
    contacts = list(AuthorisedContact.objects.filter(child=child).order_by("pk"))
    can_change_contact = files.can_change("contact")
    photo_line = files.pending.get(("child", child.pk, PHOTO_FIELD))
    return files.render(
        "child_file.html",
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


# Forms

CHANGE_TITLES = {
    "family": _("Change the address of the %(name)s family"),
    "guardian": _("Change the details of %(name)s"),
    "child": _("Change the details of %(name)s"),
    "health": _("Change the health information of %(name)s"),
    "contact": _("Change the authorised contact %(name)s"),
}
ADD_TITLES = {
    "guardian": _("Add a guardian"),
    "child": _("Add a child"),
    "contact": _("Add an authorised contact for %(name)s"),
}


def _record_name(target_type: str, record) -> str:
    if target_type == "family":
        return record.name
    if target_type == "health":
        return str(record.child)
    return str(record)


@_family_route
def family_change(files: FamilyFile, target_type, target_id):
    """The "Modifier" form of one block; submitting it asks for the change."""
    if target_type not in dossier.TARGETS:
        raise Http404
    try:
        record = dossier.load_record(files.family, target_type, target_id)
    except dossier.DossierError:
        raise Http404 from None
    request = files.request
    form = FamilyFileForm(
        request.POST if request.method == "POST" else None,
        target_type=target_type,
        rules=files.rules,
        record=record,
        municipality=files.family.municipality,
    )
    if request.method == "POST" and form.is_valid():
        try:
            dossier.propose_change(
                family=files.family,
                user=request.user,
                target_type=target_type,
                target_id=target_id,
                fields={**form.service_values(), **form.forbidden_values()},
                rules=files.rules,
            )
        except dossier.DossierError as error:
            if error.code == "not_found":
                raise Http404 from None
            form.show_service_error(error)
        else:
            messages.success(request, SENT)
            return redirect(files.block_url(target_type, record))
    key_id = target_id if target_type == "health" else record.pk
    waiting = [
        row for row in files.rows(target_type, record, key_id, list(form.fields)) if row.pending
    ]
    return files.render(
        "change_form.html",
        {
            "form": form,
            "title": CHANGE_TITLES[target_type] % {"name": _record_name(target_type, record)},
            "back_url": files.block_url(target_type, record),
            "waiting": waiting,
            "fieldsets": _fieldsets(form, {row.name: row for row in waiting}),
        },
    )


def _fieldsets(form, waiting: dict) -> list[dict]:
    return [
        {
            "key": fieldset["key"],
            "title": fieldset["title"],
            "items": [
                {"field": bound, "waiting": waiting.get(bound.name)} for bound in fieldset["fields"]
            ],
        }
        for fieldset in form.fieldsets()
    ]


ADDABLE = {None: {"child", "guardian"}, "parent": {"contact"}}
ADDED_ANCHORS = {"child": "#wfp-children", "guardian": "#wfp-guardians"}


@_family_route
def family_add(files: FamilyFile, target_type, parent_id=None):
    """Ask to add a guardian or a child, or an authorised contact of a child."""
    if target_type not in ADDABLE["parent" if parent_id is not None else None]:
        raise Http404
    child = _child(files, parent_id) if target_type == "contact" else None
    request = files.request
    form = FamilyFileForm(
        request.POST if request.method == "POST" else None,
        target_type=target_type,
        rules=files.rules,
        municipality=files.family.municipality,
    )
    if child is not None:
        back_url = files.url("child_file", child.pk) + "#wfp-contacts"
    else:
        back_url = files.url("family_file") + ADDED_ANCHORS[target_type]
    if request.method == "POST" and form.is_valid():
        try:
            dossier.propose_addition(
                family=files.family,
                user=request.user,
                target_type=target_type,
                fields={**form.service_values(), **form.forbidden_values()},
                rules=files.rules,
                parent_id=parent_id,
            )
        except dossier.DossierError as error:
            if error.code == "not_found":
                raise Http404 from None
            form.show_service_error(error)
        else:
            messages.success(request, SENT)
            return redirect(back_url)
    title = ADD_TITLES[target_type]
    if child is not None:
        title = title % {"name": child}
    return files.render(
        "change_form.html",
        {
            "form": form,
            "title": title,
            "back_url": back_url,
            "adding": True,
            "fieldsets": _fieldsets(form, {}),
        },
    )


@_family_route
def remove_contact(files: FamilyFile, contact_id):
    """Ask to remove an authorised contact: a confirmation page, then a POST."""
    contact = (
        AuthorisedContact.objects.filter(child__family=files.family, pk=contact_id)
        .select_related("child")
        .first()
    )
    if contact is None:
        raise Http404
    request = files.request
    back_url = files.url("child_file", contact.child_id) + "#wfp-contacts"
    if request.method == "POST":
        try:
            dossier.propose_removal(
                family=files.family,
                user=request.user,
                target_type="contact",
                target_id=contact.pk,
            )
        except dossier.DossierError as error:
            if error.code == "not_found":
                raise Http404 from None
            messages.error(request, error.message)
        else:
            messages.success(request, SENT)
        return redirect(back_url)
    return files.render(
        "remove_contact.html",
        {
            "contact": contact,
            "back_url": back_url,
            "removal": files.pending_removal("contact", contact.pk),
        },
    )


# Photo


def _photo_child(files: FamilyFile, child_id) -> Child:
    """The child, if its photo is shown to families on this site (404 otherwise)."""
    child = _child(files, child_id)
    if PHOTO_FIELD not in files.rules.visible_fields("child"):
        raise Http404
    return child


@_family_route
def child_photo(files: FamilyFile, child_id):
    """The child's photo, or with ``?version=pending`` the one waiting for validation; only
    to the family's accounts (the files have no public address)."""
    child = _photo_child(files, child_id)
    if files.request.GET.get("version") == "pending":
        line = files.pending.get(("child", child.pk, PHOTO_FIELD))
        if line is None:
            raise Http404
        return private_file_response(line.new_value)
    return photo_response(child.photo)


@_family_route
def child_photo_change(files: FamilyFile, child_id):
    """Send a new photo: checked, re-encoded and kept aside until an agent accepts it."""
    child = _photo_child(files, child_id)
    request = files.request
    back_url = files.url("child_file", child.pk) + "#wfp-child-photo"
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                dossier.propose_photo(
                    family=files.family,
                    user=request.user,
                    child_id=child.pk,
                    uploaded=form.cleaned_data["photo"],
                    rules=files.rules,
                )
            except dossier.DossierError as error:
                if error.code == "not_found":
                    raise Http404 from None
                form.show_service_error(error)
            else:
                messages.success(request, SENT)
                return redirect(back_url)
    else:
        form = PhotoForm()
    line = files.pending.get(("child", child.pk, PHOTO_FIELD))
    return files.render(
        "photo_form.html",
        {
            "child": child,
            "form": form,
            "back_url": back_url,
            "can_change": PHOTO_FIELD in files.rules.editable_fields("child"),
            "photo_url": files.url("child_photo", child.pk) if child.photo else None,
            "pending_url": (
                files.url("child_photo", child.pk) + "?version=pending" if line else None
            ),
            "withdraw_url": files.withdraw_url(line.request_id) if line else None,
        },
    )


# Withdrawal


@_family_route
def withdraw_change(files: FamilyFile, request_id):
    """Take back a change still waiting (POST), then back to the page it was asked from."""
    request = files.request
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    change_request = Request.objects.filter(
        family=files.family, kind=Request.Kind.FILE_CHANGE, pk=request_id
    ).first()
    if change_request is None:
        raise Http404
    try:
        dossier.withdraw(change_request, user=request.user)
    except dossier.DossierError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your change has been withdrawn."))
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(files.url("family_file"))
