"""Twilio's webhooks: POST /sms/twilio (an incoming SMS) and POST /sms/twilio/status (delivery
reports). Both must carry a valid X-Twilio-Signature for PUBLIC_URL + path (so it works behind
a proxy), checked with the twilio library's validator: otherwise 403 and nothing is processed.
An incoming SMS is answered only once recorded (Twilio retries on errors); a repeated
MessageSid is recorded once. A signature has no date, so a captured report can be posted again:
each (MessageSid, status) is counted once, remembered in the inbox as a processed update is."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from bot.channels.sms import CHANNEL
from bot.delivery.inbound import Inbound
from bot.delivery.inbox import first_time
from bot.delivery.recording import recorded
from bot.stats.counters import bump
from bot.stats.tables import DeliveryCount
from bot.storage.conversations import set_blocked
from bot.storage.pseudonym import pseudonym
from bot.web import state
from bot.web.bodies import BodyTooLarge, read_body

log = logging.getLogger(__name__)

INBOUND_PATH = "/sms/twilio"
STATUS_PATH = "/sms/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
REPORTED = frozenset({"delivered", "undelivered", "failed"})
SID = re.compile(r"[!-~]{1,40}")
"""A MessageSid as a report's key: printable ASCII, short (Twilio's are 34 characters)."""
REPORTS = "sms-status"
"""The inbox's channel for the delivery reports already counted (MessageSid and status)."""
UNSUBSCRIBED = "21610"
OPT_OUT_TYPES = {"STOP": "stop", "START": "start", "HELP": "help"}
"""Twilio's OptOutType (Advanced Opt-Out) and the opt-out word each means (see shaping.py)."""

Endpoint = Callable[[Request], Awaitable[Response]]


async def signed_form(
    request: Request, validator: RequestValidator, public_url: str
) -> dict[str, str] | Response:
    """The form fields when the request is Twilio's, else the error response to give."""
    try:
        raw = await read_body(request)
        fields = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except BodyTooLarge:
        return JSONResponse({"error": "body too large"}, status_code=413)
    except (UnicodeDecodeError, ValueError):
        return JSONResponse({"error": "malformed form"}, status_code=400)
    url = public_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not validator.validate(url, fields, signature):
        return JSONResponse({"error": "forbidden"}, status_code=403)
    return fields


def from_sms(text: str | None, keywords: Mapping[str, str]) -> str | None:
    """The code of the SMS keyword the message starts with ("METRO", "metro, help..."), if any."""
    if not text or not keywords:
        return None
    words = re.split(r"[\s,.!?;:]+", text.strip(), maxsplit=1)
    return keywords.get(words[0].upper()) if words and words[0] else None


def inbound_endpoint(
    auth_token: str,
    public_url: str,
    source_keywords: Mapping[str, str],
) -> Endpoint:
    validator = RequestValidator(auth_token)

    async def sms_inbound(request: Request) -> Response:
        fields = await signed_form(request, validator, public_url)
        if isinstance(fields, Response):
            return fields
        sid, sender = fields.get("MessageSid", ""), fields.get("From", "")
        if not sid or not sender:
            return JSONResponse({"error": "MessageSid and From are required"}, status_code=400)
        body = fields.get("Body", "")
        inbound = Inbound(
            CHANNEL,
            sid,
            user_id=sender,
            address=sender,
            text=body if body.strip() else None,  # a picture message without text
            source=from_sms(body, source_keywords),
            opt_out=OPT_OUT_TYPES.get(fields.get("OptOutType", "").strip().upper()),
        )
        try:
            await recorded(state.intake(request).accept(inbound))
        except Exception:
            log.warning("sms: could not record a message; asking Twilio to retry")
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return Response(EMPTY_TWIML, media_type="text/xml")

    return sms_inbound


def status_endpoint(
    secret: bytes,
    auth_token: str,
    public_url: str,
) -> Endpoint:
    validator = RequestValidator(auth_token)

    async def sms_status(request: Request) -> Response:
        fields = await signed_form(request, validator, public_url)
        if isinstance(fields, Response):
            return fields
        status = fields.get("MessageStatus", fields.get("SmsStatus", ""))
        if status not in REPORTED:
            return Response(status_code=204)

        sid = fields.get("MessageSid", "")
        if not SID.fullmatch(sid):
            return JSONResponse({"error": "MessageSid is missing or malformed"}, status_code=400)

        async def record() -> None:
            async with state.sessions(request)() as session, session.begin():
                now = dt.datetime.now(dt.UTC)
                if await first_time(session, REPORTS, f"{status}:{sid}", now):
                    keys = {"day": now.date(), "channel": CHANNEL, "status": status}
                    await bump(session, DeliveryCount, keys, {"count": 1})
                if fields.get("ErrorCode") == UNSUBSCRIBED and fields.get("To"):
                    cid = pseudonym(secret, CHANNEL, fields["To"])
                    await set_blocked(session, cid, True)

        try:
            await recorded(record())
        except Exception:
            log.warning("sms: could not record a delivery report; Twilio will retry")
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return Response(status_code=204)

    return sms_status
