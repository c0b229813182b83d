"""A Start Flow as a live tree: the main issue, then each sub-issue with its kind, state, attempt n/max,
agent, elapsed time, branch or pull request, and its gates' results as children. The nodes are kept and
relabelled as events arrive, so the cursor stays on the item it was on."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets._tree import TreeNode

from contexten.common.start_flow import GateResult, ItemState, WorkFlow, WorkItem
from contexten.tui.format import elapsed_text, gate_text, work_state_text
from contexten.tui.widgets.vim_keys import TREE_KEYS

MAIN = 0  # the data of the main issue's node; items carry their id (1, 2, ...)


def item_label(item: WorkItem, now: float) -> Text:
    label = Text(f"{item.current_issue or '#' + str(item.id):<10} ", style="bold")
    label.append(f"{item.kind.value:<15}", style="dim")
    state = work_state_text(item.state.value, item.paused)
    state.truncate(15, pad=True)
    label.append_text(state)
    label.append(f" {item.attempt}/{item.max_attempts}", style="bold red" if item.attempt >= item.max_attempts else "")
    label.append(f"  {item.agent or '-':<8}", style="cyan")
    label.append(f" {elapsed_text(item.elapsed(now)):>8}")
    if item.pull_request:
        label.append(f"  PR #{item.pull_request}", style="cyan")
    elif item.branch:
        label.append(f"  {item.branch.removeprefix('contexten/')}", style="dim")
    label.append(f"  {item.title}")
    if item.state is ItemState.WAITING and item.waiting_for:
        label.append(f"  (waiting for {item.waiting_for})", style="dim")
    return label


def flow_label(flow: WorkFlow) -> Text:
    label = Text(f"{flow.main_issue or 'main issue'} ", style="bold")
    label.append_text(work_state_text(flow.state.value, flow.paused))
    label.append(f"  {flow.title}", style="bold")
    merged, code = flow.progress
    label.append(f"  {merged}/{code} merged", style="dim")
    return label


def _gate_label(gate: GateResult) -> Text:
    label = gate_text(gate.name, gate.passed)
    first = next((line for line in reversed(gate.output.splitlines()) if line.strip()), "") if not gate.passed else ""
    if first:
        label.append(f"  {first[:100]}", style="dim")
    return label


class WorkTree(Tree[int]):
    BINDINGS = TREE_KEYS
    filter_text: reactive[str] = reactive("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__("flow", data=MAIN, **kwargs)  # type: ignore[arg-type]
        self.guide_depth = 3
        self._item_nodes: dict[int, TreeNode[int]] = {}
        self._gate_shapes: dict[int, list[tuple[str, bool, str]]] = {}
        self._last: tuple[WorkFlow, float] | None = None

    def watch_filter_text(self) -> None:
        if self._last is not None:
            self.show(*self._last)
        self.border_subtitle = f"/{self.filter_text.strip()}" if self.filter_text.strip() else ""

    def _shown(self, flow: WorkFlow, now: float) -> list[WorkItem]:
        needle = self.filter_text.strip().casefold()
        if not needle:
            return flow.items
        return [i for i in flow.items
                if needle in f"{item_label(i, now).plain} {' '.join(g.name for g in i.gates)}".casefold()]  # fmt: skip

    @property
    def highlighted_item(self) -> int | None:
        node = self.cursor_node
        return node.data if node is not None and node.data else None

    def show(self, flow: WorkFlow, now: float) -> None:
        """Relabel what exists, add what is new; gates are redrawn only when they changed. With a filter,
        only the items that mention it; when which items are shown changes, the tree is drawn again."""
        self._last = (flow, now)
        self.root.set_label(flow_label(flow))
        self.root.expand()
        items = self._shown(flow, now)
        cursor = self.cursor_node if self._item_nodes else None  # first showing: start on the first item
        existing = [k for k in self._item_nodes if k != MAIN]
        if [i.id for i in items][: len(existing)] != existing:  # not just new items at the end: draw again
            keep = cursor.data if cursor is not None else None
            self.root.remove_children()
            self._item_nodes.clear()
            self._gate_shapes.clear()
            cursor = None
            if keep:
                self.call_after_refresh(self._back_to, keep)
        for item in items:
            node = self._item_nodes.get(item.id)
            if node is None:
                node = self._item_nodes[item.id] = self.root.add(item_label(item, now), data=item.id, expand=True)
            else:
                node.set_label(item_label(item, now))
            self._show_gates(node, item)
        final = self._item_nodes.get(MAIN)
        if flow.final_gates and final is None:
            final = self._item_nodes[MAIN] = self.root.add(
                Text("final validation", style="bold"), data=MAIN, expand=True
            )
        if final is not None:
            self._show_gates(final, None, flow.final_gates)
        if cursor is not None and _attached(cursor, self.root):
            self.move_cursor(cursor)
        elif cursor is not None and cursor.data in self._item_nodes:
            self.move_cursor(self._item_nodes[cursor.data])  # its gate row was redrawn: back to its item
        elif items:
            # A node just added has no line until the tree lays out again.
            self.call_after_refresh(self.move_cursor, self._item_nodes[items[0].id])

    def _back_to(self, item: int) -> None:
        node = self._item_nodes.get(item)
        if node is not None:
            self.move_cursor(node)

    def _show_gates(self, node: TreeNode[int], item: WorkItem | None, gates: list[GateResult] | None = None) -> None:
        gates = item.gates if item is not None else gates or []
        key = node.data if node.data is not None else MAIN
        shape = [(g.name, g.passed, g.output) for g in gates]
        if self._gate_shapes.get(key) == shape:
            return
        self._gate_shapes[key] = shape
        node.remove_children()
        node.allow_expand = bool(gates)
        for gate in gates:
            node.add_leaf(_gate_label(gate), data=key)


def _attached(node: TreeNode[int], root: TreeNode[int]) -> bool:
    while node.parent is not None:
        if node not in node.parent.children:
            return False
        node = node.parent
    return node is root
