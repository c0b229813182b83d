"""`github_automation`: label, comment on, and merge a pull request, reporting the blast radius of its
change on the way (for projects with a local work tree).

Merging happens only when the rule holds: the required checks (or, if none are named, every check) passed
at the pull request's head, and enough reviewers approve (`[automation] required_approvals`; a forge
without reviews — a local repository — has no approvals to count, so there only the checks decide).
When the rule does not hold the run fails with a validation error that says what is missing.
Works through the Forge port, so it serves local projects as well as GitHub ones.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.daemon.flows.project_forge import forge_of
from contexten.daemon.flows.pull_request_impact import pull_request_impact
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.analysis.service import CodeAnalysis
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec
from contexten.daemon.slices.runs.retry import RetryPolicy

RETRY = RetryPolicy(max_attempts=4, backoff_seconds=1.0, max_backoff_seconds=30.0)


class AutomationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1, description="The pull request")
    labels: list[str] = Field(default_factory=list, description="Labels to add")
    comment: str = Field(default="", description="A comment to post")
    merge: bool = Field(default=False, description="Merge when the checks and approvals allow")
    impact: bool = Field(default=True, description="Report the change's blast radius (local work trees)")
    impact_depth: int = Field(default=3, ge=0, le=10, description="How far the blast radius follows callers")


async def label(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.labels:
        return {"labels": []}
    forge = forge_of(ctx)

    async def perform(_key: str) -> list[str]:
        return await forge.add_labels(ctx.params.number, ctx.params.labels)

    async def find(_key: str) -> list[str] | None:
        have = (await forge.pull_request(ctx.params.number)).labels
        return have if set(ctx.params.labels) <= set(have) else None

    return {"labels": await ctx.effect("labels", perform, find)}


async def comment(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.comment:
        return {"commented": False}
    forge = forge_of(ctx)

    async def perform(key: str) -> bool:
        # The key in a hidden footer would let find() spot it; GitHub shows HTML comments as nothing.
        await forge.comment(ctx.params.number, f"{ctx.params.comment}\n\n<!-- contexten {key} -->")
        return True

    async def find(_key: str) -> None:
        return None  # comments are not searched; a crash in the middle may, rarely, post twice

    return {"commented": await ctx.effect("comment", perform, find)}


async def merge(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.merge:
        return {"merged": False}
    forge = forge_of(ctx)
    number = ctx.params.number
    rule = ctx.config().automation
    ctx.progress(0.2, "checking the merge rule")
    pr = await forge.pull_request(number)
    if pr.state == "merged":
        return {"merged": True, "already": True}
    ctx.progress(0.3, "checks")
    checks = await forge.ensure_checks(number)
    wanted = rule.required_checks or [c.name for c in checks]
    passing = {c.name for c in checks if c.conclusion == "success"}
    missing = [name for name in wanted if name not in passing]
    problems = []
    if not checks and not rule.required_checks:
        problems.append("no checks have run")
    if missing:
        problems.append(f"checks not passing: {', '.join(missing)}")
    if rule.required_approvals and forge.has_reviews:
        approvals = await forge.approvals(number)
        if approvals < rule.required_approvals:
            problems.append(f"{approvals} of {rule.required_approvals} required approvals")
    if problems:
        raise ValidationFailed(f"{forge.name}: #{number} will not be merged: {'; '.join(problems)}")

    async def perform(_key: str) -> dict[str, Any]:
        return (await forge.merge(number, require_checks=False)).model_dump()

    async def find(_key: str) -> dict[str, Any] | None:
        now = await forge.pull_request(number)
        return now.model_dump() if now.state == "merged" else None

    ctx.progress(0.6, "merging")
    merged = await ctx.effect("merge", perform, find)
    return {"merged": merged["state"] == "merged"}


async def impact(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.impact:
        return {"skipped": "not asked for"}
    return await pull_request_impact(ctx, forge_of(ctx), ctx.params.number, ctx.params.impact_depth)


FLOW = FlowSpec(
    needs=(
        CodeAnalysis,
        Connectors,
    ),
    name="github_automation",
    description="Label and comment on a pull request, and merge it when its checks pass and approvals suffice.",
    params=AutomationParams,
    plan=lambda _params: [
        StepSpec(name="label", fn=label, retry=RETRY, side_effects=True, timeout=120),
        StepSpec(name="comment", fn=comment, retry=RETRY, side_effects=True, timeout=120),
        StepSpec(name="impact", fn=impact, retry=RETRY, timeout=900),
        StepSpec(name="merge", fn=merge, after=("label", "comment"), retry=RETRY, side_effects=True, timeout=600),
    ],
    category="forge",
    uses=("github",),
)
