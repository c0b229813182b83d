"""One project's work: its issue tree and its pull requests with their checks. Fetched in a worker when
opened, and again when the daemon announces a change to this project's issues, pull requests or checks."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Label

from contexten.common.errors import ContextenError
from contexten.common.protocol import ListIssues, ListPullRequests, PullRequestView
from contexten.tui.link import DaemonLink
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.issue_tree import IssueTree, check_summary

WATCHED = ("issue.", "pr.", "check.", "ci.", "sync.")


class WorkScreen(LiveScreen):
    BINDINGS = [Binding("escape,i,q", "dismiss", "Back"), Binding("r", "reload", "Reload")]

    def __init__(self, project: str, link: DaemonLink) -> None:
        super().__init__()
        self.project = project
        self._link = link

    def compose(self) -> ComposeResult:
        with Vertical(id="work"):
            yield Label("", id="work-status")
            yield IssueTree(id="issue-tree")
            table: DataTable[str | Text] = DataTable(id="pr-table", cursor_type="row", zebra_stripes=True)
            yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#issue-tree").border_title = f"Issues · {self.project}"
        table = self.query_one("#pr-table", DataTable)
        table.border_title = "Pull requests"
        table.add_columns("#", "state", "checks", "branch", "title")
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return project == self.project and kind.startswith(WATCHED)

    def action_reload(self) -> None:
        self.reload()

    @work(exclusive=True, group="work-items")
    async def reload(self) -> None:
        try:
            issues = await self._link.call(ListIssues(project=self.project))
            pull_requests = await self._link.call(ListPullRequests(project=self.project))
        except ContextenError as exc:
            self.query_one("#work-status", Label).update(Text(f"cannot load: {exc}", style="bold red"))
            return
        self.query_one(IssueTree).show(issues, pull_requests)
        self._show_pull_requests(pull_requests)
        done = sum(1 for i in issues if i.state == "completed")
        self.query_one("#work-status", Label).update(
            Text(f"{len(issues)} issues, {done} completed · {len(pull_requests)} pull requests", style="dim")
        )

    def _show_pull_requests(self, views: list[PullRequestView]) -> None:
        table = self.query_one("#pr-table", DataTable)
        table.clear()
        for view in views:
            pr = view.pull_request
            state = Text(pr.state + (" (draft)" if pr.draft else ""),
                         style={"open": "yellow", "merged": "green", "closed": "dim"}.get(pr.state, ""))  # fmt: skip
            table.add_row(str(pr.number), state, check_summary(view), f"{pr.head} → {pr.base}", pr.title,
                          key=str(pr.number))  # fmt: skip
