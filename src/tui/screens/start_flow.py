"""Start a flow: choose the flow and project, fill in parameters rendered from the flow's JSON schema."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from contexten.common.models import FlowInfo, Project
from contexten.tui.screens.submitting import SubmittingDialog


@dataclass(frozen=True)
class StartRequest:
    flow: str
    project: str | None
    params: dict[str, Any]


def parse_value(text: str) -> Any:
    """What a user types: JSON when it reads as JSON (3, true, null), otherwise the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


Submit = Callable[[StartRequest], Awaitable[str | None]]


class StartFlowScreen(SubmittingDialog[StartRequest]):
    """Stays open and shows the daemon's refusal (bad parameters, say) until a start succeeds."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    error_id = "start-error"

    def __init__(
        self,
        flows: list[FlowInfo],
        projects: list[Project],
        project: str | None,
        flow: str | None,
        submit: Submit,
    ) -> None:
        super().__init__(submit)
        self._flows = {f.name: f for f in flows}
        self._projects = projects
        self._project = project
        self._flow = flow if flow in self._flows else (flows[0].name if flows else None)
        self._rendered: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="start-dialog", classes="dialog"):
            yield Label("Start a flow")
            yield Select([(n, n) for n in self._flows], value=self._flow or Select.NULL, id="flow", allow_blank=False)
            yield Select(
                [(p.id, p.id) for p in self._projects],
                value=self._project if self._project in {p.id for p in self._projects} else Select.NULL,
                prompt="no project",
                id="project",
            )
            yield Select([], prompt="no template", id="template")
            yield VerticalScroll(id="params")
            yield Label("", id="start-error", classes="error")
            with Horizontal(id="start-buttons"):
                yield Button("Start", variant="primary", id="start")
                yield Button("Cancel", id="cancel")

    async def on_mount(self) -> None:
        await self._render_params()

    @on(Select.Changed, "#flow")
    async def _flow_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self._rendered:
            return  # the same flow again: keep what the user has typed
        self._flow = str(event.value)
        await self._render_params()

    @on(Select.Changed, "#template")
    def _template_chosen(self, event: Select.Changed) -> None:
        flow = self._flows.get(self._flow or "")
        chosen = next((t for t in flow.templates if t.name == event.value), None) if flow else None
        if chosen is None:
            return
        for name, value in chosen.params.items():
            for field in self.query(f"#param-{name}").results(Input):
                field.value = json.dumps(value)

    async def _render_params(self) -> None:
        self._rendered = self._flow
        flow_info = self._flows.get(self._flow or "")
        templates = self.query_one("#template", Select)
        templates.set_options(
            [(f"{t.name}: {t.description}", t.name) for t in flow_info.templates] if flow_info else []
        )
        templates.display = bool(flow_info and flow_info.templates)
        box = self.query_one("#params", VerticalScroll)
        await box.remove_children()
        flow = self._flows.get(self._flow or "")
        if flow is None:
            return
        props = flow.params_schema.get("properties", {})
        widgets: list[Widget] = []
        for name, prop in props.items():
            default = prop.get("default")
            hint = f"{prop.get('description', '')} (default {json.dumps(default)})"
            widgets.append(Label(f"{name}: {hint}", classes="param-label"))
            # A placeholder that reads as a value ("null") misleads: say it is the default, or optional.
            placeholder = "optional" if default is None else f"default: {json.dumps(default)}"
            widgets.append(Input(placeholder=placeholder, id=f"param-{name}", classes="param"))
        if not props:
            widgets.append(Label("This flow takes no parameters.", classes="param-label"))
        await box.mount_all(widgets)

    def _request(self) -> StartRequest | None:
        if not self._flow:
            return None
        params = {}
        for field in self.query(".param").results(Input):
            if field.value.strip():
                params[(field.id or "").removeprefix("param-")] = parse_value(field.value.strip())
        project = self.query_one("#project", Select).value
        return StartRequest(self._flow, None if project is Select.NULL else str(project), params)

    @on(Button.Pressed, "#start")
    @on(Input.Submitted)
    def _start(self) -> None:
        request = self._request()
        if request is not None:
            self.send(request)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
