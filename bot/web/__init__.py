"""The one ASGI app: health, platform webhooks, and (later) the operator console and web chat."""
