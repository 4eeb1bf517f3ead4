"""Give the "Family portal agents" group what the validation of family-file changes needs.

Agents see the requests of their municipality's families and decide them (``change``). They never
create or delete a request: families submit them. The family-file field rules are left to
editors.
"""

from django.db import migrations

from wagtail_family_portal.migration_helpers import agents_permissions

REQUEST_PERMISSIONS = ["view_request", "change_request"]

grant_request_permissions, revoke_request_permissions = agents_permissions(REQUEST_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0008_pending_colour"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_request_permissions, revoke_request_permissions)]
