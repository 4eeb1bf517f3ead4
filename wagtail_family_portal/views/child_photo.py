"""The child's photo: shown only to the family's accounts (the files have no public address),
and a new one sent for validation."""

from django.http import Http404

from ..models import Child
from ..services import dossier
from ..storage import photo_response, private_file_response
from .base import portal_view
from .family_file import TEMPLATES, FamilyFile
from .family_forms import PHOTO_FIELD, PhotoForm


def _photo_child(files: FamilyFile, child_id) -> Child:
    """The child, if its photo is shown to families on this site (404 otherwise)."""
    child = files.pages.child(child_id)
    if PHOTO_FIELD not in files.rules.visible_fields("child"):
        raise Http404
    return child


@portal_view(family=True)
def child_photo(request, pages, child_id):
    """The child's photo, or with ``?version=pending`` the one waiting for validation; only
    to the family's accounts (the files have no public address)."""
    files = FamilyFile(pages)
    child = _photo_child(files, child_id)
    if request.GET.get("version") == "pending":
        line = files.pending.get(("child", child.pk, PHOTO_FIELD))
        if line is None:
            raise Http404
        return private_file_response(line.new_value)
    return photo_response(child.photo)


@portal_view(family=True)
def child_photo_change(request, pages, child_id):
    """Send a new photo: checked, re-encoded and kept aside until an agent accepts it."""
    files = FamilyFile(pages)
    child = _photo_child(files, child_id)
    back_url = files.url("child_file", child.pk) + "#wfp-child-photo"
    if request.method == "POST":
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            sent = files.propose(
                dossier.propose_photo,
                back_url,
                form,
                child_id=child.pk,
                uploaded=form.cleaned_data["photo"],
                rules=files.rules,
            )
            if sent:
                return sent
    else:
        form = PhotoForm()
    line = files.pending.get(("child", child.pk, PHOTO_FIELD))
    return pages.render(
        TEMPLATES + "photo_form.html",
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
