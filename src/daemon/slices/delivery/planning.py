"""The planner port and its two adapters.

`outline` reads the requirements' Markdown structure (see outline.py). `agent` asks a coding agent for a
plan as JSON, validated against `Plan`'s published schema; an invalid answer is sent back once with the
errors, and if the second is no better the flow falls back to `outline` and says so in its notes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

from pydantic import ValidationError

from contexten.common.models import Project
from contexten.common.start_flow import FlowState, Plan, WorkFlow, WorkItem, plan_items
from contexten.daemon.platform.git import add_worktree, remove_worktree
from contexten.daemon.slices.agents.port import AgentEnd, AgentError, AgentTask
from contexten.daemon.slices.agents.service import AgentPool
from contexten.daemon.slices.delivery.outline import RequirementsError, outline_plan

PLAN_WAIT_SLICE = 1.0


class Planner(ABC):
    name: str

    @abstractmethod
    async def plan(self, requirements: str, project: Project, agent: str) -> Plan: ...


class OutlinePlanner(Planner):
    name = "outline"

    async def plan(self, requirements: str, project: Project, agent: str) -> Plan:
        return outline_plan(requirements)


def planning_prompt(requirements: str, errors: str | None) -> str:
    schema = json.dumps(Plan.model_json_schema(), indent=1)
    lines = [
        "Plan the work these requirements ask for. Do not change any file in the repository.",
        "Answer with one JSON document, written to the file named by $CONTEXTEN_RESULT_FILE (or printed),",
        "that validates against this JSON schema: a title for the main issue, and the components in the order",
        "they should be built, each with a body, acceptance commands (`accept`) and the paths it may touch.",
        "",
        "```json",
        schema,
        "```",
        "",
        "## The requirements",
        requirements.strip(),
    ]
    if errors:
        lines += ["", "## Your previous answer did not validate; fix these errors", errors]
    return "\n".join(lines) + "\n"


def parse_plan(text: str) -> Plan:
    """The plan in an agent's answer: the whole text, or the outermost {...} in it (agents add prose)."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the answer holds no JSON object")
    doc = json.loads(text[start : end + 1])
    return Plan.model_validate({**doc, "planner": "agent"})


class AgentPlanner(Planner):
    name = "agent"

    def __init__(self, agents: AgentPool, root: Path, fallback: Planner) -> None:
        self._agents = agents
        self._root = root
        self._fallback = fallback

    async def plan(self, requirements: str, project: Project, agent: str) -> Plan:
        # The outline is checked first: requirements it cannot read at all are refused before any agent runs.
        try:
            outline: Plan | None = outline_plan(requirements)
        except RequirementsError:
            outline = None
        errors: str | None = None
        for _ in range(2):
            text = await self._ask(requirements, project, agent, errors)
            try:
                return parse_plan(text)
            except (ValueError, ValidationError) as exc:
                errors = str(exc)[:4000]
        why = f"the agent's plan did not validate twice ({errors.splitlines()[0] if errors else 'no answer'})"
        if outline is None:
            raise RequirementsError(f"{why}, and the requirements have no outline to fall back on")
        return outline.model_copy(update={"notes": [*outline.notes, f"{why}; planned from the outline instead"]})

    async def _ask(self, requirements: str, project: Project, agent_name: str, errors: str | None) -> str:
        folder = self._root / "planning"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        marker = f"cx-plan-{uuid.uuid4().hex[:12]}"
        workdir = tempfile.mkdtemp(prefix="cx-plan-", dir=folder)
        result, log = str(folder / f"{marker}.json"), str(folder / f"{marker}.log")
        prompt_file = str(folder / f"{marker}.prompt.md")
        text = planning_prompt(requirements, errors)
        Path(prompt_file).write_text(text)
        cwd = workdir
        if project.kind == "local" and os.path.isdir(project.location):
            # The agent reads the code in a detached worktree of its own: the user's copy stays untouched.
            cwd = os.path.join(workdir, "tree")
            if not (await add_worktree(project.location, "--detach", cwd, "HEAD")).ok:
                cwd = workdir
        try:
            async with self._agents.slot(agent_name) as agent:
                task = AgentTask(
                    marker=marker,
                    issue="plan",
                    kind="planning",
                    attempt=1,
                    prompt=text,
                    prompt_file=prompt_file,
                    result_file=result,
                    log_file=log,
                    worktree=cwd,
                    branch="",
                )
                ref = await agent.start(task)
                while (status := await agent.wait(ref, PLAN_WAIT_SLICE)).end is AgentEnd.RUNNING:
                    pass
                if status.end is not AgentEnd.EXITED:
                    raise AgentError(agent_name, f"planning ended {status.end.value}: {status.detail}")
            for path in (result, log):
                if os.path.exists(path) and (answer := Path(path).read_text(errors="replace").strip()):
                    return answer
            return ""
        finally:
            if cwd != workdir:
                await remove_worktree(project.location, cwd)
            shutil.rmtree(workdir, ignore_errors=True)


def apply_plan(flow: WorkFlow, plan: Plan, max_attempts: int, now: float) -> list[WorkItem]:
    """The flow, planned: its plan, title, notes and running state; returns its items (to be stored)."""
    flow.plan, flow.title, flow.notes, flow.state = plan, plan.title, [*flow.notes, *plan.notes], FlowState.RUNNING
    return plan_items(plan, flow.agent, max_attempts, now)


class Planners:
    def __init__(self, planners: list[Planner]) -> None:
        self._by_name = {p.name: p for p in planners}

    async def plan(self, name: str, requirements: str, project: Project, agent: str = "") -> Plan:
        planner = self._by_name.get(name)
        if planner is None:
            raise RequirementsError(f"no planner {name!r}; the planners are: {', '.join(self._by_name)}")
        return await planner.plan(requirements, project, agent)
