"""Let the "Family portal agents" group read the decision e-mails sent to its families.

Agents see, for their municipality, which digest went to which account and which failed with
what error (Family portal → Decision e-mails); the rows are written by the digest runs only.
"""

from django.db import migrations

from wagtail_family_portal.migration_helpers import agents_permissions

DIGEST_PERMISSIONS = ["view_digestdelivery"]

grant_digest_permissions, revoke_digest_permissions = agents_permissions(DIGEST_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0013_notifications"),
    ]

    operations = [
        migrations.RunPython(grant_digest_permissions, revoke_digest_permissions),
    ]
