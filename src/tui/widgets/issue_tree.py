"""A project's issues as a tree: state colours, progress bars on parents, linked pull requests and their
checks."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from contexten.common.issue_tree import IssueNode, issue_tree
from contexten.common.models import Issue
from contexten.common.protocol import PullRequestView

STATE_STYLE = {
    "triage": "magenta", "backlog": "dim", "unstarted": "white", "started": "yellow", "completed": "green",
    "canceled": "dim strike", "duplicate": "dim strike",
}  # fmt: skip
BAR_WIDTH = 10


def progress_bar(fraction: float) -> Text:
    filled = round(fraction * BAR_WIDTH)
    bar = Text("█" * filled, style="green")
    bar.append("░" * (BAR_WIDTH - filled), style="dim")
    bar.append(f" {fraction * 100:3.0f}%", style="dim")
    return bar


def check_summary(view: PullRequestView | None) -> Text:
    if view is None or not view.checks:
        return Text("no checks", style="dim")
    failed = [c for c in view.checks if c.status == "completed" and c.conclusion != "success"]
    running = [c for c in view.checks if c.status != "completed"]
    if failed:
        return Text(f"✗ {len(failed)} failing", style="bold red")
    if running:
        return Text(f"… {len(running)} running", style="yellow")
    return Text(f"✓ {len(view.checks)} passed", style="green")


class IssueTree(Tree[Issue]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__("issues", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 3

    def show(self, issues: list[Issue], pull_requests: list[PullRequestView]) -> None:
        by_url = {v.pull_request.url or f"{v.pull_request.project}#{v.pull_request.number}": v for v in pull_requests}
        self.clear()
        roots = issue_tree(issues)
        for node in roots:
            self._add(self.root, node, by_url)
        if not roots:
            self.root.add_leaf(Text("no issues (create one: contexten issue create PROJECT TITLE)", style="dim"))
        self.root.expand_all()

    def _add(self, parent: TreeNode[Issue], node: IssueNode, by_url: dict[str, PullRequestView]) -> None:
        issue = node.issue
        label = Text(f"{issue.identifier} ", style="bold")
        label.append(f"{issue.state_name or issue.state:<12}", style=STATE_STYLE.get(issue.state, ""))
        label.append(f" {issue.title}")
        if node.progress is not None:
            label.append("  ")
            label.append_text(progress_bar(node.progress))
        if node.children or issue.pull_requests:
            branch = parent.add(label, data=issue, expand=True)
        else:
            parent.add_leaf(label, data=issue)
            return
        for ref in issue.pull_requests:
            view = by_url.get(ref)
            line = Text(f"⤷ {_short(ref, view)} ", style="cyan")
            line.append_text(check_summary(view))
            if view is not None:
                line.append(f"  {view.pull_request.state}", style="dim")
            branch.add_leaf(line)
        for child in node.children:
            self._add(branch, child, by_url)


def _short(ref: str, view: PullRequestView | None) -> str:
    return f"PR #{view.pull_request.number}" if view is not None else ref.rsplit("/", 1)[-1]
