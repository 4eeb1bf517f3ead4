"""Signal receivers: the digest schedules follow the times editors set in the CMS, and every
account gets its portal profile however it was created."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import FamilyPortalSettings, Municipality


@receiver(post_save, sender=FamilyPortalSettings, dispatch_uid="wfp_digest_times_saved")
@receiver(post_save, sender=Municipality, dispatch_uid="wfp_municipality_saved")
def digest_times_saved(sender, instance, **kwargs):
    from .services.notifications import sync_schedules

    transaction.on_commit(sync_schedules)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="wfp_account_created")
def account_created(sender, instance, created, raw=False, **kwargs):
    """An account created outside the portal's sign-up (``createsuperuser``, the admin's user
    form, a host's own sign-up) gets its ``AccountProfile``, so that agents see it among the
    family accounts and its preferences work. The portal's sign-up then fills it in."""
    if created and not raw:
        from .services.accounts import ensure_profile

        ensure_profile(instance)
