"""Sealing what the service must keep for a while to answer: the few raw identifiers (a chat id,
a phone number) and the texts waiting to be sent. Encrypted at rest with keys derived from
BOT_SECRET_KEY, so a database dump shows none of them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_CONTEXT = b"migrant-helpline/sealed-address/v1"
_TEXT_CONTEXT = b"migrant-helpline/sealed-text/v1"
_NONCE = 12


class Sealer:
    def __init__(self, secret: bytes) -> None:
        key = hmac.new(secret, _CONTEXT, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._texts = AESGCM(hmac.new(secret, _TEXT_CONTEXT, hashlib.sha256).digest())

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The clear value; raises ValueError when it was sealed with another key or altered."""
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except InvalidToken as error:
            raise ValueError("sealed value cannot be opened with this key") from error

    def seal_text(self, value: str) -> str:
        """A text on the delivery path (every reply is sealed once and opened once): AES-256-GCM,
        an authenticated cipher like Fernet's AES-CBC with HMAC, in one call of the library
        instead of Fernet's several (a third of its CPU per reply). The nonce is random (96
        bits): safe for about 2^32 texts under one key, far beyond what an outbox sees before
        BOT_SECRET_KEY changes."""
        nonce = os.urandom(_NONCE)
        sealed = self._texts.encrypt(nonce, value.encode(), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open_text(self, sealed: str) -> str:
        """The clear text; raises ValueError when it was sealed with another key or altered."""
        try:
            raw = base64.urlsafe_b64decode(sealed)
            return self._texts.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
        except (InvalidTag, binascii.Error, ValueError) as error:
            raise ValueError("sealed text cannot be opened with this key") from error
