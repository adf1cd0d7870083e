"""Channels are plug-ins: the registry lists the three shipped ones, and a fourth channel that
exists only in this file (its routes, its transport, its sender) takes a message and gets the
bot's reply, with no edit anywhere else."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import bot.channels
from bot.channels import registry
from bot.channels.base import ChannelNeeds, ChannelPlugin, Job
from bot.delivery.inbound import Inbound
from bot.delivery.pacing import Pacer
from bot.delivery.sender import Delivered, OutboxSender, Outcome
from bot.delivery.turns import Acknowledge, Shaper
from bot.engine.messages import Outgoing
from bot.settings import Settings
from bot.web import state
from tests.conftest import make_settings
from tests.serving import running

LOOP = "loop"


class LoopTransport:
    channel = LOOP

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def render(self, message: Outgoing) -> Sequence[str]:
        return [message.text]

    async def send(self, address: str, piece: str) -> Outcome:
        self.sent.append((address, piece))
        return Delivered()


class LoopChannel:
    name = LOOP
    acknowledge: Acknowledge | None = None
    shaper: Shaper | None = None

    def __init__(self, needs: ChannelNeeds) -> None:
        self.transport = LoopTransport()
        self.sender: OutboxSender | None = OutboxSender(
            self.transport, needs.sessions, needs.sealer, Pacer(100, 100)
        )

    def jobs(self) -> dict[str, Job]:
        return {}

    async def prepare_turns(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def close(self) -> None:
        pass


def loop_routes(settings: Settings) -> list[Route]:
    async def loop_in(request: Request) -> Response:
        data = await request.json()
        inbound = Inbound(
            LOOP, data["id"], user_id=data["from"], address=data["from"], text=data["text"]
        )
        await state.intake(request).accept(inbound)
        return Response(status_code=200)

    return [Route("/loop/in", loop_in, methods=["POST"])]


LOOP_PLUGIN = ChannelPlugin(LOOP, lambda settings: True, loop_routes, LoopChannel)


def test_the_registry_holds_the_shipped_channels() -> None:
    assert [plugin.name for plugin in registry.PLUGINS] == ["sms", "telegram", "web"]
    assert [plugin.name for plugin in registry.configured(Settings())] == ["web"]


async def test_a_fourth_channel_plugs_in(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path, database_url)
    plugins = [*registry.configured(settings), LOOP_PLUGIN]
    async with running(settings, plugins=plugins) as run:
        response = await run.client.post(
            "/loop/in", json={"id": "1", "from": "alice", "text": "привет"}
        )
        assert response.status_code == 200
        channel = run.services.channels[LOOP]
        assert isinstance(channel, LoopChannel)
        for _ in range(200):
            if channel.transport.sent:
                break
            await asyncio.sleep(0.05)
        assert channel.transport.sent
        assert {address for address, _ in channel.transport.sent} == {"alice"}


def test_a_channel_package_is_found_without_naming_it_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new package under bot/channels/ with a plugin.py is a channel: the registry finds it
    (here the package lives in a temporary folder added to the channels' search path)."""
    package = tmp_path / "pigeon"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "plugin.py").write_text(
        "from bot.channels.base import ChannelPlugin\n"
        "PLUGIN = ChannelPlugin('pigeon', lambda settings: True, lambda settings: [], None)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(bot.channels, "__path__", [*bot.channels.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "bot.channels.pigeon.plugin", raising=False)
    names = [plugin.name for plugin in registry.discover()]
    assert names == ["pigeon", "sms", "telegram", "web"]
    for module in ("bot.channels.pigeon.plugin", "bot.channels.pigeon"):
        sys.modules.pop(module, None)
