"""Create the "Billing agents" group: what the régie's staff needs in the billing screens.

Billing is a permission of its own: the "Family portal agents" group does not get it, and a
billing agent does not get the family file through this group.
"""

from django.db import migrations

from wagtail_family_portal.migration_helpers import group_permissions

BILLING_AGENTS_GROUP_NAME = "Billing agents"
BILLING_PERMISSIONS = [
    "view_municipality",
    "add_billingoffice",
    "change_billingoffice",
    "delete_billingoffice",
    "view_billingoffice",
    "add_pricegrid",
    "change_pricegrid",
    "delete_pricegrid",
    "view_pricegrid",
    "add_billingrun",
    "change_billingrun",
    "view_billingrun",
    "view_invoice",
    "change_invoice",
    "view_invoiceline",
    "view_payment",
    "add_payment",
    "change_payment",
    "view_directdebitmandate",
    "add_directdebitmandate",
    "change_directdebitmandate",
    "view_directdebitbatch",
]

create_billing_group, delete_billing_group = group_permissions(
    BILLING_AGENTS_GROUP_NAME, BILLING_PERMISSIONS
)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0019_billing"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_billing_group, delete_billing_group)]
