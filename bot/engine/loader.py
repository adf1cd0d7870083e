"""Loading flows and content from a content root into a Bundle, collecting every problem found.

The loader checks shape (the schema) and resolves references, because the engine cannot run
without them; cross-language and cost checks live in `bot.lint`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot import LANGUAGES, TOPICS
from bot.engine.content_files import Collector, parse_lexicon, parse_texts, parse_values
from bot.engine.model import GENERAL_TOPIC, Bundle, Flow, Node, Option
from bot.engine.problems import ContentError, Pos, Problem
from bot.engine.yamlfile import YamlDoc, read_yaml

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
LEXICON_FILES = frozenset({"commands", "keywords", "danger", "answers"})
FLOW_KEYS = frozenset({"topic", "start", "nodes", "description"})
NODE_KEYS = frozenset({"say", "by", "options", "answer", "ask", "handover", "branch", "note"})


def load_bundle(root: Path) -> tuple[Bundle, list[Problem]]:
    """Load everything under `root` (which holds flows/ and content/); never raises on bad input."""
    out = Collector()
    bundle = Bundle(root=str(root))
    flow_docs: list[YamlDoc] = []
    flows_dir = root / "flows"
    if not flows_dir.is_dir():
        out.error(Pos("flows/"), "missing folder flows/")
    for path in sorted(flows_dir.glob("*.yaml")) if flows_dir.is_dir() else []:
        doc = _read(root, path, out)
        if doc is not None:
            flow_docs.append(doc)
            flow = _parse_flow(path.stem, doc, out)
            if flow is not None:
                bundle.flows[flow.name] = flow
    _resolve_references(bundle, out)
    for lang in LANGUAGES:
        lang_dir = root / "content" / lang
        bundle.texts[lang] = {}
        bundle.lexicons[lang] = {}
        if not lang_dir.is_dir():
            out.error(Pos(f"content/{lang}/"), f"missing folder content/{lang}/")
            continue
        for path in sorted(lang_dir.glob("*.yaml")):
            doc = _read(root, path, out)
            if doc is None:
                continue
            if path.stem in LEXICON_FILES:
                bundle.lexicons[lang][path.stem] = parse_lexicon(doc, out)
            else:
                parse_texts(path.stem, doc, bundle.texts[lang], out)
    values_path = root / "content" / "values.yaml"
    if values_path.exists():
        doc = _read(root, values_path, out)
        if doc is not None:
            bundle.values = parse_values(doc, out)
    bundle.unreadable = out.unreadable
    return bundle, out.problems


def load_or_raise(root: Path) -> Bundle:
    """Load for running: raise ContentError when there is any error (warnings are for lint)."""
    bundle, problems = load_bundle(root)
    if any(p.severity == "error" for p in problems):
        raise ContentError(sorted(problems))
    return bundle


def _read(root: Path, path: Path, out: Collector) -> YamlDoc | None:
    doc, problems = read_yaml(path, str(path.relative_to(root)))
    out.problems.extend(problems)
    if doc is None:
        out.unreadable.add(str(path.relative_to(root)))
    return doc


def _parse_flow(name: str, doc: YamlDoc, out: Collector) -> Flow | None:
    data = doc.data
    if not NAME.match(name):
        out.error(doc.pos(), f"flow file name '{name}' must be lower-case ASCII (a-z, 0-9, _)")
        return None
    if not isinstance(data, dict):
        out.error(doc.pos(), "a flow must be a mapping with topic, start and nodes")
        return None
    for key in sorted(set(data) - FLOW_KEYS):
        out.error(doc.pos(key), f"unknown field '{key}' (expected one of {sorted(FLOW_KEYS)})")
    topic = data.get("topic")
    if topic not in (*TOPICS, GENERAL_TOPIC):
        out.error(
            doc.pos("topic"), f"topic must be one of {[*TOPICS, GENERAL_TOPIC]}, not {topic!r}"
        )
    nodes_data = data.get("nodes")
    if not isinstance(nodes_data, dict) or not nodes_data:
        out.error(doc.pos("nodes"), "nodes must be a non-empty mapping of node names")
        return None
    start = data.get("start")
    if not isinstance(start, str) or start not in nodes_data:
        out.error(doc.pos("start"), f"start must name a node of this flow, not {start!r}")
    nodes: dict[str, Node] = {}
    for node_name, node_data in nodes_data.items():
        node = _parse_node(name, str(node_name), node_data, doc, out)
        if node is not None:
            nodes[str(node_name)] = node
    return Flow(name, str(topic), str(start), nodes, doc.pos())


def _parse_node(flow: str, name: str, data: Any, doc: YamlDoc, out: Collector) -> Node | None:
    at = ("nodes", name)
    pos = doc.pos(*at)
    if not NAME.match(name):
        out.error(pos, f"node name '{name}' must be lower-case ASCII (a-z, 0-9, _)")
    if not isinstance(data, dict):
        out.error(pos, "a node must be a mapping (say, options, ...)")
        return None
    for key in sorted(set(data) - NODE_KEYS):
        out.error(doc.pos(*at, key), f"unknown field '{key}' (expected one of {sorted(NODE_KEYS)})")
    say: dict[str, str] = {}
    raw_say = data.get("say")
    by = data.get("by")
    if isinstance(raw_say, str):
        say = {"default": raw_say}
        if by is not None:
            out.error(doc.pos(*at, "by"), "'by' needs 'say' to map values to content keys")
    elif isinstance(raw_say, dict):
        say = {str(k): str(v) for k, v in raw_say.items()}
        if not isinstance(by, str):
            out.error(doc.pos(*at, "say"), "a 'say' mapping needs 'by: <variable>'")
        if "default" not in say:
            out.error(doc.pos(*at, "say"), "a 'say' mapping needs a 'default' key")
            say = {}
    elif raw_say is not None:
        out.error(doc.pos(*at, "say"), "say must be a content key or a mapping by a variable")
    branch = data.get("branch")
    branch_by: str | None = None
    branch_map: dict[str, str] = {}
    if branch is not None:
        if not isinstance(branch, dict) or "by" not in branch or "default" not in branch:
            out.error(doc.pos(*at, "branch"), "branch needs 'by', 'cases' and 'default'")
        else:
            branch_by = str(branch["by"])
            cases = branch.get("cases") or {}
            branch_map = {str(k): str(v) for k, v in dict(cases).items()}
            branch_map["default"] = str(branch["default"])
        if raw_say is not None:
            out.error(doc.pos(*at, "branch"), "a node either says something or branches, not both")
    elif raw_say is None:
        out.error(pos, "a node needs 'say' (a text to show) or 'branch'")
    options = _parse_options(flow, data.get("options"), (*at, "options"), doc, out)
    ask = data.get("ask")
    ask_var = ask_next = None
    if ask is not None:
        if not isinstance(ask, dict) or not isinstance(ask.get("var"), str) or "next" not in ask:
            out.error(doc.pos(*at, "ask"), "ask needs 'var' (a variable name) and 'next' (a node)")
        else:
            ask_var, ask_next = ask["var"], str(ask["next"])
    handover = data.get("handover")
    urgent = False
    if isinstance(handover, dict):
        urgent = bool(handover.get("urgent", False))
    elif handover not in (None, True, False):
        out.error(doc.pos(*at, "handover"), "handover must be true or {urgent: true|false}")
    answer = data.get("answer", False)
    if not isinstance(answer, bool):
        out.error(doc.pos(*at, "answer"), "answer must be true or false")
    return Node(
        ref=f"{flow}.{name}",
        say=say,
        by=by if isinstance(by, str) else None,
        options=options,
        answer=answer is True,
        ask_var=ask_var,
        ask_next=ask_next,
        handover=bool(handover),
        urgent=urgent,
        branch_by=branch_by,
        branch=branch_map,
        pos=pos,
    )


def _parse_options(
    flow: str, raw: Any, at: tuple[str | int, ...], doc: YamlDoc, out: Collector
) -> tuple[Option, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        out.error(doc.pos(*at), "options must be a list")
        return ()
    options = []
    for i, item in enumerate(raw):
        pos = doc.pos(*at, i)
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            out.error(pos, "an option needs 'label' (a content key) and 'next'")
            continue
        for key in sorted(set(item) - {"label", "next", "set", "record"}):
            out.error(doc.pos(*at, i, key), f"unknown option field '{key}'")
        target = item.get("next")
        if not isinstance(target, str):
            out.error(pos, "an option needs 'next' (a node, a flow or flow.node)")
            continue
        maps = {}
        for field_name in ("set", "record"):
            value = item.get(field_name) or {}
            if not isinstance(value, dict):
                out.error(doc.pos(*at, i, field_name), f"{field_name} must map names to values")
                value = {}
            maps[field_name] = {str(k): str(v) for k, v in value.items()}
        options.append(Option(item["label"], target, maps["set"], pos, maps["record"]))
    return tuple(options)


def _resolve(bundle: Bundle, flow: str, target: str) -> str | None:
    """A `next` target as `flow.node`: a node of this flow, `flow.node`, or a flow's start."""
    if "." in target:
        return target if bundle.node(target) is not None else None
    if target in bundle.flows[flow].nodes:
        return f"{flow}.{target}"
    if target in bundle.flows:
        return bundle.flow_start(target)
    return None


