"""Private file storage: files that only the portal's own views may hand out.

Children's photos must never be reachable at a public address (MEDIA_URL is usually served by
the web server to anyone). They are stored apart and streamed by views that first check who is
asking (the child's family or an agent of its municipality), through ``photo_response``.

Settings (deployment matters, so Python settings rather than the CMS):

``WAGTAIL_FAMILY_PORTAL_PRIVATE_STORAGE``
    A key of ``STORAGES`` (for example ``"family_portal_private"`` configured as a private
    S3 bucket with django-storages) used for private files. Needed with several app servers.
``WAGTAIL_FAMILY_PORTAL_PRIVATE_ROOT``
    Without the previous setting, the directory of the local private storage. Default: a
    sibling of ``MEDIA_ROOT`` named after it with ``-private`` appended (``/srv/site/media`` →
    ``/srv/site/media-private``), so that a web server serving ``MEDIA_ROOT`` never serves it.
    A directory inside ``MEDIA_ROOT`` is refused.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

from . import conf
from .headers import never_cache

PRIVATE_STORAGE_SETTING = conf.setting_name("PRIVATE_STORAGE")
PRIVATE_ROOT_SETTING = conf.setting_name("PRIVATE_ROOT")


def private_storage() -> Storage:
    """The storage for private files: ``FileField(storage=private_storage)``, without calling it.

    Django calls it once, when the model class is loaded, and migrations record the function's
    path rather than the storage it returned, so each deployment chooses its own storage.
    """
    alias = conf.private_storage_alias()
    if alias:
        return storages[alias]
    return PrivateFileSystemStorage()


def private_root() -> Path:
    """The directory of the local private storage (see the module's docstring)."""
    media_root = str(settings.MEDIA_ROOT or "")
    configured = conf.private_root_setting()
    if configured:
        root = Path(os.path.abspath(configured))
    else:
        media = Path(os.path.abspath(media_root)) if media_root else None
        if media is None or not media.name:
            raise ImproperlyConfigured(
                f"Set {PRIVATE_ROOT_SETTING} (or MEDIA_ROOT) to store private files."
            )
        root = media.with_name(f"{media.name}-private")
    if media_root and _is_within(root, Path(media_root)):
        raise ImproperlyConfigured(
            f"{PRIVATE_ROOT_SETTING} ({root}) must not be inside MEDIA_ROOT, which is public."
        )
    return root


def _is_within(path: Path, directory: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(directory))


@deconstructible(path="wagtail_family_portal.storage.PrivateFileSystemStorage")
class PrivateFileSystemStorage(FileSystemStorage):
    """Local storage outside MEDIA_ROOT with no URL at all: ``url()`` raises ``ValueError``.

    ``FileSystemStorage(base_url=None)`` alone would fall back to MEDIA_URL; here there is no
    fallback. The directory is read from the settings when first used (not at import), so a
    missing setting does not stop the site from starting and tests can change it.
    """

    def __init__(self, location=None, file_permissions_mode=None, directory_permissions_mode=None):
        super().__init__(
            location=location,
            file_permissions_mode=file_permissions_mode,
            directory_permissions_mode=directory_permissions_mode,
        )

    @cached_property
    def base_location(self):
        return self._location if self._location is not None else private_root()

    @property
    def base_url(self):
        return None

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting in (PRIVATE_ROOT_SETTING, "MEDIA_ROOT"):
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def photo_response(file_field) -> FileResponse:
    """Stream a stored photo to the person a view has already allowed to see it.

    Raises ``Http404`` when the field is empty or its file is gone. No cache may keep the answer
    (``private, no-store``: a child's photo stays off a shared computer's disk after logout); it
    is shown inline, never sniffed as another type.
    """
    if not file_field or not file_field.name:
        raise Http404
    return private_file_response(file_field.name, storage=file_field.storage)


def private_file_response(name: str, storage: Storage | None = None) -> FileResponse:
    """Stream the private file ``name`` (a photo waiting for validation, say) as a JPEG."""
    storage = storage or private_storage()
    if not name:
        raise Http404
    try:
        handle = storage.open(name, "rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = "inline"
    never_cache(response)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Photos uploaded before the private storage


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
    from django.core.files import File
    from django.core.files.storage import default_storage

    from .models import Child

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
