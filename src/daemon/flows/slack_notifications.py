"""`slack_notifications`: the daily digest. For the run's project (or every pinned project, run without
one): its runs and failures over the window, the pull requests merged, the notices waiting for a person,
and how its code quality moved; each becomes a `notify.digest` event, which the routes send where they
say (`match = { kind = ["digest"] }`). Schedule it once a day with a cron `[[schedules]]` entry."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contexten.common.event_kinds import EventKind
from contexten.daemon.platform.config_notify import duration
from contexten.daemon.slices.notify.digest import DigestSource
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec


class DigestParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(default="24h", description="How far back the digest looks: '24h', '7d'.")
    skip_quiet: bool = Field(default=True, description="Leave out projects where nothing happened.")

    @field_validator("window")
    @classmethod
    def _a_duration(cls, value: str) -> str:
        if duration(value) <= 0:
            raise ValueError("a window longer than 0s")
        return value


async def gather(ctx: StepContext) -> dict[str, Any]:
    source = ctx.use(DigestSource)
    until = ctx.clock.now()
    since = until - duration(ctx.params.window)
    projects = [ctx.project.id] if ctx.project is not None else await source.projects()
    digests = []
    for n, project in enumerate(projects):
        ctx.progress(n / max(1, len(projects)), project)
        digest = await source.digest(project, since, until)
        if digest.quiet and ctx.params.skip_quiet:
            continue
        digests.append({"project": project, "title": digest.title(), "body": digest.body(),
                        "fields": digest.fields()})  # fmt: skip
    ctx.progress(1.0, f"{len(digests)} of {len(projects)} projects had something to tell")
    return {"digests": digests, "since": since, "until": until}


async def tell(ctx: StepContext) -> dict[str, Any]:
    digests = ctx.results["gather"]["digests"]
    for digest in digests:
        data = {"title": digest["title"], "body": digest["body"], "fields": digest["fields"]}
        ctx.platform.events.emit(EventKind.NOTIFY_DIGEST, data, run=ctx.run.id, project=digest["project"])
    ctx.progress(1.0, f"{len(digests)} digests handed to the routes")
    return {"told": [d["project"] for d in digests]}


FLOW = FlowSpec(
    needs=(DigestSource,),
    name="slack_notifications",
    description="The daily digest per project: runs, failures, merges, waiting notices, quality trend.",
    params=DigestParams,
    plan=lambda _params: [StepSpec("gather", gather), StepSpec("tell", tell, after=("gather",))],
    category="notify",
)
