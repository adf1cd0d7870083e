"""The editors' small tools: graph, and the chat's SMS rendering details."""

from __future__ import annotations

from bot.channels.rendering import render_sms
from bot.cli.graph import mermaid
from bot.engine.messages import OptionOut, Outgoing
from bot.engine.model import Bundle
from bot.engine.texts import Texts
from bot.settings import HotlineSettings


def test_graph_draws_every_node_and_edge(shipped_bundle: Bundle) -> None:
    texts = Texts(shipped_bundle, HotlineSettings())
    diagram = mermaid(shipped_bundle, texts, "registration", "ru")
    assert diagram.startswith("flowchart TD")
    flow = shipped_bundle.flows["registration"]
    for node in flow.nodes.values():
        assert node.ref.replace(".", "__") in diagram
    edges = sum(len(node.options) for node in flow.nodes.values())
    assert diagram.count("-->") == edges
    assert '|"Узбекистан"|' in diagram


def test_sms_rendering_uses_sms_text_numbers_and_folds_to_gsm7() -> None:
    message = Outgoing(
        text="long text",
        sms_text="Roʻyxat — 15\xa0kun",
        options=(OptionOut("a", "Oʻzbekiston", 1), OptionOut("nav:operator", "Operator", 0)),
    )
    assert render_sms(message) == "Ro'yxat - 15 kun\n1 O'zbekiston\n0 Operator"
