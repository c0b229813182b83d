"""The Start Flow screen: a project, the requirements (written here or loaded from a file), the agent and
the planner; a preview of the plan the daemon would file, then Start. Nothing is created before Start,
and a Start sent twice (a retry after a timeout) makes one flow: its key is the screen's and the text's."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, Select, TextArea

from contexten.common.errors import ContextenError
from contexten.common.models import Project
from contexten.common.protocol.delivery import ListAgents, PlanWork, StartWork
from contexten.common.requirements_file import read_requirements_file
from contexten.common.start_flow import AgentView, Shape, WorkFlow
from contexten.tui.link import DaemonLink
from contexten.tui.widgets.plan_preview import PlanPreview

SHAPES: list[tuple[str, Shape]] = [
    ("Start Flow: components, each researched then built", "start_flow"),
    ("feature_development: one component, no research", "feature_development"),
    ("bug_fix_workflow: a reproducing test, then the fix", "bug_fix_workflow"),
    ("autonomous_refactoring: the analysis' hotspots", "autonomous_refactoring"),
]
PLANNERS = [("outline: headings and lists, offline", "outline"), ("agent: the agent writes the plan", "agent")]
PREVIEW_AFTER_TYPING = 0.6  # seconds of quiet before the outline preview follows the text


class StartWorkScreen(Screen[WorkFlow | None]):
    """Dismissed with the flow the daemon started, or None when the person backs out."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("ctrl+r", "preview", "Preview plan"),
        Binding("ctrl+s", "start", "Start"),
        Binding("ctrl+o", "load", "Load file"),
    ]

    def __init__(self, projects: list[Project], project: str | None, link: DaemonLink) -> None:
        super().__init__()
        self._projects = projects
        self._project = project if project in {p.id for p in projects} else (projects[0].id if projects else None)
        self._link = link
        self._session = uuid.uuid4().hex
        self._typing: Timer | None = None
        self.agents: list[AgentView] = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="start-work"):
            with Vertical(id="sw-form"):
                yield Label("Start Flow: requirements → main issue and sub-issues → coding agents → merged code",
                            id="sw-title")  # fmt: skip
                with Horizontal(id="sw-choices"):
                    yield Select([(p.id, p.id) for p in self._projects], value=self._project or Select.NULL,
                                 prompt="no project pinned", id="sw-project")  # fmt: skip
                    yield Select([], prompt="default agent", id="sw-agent")
                    yield Select(PLANNERS, prompt="default planner", id="sw-planner")
                yield Select(SHAPES, value="start_flow", allow_blank=False, id="sw-shape")
                with Horizontal(id="sw-file"):
                    yield Input(placeholder="or load a requirements file: its path", id="sw-path")
                    yield Button("Load", id="sw-load")
                # No blinking cursor: over SSH it repaints the editor twice a second, for nothing.
                area = TextArea(id="sw-requirements", soft_wrap=True, show_line_numbers=False, tab_behavior="indent")
                area.cursor_blink = False
                area.border_title = "Requirements (Markdown: # title, ## components, Accept: `command`)"
                yield area
                yield Label("", id="sw-error", classes="error")
                with Horizontal(id="sw-buttons"):
                    yield Button("Preview", id="sw-preview")
                    yield Button("Start", variant="primary", id="sw-start")
                    yield Button("Back", id="sw-back")
            yield PlanPreview(id="sw-plan")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(PlanPreview).border_title = "Plan preview (nothing is created until Start)"
        self.query_one(PlanPreview).show(None)
        self.query_one(TextArea).focus()
        self._load_agents()

    @work(group="agents")
    async def _load_agents(self) -> None:
        try:
            agents = await self._link.call(ListAgents())
        except ContextenError as exc:
            self._error(f"cannot list the agents: {exc}")
            return
        self.agents = agents
        options = [(a.name if a.ready else f"{a.name} (not ready: {a.problem})", a.name) for a in agents]
        self.query_one("#sw-agent", Select).set_options(options)

    # ---- what the person chose ---------------------------------------------------------------

    def _choice(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return None if value is Select.NULL else str(value)

    def _shape(self) -> Shape:
        chosen = self._choice("#sw-shape")
        return next((v for _, v in SHAPES if v == chosen), "start_flow")

    @on(Select.Changed, "#sw-shape")
    def _shape_changed(self) -> None:
        self.action_preview()

    @property
    def requirements(self) -> str:
        return self.query_one(TextArea).text

    def _error(self, message: str) -> None:
        self.query_one("#sw-error", Label).update(message)

    # ---- preview ---------------------------------------------------------------------------------

    @on(TextArea.Changed)
    def _typed(self) -> None:
        # Only the offline planner follows the typing: an agent planner costs an agent run per preview, and
        # a refactoring's plan comes from the analysis, not the text.
        if self._choice("#sw-planner") == "agent" or self._shape() == "autonomous_refactoring":
            return
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(PREVIEW_AFTER_TYPING, self.action_preview)

    @on(Button.Pressed, "#sw-preview")
    def action_preview(self) -> None:
        self._preview()

    @work(exclusive=True, group="preview")
    async def _preview(self) -> None:
        project = self._choice("#sw-project")
        if project is None:
            self._error("pin a project first (p on the dashboard)")
            return
        shape = self._shape()
        if not self.requirements.strip() and shape != "autonomous_refactoring":
            self.query_one(PlanPreview).show(None)
            return
        request = PlanWork(project=project, requirements=self.requirements, planner=self._choice("#sw-planner"),
                           agent=self._choice("#sw-agent"), flow=shape)  # fmt: skip
        failed: ContextenError | None = None
        try:
            plan = await self._link.call(request)
        except ContextenError as exc:
            plan, failed = None, exc
        if not self.is_attached:  # started or closed while the daemon planned: nothing left to show it in
            return
        self._error(str(failed) if failed else "")
        self.query_one(PlanPreview).show(plan, f"no plan: {failed}" if failed else "")

    # ---- loading a file ----------------------------------------------------------------------------

    @on(Button.Pressed, "#sw-load")
    @on(Input.Submitted, "#sw-path")
    def action_load(self) -> None:
        path = self.query_one("#sw-path", Input)
        if not path.value.strip():
            path.focus()
            return
        self._load(path.value.strip())

    @work(exclusive=True, group="load")
    async def _load(self, source: str) -> None:
        try:
            text = await asyncio.to_thread(read_requirements_file, source)
        except ContextenError as exc:
            self._error(str(exc))
            return
        self.query_one(TextArea).load_text(text)
        self._error("")
        self.action_preview()

    # ---- start -------------------------------------------------------------------------------------

    def _key(self, project: str, agent: str | None, planner: str | None) -> str:
        digest = hashlib.sha256(f"{project}\0{agent}\0{planner}\0{self.requirements}".encode()).hexdigest()[:24]
        return f"console-{self._session}-{digest}"

    @on(Button.Pressed, "#sw-start")
    def action_start(self) -> None:
        self._start()

    @work(exclusive=True, group="start")
    async def _start(self) -> None:
        project, agent, planner = self._choice("#sw-project"), self._choice("#sw-agent"), self._choice("#sw-planner")
        if project is None:
            self._error("pin a project first (p on the dashboard)")
            return
        shape = self._shape()
        if not self.requirements.strip() and shape != "autonomous_refactoring":
            self._error("write the requirements first (or load a file)")
            return
        self._error("starting…")
        request = StartWork(project=project, requirements=self.requirements, agent=agent, planner=planner,
                            key=self._key(project, agent, f"{planner}/{shape}"), flow=shape)  # fmt: skip
        try:
            flow = await self._link.call(request)
        except ContextenError as exc:
            self._error(str(exc))
            return
        self.dismiss(flow)

    @on(Button.Pressed, "#sw-back")
    def action_back(self) -> None:
        self.dismiss(None)
