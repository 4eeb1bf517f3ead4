"""Names shared by the agents' group migration, the admin and the demo data."""

AGENTS_GROUP_NAME = "Family portal agents"

# What the agents' group needs to see families' requests and to accept or refuse them.
REQUEST_PERMISSIONS = ("view_request", "change_request")

# Health information is granted to chosen users on purpose, never through the agents' group.
HEALTH_PERMISSION = "wagtail_family_portal.view_childhealth"

# What the agents' group needs to process bookings: decide the lines (and book or cancel days
# for a family), read the attendance sheets and mark presence.
BOOKING_PERMISSIONS = ("view_bookingline", "change_bookingline", "view_childday", "change_childday")
