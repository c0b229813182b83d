"""Every Start Flow, newest first: its state, how much of it merged, what is active, what needs a person.
Enter opens one as a live tree; `/` filters the rows by any text shown; `n` (on every screen) starts one."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Label

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.protocol.delivery import ListWork
from contexten.common.start_flow import ItemState, WorkFlow
from contexten.tui.format import duration, work_state_text
from contexten.tui.link import DaemonLink
from contexten.tui.screens.live import LiveScreen


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
        Binding("slash", "filter", "Filter"),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]

    def __init__(self, link: DaemonLink, clock: Clock) -> None:
        super().__init__()
        self._link = link
        self._clock = clock
        self.flows: list[WorkFlow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="work-flows"):
            yield Label("", id="flows-status")
            table: DataTable[str | Text] = DataTable(id="flows-table", cursor_type="row", zebra_stripes=True)
            yield table
            yield Input(placeholder="filter the flows (escape: clear)", id="flows-filter")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#flows-table", DataTable)
        table.border_title = "Start Flows"
        table.add_columns("#", "state", "project", "merged", "active", "stuck", "agent", "time", "main", "title")
        self.query_one("#flows-filter").display = False
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
        table = self.query_one("#flows-table", DataTable)
        needle = self.query_one("#flows-filter", Input).value.strip().lower()
        now = self._clock.now()
        chosen = self.chosen
        table.clear()
        for flow in self.flows:
            row = _row(flow, now)
            if needle and needle not in " ".join(str(cell) for cell in row).lower():
                continue
            table.add_row(*row, key=str(flow.id))
        if chosen is not None and str(chosen) in {str(k.value) for k in table.rows}:
            table.move_cursor(row=table.get_row_index(str(chosen)))
        shown = f"{table.row_count} of {len(self.flows)}" if needle else str(len(self.flows))
        hint = "n: start one from written requirements" if not self.flows else "enter: open the live tree"
        self.query_one("#flows-status", Label).update(Text(f"{shown} flows · {hint}", style="dim"))

    @property
    def chosen(self) -> int | None:
        table = self.query_one("#flows-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#flows-table", DataTable)
        table.move_cursor(row=max(0, table.cursor_row + step))

    @on(DataTable.RowSelected, "#flows-table")
    def action_open(self) -> None:
        if (chosen := self.chosen) is not None:
            self.post_message(FlowChosen(chosen))

    def action_filter(self) -> None:
        box = self.query_one("#flows-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#flows-filter")
    def _filtering(self) -> None:
        self._show()

    @on(Input.Submitted, "#flows-filter")
    def _filtered(self) -> None:
        self.query_one("#flows-table").focus()

    def action_back(self) -> None:
        box = self.query_one("#flows-filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one("#flows-table").focus()
            return
        self.dismiss()
