"""Log families in with their e-mail address (the host's user model keeps its own username)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Authenticate with ``email`` (case-insensitive) and password.

    Add it to ``AUTHENTICATION_BACKENDS`` next to Django's ``ModelBackend`` so that agents keep
    logging into the admin with their username.
    """

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = email or username
        if not email or password is None or "@" not in email:
            return None
        user_model = get_user_model()
        users = user_model._default_manager.filter(email__iexact=email.strip())
        for user in users[:2]:
            if user.check_password(password) and self.user_can_authenticate(user):
                return user
        # Run the hasher once anyway, so that timing does not reveal unknown addresses.
        user_model().set_password(password)
        return None
