"""Sealing the few raw identifiers the service must keep to answer (a chat id, a phone number):
encrypted at rest with a key derived from BOT_SECRET_KEY, so a database dump shows none of them."""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

_CONTEXT = b"migrant-helpline/sealed-address/v1"


class Sealer:
    def __init__(self, secret: bytes) -> None:
        key = hmac.new(secret, _CONTEXT, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The clear value; raises ValueError when it was sealed with another key or altered."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken as error:
            raise ValueError("sealed value cannot be opened with this key") from error
