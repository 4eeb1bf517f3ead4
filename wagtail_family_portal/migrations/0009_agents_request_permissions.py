"""Give the "Family portal agents" group what the validation of family-file changes needs.

Agents see the requests of their municipality's families and decide them (``change``). They never
create or delete a request: families submit them. The family-file field rules are left to
editors.
"""

from django.db import migrations

from wagtail_family_portal.permissions import AGENTS_GROUP_NAME

APP_LABEL = "wagtail_family_portal"
REQUEST_PERMISSIONS = ["view_request", "change_request"]


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
        for codename in REQUEST_PERMISSIONS
    ]


def grant_request_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
    group.permissions.add(*_permissions(apps))


def revoke_request_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label=APP_LABEL, codename__in=REQUEST_PERMISSIONS
    )
    for group in Group.objects.filter(name=AGENTS_GROUP_NAME):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0008_pending_colour"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_request_permissions, revoke_request_permissions)]
