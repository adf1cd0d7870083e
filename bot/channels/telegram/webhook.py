"""POST /telegram/webhook: check the secret (constant time), read at most 1 MB, parse, record
durably, and only then answer 200; a database that is away answers 503 so Telegram retries."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.channels.telegram.channel import SECRET_HEADER
from bot.channels.telegram.updates import MalformedUpdate, read
from bot.delivery.recording import recorded
from bot.web import state
from bot.web.bodies import BodyTooLarge, read_body

log = logging.getLogger(__name__)


def make_endpoint(secret: str) -> Callable[[Request], Awaitable[Response]]:
    """The route, expecting `secret`; updates go to the intake in the lifespan state."""
    expected = secret.encode()

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        try:
            raw = await read_body(request)
            inbound = read(json.loads(raw))
        except BodyTooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        except RecursionError:  # JSON nested absurdly deep
            return JSONResponse({"error": "malformed update: nested too deep"}, status_code=400)
        except (UnicodeDecodeError, json.JSONDecodeError, MalformedUpdate) as error:
            return JSONResponse({"error": f"malformed update: {error}"}, status_code=400)
        try:
            await recorded(state.intake(request).accept(inbound))
        except Exception:
            log.warning("telegram: could not record an update; asking Telegram to retry")
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return Response(status_code=200)

    return telegram_webhook
