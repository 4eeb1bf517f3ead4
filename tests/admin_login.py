"""Logging into the Wagtail admin in tests."""

from wagtail.users.models import UserProfile


def login(client, user):
    """Log ``user`` in, with the admin in English so that messages can be asserted on."""
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return client
