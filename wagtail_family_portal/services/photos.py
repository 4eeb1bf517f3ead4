"""Photos uploaded before the private storage: moved into it (``move_family_portal_photos``)."""

from dataclasses import dataclass, field

from django.core.files import File
from django.core.files.storage import Storage, default_storage

from ..models import Child


@dataclass
class PhotoMove:
    """What ``move_public_photos`` did (or, in a dry run, would do): ``(child id, file name)``."""

    moved: list = field(default_factory=list)
    already_private: list = field(default_factory=list)
    missing: list = field(default_factory=list)


def _same_content(first: Storage, second: Storage, name: str) -> bool:
    with first.open(name, "rb") as one, second.open(name, "rb") as other:
        while True:
            chunk = one.read(64 * 1024)
            if chunk != other.read(64 * 1024):
                return False
            if not chunk:
                return True


def move_public_photos(*, dry_run: bool = False, public: Storage | None = None) -> PhotoMove:
    """Move the children's photos still in the public storage into the private one.

    Migration 0006 moved ``Child.photo`` to the private storage without moving the files: a
    photo uploaded before stayed in the default (public) storage, under ``MEDIA_URL``, and the
    field no longer finds it. Each such file is copied under the same name into the private
    storage (the field is updated if the storage chose another name), then deleted from the
    public one. A photo already private is left alone (and a public copy left by an interrupted
    run, byte for byte the same, deleted); one found in neither storage is reported. Running it
    again moves nothing.
    """
    public = public or default_storage
    private = Child._meta.get_field("photo").storage
    result = PhotoMove()
    children = Child.objects.exclude(photo="").order_by("pk").values_list("pk", "photo")
    for child_id, name in children.iterator():
        if private.exists(name):
            result.already_private.append((child_id, name))
            if not dry_run and public.exists(name) and _same_content(public, private, name):
                public.delete(name)
            continue
        if not public.exists(name):
            result.missing.append((child_id, name))
            continue
        result.moved.append((child_id, name))
        if dry_run:
            continue
        with public.open(name, "rb") as handle:
            saved = private.save(name, File(handle, name=name))
        if saved != name:
            Child.objects.filter(pk=child_id).update(photo=saved)
        public.delete(name)
    return result
