"""Give the "Family portal agents" group what processing bookings needs.

Agents see and decide the booking and absence lines of their municipality's families
(``change``), and read and mark the children's days on the attendance sheet. Lines are never
created or deleted in the admin: families (or agents acting for them) submit requests.
"""

from django.db import migrations

from wagtail_family_portal.permissions import AGENTS_GROUP_NAME

APP_LABEL = "wagtail_family_portal"
BOOKING_PERMISSIONS = ["view_bookingline", "change_bookingline", "view_childday", "change_childday"]


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
        for codename in BOOKING_PERMISSIONS
    ]


def grant_booking_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
    group.permissions.add(*_permissions(apps))


def revoke_booking_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label=APP_LABEL, codename__in=BOOKING_PERMISSIONS
    )
    for group in Group.objects.filter(name=AGENTS_GROUP_NAME):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0011_legend_and_calendar"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_booking_permissions, revoke_booking_permissions)]
