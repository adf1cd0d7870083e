"""A cookie-minting flood from one address, as its own process (so the process measuring a
victim's reply times is not slowed by it): `python -m tests.hostile.flood URL COOKIES RATE
SECONDS` mints COOKIES fresh visitors, posts RATE messages a second with them in all for
SECONDS, and prints how the server answered, as JSON ({status: count})."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import uuid

import httpx

TOKEN = re.compile(r'<meta name="chat-token" content="([^"]+)">')


async def mint(client: httpx.AsyncClient) -> tuple[str, str] | None:
    """A fresh visitor: (cookie, page token), or None when the page was refused."""
    client.cookies.clear()
    page = await client.get("/chat?lang=ru")
    found = TOKEN.search(page.text)
    cookie = page.cookies.get("webchat")
    if page.status_code != 200 or found is None or cookie is None:
        return None
    return cookie, found.group(1)


async def flood(url: str, cookies: int, rate: float, seconds: float) -> dict[int, int]:
    statuses: dict[int, int] = {}
    limits = httpx.Limits(max_connections=cookies)
    async with httpx.AsyncClient(base_url=url, timeout=10, limits=limits) as client:
        minted = [await mint(client) for _ in range(cookies)]
        client.cookies.clear()
        print("minted", flush=True)  # the measuring process starts now
        stop = time.perf_counter() + seconds
        every = cookies / rate

        async def one(n: int, cookie: str, token: str) -> None:
            headers = {"Cookie": f"webchat={cookie}", "X-Chat-Token": token}
            await asyncio.sleep(n * every / cookies)  # spread evenly over time
            while time.perf_counter() < stop:
                started = time.perf_counter()
                body = {"id": str(uuid.uuid4()), "text": f"flood {n}"}
                try:
                    response = await client.post("/chat/send", json=body, headers=headers)
                    status = response.status_code
                except httpx.TransportError:
                    status = 0
                statuses[status] = statuses.get(status, 0) + 1
                await asyncio.sleep(max(0.0, every - (time.perf_counter() - started)))

        await asyncio.gather(*(one(n, *m) for n, m in enumerate(minted) if m is not None))
    return statuses


if __name__ == "__main__":
    url, cookies, rate, seconds = (
        sys.argv[1],
        int(sys.argv[2]),
        float(sys.argv[3]),
        float(sys.argv[4]),
    )
    print(json.dumps(asyncio.run(flood(url, cookies, rate, seconds))), flush=True)
