"""move_family_portal_photos: photos uploaded before the private storage are moved into it."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from wagtail_family_portal.models import Child

from . import factories

OLD_NAME = "family_portal/children/lea.jpg"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT = str(tmp_path / "private")
    return tmp_path


def child_with_old_photo(family, name=OLD_NAME, content=b"old jpeg"):
    """A child whose photo was uploaded before migration 0006: its file is in public media."""
    child = factories.ChildFactory(family=family)
    saved = default_storage.save(name, ContentFile(content))
    Child.objects.filter(pk=child.pk).update(photo=saved)
    return Child.objects.get(pk=child.pk)


def run(*args) -> str:
    out = StringIO()
    call_command("move_family_portal_photos", *args, stdout=out)
    return out.getvalue()


def test_a_public_photo_is_moved_to_the_private_storage_and_found_again(media, family):
    child = child_with_old_photo(family)
    public_file = media / "media" / OLD_NAME
    with pytest.raises(FileNotFoundError):  # what families and agents saw: a broken photo
        child.photo.open("rb")

    out = run()

    assert f"moved: child {child.pk}: {OLD_NAME}" in out
    assert "1 moved, 0 already private, 0 missing" in out
    assert not public_file.exists()  # no public address any more
    child.refresh_from_db()
    with child.photo.open("rb") as photo:
        assert photo.read() == b"old jpeg"
    assert Path(child.photo.path).is_relative_to(media / "private")


def test_the_dry_run_lists_and_changes_nothing(media, family):
    child = child_with_old_photo(family)

    out = run("--dry-run")

    assert f"would move: child {child.pk}: {OLD_NAME}" in out
    assert "Dry run: nothing was changed." in out
    assert (media / "media" / OLD_NAME).exists()
    assert not (media / "private" / OLD_NAME).exists()


def test_running_again_moves_nothing_and_missing_files_are_reported(media, family):
    moved = child_with_old_photo(family)
    lost = factories.ChildFactory(family=family)
    Child.objects.filter(pk=lost.pk).update(photo="family_portal/children/lost.jpg")
    factories.ChildFactory(family=family)  # no photo: not concerned
    run()

    out = run()

    assert "0 moved, 1 already private, 1 missing" in out
    assert f"missing: child {lost.pk}: family_portal/children/lost.jpg" in out
    moved.refresh_from_db()
    assert moved.photo.name == OLD_NAME


def test_a_public_copy_left_by_an_interrupted_run_is_deleted_only_if_identical(media, family):
    same = child_with_old_photo(family, name="family_portal/children/same.jpg")
    different = child_with_old_photo(family, name="family_portal/children/other.jpg")
    private = media / "private" / "family_portal" / "children"
    private.mkdir(parents=True)
    (private / "same.jpg").write_bytes(b"old jpeg")  # copied, then the run stopped
    (private / "other.jpg").write_bytes(b"another file")

    out = run()

    assert "0 moved, 2 already private, 0 missing" in out
    assert not (media / "media" / same.photo.name).exists()
    assert (media / "media" / different.photo.name).exists()  # not ours to delete
