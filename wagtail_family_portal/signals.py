"""Signal receivers: the digest schedules follow the times editors set in the CMS."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import FamilyPortalSettings, Municipality


@receiver(post_save, sender=FamilyPortalSettings, dispatch_uid="wfp_digest_times_saved")
@receiver(post_save, sender=Municipality, dispatch_uid="wfp_municipality_saved")
def digest_times_saved(sender, instance, **kwargs):
    from .services.notifications import sync_schedules

    transaction.on_commit(sync_schedules)
