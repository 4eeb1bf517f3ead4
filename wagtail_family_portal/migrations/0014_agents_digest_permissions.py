"""Let the "Family portal agents" group read the decision e-mails sent to its families.

Agents see, for their municipality, which digest went to which account and which failed with
what error (Family portal → Decision e-mails); the rows are written by the digest runs only.
"""

from django.db import migrations

from wagtail_family_portal.permissions import AGENTS_GROUP_NAME

APP_LABEL = "wagtail_family_portal"
DIGEST_PERMISSIONS = ["view_digestdelivery"]


def _permissions(apps):
    from django.contrib.auth.management import create_permissions

    # On a fresh database, Django creates permissions only after all migrations (post_migrate).
    app_config = apps.get_app_config(APP_LABEL)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=APP_LABEL, codename=codename)
        for codename in DIGEST_PERMISSIONS
    ]


def grant_digest_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
    group.permissions.add(*_permissions(apps))


def revoke_digest_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label=APP_LABEL, codename__in=DIGEST_PERMISSIONS
    )
    for group in Group.objects.filter(name=AGENTS_GROUP_NAME):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0013_notifications"),
    ]

    operations = [
        migrations.RunPython(grant_digest_permissions, revoke_digest_permissions),
    ]
