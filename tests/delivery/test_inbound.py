"""What an update leaves in the inbox is typed: written and read back in one place."""

from __future__ import annotations

from bot.delivery.inbound import MESSAGE, START, Body, Inbound


def test_a_body_comes_back_as_it_was_stored() -> None:
    inbound = Inbound("telegram", "7", user_id="42", address="42", kind=START, lang="uz", ack="q")
    body = inbound.body()
    assert body.to_json() == {"kind": START, "lang": "uz", "ack": "q"}  # no id, no address
    assert Body.from_json(body.to_json()) == body


def test_what_is_not_a_known_string_field_is_left_out() -> None:
    assert Body.from_json({"text": "hi", "choice": 3, "extra": "x"}) == Body(MESSAGE, text="hi")
    assert Body.from_json(None) == Body()
