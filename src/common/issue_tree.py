"""Issues as a tree (parent -> children) with each parent's progress, for the console and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from contexten.common.models import DONE_STATE_TYPES, Issue


@dataclass
class IssueNode:
    issue: Issue
    children: list[IssueNode] = field(default_factory=list)

    @property
    def progress(self) -> float | None:
        """Share of the direct children completed; None for an issue without sub-issues."""
        if not self.children:
            return None
        return sum(1 for c in self.children if c.issue.state == "completed") / len(self.children)

    @property
    def finished(self) -> bool:
        return self.issue.state in DONE_STATE_TYPES


def issue_tree(issues: list[Issue]) -> list[IssueNode]:
    """Roots in identifier order; an issue whose parent is not in the list is a root. Cycles (which a
    tracker should never send) are broken rather than followed."""
    nodes = {i.identifier: IssueNode(i) for i in issues}
    roots: list[IssueNode] = []
    for node in sorted(nodes.values(), key=lambda n: _order(n.issue.identifier)):
        parent = nodes.get(node.issue.parent or "")
        if parent is None or _reaches(nodes, parent, node.issue.identifier):
            roots.append(node)
        else:
            parent.children.append(node)
    return roots


def walk(roots: list[IssueNode], depth: int = 0) -> list[tuple[int, IssueNode]]:
    out: list[tuple[int, IssueNode]] = []
    for node in roots:
        out.append((depth, node))
        out += walk(node.children, depth + 1)
    return out


def _reaches(nodes: dict[str, IssueNode], start: IssueNode, target: str) -> bool:
    seen, current = set(), start
    while current.issue.parent and current.issue.parent not in seen:
        if current.issue.parent == target:
            return True
        seen.add(current.issue.parent)
        parent = nodes.get(current.issue.parent)
        if parent is None:
            return False
        current = parent
    return False


def _order(identifier: str) -> tuple[str, int]:
    team, _, number = identifier.rpartition("-")
    return (team, int(number)) if number.isdigit() else (identifier, 0)
