"""Create the "Family portal agents" group with the permissions of the municipality's agents.

Health information (``ChildHealth``) is deliberately left out: it is granted on purpose, to the
few people who need it.
"""

from django.db import migrations

from wagtail_family_portal.permissions import AGENTS_GROUP_NAME

APP_LABEL = "wagtail_family_portal"
MANAGED_MODELS = [
    "family",
    "guardian",
    "child",
    "authorisedcontact",
    "establishment",
    "activity",
    "closure",
    "enrolment",
    "subscription",
]
ACTIONS = ["add", "change", "delete", "view"]


def agent_permissions():
    """``(app_label, codename)`` of every permission the group gets."""
    permissions = [("wagtailadmin", "access_admin"), (APP_LABEL, "view_municipality")]
    for model_name in MANAGED_MODELS:
        permissions += [(APP_LABEL, f"{action}_{model_name}") for action in ACTIONS]
    return permissions


def create_agents_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # On a fresh database, Django creates permissions only after all migrations (post_migrate).
    # ``wagtailadmin.access_admin`` is created by wagtailadmin's own first migration.
    app_config = apps.get_app_config(APP_LABEL)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
    for app_label, codename in agent_permissions():
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        group.permissions.add(permission)


def delete_agents_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=AGENTS_GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_agents_group, delete_agents_group)]
