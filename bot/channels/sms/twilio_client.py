"""The Twilio REST client, pointed at a configurable API root: Twilio itself, or a fake on loopback.

The aiohttp session is opened lazily by the first request (aiohttp refuses to create one outside
a running loop, so ``make_client`` can run anywhere); whoever made the client closes it with
``await client.http_client.close()`` on the loop that used it.

twilio ships no type information (no py.typed), hence the ignores on its imports.
"""

from __future__ import annotations

import base64
from urllib.parse import urlsplit, urlunsplit

from aiohttp import ClientSession
from twilio.http.async_http_client import (  # type: ignore[import-untyped]
    AsyncTwilioHttpClient,
)
from twilio.http.response import Response  # type: ignore[import-untyped]
from twilio.rest import Client  # type: ignore[import-untyped]

TWILIO_API_URL = "https://api.twilio.com"
# AsyncTwilioHttpClient ignores its own timeout and passes None to aiohttp, which means none.
DEFAULT_TIMEOUT = 30.0


class RedirectingHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """An aiohttp-based Twilio HTTP client that sends every request to one API root.

    Each Twilio domain (api.twilio.com, messaging.twilio.com, ...) has its scheme and host
    replaced by the root's, and the root's path (if any) prefixed; path and query are kept.
    With the real root nothing is rewritten.
    """

    session: ClientSession | None

    def __init__(self, api_url: str = TWILIO_API_URL, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        root = urlsplit(api_url.rstrip("/"))
        if not root.scheme or not root.netloc:
            raise ValueError(f"not an absolute URL: {api_url!r}")
        self.api_url = urlunsplit(root)
        self._root = None if self.api_url == TWILIO_API_URL else root

    def rewrite(self, url: str) -> str:
        """``url`` as it is sent: on the configured root instead of Twilio's host."""
        if self._root is None:
            return url
        parts = urlsplit(url)
        path = self._root.path + parts.path
        return urlunsplit((self._root.scheme, self._root.netloc, path, parts.query, ""))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request through a session kept open until :meth:`close`."""
        if self.session is None:
            self.session = ClientSession()
        if auth is not None:
            # The base class would pass aiohttp.BasicAuth, deprecated (a warning) since 3.14.
            credentials = f"{auth[0]}:{auth[1]}".encode()
            basic = "Basic " + base64.b64encode(credentials).decode("ascii")
            headers = (headers or {}) | {"Authorization": basic}
        response: Response = await super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=self.timeout if timeout is None else timeout,
            allow_redirects=allow_redirects,
        )
        return response

    async def close(self) -> None:
        """Close the HTTP session (if one was opened); the client may be used again after."""
        session, self.session = self.session, None
        if session is not None:
            await session.close()


def make_client(
    account_sid: str,
    auth_token: str,
    api_url: str = TWILIO_API_URL,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> Client:
    """A Twilio client for ``create_async`` calls whose requests go to ``api_url``.

    Close it with ``await client.http_client.close()``.
    """
    http_client = RedirectingHttpClient(api_url, timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)
