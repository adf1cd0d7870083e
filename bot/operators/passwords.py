"""Password hashing with argon2id, and the one-time passwords given to new operators."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()
"""argon2id with the library's current recommended parameters; hashes made with older ones are
replaced at the next successful login."""
MAX_PASSWORD = 1024
"""Longer input is cut before hashing: a megabyte 'password' should not cost a megabyte hash."""
# No 0/O, 1/l/I: a one-time password is read off a terminal and typed by hand.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def hash_password(password: str) -> str:
    return HASHER.hash(password[:MAX_PASSWORD])


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return HASHER.check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """Verified against when the name is unknown, so that takes as long as a wrong password."""
    return HASHER.hash(secrets.token_urlsafe(16))


def generate_password() -> str:
    """20 random characters in four groups (about 98 bits), easy to read and type."""
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(5)) for _ in range(4))
    return "-".join(groups)
