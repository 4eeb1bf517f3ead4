"""Give the "Family portal agents" group what processing bookings needs.

Agents see and decide the booking and absence lines of their municipality's families
(``change``), and read and mark the children's days on the attendance sheet. Lines are never
created or deleted in the admin: families (or agents acting for them) submit requests.
"""

from django.db import migrations

from wagtail_family_portal.migration_helpers import agents_permissions

BOOKING_PERMISSIONS = ["view_bookingline", "change_bookingline", "view_childday", "change_childday"]

grant_booking_permissions, revoke_booking_permissions = agents_permissions(BOOKING_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("wagtail_family_portal", "0011_legend_and_calendar"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_booking_permissions, revoke_booking_permissions)]
