"""Password hashes and the one-time passwords given to new operators."""

from __future__ import annotations

from argon2 import PasswordHasher

from bot.operators import passwords


def test_generated_passwords_are_long_readable_and_random() -> None:
    generated = {passwords.generate_password() for _ in range(50)}
    assert len(generated) == 50
    for password in generated:
        assert len(password) >= 16
        assert not set(password) & set("0O1lI")


def test_hashes_verify_only_their_password() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "correct horse battery")
    assert not passwords.verify_password(stored, "correct horse batter")
    assert not passwords.verify_password("not a hash", "correct horse battery")
    assert not passwords.needs_rehash(stored)


def test_hashes_with_old_parameters_need_rehashing() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("x" * 12)
    assert passwords.verify_password(weak, "x" * 12) and passwords.needs_rehash(weak)


def test_very_long_input_is_cut_before_hashing() -> None:
    stored = passwords.hash_password("p" * passwords.MAX_PASSWORD + "anything")
    assert passwords.verify_password(stored, "p" * passwords.MAX_PASSWORD + "else")