def _resolve_references(bundle: Bundle, out: Collector) -> None:
    for flow in bundle.flows.values():
        resolved_nodes: dict[str, Node] = {}
        for name, node in flow.nodes.items():
            options = []
            for option in node.options:
                ref = _resolve(bundle, flow.name, option.next)
                if ref is None:
                    if f"flows/{option.next.split('.')[0]}.yaml" not in out.unreadable:
                        out.error(option.pos, f"unknown target '{option.next}' (no node or flow)")
                    continue
                options.append(replace(option, next=ref))
            ask_next = node.ask_next
            if ask_next is not None:
                ask_next = _resolve(bundle, flow.name, ask_next)
                if ask_next is None:
                    out.error(node.pos, f"unknown ask target '{node.ask_next}'")
            branch = {}
            for value, target in node.branch.items():
                ref = _resolve(bundle, flow.name, target)
                if ref is None:
                    out.error(node.pos, f"unknown branch target '{target}'")
                else:
                    branch[value] = ref
            if node.branch and "default" not in branch:
                branch = {}
            resolved_nodes[name] = replace(
                node, options=tuple(options), ask_next=ask_next, branch=branch
            )
        bundle.flows[flow.name] = Flow(flow.name, flow.topic, flow.start, resolved_nodes, flow.pos)
