"""Give the "Family portal agents" group what the family accounts screens need.

Agents see the accounts of their municipality and resend activation e-mails (``change``), and
read the log of subscriber codes tried. They never create or delete an account, and the e-mail
texts are left to editors.
"""

from django.db import migrations

from wagtail_family_portal.migration_helpers import agents_permissions

ACCOUNT_PERMISSIONS = [
    "view_accountprofile",
    "change_accountprofile",
    "view_subscriptionattempt",
]

grant_account_permissions, revoke_account_permissions = agents_permissions(ACCOUNT_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0003_accounts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_account_permissions, revoke_account_permissions)]
