"""How uvicorn is told to serve the app, in one place for `serve` and the tests' servers.

Proxy headers are believed only from the addresses in FORWARDED_ALLOW_IPS (by default from
nobody): uvicorn's own default trusts 127.0.0.1, which would let any local process pick the
address that login throttling and the per-address bounds count. The setting is passed
explicitly, so uvicorn never reads the variable from the environment by itself."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run` / `uvicorn.Config` that come from the settings."""
    trusted = settings.forwarded_allow_ips
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted}
