"""`graph FLOW`: a Mermaid diagram of a flow, with labels in one language, for editors and docs."""

from __future__ import annotations

import argparse
from typing import Any

from bot import DEFAULT_LANGUAGE, LANGUAGES
from bot.engine.loader import load_or_raise
from bot.engine.model import Bundle
from bot.engine.problems import ContentError
from bot.engine.texts import Texts
from bot.settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("graph", help="print a Mermaid diagram of a flow")
    p.add_argument("flow", help="flow name, e.g. registration")
    p.add_argument(
        "--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE, help="language of the labels"
    )
    p.set_defaults(run=run)


def _id(ref: str) -> str:
    return ref.replace(".", "__")


def _quote(text: str, limit: int = 40) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return short.replace('"', "'").replace("\n", " ")


def mermaid(bundle: Bundle, texts: Texts, flow_name: str, lang: str) -> str:
    flow = bundle.flows[flow_name]
    lines = ["flowchart TD"]
    outside: set[str] = set()
    for node in flow.nodes.values():
        key = node.say_key({})
        caption = _quote(texts.render(lang, key)) if key else "branch by " + str(node.branch_by)
        shape = ("([", "])") if node.answer else ("[", "]")
        marker = " ⚑" if node.handover else ""
        lines.append(f'  {_id(node.ref)}{shape[0]}"{node.ref}: {caption}{marker}"{shape[1]}')
        edges = [(texts.render(lang, o.label), o.next) for o in node.options]
        edges += [(f"{node.branch_by}={v}", t) for v, t in node.branch.items()]
        edges += [("text", node.ask_next)] if node.ask_next else []
        for label, target in edges:
            lines.append(f'  {_id(node.ref)} -->|"{_quote(label, 30)}"| {_id(target)}')
            if not target.startswith(flow_name + "."):
                outside.add(target)
    for target in sorted(outside):
        lines.append(f'  {_id(target)}[["{target}"]]')
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    try:
        bundle = load_or_raise(settings.content_root)
    except ContentError as exc:
        print(exc)
        return 1
    if args.flow not in bundle.flows:
        print(f"unknown flow '{args.flow}'; flows: {', '.join(sorted(bundle.flows))}")
        return 1
    print(mermaid(bundle, Texts(bundle, settings.hotline), args.flow, args.lang))
    return 0
