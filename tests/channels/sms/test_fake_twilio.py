"""The fake Twilio API, driven by the real twilio client, and the webhook forms and signatures."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels.sms.twilio_client import TWILIO_API_URL, RedirectingHttpClient, make_client
from tests.conftest import ROOT
from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    FakeTwilio,
    inbound_form,
    load_form,
    num_segments,
    signature,
    status_form,
)

HELPLINE = "+15005550006"
MIGRANT = "+998901234567"
CALLBACK = "https://helpline.example.org/sms/status"


@contextlib.asynccontextmanager
async def twilio(fake: FakeTwilio, *, auth_token: str | None = None) -> AsyncIterator[Client]:
    client = make_client(fake.account_sid, auth_token or fake.auth_token, fake.url)
    try:
        yield client
    finally:
        await client.http_client.close()


async def send(client: Client, to: str = MIGRANT, body: str = "1. Зарплата", **kw: str) -> object:
    kw.setdefault("from_", HELPLINE)
    return await client.messages.create_async(to=to, body=body, **kw)


# -- the REST side ---------------------------------------------------------------------------


async def test_create_returns_a_message_and_is_recorded() -> None:
    with FakeTwilio() as fake:
        async with twilio(fake) as client:
            message = await client.messages.create_async(
                to=MIGRANT, from_=HELPLINE, body="Здравствуйте!", status_callback=CALLBACK
            )
        assert message.sid.startswith("SM") and len(message.sid) == 34
        assert (message.to, message.from_, message.body) == (MIGRANT, HELPLINE, "Здравствуйте!")
        assert (message.status, message.direction, message.num_segments) == (
            "queued",
            "outbound-api",
            "1",
        )
        assert message.account_sid == DEFAULT_ACCOUNT_SID
        assert isinstance(message.date_created, dtm.datetime)
        assert message.date_created.tzinfo is not None
        [call] = fake.messages(MIGRANT)
        assert call.path == f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"
        assert call.params == {
            "To": MIGRANT,
            "From": HELPLINE,
            "Body": "Здравствуйте!",
            "StatusCallback": CALLBACK,
        }
        assert (call.method, call.status, call.sid) == ("POST", 201, message.sid)
        assert fake.status_callbacks == [CALLBACK]
        assert fake.messages("+15550001111") == []


async def test_messaging_service_leaves_the_sender_to_twilio() -> None:
    service = "MG" + "1" * 32
    with FakeTwilio() as fake:
        async with twilio(fake) as client:
            message = await client.messages.create_async(
                to=MIGRANT, messaging_service_sid=service, body="x"
            )
    assert (message.status, message.from_, message.messaging_service_sid) == (
        "accepted",
        None,
        service,
    )


async def test_wrong_token_is_401_authenticate() -> None:
    with FakeTwilio() as fake:
        async with twilio(fake, auth_token="wrong") as client:
            with pytest.raises(TwilioRestException) as caught:
                await send(client)
        assert (caught.value.status, caught.value.code) == (401, 20003)
        assert "Authenticate" in caught.value.msg
        assert [call.status for call in fake.calls] == [401]
        assert fake.messages() == []


async def test_error_body_has_twilios_shape() -> None:
    with FakeTwilio() as fake:
        response = httpx.post(
            f"{fake.url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
            data={"To": MIGRANT, "From": HELPLINE, "Body": "x"},
            auth=(fake.account_sid, "nope"),
        )
        missing = httpx.get(f"{fake.url}/2010-04-01/Accounts/{fake.account_sid}/Calls.json")
    assert response.status_code == 401
    assert response.json() == {
        "code": 20003,
        "message": "Authenticate",
        "more_info": "https://www.twilio.com/docs/errors/20003",
        "status": 401,
    }
    assert (missing.status_code, missing.json()["code"]) == (404, 20404)


async def test_unsubscribed_recipient_fails_once_with_code_21610() -> None:
    with FakeTwilio() as fake:
        fake.fail_next(400, code=21610)
        async with twilio(fake) as client:
            with pytest.raises(TwilioRestException) as caught:
                await send(client)
            await send(client)
        assert (caught.value.status, caught.value.code) == (400, 21610)
        assert caught.value.msg.endswith("Attempt to send to unsubscribed recipient")
        assert [call.status for call in fake.calls] == [400, 201]


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (500, 20500), (503, 20503)])
async def test_scripted_status_reaches_the_client(status: int, code: int) -> None:
    with FakeTwilio() as fake:
        fake.fail_next(status, count=2)
        async with twilio(fake) as client:
            for _ in range(2):
                with pytest.raises(TwilioRestException) as caught:
                    await send(client)
                assert (caught.value.status, caught.value.code) == (status, code)
            await send(client)
        assert len(fake.messages()) == 1
        assert fake.throttled == 0


async def test_fail_next_for_one_number_spares_the_others() -> None:
    other = "+992935551234"
    with FakeTwilio() as fake:
        fake.fail_next(
            400, code=21614, message="'To' number is not a valid mobile number", to=other
        )
        async with twilio(fake) as client:
            await send(client)
            with pytest.raises(TwilioRestException) as caught:
                await send(client, to=other)
        assert caught.value.code == 21614
        assert [call.params["To"] for call in fake.messages()] == [MIGRANT]


@pytest.mark.parametrize(
    ("to", "body", "code"),
    [("+998901234567", "", 21602), ("12345", "x", 21211), (MIGRANT, "я" * 1601, 21617)],
)
async def test_invalid_creates_are_400(to: str, body: str, code: int) -> None:
    with FakeTwilio() as fake:
        async with twilio(fake) as client:
            with pytest.raises(TwilioRestException) as caught:
                await send(client, to=to, body=body)
    assert (caught.value.status, caught.value.code) == (400, code)


async def test_per_number_rate_answers_429_per_sender() -> None:
    other_sender = "+15005550001"
    with FakeTwilio(per_number_rate=2) as fake:
        async with twilio(fake) as client:
            await send(client)
            await send(client)
            with pytest.raises(TwilioRestException) as caught:
                await send(client)
            await send(client, from_=other_sender)
            await asyncio.sleep(1.0)
            await send(client)
        assert (caught.value.status, caught.value.code) == (429, 20429)
        assert fake.throttled == 1
        assert [call.params["From"] for call in fake.messages()] == [
            HELPLINE,
            HELPLINE,
            other_sender,
            HELPLINE,
        ]


async def test_wait_until_sees_messages_sent_concurrently() -> None:
    with FakeTwilio() as fake:
        async with twilio(fake) as client:
            task = asyncio.create_task(send(client))
            assert await fake.wait_until_async(lambda: len(fake.messages()) == 1, timeout=5)
            await task
        assert fake.wait_until(lambda: len(fake.calls) == 1, timeout=1)
        assert not fake.wait_until(lambda: len(fake.calls) == 2, timeout=0.05)


def test_num_segments_is_gsm7_or_ucs2() -> None:
    assert [num_segments("a" * n) for n in (1, 160, 161, 306, 307)] == [1, 1, 2, 2, 3]
    assert num_segments("{" * 80) == 1 and num_segments("{" * 81) == 2
    assert [num_segments("ж" * n) for n in (70, 71, 134, 135)] == [1, 2, 2, 3]


def test_rewrite_keeps_path_and_query_and_leaves_twilio_alone() -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=2"
    assert RedirectingHttpClient(TWILIO_API_URL).rewrite(url) == url
    assert RedirectingHttpClient(TWILIO_API_URL + "/").rewrite(url) == url
    fake = RedirectingHttpClient("http://127.0.0.1:8082/twilio/")
    assert fake.rewrite(url) == (
        "http://127.0.0.1:8082/twilio/2010-04-01/Accounts/AC1/Messages.json?PageSize=2"
    )
    assert fake.rewrite("https://messaging.twilio.com/v1/Services").startswith(
        "http://127.0.0.1:8082/twilio/v1/"
    )
    with pytest.raises(ValueError):
        RedirectingHttpClient("127.0.0.1:8082")


def test_standalone_mode_serves_until_terminated() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.twilio_api", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_fake/stats").json() == {
            "calls": 0,
            "messages": 0,
            "throttled": 0,
        }
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "calls=0 messages=0 throttled=0" in out


# -- the webhook side ------------------------------------------------------------------------

INBOUND_FIELDS = {
    "ToCountry", "ToState", "SmsMessageSid", "NumMedia", "ToCity", "FromZip", "SmsSid",
    "FromState", "SmsStatus", "FromCity", "Body", "FromCountry", "To", "ToZip", "NumSegments",
    "MessageSid", "AccountSid", "From", "ApiVersion",
}  # fmt: skip


def test_captured_forms_have_the_inbound_fields() -> None:
    assert set(load_form("inbound_sms")) == INBOUND_FIELDS
    assert set(load_form("inbound_sms_uz")) == INBOUND_FIELDS


def test_inbound_form_looks_like_the_captured_one() -> None:
    form = inbound_form(from_=MIGRANT, body="Здравствуйте, работодатель не платит зарплату")
    captured = load_form("inbound_sms_uz")
    assert set(form) == INBOUND_FIELDS
    assert form["SmsSid"] == form["SmsMessageSid"] == form["MessageSid"]
    assert form["MessageSid"].startswith("SM") and len(form["MessageSid"]) == 34
    assert (form["From"], form["To"], form["AccountSid"]) == (
        MIGRANT,
        HELPLINE,
        DEFAULT_ACCOUNT_SID,
    )
    same = (
        "FromCountry",
        "FromCity",
        "FromState",
        "FromZip",
        "NumMedia",
        "SmsStatus",
        "ApiVersion",
    )
    assert {key: form[key] for key in same} == {key: captured[key] for key in same}
    assert form["ToCountry"] == "US" and form["ToCity"]
    assert inbound_form(from_=MIGRANT, body="x", message_sid="SM1")["MessageSid"] == "SM1"
    assert inbound_form(from_=MIGRANT, body="ж" * 71)["NumSegments"] == "2"


def test_status_form_reproduces_the_captured_ones() -> None:
    captures = [
        ("status_delivered", "delivered", None),
        ("status_undelivered", "undelivered", "30003"),
    ]
    for name, status, error in captures:
        captured = load_form(name)
        built = status_form(
            message_sid=captured["MessageSid"],
            status=status,
            to=captured["To"],
            from_=captured["From"],
            error_code=error,
            account_sid=captured["AccountSid"],
        )
        assert built.keys() == captured.keys()
        assert {k: v for k, v in built.items() if k != "RawDlrDoneDate"} == {
            k: v for k, v in captured.items() if k != "RawDlrDoneDate"
        }
    failed = status_form(message_sid="SM1", status="failed", to=MIGRANT, error_code="21610")
    assert (failed["MessageStatus"], failed["ErrorCode"]) == ("failed", "21610")


TOKEN = "0123456789abcdef0123456789abcdef"
SIGNED = [
    ("https://helpline.example.org/sms/inbound", inbound_form(from_=MIGRANT, body="Hello")),
    (
        "https://helpline.example.org/sms/inbound",
        inbound_form(from_=MIGRANT, body="Здравствуйте! Мне нужна помощь, ёж & 100%"),
    ),
    (
        "https://helpline.example.org/sms/inbound?lang=ru&source=poster%2012",
        inbound_form(from_="+992935551234", body="Салом, ман кор мекунам"),
    ),
    (
        "https://helpline.example.org:8443/sms/status?attempt=2",
        status_form(
            message_sid="SM" + "a" * 32, status="undelivered", to=MIGRANT, error_code="30003"
        ),
    ),
    ("https://helpline.example.org/sms/inbound", {}),
    ("https://helpline.example.org/sms/inbound", load_form("inbound_sms_uz")),
]


@pytest.mark.parametrize(("url", "params"), SIGNED)
def test_signature_agrees_with_twilios_validator(url: str, params: dict[str, str]) -> None:
    validator = RequestValidator(TOKEN)
    signed = signature(url, params, TOKEN)
    assert validator.validate(url, params, signed)
    assert validator.compute_signature(url, params) == signed


@pytest.mark.parametrize(("url", "params"), SIGNED[:4])
def test_signature_fails_for_anything_else(url: str, params: dict[str, str]) -> None:
    validator = RequestValidator(TOKEN)
    signed = signature(url, params, TOKEN)
    assert not RequestValidator("another-token").validate(url, params, signed)
    assert not validator.validate(url + "&x=1" if "?" in url else url + "?x=1", params, signed)
    assert not validator.validate(url.replace("helpline", "evil"), params, signed)
    assert not validator.validate(url, params | {"To": params["To"] + "1"}, signed)
    assert not validator.validate(url, params | {"Extra": ""}, signed)
    assert not validator.validate(url, params, signature(url, params, "another-token"))
