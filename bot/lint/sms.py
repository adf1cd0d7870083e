"""What each node costs as one SMS: the exact body the SMS channel sends (the `sms` text variant
and the numbered options, folded), in every language.

The options are the ones a user who came from the main menu sees, so "Back" is counted wherever
the engine may show it: an editor's budget holds for the longest form of the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot import LANGUAGES
from bot.channels.rendering import render_sms
from bot.channels.sms_segments import SmsCost, sms_cost
from bot.engine.messages import Outgoing
from bot.engine.model import MENU_FLOW, Bundle, Node
from bot.engine.options import node_options
from bot.engine.problems import Pos
from bot.engine.state import State
from bot.engine.texts import Texts


@dataclass(frozen=True)
class NodeSms:
    """One node's message in one language, as sent by SMS."""

    lang: str
    ref: str
    key: str
    body: str
    cost: SmsCost
    pos: Pos
    """Where an editor shortens it: the entry's `sms:` if it has one, else its text."""


def node_sms(bundle: Bundle, texts: Texts) -> Iterator[NodeSms]:
    """Every node that says something, for each of its texts and each language."""
    for flow in bundle.flows.values():
        for node in flow.nodes.values():
            for key in sorted(set(node.say.values())):
                for lang in LANGUAGES:
                    entry = bundle.texts.get(lang, {}).get(key)
                    if entry is None:
                        continue  # reported as an unknown content key
                    body = render_sms(_message(bundle, texts, node, lang, key))
                    pos = entry.sms_pos or entry.pos
                    yield NodeSms(lang, node.ref, key, body, sms_cost(body), pos)


def _message(bundle: Bundle, texts: Texts, node: Node, lang: str, key: str) -> Outgoing:
    came_from_menu = node.flow != MENU_FLOW and MENU_FLOW in bundle.flows
    state = State(lang=lang, node=node.ref, history=[bundle.menu_ref] if came_from_menu else [])
    return Outgoing(
        text=texts.render(lang, key),
        options=node_options(bundle, texts, state).options,
        sms_text=texts.render(lang, key, sms=True),
    )


def sms_report(bundle: Bundle, texts: Texts) -> list[str]:
    """A table of every node's SMS cost in every language, the most expensive first."""
    rows = sorted(
        node_sms(bundle, texts), key=lambda r: (-r.cost.segments, -r.cost.units, r.ref, r.lang)
    )
    lines = [f"{'segments':>8}  {'encoding':<8}  {'units':>5}  lang  node (text)"]
    for r in rows:
        cost = f"{r.cost.segments:>8}  {r.cost.encoding:<8}  {r.cost.units:>5}"
        lines.append(f"{cost}  {r.lang:<4}  {r.ref} ({r.key})")
    return lines
