"""The API's token authentication: DRF's, with the token's account read by one raw query.

Every call of the API pays for its authentication, and building the ORM query costs about three
times running it (bench/README.md). The answers are DRF's: 401 for an unknown token or an
inactive account.
"""

import functools

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import pgettext_lazy
from rest_framework import authentication, exceptions


@functools.cache
def account_sql(user_model, token_model) -> str:
    """The account of a token key, with all its own columns so that ``raw()`` converts every
    field as the ORM would."""
    quote = connection.ops.quote_name
    return (
        f"SELECT u.* FROM {quote(user_model._meta.db_table)} u "
        f"JOIN {quote(token_model._meta.db_table)} t "
        f"ON t.{quote(token_model._meta.get_field('user').column)} "
        f"= u.{quote(user_model._meta.pk.column)} "
        f"WHERE t.{quote(token_model._meta.get_field('key').column)} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        user_model = get_user_model()
        token_model = self.get_model()
        sql = account_sql(user_model, token_model)
        users = list(user_model._default_manager.raw(sql, [key]))
        if not users:
            raise exceptions.AuthenticationFailed(pgettext_lazy("family portal", "Invalid token."))
        user = users[0]
        if not user.is_active:
            raise exceptions.AuthenticationFailed(
                pgettext_lazy("family portal", "User inactive or deleted.")
            )
        return user, token_model(key=key, user=user)
