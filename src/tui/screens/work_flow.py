"""One Start Flow, live: the tree of its items (work.* events keep it current without asking again),
the highlighted item's detail and gates, and its agent's log tail, searchable with `/`. The keys act on
the highlighted item (lower case) or the whole flow (upper case)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, Label, Tree

from contexten.common.clock import Clock
from contexten.common.errors import ContextenError
from contexten.common.models import Event
from contexten.common.protocol.delivery import ControlWork, GetAgentLog, GetWork, WorkAction
from contexten.common.start_flow import WorkFlow, WorkItem
from contexten.tui.link import DaemonLink
from contexten.tui.screens.confirm import ConfirmDialog
from contexten.tui.screens.live import LiveScreen
from contexten.tui.widgets.agent_log import AgentLogView
from contexten.tui.widgets.filter_bar import FilterBar
from contexten.tui.widgets.item_detail import ItemDetail
from contexten.tui.widgets.work_tree import WorkTree

LOG_TAIL = 64 * 1024


class WorkFlowScreen(LiveScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        # Short footer labels (it must fit 80 columns); `?` shows the whole of each in the tooltip.
        Binding("slash", "find", "Filter", tooltip="Filter the tree, or search the log when it is in focus"),
        Binding("p", "pause_item", "Pause", tooltip="Pause the highlighted item, or resume it"),
        Binding("c", "cancel_item", "Cancel", tooltip="Cancel the highlighted item (asks first)"),
        Binding("r", "retry_item", "Retry", tooltip="Give the highlighted item another attempt"),
        Binding("d", "done_item", "Done", tooltip="Mark the highlighted item done by hand (asks first)"),
        Binding("P", "pause_flow", "Pause flow", tooltip="Pause the whole flow, or resume it"),
        Binding("C", "cancel_flow", "Cancel flow", tooltip="Cancel the whole flow (asks first)"),
        Binding("tab", "focus_next", "Next panel", show=False),
    ]

    def __init__(self, flow_id: int, link: DaemonLink, clock: Clock) -> None:
        super().__init__()
        self.flow_id = flow_id
        self.flow: WorkFlow | None = None
        self._link = link
        self._clock = clock
        self._log_of: tuple[int, int] | None = None  # (item, attempt) whose log is shown

    def compose(self) -> ComposeResult:
        with Vertical(id="work-flow"):
            yield Label(f"loading flow {self.flow_id}…", id="flow-status")
            with Horizontal(id="flow-body"):
                yield WorkTree(id="flow-tree")
                with Vertical(id="flow-right"):
                    yield ItemDetail(id="item-detail")
                    yield AgentLogView(id="agent-log")
            yield Input(placeholder="search the log (enter: keep, escape: clear)", id="log-search")
        yield FilterBar("the flow's items")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(WorkTree).border_title = f"Flow {self.flow_id}"
        self.query_one("#log-search").display = False
        self.query_one(WorkTree).focus()
        self.reload()
        self.set_interval(1.0, self._tick)

    @work(exclusive=True, group="flow-load")
    async def reload(self) -> None:
        try:
            flow = await self._link.call(GetWork(flow=self.flow_id))
        except ContextenError as exc:
            self.query_one("#flow-status", Label).update(Text(f"cannot load flow {self.flow_id}: {exc}", "bold red"))
            return
        self.flow = flow
        self._show()

    # ---- live ------------------------------------------------------------------------------------

    def concerns(self, kind: str, project: str | None) -> bool:
        return kind in ("work.flow", "work.item")

    def on_daemon_event(self, event: Event) -> None:
        if self.flow is None:
            return  # the load under way answers with everything up to now
        try:
            changed = self._apply(event.kind, event.data)
        except (ValidationError, KeyError, TypeError):
            self.reload()  # a shape this console does not know: ask for the whole flow
            return
        if changed:
            self._show()

    def _apply(self, kind: str, data: dict[str, Any]) -> bool:
        assert self.flow is not None
        if kind == "work.item" and data.get("flow") == self.flow_id:
            item = WorkItem.model_validate(data["item"])
            for n, known in enumerate(self.flow.items):
                if known.id == item.id:
                    if item.updated_at < known.updated_at:
                        return False  # an event older than what the load answered
                    self.flow.items[n] = item
                    return True
            self.flow.items.append(item)
            return True
        if kind == "work.flow" and isinstance(data.get("flow"), dict) and data["flow"].get("id") == self.flow_id:
            if data["flow"].get("updated_at", 0) < self.flow.updated_at:
                return False
            self.flow = WorkFlow.model_validate(
                {**data["flow"], "items": self.flow.items, "requirements": self.flow.requirements}
            )
            return True
        return False

    def _tick(self) -> None:
        # Elapsed times of active items keep counting; their logs keep growing.
        if self.flow is not None and any(i.state.active for i in self.flow.items):
            self._show()

    # ---- showing -----------------------------------------------------------------------------------

    def _show(self) -> None:
        flow = self.flow
        if flow is None:
            return
        now = self._clock.now()
        self.query_one(WorkTree).show(flow, now)
        active = sum(1 for i in flow.items if i.state.active)
        escalated = [i.current_issue or f"#{i.id}" for i in flow.items if i.state.value == "escalated"]
        status = Text(f"flow {flow.id} · {flow.project} · agent {flow.agent} · {active} active", style="dim")
        if escalated:
            status.append(f" · needs a person: {', '.join(escalated)}", style="bold red")
        self.query_one("#flow-status", Label).update(status)
        self._show_highlighted()

    def _highlighted(self) -> WorkItem | None:
        chosen = self.query_one(WorkTree).highlighted_item
        return next((i for i in self.flow.items if i.id == chosen), None) if self.flow else None

    def _show_highlighted(self) -> None:
        if self.flow is None:
            return
        detail = self.query_one(ItemDetail)
        item = self._highlighted()
        if item is None:
            detail.show_flow(self.flow)
            self._log_of = None
            self.query_one(AgentLogView).show(None, " · the flow")
            return
        detail.show_item(item, self._clock.now())
        if item.attempt == 0:
            self._log_of = None
            self.query_one(AgentLogView).show(None, f" · {item.current_issue or '#' + str(item.id)}")
        elif self._log_of != (item.id, item.attempt) or item.state.active:
            self._log_of = (item.id, item.attempt)
            self._fetch_log(item.id, item.current_issue or f"#{item.id}")

    @on(Tree.NodeHighlighted, "#flow-tree")
    def _moved(self) -> None:
        self._show_highlighted()

    @work(exclusive=True, group="agent-log")
    async def _fetch_log(self, item: int, about: str) -> None:
        try:
            log = await self._link.call(GetAgentLog(flow=self.flow_id, item=item, tail=LOG_TAIL))
        except ContextenError as exc:
            self.query_one(AgentLogView).show(None, f" · {about} · {exc}")
            return
        self.query_one(AgentLogView).show(log, f" · {about}")

    # ---- search ------------------------------------------------------------------------------------

    def action_find(self) -> None:
        if isinstance(self.focused, AgentLogView):
            self.action_search()
        else:
            self.query_one(WorkTree).focus()
            self.action_filter()

    def action_search(self) -> None:
        box = self.query_one("#log-search", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#log-search")
    def _searching(self, event: Input.Changed) -> None:
        self.query_one(AgentLogView).search(event.value)

    @on(Input.Submitted, "#log-search")
    def _searched(self) -> None:
        self.query_one("#log-search").display = False
        self.query_one(AgentLogView).focus()

    def action_back(self) -> None:
        if self.clear_filter():
            return
        box = self.query_one("#log-search", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.query_one(WorkTree).focus()
            return
        self.dismiss()

    # ---- control -----------------------------------------------------------------------------------

    def _item_or_warn(self) -> WorkItem | None:
        item = self._highlighted()
        if item is None:
            self.notify("highlight an item first", severity="warning")
        return item

    def action_pause_item(self) -> None:
        if (item := self._item_or_warn()) is not None:
            self._control("resume" if item.paused else "pause", item)

    def action_cancel_item(self) -> None:
        if (item := self._item_or_warn()) is not None:
            self._confirm(f"Cancel #{item.id} {item.title}? Its agent is stopped.", "cancel", item)

    def action_retry_item(self) -> None:
        if (item := self._item_or_warn()) is not None:
            self._control("retry", item)

    def action_done_item(self) -> None:
        if (item := self._item_or_warn()) is not None:
            self._confirm(f"Mark #{item.id} {item.title} done by hand? The flow goes on without it.", "done", item)

    def action_pause_flow(self) -> None:
        if self.flow is not None:
            self._control("resume" if self.flow.paused else "pause", None)

    def action_cancel_flow(self) -> None:
        if self.flow is not None:
            self._confirm(f"Cancel flow {self.flow_id} ({self.flow.title})? Every agent is stopped.", "cancel", None)

    def _confirm(self, question: str, action: WorkAction, item: WorkItem | None) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._control(action, item)

        self.app.push_screen(ConfirmDialog(question), answered)

    @work(group="work-control")
    async def _control(self, action: WorkAction, item: WorkItem | None) -> None:
        what = f"#{item.id}" if item is not None else f"flow {self.flow_id}"
        try:
            flow = await self._link.call(ControlWork(flow=self.flow_id, item=item.id if item else None, action=action))
        except ContextenError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"{action}: {what}")
        if self.flow is None or flow.updated_at >= self.flow.updated_at:
            self.flow = flow
            self._show()
