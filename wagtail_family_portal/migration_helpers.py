"""What the migrations that give the agents' group permissions share.

Historical migrations import it: keep its behaviour as it is, and write a new function rather
than change one.
"""

from .permissions import AGENTS_GROUP_NAME

APP_LABEL = "wagtail_family_portal"


def _permissions(apps, codenames):
    from django.contrib.auth.management import create_permissions

    # On a fresh database, Django creates permissions only after all migrations (post_migrate).
    app_config = apps.get_app_config(APP_LABEL)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=APP_LABEL, codename=codename)
        for codename in codenames
    ]


def agents_permissions(codenames):
    """The ``RunPython`` pair that adds ``codenames`` (of this app) to the "Family portal
    agents" group, creating the group and the permissions if needed, and takes them back."""

    def grant(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        group, _ = Group.objects.get_or_create(name=AGENTS_GROUP_NAME)
        group.permissions.add(*_permissions(apps, codenames))

    def revoke(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        permissions = Permission.objects.filter(
            content_type__app_label=APP_LABEL, codename__in=codenames
        )
        for group in Group.objects.filter(name=AGENTS_GROUP_NAME):
            group.permissions.remove(*permissions)

    return grant, revoke


def group_permissions(group_name, codenames):
    """The ``RunPython`` pair that creates the group ``group_name`` with admin access and
    ``codenames`` (of this app), creating the permissions if needed, and deletes the group."""

    def create(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*_permissions(apps, codenames))
        group.permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )

    def delete(apps, schema_editor):
        Group = apps.get_model("auth", "Group")
        Group.objects.filter(name=group_name).delete()

    return create, delete
