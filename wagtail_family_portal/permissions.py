"""Names shared by the agents' group migration, the admin and the demo data."""

AGENTS_GROUP_NAME = "Family portal agents"

# What the agents' group needs to see families' requests and to accept or refuse them.
REQUEST_PERMISSIONS = ("view_request", "change_request")

# Health information is granted to chosen users on purpose, never through the agents' group.
HEALTH_PERMISSION = "wagtail_family_portal.view_childhealth"

# What the agents' group needs to process bookings: decide the lines (and book or cancel days
# for a family), read the attendance sheets and mark presence.
BOOKING_PERMISSIONS = ("view_bookingline", "change_bookingline", "view_childday", "change_childday")

# Billing is a job of its own (the régie): its screens need the billing models' permissions,
# which the family-file group does not have. The "Billing agents" group gathers them.
BILLING_AGENTS_GROUP_NAME = "Billing agents"
BILLING_PERMISSIONS = (
    "view_municipality",
    "add_billingoffice",
    "change_billingoffice",
    "delete_billingoffice",
    "view_billingoffice",
    "add_pricegrid",
    "change_pricegrid",
    "delete_pricegrid",
    "view_pricegrid",
    # Runs are created, recomputed and issued (``change``), never deleted in the admin.
    "add_billingrun",
    "change_billingrun",
    "view_billingrun",
    # Invoices are read; ``change`` makes a credit note (an issued invoice is never edited).
    "view_invoice",
    "change_invoice",
    "view_invoiceline",
    # Payments are recorded (``add``) and rejected (``change``); mandates signed and revoked;
    # direct-debit files read (admin/billing_payments.py).
    "view_payment",
    "add_payment",
    "change_payment",
    "view_directdebitmandate",
    "add_directdebitmandate",
    "change_directdebitmandate",
    "view_directdebitbatch",
)
