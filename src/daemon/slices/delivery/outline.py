"""The `outline` planner: a Markdown requirements document read as a plan, offline and deterministic.

    # The main issue's title
    Anything here is context for every component.
    ## A component's title
    Its body. A line `Accept: `pytest -k login`` adds an acceptance command;
    `Paths: `src/auth/*`, `tests/*`` limits what its change may touch.

With no `## ` headings, each top-level list item (`- `, `* `, `1. `) is a component, its indented lines
its body. Headings inside code fences are text.
"""

from __future__ import annotations

import re

from contexten.common.errors import ContextenError
from contexten.common.start_flow import Component, Plan, Shape

_ACCEPT = re.compile(r"^\s*accept:\s*`([^`]+)`\s*$", re.IGNORECASE)
_PATHS = re.compile(r"^\s*paths:\s*(.+)$", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+(.*)$")
_TICKED = re.compile(r"`([^`]+)`")


class RequirementsError(ContextenError):
    """The requirements cannot be read as a plan; the message says what to change."""


def outline_plan(text: str) -> Plan:
    if "\x00" in text:
        raise RequirementsError("the requirements are not text (they contain NUL bytes)")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not any(line.strip() for line in lines):
        raise RequirementsError("the requirements are empty")
    title: str | None = None
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    fenced = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("# ") and title is None:
            title = line[2:].strip()
        elif not fenced and line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
        elif title is not None:
            preamble.append(line)
    if not title:
        raise RequirementsError("the requirements have no title: start them with a `# ` line (the main issue)")
    if not sections:
        sections = _list_items(preamble)
    if not sections:
        raise RequirementsError(
            "the requirements name no components: add `## ` headings, or a top-level list (`- ` items)"
        )
    blank = [str(i + 1) for i, (heading, _) in enumerate(sections) if not heading.strip()]
    if blank:
        raise RequirementsError(f"component {', '.join(blank)} has an empty heading")
    components = [_component(heading, body) for heading, body in sections]
    return Plan(
        title=title[:250],
        components=components[:100],
        planner="outline",
        notes=[f"only the first 100 of {len(components)} components are planned"] if len(components) > 100 else [],
    )


def _list_items(lines: list[str]) -> list[tuple[str, list[str]]]:
    items: list[tuple[str, list[str]]] = []
    for line in lines:
        match = _LIST_ITEM.match(line)
        if match:
            items.append((match.group(1).strip(), []))
        elif items:  # continuation lines (indented or not) belong to the item above
            items[-1][1].append(line.strip())
    return items


def _component(heading: str, body_lines: list[str]) -> Component:
    accept: list[str] = []
    paths: list[str] = []
    body: list[str] = []
    for line in body_lines:
        if match := _ACCEPT.match(line):
            accept.append(match.group(1).strip())
        elif match := _PATHS.match(line):
            paths.extend(p.strip() for p in _TICKED.findall(match.group(1)) or match.group(1).split(","))
        else:
            body.append(line)
    text = "\n".join(body).strip()
    return Component(
        title=heading[:250] or "untitled", body=text[:50_000], accept=accept[:20], paths=[p for p in paths if p][:50]
    )


def single_plan(text: str, shape: Shape, research: bool = False) -> Plan:
    """One component from the whole document (feature_development, bug_fix_workflow): the `# ` line (or
    the first line) is its title, everything else its body, headings and lists included; its `Accept:` and
    `Paths:` lines apply to it."""
    if "\x00" in text:
        raise RequirementsError("the requirements are not text (they contain NUL bytes)")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    filled = [line for line in lines if line.strip()]
    if not filled:
        raise RequirementsError("the requirements are empty")
    first = next((n for n, line in enumerate(lines) if line.startswith("# ")), None)
    if first is None:
        first = lines.index(filled[0])
        title = filled[0].strip().lstrip("#").strip()
    else:
        title = lines[first][2:].strip()
    if not title:
        raise RequirementsError("the requirements have no title: start them with a `# ` line")
    component = _component(title, lines[first + 1 :])
    component.research = research and shape == "feature_development"
    prefix = "Fix: " if shape == "bug_fix_workflow" else ""
    return Plan(title=f"{prefix}{title}"[:250], components=[component], planner="outline", shape=shape)
