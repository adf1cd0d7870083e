"""The loaded, validated form of flows and content that the engine runs on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.engine.problems import Pos

MENU_FLOW = "menu"
OPERATOR_FLOW = "operator"
SURVEY_FLOW = "survey"
GENERAL_TOPIC = "general"


@dataclass(frozen=True)
class Option:
    """A button: its label key, the node it leads to (`flow.node`) and variables it sets."""

    label: str
    next: str
    set: Mapping[str, str]
    pos: Pos
    record: Mapping[str, str] = field(default_factory=dict)
    """Questionnaire answers: emitted as events, never stored in the conversation."""


@dataclass(frozen=True)
class Node:
    """One step of a flow. Exactly one of say/branch is used; see docs/CONTENT.md."""

    ref: str
    say: Mapping[str, str]
    """Content key by value of `by` ("default" always present) or just {"default": key}."""
    by: str | None
    options: tuple[Option, ...]
    answer: bool
    ask_var: str | None
    ask_next: str | None
    handover: bool
    urgent: bool
    branch_by: str | None
    branch: Mapping[str, str]
    pos: Pos

    @property
    def flow(self) -> str:
        return self.ref.split(".", 1)[0]

    def say_key(self, variables: Mapping[str, str]) -> str | None:
        """The content key to show for the given variables (None for a pure branch)."""
        if not self.say:
            return None
        value = variables.get(self.by) if self.by else None
        return self.say.get(value or "", self.say["default"])

    def branch_target(self, variables: Mapping[str, str]) -> str:
        value = variables.get(self.branch_by or "", "")
        return self.branch.get(value, self.branch["default"])


@dataclass(frozen=True)
class Flow:
    name: str
    topic: str
    start: str
    nodes: Mapping[str, Node]
    pos: Pos


@dataclass(frozen=True)
class Entry:
    """A text in one language, with its provenance."""

    key: str
    text: str
    sms: str | None
    source: str | None
    reviewed: dt.date | None
    draft: bool
    pos: Pos
    sms_pos: Pos | None = None


@dataclass(frozen=True)
class Value:
    """A figure used by texts: money (roubles), a plain number or a date."""

    name: str
    kind: str
    amount: float | None = None
    date: dt.date | None = None


@dataclass
class Bundle:
    """Everything loaded from a content root: flows, texts per language, lexicons, values."""

    root: str
    flows: dict[str, Flow] = field(default_factory=dict)
    texts: dict[str, dict[str, Entry]] = field(default_factory=dict)
    lexicons: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)
    """Files that could not be parsed: checks skip what depends on them instead of piling up."""

    def node(self, ref: str) -> Node | None:
        flow_name, _, node_name = ref.partition(".")
        flow = self.flows.get(flow_name)
        return flow.nodes.get(node_name) if flow else None

    def flow_start(self, flow_name: str) -> str:
        return f"{flow_name}.{self.flows[flow_name].start}"

    @property
    def menu_ref(self) -> str:
        return self.flow_start(MENU_FLOW)

    def topic_of(self, ref: str) -> str:
        flow = self.flows.get(ref.split(".", 1)[0])
        return flow.topic if flow else GENERAL_TOPIC

    def lexicon(self, lang: str, name: str) -> dict[str, list[str]]:
        return self.lexicons.get(lang, {}).get(name, {})
