"""Names shared by the agents' group migration, the admin and the demo data."""

AGENTS_GROUP_NAME = "Family portal agents"
