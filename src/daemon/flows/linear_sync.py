"""`linear_sync`: bring a project's issues in step with its pull requests, all at once.

The continuous sync follows pull-request events as they come; this flow is the full pass that catches up
after downtime or a new state table: every open and recently closed pull request goes through the same
rules (link, map the stage, newer side wins), then every parent's progress is recomputed. It works with
whichever tracker is configured (Linear, or the local one). Each decision is in the sync log.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.common.models import PullRequest
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.slices.connectors.forge.port import Forge
from contexten.daemon.slices.connectors.http.errors import ConnectorError
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec
from contexten.daemon.slices.runs.retry import RetryPolicy
from contexten.daemon.slices.work.sync import IssueSync

RETRY = RetryPolicy(max_attempts=4, backoff_seconds=1.0, max_backoff_seconds=30.0)


class LinearSyncParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    closed_pull_requests: int = Field(default=50, ge=0, le=1000, description="How many recently closed ones")


def parts(ctx: StepContext) -> tuple[Forge, Tracker, IssueSync]:
    connectors, sync = ctx.use(Connectors), ctx.use(IssueSync)
    if ctx.project is None:
        raise ConnectorError("sync", "linear_sync needs a project", FailureClass.VALIDATION)
    forge = connectors.forge(ctx.project)
    tracker = connectors.tracker(ctx.project.id)
    if forge is None or tracker is None:
        missing = "a forge (configure [github])" if forge is None else "a tracker ([tracker] kind is none)"
        raise ConnectorError("sync", f"project {ctx.project.id} has no {missing}", FailureClass.VALIDATION)
    return forge, tracker, sync


async def pull_requests(ctx: StepContext) -> dict[str, Any]:
    forge, _, _ = parts(ctx)
    ctx.progress(0.1, "listing pull requests")
    found = {pr.number: pr for pr in await forge.pull_requests("open")}
    if ctx.params.closed_pull_requests:
        for state in ("merged", "closed"):
            for pr in await forge.pull_requests(state, limit=ctx.params.closed_pull_requests):
                found.setdefault(pr.number, pr)
    ctx.progress(1.0, f"{len(found)} pull requests")
    return {"pull_requests": [pr.model_dump() for pr in found.values()]}


async def reconcile(ctx: StepContext) -> dict[str, Any]:
    _, _, sync = parts(ctx)
    assert ctx.project is not None
    prs = [PullRequest.model_validate(p) for p in ctx.results["pull_requests"]["pull_requests"]]
    counts: Counter[str] = Counter()
    for n, pr in enumerate(prs, 1):
        # Each pull request's pass is an effect keyed by its stage and updatedAt: a resumed run skips the ones
        # already done, and one that changed since gets a fresh pass.
        async def perform(_key: str, pr: PullRequest = pr, project: str = ctx.project.id) -> list[str]:
            return [d.decision for d in await sync.pull_request_changed(project, pr, "linear_sync")]

        async def find(_key: str) -> None:
            return None  # the rules are idempotent: passing again changes nothing already in step

        decisions = await ctx.effect(f"pr-{pr.number}-{pr.state}-{pr.updated_at:.0f}", perform, find)
        counts.update(decisions)
        ctx.progress(n / len(prs), f"{n}/{len(prs)} pull requests")
    return {"decisions": dict(counts)}


async def parents(ctx: StepContext) -> dict[str, Any]:
    _, tracker, sync = parts(ctx)
    assert ctx.project is not None
    team = ctx.use(Connectors).team(ctx.project.id)
    issues = await tracker.issues(team)
    # A tracker team can serve several projects (the local tracker serves them all): keep to this one's.
    with_children = [i for i in issues if i.children and i.project in (None, ctx.project.id)]
    completed = 0
    for n, issue in enumerate(with_children, 1):
        if await sync.parent_progress(ctx.project.id, issue.identifier) is not None:
            completed += 1
        ctx.progress(n / len(with_children), f"{n}/{len(with_children)} parents")
    return {"parents": len(with_children), "completed": completed}


FLOW = FlowSpec(
    needs=(
        Connectors,
        IssueSync,
    ),
    name="linear_sync",
    description="Link pull requests to issues and move issues (and their parents) to match, in one full pass.",
    params=LinearSyncParams,
    plan=lambda _params: [
        StepSpec(name="pull_requests", fn=pull_requests, retry=RETRY, timeout=300),
        StepSpec(
            name="reconcile", fn=reconcile, after=("pull_requests",), retry=RETRY, side_effects=True, timeout=1800
        ),
        StepSpec(name="parents", fn=parents, after=("reconcile",), retry=RETRY, side_effects=True, timeout=600),
    ],
    category="sync",
    uses=("linear",),
)
