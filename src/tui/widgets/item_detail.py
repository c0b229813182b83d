"""What one Start Flow item is doing and why: its issues, state, branch and pull request, the last error,
and each gate by name with the end of its output (a failed gate's output is what the agent is told)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.widgets import Static

from contexten.common.start_flow import GateResult, WorkFlow, WorkItem
from contexten.tui.format import elapsed_text, gate_text, work_state_text

GATE_LINES = 8


def _field(name: str, value: str | Text, style: str = "") -> Text:
    line = Text(f"{name:<14}", style="dim")
    line.append_text(value if isinstance(value, Text) else Text(value, style=style))
    return line


def _gates(gates: list[GateResult]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for gate in gates:
        parts.append(gate_text(gate.name, gate.passed))
        if not gate.passed and gate.output.strip():
            tail = gate.output.rstrip().splitlines()[-GATE_LINES:]
            parts.append(Text("\n".join(f"    {line}" for line in tail), style="dim"))
    return parts


def item_detail(item: WorkItem, now: float) -> RenderableType:
    parts: list[RenderableType] = [Text(item.title, style="bold")]
    parts.append(_field("issue", item.issue or "not filed yet"))
    if item.restructuring:
        parts.append(_field("restructuring", ", ".join(item.restructuring), "magenta"))
    state = work_state_text(item.state.value, item.paused)
    if item.waiting_for:
        state.append(f"  for {item.waiting_for}", style="dim")
    parts.append(_field("state", state))
    elapsed = elapsed_text(item.elapsed(now))
    parts.append(_field("attempt", f"{item.attempt}/{item.max_attempts} · {item.agent or '-'} · {elapsed}"))
    if item.blocked_by:
        parts.append(_field("after", ", ".join(f"#{b}" for b in item.blocked_by)))
    if item.branch:
        parts.append(_field("branch", f"{item.branch}" + (f" (from {item.base[:10]})" if item.base else "")))
    if item.pull_request:
        parts.append(_field("pull request", f"#{item.pull_request} {item.pull_request_url}".rstrip(), "cyan"))
    if item.agent_pull_request_url:
        parts.append(_field("agent's PR", item.agent_pull_request_url, "cyan"))
    if item.merged_sha:
        parts.append(_field("merged", item.merged_sha[:12], "green"))
    if item.accept:
        parts.append(_field("accept", " · ".join(item.accept)))
    if item.paths:
        parts.append(_field("paths", ", ".join(item.paths)))
    if item.error:
        failure = f"[{item.failure}] " if item.failure else ""
        parts.append(_field("last error", failure + item.error.strip().splitlines()[0][:300], "bold red"))
    if item.findings:
        parts.append(_field("findings", item.findings.strip().splitlines()[0][:200]))
    if item.gates:
        parts.append(Text(f"gates (attempt {item.gates[0].attempt})", style="bold"))
        parts += _gates(item.gates)
    return Group(*parts)


def flow_detail(flow: WorkFlow) -> RenderableType:
    parts: list[RenderableType] = [Text(flow.title, style="bold")]
    parts.append(_field("state", work_state_text(flow.state.value, flow.paused)))
    parts.append(_field("main issue", flow.main_issue or "not filed yet"))
    parts.append(_field("project", flow.project))
    parts.append(_field("agent", f"{flow.agent} · planner {flow.planner}"))
    if flow.error:
        parts.append(_field("error", flow.error, "bold red"))
    parts += [_field("note", note, "yellow") for note in flow.notes]
    if flow.final_gates:
        parts.append(Text(f"final validation (attempt {flow.final_attempts})", style="bold"))
        parts += _gates(flow.final_gates)
    return Group(*parts)


class ItemDetail(Static):
    def show_item(self, item: WorkItem, now: float) -> None:
        self.border_title = f"#{item.id} {item.kind.value}"
        self.update(item_detail(item, now))

    def show_flow(self, flow: WorkFlow) -> None:
        self.border_title = f"flow {flow.id}"
        self.update(flow_detail(flow))
