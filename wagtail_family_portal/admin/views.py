"""Wagtail's generic admin views, restricted to the agent's municipalities: they live in
``base`` (and the activity form in ``activities``); importable from here too, as before."""

from .activities import ActivityEditView
from .base import (
    PrivatePhoto,
    PrivatePhotoInput,
    ScopedDeleteView,
    ScopedEditView,
    ScopedHistoryView,
    ScopedIndexView,
    ScopedInspectView,
    ScopedObjectMixin,
    ScopedPhotoView,
    ScopedSingleObjectMixin,
    ScopedUsageView,
)

__all__ = [
    "ActivityEditView",
    "PrivatePhoto",
    "PrivatePhotoInput",
    "ScopedDeleteView",
    "ScopedEditView",
    "ScopedHistoryView",
    "ScopedIndexView",
    "ScopedInspectView",
    "ScopedObjectMixin",
    "ScopedPhotoView",
    "ScopedSingleObjectMixin",
    "ScopedUsageView",
]
