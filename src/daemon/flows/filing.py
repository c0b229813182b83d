"""Tracker issues the flows file for what they found: once per finding, whatever crashes, retries and
later runs happen (the issue's key is the finding's, and the tracker is asked for it before a second is
made)."""

from __future__ import annotations

from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.runs.flow import StepContext


async def file_once(
    ctx: StepContext, tracker: Tracker, key: str, title: str, body: str, labels: list[str], team: str | None,
    effect: str,
) -> str:  # fmt: skip
    project = ctx.project.id if ctx.project is not None else None

    async def perform(_effect_key: str) -> str:
        issue = await tracker.create_issue(title[:250], body, key=key, labels=labels, project=project, team=team)
        return str(issue.identifier)

    async def find(_effect_key: str) -> str | None:
        issue = await tracker.find_issue(key)
        return str(issue.identifier) if issue is not None else None

    created: str = await ctx.effect(effect, perform, find)
    return created
