"""The sign-up code's outcome on the profile, and a profile for every account that has none.

Accounts created before profiles existed, or outside the portal's sign-up (``createsuperuser``,
the admin's user form, a host's own sign-up), had no ``AccountProfile``: agents did not see them
among the family accounts. They get one now, counted as activated from when they joined (the
portal never activates an account that someone else created inactive); new ones get theirs when
they are saved (signals.py).
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

BATCH_SIZE = 1000


def create_missing_profiles(apps, schema_editor):
    User = apps.get_model(settings.AUTH_USER_MODEL)
    AccountProfile = apps.get_model("wagtail_family_portal", "AccountProfile")
    has_joined = any(field.name == "date_joined" for field in User._meta.get_fields())
    without_profile = User._default_manager.exclude(
        pk__in=AccountProfile.objects.values("user_id")
    ).order_by("pk")
    now = timezone.now()
    batch = []
    for user in without_profile.iterator(chunk_size=BATCH_SIZE):
        joined = (getattr(user, "date_joined", None) if has_joined else None) or now
        batch.append(AccountProfile(user_id=user.pk, created_at=joined, activated_at=joined))
        if len(batch) >= BATCH_SIZE:
            AccountProfile.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        AccountProfile.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("wagtail_family_portal", "0016_municipality_agents_help"),
    ]

    operations = [
        migrations.AddField(
            model_name="accountprofile",
            name="signup_code_outcome",
            field=models.CharField(
                blank=True,
                choices=[
                    ("found", "family found, linked on activation"),
                    ("not_recognised", "code not recognised"),
                    ("not_checked", "not checked: too many wrong codes"),
                ],
                help_text="Empty when no code was typed. The activation e-mail tells the family.",
                max_length=20,
                verbose_name="subscriber code given at sign-up",
            ),
        ),
        # Nothing to undo: the profiles made here hold no more than the defaults.
        migrations.RunPython(create_missing_profiles, migrations.RunPython.noop),
    ]
