"""A project's issues as a tree: state colours, progress bars on parents, linked pull requests and their
checks."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from contexten.common.issue_tree import IssueNode, issue_tree
from contexten.common.models import Issue
from contexten.common.protocol import PullRequestView
from contexten.tui.widgets.vim_keys import TREE_KEYS

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
    BINDINGS = TREE_KEYS
    filter_text: reactive[str] = reactive("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__("issues", **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 3
        self._issues: list[Issue] = []
        self._pull_requests: list[PullRequestView] = []

    def show(self, issues: list[Issue], pull_requests: list[PullRequestView]) -> None:
        self._issues, self._pull_requests = issues, pull_requests
        self._render_tree()

    def watch_filter_text(self) -> None:
        self._render_tree()

    def _render_tree(self) -> None:
        by_url = {_url(v): v for v in self._pull_requests}
        needle = self.filter_text.strip().casefold()
        self.clear()
        roots = [n for n in issue_tree(self._issues) if _matches(n, needle, by_url)]
        # Every row's columns line up whatever its depth: identifiers are padded to one column for the states.
        column = max((self._indent(d, b) + len(n.issue.identifier) for n, d, b in _walk(roots, needle, by_url)),
                     default=0)  # fmt: skip
        for node in roots:
            self._add(self.root, node, by_url, needle, column, 0)
        if not roots:
            empty = f"no issue matches /{self.filter_text.strip()}" if needle else \
                "no issues (create one: contexten issue create PROJECT TITLE)"  # fmt: skip
            self.root.add_leaf(Text(empty, style="dim"))
        self.root.expand_all()
        self.border_subtitle = f"/{self.filter_text.strip()}" if needle else ""

    def _indent(self, depth: int, branch: bool) -> int:
        """Where a node's label starts: the guides of its depth, and a branch's ▼."""
        return depth * self.guide_depth + (2 if branch else 0)

    def _add(
        self,
        parent: TreeNode[Issue],
        node: IssueNode,
        by_url: dict[str, PullRequestView],
        needle: str,
        column: int,
        depth: int,
    ) -> None:
        issue = node.issue
        children = [c for c in node.children if _matches(c, needle, by_url)] if needle else node.children
        pad = column - self._indent(depth, bool(children or issue.pull_requests))
        label = Text(f"{issue.identifier:<{pad}} ", style="bold")
        label.append(f"{issue.state_name or issue.state:<12}", style=STATE_STYLE.get(issue.state, ""))
        label.append(f" {issue.title}")
        if node.progress is not None:
            label.append("  ")
            label.append_text(progress_bar(node.progress))
        if children or issue.pull_requests:
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
        for child in children:
            self._add(branch, child, by_url, needle, column, depth + 1)


def _url(view: PullRequestView) -> str:
    return view.pull_request.url or f"{view.pull_request.project}#{view.pull_request.number}"


def _walk(
    nodes: list[IssueNode], needle: str, by_url: dict[str, PullRequestView], depth: int = 0
) -> list[tuple[IssueNode, int, bool]]:
    """(node, depth, is a branch) for every node shown."""
    out = []
    for node in nodes:
        children = [c for c in node.children if _matches(c, needle, by_url)] if needle else node.children
        out.append((node, depth, bool(children or node.issue.pull_requests)))
        out += _walk(children, needle, by_url, depth + 1)
    return out


def _matches(node: IssueNode, needle: str, by_url: dict[str, PullRequestView]) -> bool:
    """The issue, one of its pull requests, or a descendant mentions the filter text."""
    if not needle:
        return True
    issue = node.issue
    text = " ".join([issue.identifier, issue.state_name or issue.state, issue.title, *issue.pull_requests])
    titles = " ".join(by_url[r].pull_request.title for r in issue.pull_requests if r in by_url)
    if needle in f"{text} {titles}".casefold():
        return True
    return any(_matches(c, needle, by_url) for c in node.children)


def _short(ref: str, view: PullRequestView | None) -> str:
    return f"PR #{view.pull_request.number}" if view is not None else ref.rsplit("/", 1)[-1]
