"""knox token authentication, tuned for the app's hot path.

Two differences from ``knox.auth.TokenAuthentication``:
- the token query also brings the user's pensioner row and its last certification (one round trip
  instead of two for the status screen, the app's most frequent call; a LEFT JOIN that is empty
  for relatives and staff);
- it does not load all of the user's other tokens on every request to delete expired ones; the
  daily ``accounts.tasks.tokens_expired_purge`` job does that. The presented token's own expiry is
  still checked on every request.
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from accounts.models import User


class TokenAuthentication(KnoxTokenAuthentication):
    def authenticate_credentials(self, token: bytes) -> tuple[User, AuthToken]:
        message = _("Invalid token.")
        text = token.decode("utf-8", errors="replace")
        candidates = AuthToken.objects.filter(token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]).select_related(
            "user", "user__pensioner", "user__pensioner__last_certification"
        )
        for auth_token in candidates:
            if auth_token.expiry is not None and auth_token.expiry < timezone.now():
                auth_token.delete()
                continue
            try:
                digest = hash_token(text)
            except (TypeError, binascii.Error):
                raise exceptions.AuthenticationFailed(message) from None
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)


def request_user(request: HttpRequest) -> User:
    """The signed-in user of a view that requires one, typed as our ``User``.

    DRF and the admin type ``request.user`` as possibly anonymous; every caller sits behind an
    authentication permission, so an anonymous user here is a wiring mistake, refused as 403.
    """
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
