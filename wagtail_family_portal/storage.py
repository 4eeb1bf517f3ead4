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
