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
        pos, what = explain(exc, text.split("\n"), shown_as)
        return None, [Problem(pos, "error", f"YAML syntax: {what}")]
    except yaml.YAMLError as exc:
        return None, [Problem(Pos(shown_as), "error", f"YAML syntax: {exc}")]
    finally:
        loader.dispose()
    doc = YamlDoc(shown_as, data)
    problems: list[Problem] = []
    if root is not None:
        _walk(root, (), doc, problems)
    return doc, problems


def explain(exc: yaml.MarkedYAMLError, lines: list[str], shown_as: str) -> tuple[Pos, str]:
    """Where an editor should look and what to do, for PyYAML's common problems (an indentation
    slip, a tab, a colon inside unquoted text, an unclosed quote or bracket); PyYAML's own
    words, with the line of its context, for the rest."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    opened = exc.context_mark
    if problem.startswith("found character") and "\\t" in problem:
        return Pos(shown_as, line, col), (
            f"line {line} has a tab character: YAML indents with spaces only;"
            " replace the tab with spaces"
        )
    if "quoted scalar" in context and opened is not None:
        at = f"line {opened.line + 1}, column {opened.column + 1}"
        return Pos(shown_as, opened.line + 1, opened.column + 1), (
            f"the quote opened at {at} is never closed: add the closing quote at the end of"
            " the text (a quote inside it is written \\\" between double quotes, '' between"
            " single ones)"
        )
    if context.startswith("while parsing a flow") and opened is not None:
        at = f"line {opened.line + 1}, column {opened.column + 1}"
        bracket = lines[opened.line][opened.column : opened.column + 1]
        closer = {"[": "]", "{": "}"}.get(bracket, "the bracket")
        return Pos(shown_as, opened.line + 1, opened.column + 1), (
            f"the '{bracket}' opened at {at} is not closed with '{closer}' (YAML reached"
            f" line {line} without finding it): check the brackets and the commas between items"
        )
    if "could not find expected ':'" in problem and opened is not None:
        return Pos(shown_as, opened.line + 1, 1), (
            f"line {opened.line + 1} has no colon after its key: write it as 'key: text'"
        )
    if problem.startswith("expected <block end>") or (
        "mapping values are not allowed" in problem and _indented_more(lines, line)
    ):
        above = _line_above(lines, line)
        if _indent(lines, line) == _indent(lines, above):
            return Pos(shown_as, line, 1), (
                f"line {line} does not fit the block above it: list items ('- ...') and keys"
                " ('key: ...') cannot be mixed at the same indentation; check this line and"
                f" line {above}"
            )
        return Pos(shown_as, line, 1), (
            f"line {line} is indented differently from the line above ({_spaces(lines, line)}"
            f" against {_spaces(lines, above)} on line {above}): keys of one block start in the"
            " same column; check the spaces at the start of the line"
        )
    if "mapping values are not allowed" in problem:
        return Pos(shown_as, line, col), (
            f"a colon inside unquoted text on line {line}, column {col}: put the whole text in"
            ' double quotes ("...") or write the colon as a dash'
        )
    where = f" ({context} at line {opened.line + 1})" if context and opened else ""
    return Pos(shown_as, line, col), f"{problem or context or 'invalid YAML'}{where}"


def _line_above(lines: list[str], line: int) -> int:
    """The nearest line above `line` (1-based) with something on it (`line` itself if none)."""
    for above in range(line - 1, 0, -1):
        if lines[above - 1].strip():
            return above
    return line


def _indent(lines: list[str], line: int) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text) - len(text.lstrip(" "))


def _spaces(lines: list[str], line: int) -> str:
    count = _indent(lines, line)
    return "1 space" if count == 1 else f"{count} spaces"


def _indented_more(lines: list[str], line: int) -> bool:
    """Line `line` is indented deeper than the line above, which holds a finished value (so it
    cannot be that line's nested block)."""
    above = _line_above(lines, line)
    if above == line:
        return False
    value = lines[above - 1].split(":", 1)[1].strip() if ":" in lines[above - 1] else ""
    return _indent(lines, line) > _indent(lines, above) and value not in ("", "|", ">", "|-", ">-")


def _walk(node: yaml.Node, path: YamlPath, doc: YamlDoc, problems: list[Problem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            pos = Pos(doc.path, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                message = (
                    f"duplicate key '{key}' (first at line {seen[key]}): YAML would keep only the"
                    " last one; remove or rename one of them"
                )
                problems.append(Problem(pos, "error", message))
            seen.setdefault(key, pos.line)
            doc.marks[(*path, key)] = pos
            _walk(value_node, (*path, key), doc, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            mark = item.start_mark
            doc.marks[(*path, index)] = Pos(doc.path, mark.line + 1, mark.column + 1)
            _walk(item, (*path, index), doc, problems)
