"""Reading YAML while remembering where every key and item stands, for messages editors can act on.

PyYAML's composer keeps marks on nodes; we construct plain data from the same node tree and record
each mapping key's and sequence item's position, and report duplicate keys (PyYAML silently keeps
the last one, which hides an editor's mistake).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.engine.problems import Pos, Problem

YamlPath = tuple[str | int, ...]


@dataclass
class YamlDoc:
    """Constructed data plus the position of every key/item (by path from the root)."""

    path: str
    data: Any
    marks: dict[YamlPath, Pos] = field(default_factory=dict)

    def pos(self, *keys: str | int) -> Pos:
        """Position of the deepest known element along `keys` (the file start when none)."""
        path: YamlPath = tuple(keys)
        while path:
            if path in self.marks:
                return self.marks[path]
            path = path[:-1]
        return Pos(self.path, 1, 1)


def read_yaml(path: Path, shown_as: str) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse one file; on failure return the problems with their positions instead of raising."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        return None, [Problem(Pos(shown_as, line, 1), "error", f"not valid UTF-8 ({exc.reason})")]
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(Pos(shown_as, line, col), "error", f"YAML syntax: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(Pos(shown_as), "error", f"YAML syntax: {exc}")]
    finally:
        loader.dispose()
    doc = YamlDoc(shown_as, data)
    problems: list[Problem] = []
    if root is not None:
        _walk(root, (), doc, problems)
    return doc, problems


def _walk(node: yaml.Node, path: YamlPath, doc: YamlDoc, problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            pos = Pos(doc.path, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                problems.append(Problem(pos, "error", f"duplicate key '{key}'"))
            seen.add(key)
            doc.marks[(*path, key)] = pos
            _walk(value_node, (*path, key), doc, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            mark = item.start_mark
            doc.marks[(*path, index)] = Pos(doc.path, mark.line + 1, mark.column + 1)
            _walk(item, (*path, index), doc, problems)
