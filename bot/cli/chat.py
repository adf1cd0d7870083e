"""`chat`: talk to the real engine and storage in a terminal, or script a conversation on stdin."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

from bot import LANGUAGES
from bot.channels.rendering import render_plain, render_sms
from bot.channels.sms.shaping import SmsShaper
from bot.channels.sms_segments import sms_cost
from bot.conversation import Step
from bot.delivery.inbound import Body
from bot.delivery.pipeline import Turn, greeting, replying
from bot.engine.engine import Result
from bot.engine.messages import Incoming, Outgoing
from bot.engine.problems import ContentError
from bot.service.core import open_core as open_app
from bot.settings import Settings

CHANNEL = "terminal"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "chat", help="a conversation in the terminal (one message per line if piped)"
    )
    p.add_argument("--lang", choices=LANGUAGES, help="start as a user who has chosen this language")
    p.add_argument(
        "--channel",
        choices=("terminal", "telegram", "sms"),
        default="terminal",
        help="show messages as this channel would (sms: numbered, with encoding and segments)",
    )
    p.add_argument("--user", default="local", help="who is talking (the same name resumes)")
    p.add_argument("--json", action="store_true", help="one JSON line per outgoing message")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_chat(args, sys.stdin, sys.stdout))
    except KeyboardInterrupt:
        return 0


def describe(message: Outgoing, channel: str) -> dict[str, Any]:
    """The JSON form of a message: what a script or a test checks."""
    data: dict[str, Any] = {
        "text": message.text,
        "options": [o.label for o in message.options],
        "numbers": [o.number for o in message.options],
        "topic": message.topic,
        "escalate": message.escalate,
    }
    if channel == "sms":
        body = render_sms(message)
        cost = sms_cost(body)
        data["sms"] = {"body": body, "encoding": cost.encoding, "segments": cost.segments}
    return data


def show(message: Outgoing, channel: str) -> str:
    if channel == "sms":
        body = render_sms(message)
        cost = sms_cost(body)
        plural = "segment" if cost.segments == 1 else "segments"
        return f"{body}\n  [{cost.encoding}, {cost.units} units, {cost.segments} SMS {plural}]"
    if channel == "telegram":
        buttons = "  ".join(f"[{o.label}]" for o in message.options)
        return f"{message.text}\n{buttons}" if buttons else message.text
    return render_plain(message)


def _print(result: Result, args: argparse.Namespace, out: TextIO) -> None:
    for message in result.messages:
        if args.json:
            out.write(json.dumps(describe(message, args.channel), ensure_ascii=False) + "\n")
        else:
            out.write(show(message, args.channel) + "\n\n")
    out.flush()


async def _chat(args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    try:
        app = await open_app(Settings.from_env())
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            "the content has errors: fix them (python -m bot lint) and try again", file=sys.stderr
        )
        return 1
    interactive = stdin.isatty() and not args.json
    pipeline = app.service
    cid = pipeline.conversation_id(CHANNEL, args.user)
    # SMS adds opt-out words and paging around the engine, exactly as the SMS channel does
    shape = SmsShaper(lambda: pipeline.engine, app.settings.twilio.max_segments)

    async def turn(step: Step, text: str | None) -> Result:
        if args.channel == "sms":
            step = shape(step, Body(text=text))
        result = await pipeline.one(Turn(cid, CHANNEL, step))
        assert result is not None  # a user's turn always runs
        return result

    try:
        _print(await turn(greeting(pipeline.engine, args.lang), None), args, out)
        while True:
            line = _read(stdin, interactive)
            if line is None:
                break
            if not line.strip():
                continue
            _print(await turn(replying(pipeline.engine, Incoming(text=line)), line), args, out)
    finally:
        await app.close()
    return 0


def _read(stdin: TextIO, interactive: bool) -> str | None:
    if interactive:
        try:
            return input("> ")
        except EOFError:
            return None
    line = stdin.readline()
    return line.rstrip("\n") if line else None
