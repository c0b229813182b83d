"""One project's work: its issue tree and its pull requests with their checks. Fetched in a worker when
opened, and again when the daemon announces a change to this project's issues, pull requests or checks."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Footer, Label

from contexten.common.errors import ContextenError
from contexten.common.protocol import ListIssues, ListPullRequests, PullRequestView
from contexten.tui.format import plural
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.issue_tree import IssueTree, check_summary
from contexten.tui.widgets.list_table import ListTable

WATCHED = ("issue.", "pr.", "check.", "ci.", "sync.")


FIRST_PAGE = 300  # what the screen shows first: a screenful and more, at once
PAGE = 2000


class WorkScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("i", "dismiss", "Back", show=False),
        Binding("r", "reload", "Reload"),
        FILTER_KEY,
    ]

    def __init__(self, project: str, link: DaemonLink) -> None:
        super().__init__()
        self.project = project
        self._link = link

    def compose(self) -> ComposeResult:
        with Vertical(id="work"):
            yield Label("", id="work-status")
            yield IssueTree(id="issue-tree")
            yield ListTable(id="pr-table", zebra_stripes=True)
        yield FilterBar("the list")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#issue-tree").border_title = f"Issues · {self.project}"
        table = self.query_one("#pr-table", ListTable)
        table.border_title = "Pull requests"
        table.add_columns("#", "state", "checks", "branch", "title")
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return project == self.project and kind.startswith(WATCHED)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()

    @work(exclusive=True, group="work-items")
    async def reload(self) -> None:
        """The first page of issues is shown at once; the rest are read a page at a time, then shown whole
        (a 10k-issue project was a 4 MB answer and seconds of a blank screen)."""
        status = self.query_one("#work-status", Label)
        try:
            first = await self._link.call(ListIssues(project=self.project, limit=FIRST_PAGE))
            pull_requests = await self._link.call(ListPullRequests(project=self.project))
            self.query_one(IssueTree).show(first, pull_requests)
            self._show_pull_requests(pull_requests)
            issues, more = list(first), len(first) == FIRST_PAGE
            while more:
                status.update(Text(f"{len(issues)} issues so far, reading the rest…", style="dim"))
                page = await self._link.call(ListIssues(project=self.project, offset=len(issues), limit=PAGE))
                issues += page
                more = len(page) == PAGE
            if len(issues) > len(first):
                self.query_one(IssueTree).show(issues, pull_requests)
        except ContextenError as exc:
            status.update(Text(f"cannot load: {exc}", style="bold red"))
            return
        done = sum(1 for i in issues if i.state == "completed")
        status.update(
            Text(
                f"{plural(len(issues), 'issue')}, {done} completed · {plural(len(pull_requests), 'pull request')}",
                style="dim",
            )
        )

    def _show_pull_requests(self, views: list[PullRequestView]) -> None:
        rows = []
        for view in views:
            pr = view.pull_request
            state = Text(pr.state + (" (draft)" if pr.draft else ""),
                         style={"open": "yellow", "merged": "green", "closed": "dim"}.get(pr.state, ""))  # fmt: skip
            rows.append((str(pr.number), (str(pr.number), state, check_summary(view), f"{pr.head} → {pr.base}",
                                          pr.title)))  # fmt: skip
        self.query_one("#pr-table", ListTable).show_rows(rows)
