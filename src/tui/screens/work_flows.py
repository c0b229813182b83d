"""Every Start Flow, newest first: its state, how much of it merged, what is active, what needs a person.
Enter opens one as a live tree; `/` filters the rows by any text shown; `n` (on every screen) starts one."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Label

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.protocol.delivery import ListWork
from contexten.common.start_flow import ItemState, WorkFlow
from contexten.tui.format import duration, work_state_text
from contexten.tui.link import DaemonLink
from contexten.tui.screens.lists import FILTER_KEY
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.list_table import ListTable


class FlowChosen(Message):
    def __init__(self, flow_id: int) -> None:
        super().__init__()
        self.flow_id = flow_id


def _row(flow: WorkFlow, now: float) -> tuple[str | Text, ...]:
    merged, code = flow.progress
    active = sum(1 for i in flow.items if i.state.active)
    stuck = sum(1 for i in flow.items if i.state is ItemState.ESCALATED)
    return (
        str(flow.id),
        work_state_text(flow.state.value, flow.paused),
        flow.project,
        f"{merged}/{code}",
        str(active),
        Text(str(stuck), style="bold red") if stuck else "0",
        flow.agent,
        duration(flow.created_at, flow.ended_at, now),
        flow.main_issue or "-",
        flow.title,
    )


class WorkFlowsScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q,w", "back", "Back"),
        Binding("enter", "open", "Open"),
        FILTER_KEY,
    ]

    def __init__(self, link: DaemonLink, clock: Clock) -> None:
        super().__init__()
        self._link = link
        self._clock = clock
        self.flows: list[WorkFlow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="work-flows"):
            yield Label("", id="flows-status")
            yield ListTable(id="flows-table", zebra_stripes=True)
        yield FilterBar("the flows")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#flows-table", ListTable)
        table.border_title = "Start Flows"
        table.add_columns("#", "state", "project", "merged", "active", "stuck", "agent", "time", "main", "title")
        table.focus()
        self.reload()

    def concerns(self, kind: str, project: str | None) -> bool:
        return kind == "work.flow"

    @work(exclusive=True, group="flows-load")
    async def reload(self) -> None:
        try:
            self.flows = await self._link.call(ListWork(limit=200))
        except ContextenError as exc:
            self.query_one("#flows-status", Label).update(Text(f"cannot list the flows: {exc}", style="bold red"))
            return
        self._show()

    def _show(self) -> None:
        table = self.query_one("#flows-table", ListTable)
        now = self._clock.now()
        table.show_rows([(str(flow.id), _row(flow, now)) for flow in self.flows])
        shown = len(self.flows)  # the table's border says how many the filter shows
        hint = "n: start one from written requirements" if not self.flows else "enter: open the live tree"
        self.query_one("#flows-status", Label).update(Text(f"{shown} flows · {hint}", style="dim"))

    @property
    def chosen(self) -> int | None:
        table = self.query_one("#flows-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    @on(DataTable.RowSelected, "#flows-table")
    def action_open(self) -> None:
        if (chosen := self.chosen) is not None:
            self.post_message(FlowChosen(chosen))

    def action_back(self) -> None:
        if not self.clear_filter():
            self.dismiss()
