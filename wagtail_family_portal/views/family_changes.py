"""The changes a family asks for its file: the "Modifier" form of a block, the addition of a
guardian, a child or an authorised contact, the removal of a contact, the withdrawal of a change
still waiting.

Nothing here changes the file: ``services.dossier`` records a change request for an agent to
accept. The pages show, next to each field, the change already waiting for it
(``family_file.FamilyFile``).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import AuthorisedContact
from ..models.requests import Request
from ..services import dossier
from .base import portal_view
from .family_file import TEMPLATES, FamilyFile
from .family_forms import FamilyFileForm

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


@portal_view(family=True)
def family_change(request, pages, target_type, target_id):
    """The "Modifier" form of one block; submitting it asks for the change."""
    files = FamilyFile(pages)
    if target_type not in dossier.TARGETS:
        raise Http404
    try:
        record = dossier.load_record(files.family, target_type, target_id)
    except dossier.DossierError:
        raise Http404 from None
    form = FamilyFileForm(
        request.POST if request.method == "POST" else None,
        target_type=target_type,
        rules=files.rules,
        record=record,
        municipality=files.family.municipality,
    )
    if request.method == "POST" and form.is_valid():
        sent = files.propose(
            dossier.propose_change,
            files.block_url(target_type, record),
            form,
            target_type=target_type,
            target_id=target_id,
            fields={**form.service_values(), **form.forbidden_values()},
            rules=files.rules,
        )
        if sent:
            return sent
    key_id = target_id if target_type == "health" else record.pk
    waiting = [
        row for row in files.rows(target_type, record, key_id, list(form.fields)) if row.pending
    ]
    return pages.render(
        TEMPLATES + "change_form.html",
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


@portal_view(family=True)
def family_add(request, pages, target_type, parent_id=None):
    """Ask to add a guardian or a child, or an authorised contact of a child."""
    if target_type not in ADDABLE["parent" if parent_id is not None else None]:
        raise Http404
    files = FamilyFile(pages)
    child = pages.child(parent_id) if target_type == "contact" else None
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
        sent = files.propose(
            dossier.propose_addition,
            back_url,
            form,
            target_type=target_type,
            fields={**form.service_values(), **form.forbidden_values()},
            rules=files.rules,
            parent_id=parent_id,
        )
        if sent:
            return sent
    title = ADD_TITLES[target_type]
    if child is not None:
        title = title % {"name": child}
    return pages.render(
        TEMPLATES + "change_form.html",
        {
            "form": form,
            "title": title,
            "back_url": back_url,
            "adding": True,
            "fieldsets": _fieldsets(form, {}),
        },
    )


@portal_view(family=True)
def remove_contact(request, pages, contact_id):
    """Ask to remove an authorised contact: a confirmation page, then a POST."""
    files = FamilyFile(pages)
    contact = get_object_or_404(
        AuthorisedContact.objects.filter(child__family=files.family).select_related("child"),
        pk=contact_id,
    )
    back_url = files.url("child_file", contact.child_id) + "#wfp-contacts"
    if request.method == "POST":
        sent = files.propose(
            dossier.propose_removal, back_url, target_type="contact", target_id=contact.pk
        )
        return sent or redirect(back_url)
    return pages.render(
        TEMPLATES + "remove_contact.html",
        {
            "contact": contact,
            "back_url": back_url,
            "removal": files.pending_removal("contact", contact.pk),
        },
    )


@portal_view(family=True)
@require_POST
def withdraw_change(request, pages, request_id):
    """Take back a change still waiting (POST), then back to the page it was asked from."""
    change_request = Request.objects.filter(
        family=pages.family, kind=Request.Kind.FILE_CHANGE, pk=request_id
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
    return redirect(pages.url("family_file"))
