"""`failure_analysis`: why a project's CI run failed. It reads the failed jobs' logs (GitHub Actions; locally
the check's output), classifies each failure (a test, the build, lint or types, dependencies, the
infrastructure) with the failing tests and the first real error lines, lists the commits since the last
green run of the branch (the suspects), and files one tracker issue per distinct failure (by its error's
signature: the same failure again is a comment on its issue, not a new one). A failure whose commit passed
on a rerun is flaky: labelled and recorded, not filed. With `fix`, each newly filed failure is handed to
`bug_fix_workflow` (a reproducing test, then the fix). Trigger it on `ci.run.failed`, or run it by hand
(`--param run=ID`; without it, the newest failed run)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.common.models import CiRun
from contexten.common.protocol.delivery import StartWork
from contexten.daemon.flows.filing import file_once
from contexten.daemon.flows.project_forge import forge_of
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.ci.classify import Diagnosis, diagnose
from contexten.daemon.slices.ci.ledger import FailureLedger
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.connectors.tracker.port import Tracker
from contexten.daemon.slices.delivery.service import WorkStarter
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec

FAILED = ("failure", "timed_out")
SUSPECTS = 20  # commits listed


class FailureParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: int | None = Field(default=None, ge=1, description="The CI run to analyse (default: the newest failed).")
    file_issues: bool = Field(default=True, description="File or update a tracker issue per distinct failure.")
    fix: bool = Field(default=False, description="Hand each newly filed failure to bug_fix_workflow.")


async def fetch(ctx: StepContext) -> dict[str, Any]:
    forge = forge_of(ctx)
    runs = await forge.ci_runs()
    if ctx.params.run is not None:
        failed = next((r for r in runs if r.id == ctx.params.run), None)
        if failed is None:
            raise ValidationFailed(f"no CI run {ctx.params.run} among the project's recent runs")
    else:
        failed = next((r for r in runs if r.conclusion in FAILED), None)
        if failed is None:
            return {"run": None, "jobs": [], "suspects": [], "flaky": False}
    if failed.conclusion not in FAILED:
        raise ValidationFailed(f"CI run {failed.id} did not fail (its conclusion: {failed.conclusion})")
    ctx.progress(0.3, f"reading the failed jobs of CI run {failed.id}")
    jobs = await forge.failed_logs(failed.id)
    others = [r for r in runs if r.id != failed.id]
    # A rerun of the very commit that passed: the failure did not come from the code.
    flaky = any(r.head_sha == failed.head_sha and r.conclusion == "success" for r in others)
    same_branch = [r for r in others if r.head_branch == failed.head_branch]
    green = _last_green(same_branch, failed) or _last_green(others, failed)
    suspects = []
    if green is not None and green.head_sha and failed.head_sha and green.head_sha != failed.head_sha:
        suspects = (await forge.commits_between(green.head_sha, failed.head_sha))[:SUSPECTS]
    ctx.progress(1.0, f"{len(jobs)} failed jobs, {len(suspects)} commits since the last green run")
    return {"run": failed.model_dump(mode="json"), "green": green.head_sha if green else None, "flaky": flaky,
            "jobs": [{"job": j.job, "log": j.log, "url": j.url, "steps": list(j.failed_steps)} for j in jobs],
            "suspects": suspects}  # fmt: skip


def _last_green(runs: list[CiRun], failed: CiRun) -> CiRun | None:
    """The newest successful run before the failed one (runs come newest first): of its branch if there is
    one, else of any branch (a pull request's first run: the suspects are what it adds to that)."""
    older = [r for r in runs if r.updated_at <= failed.updated_at and r.head_sha != failed.head_sha]
    return next((r for r in older if r.conclusion == "success"), None)


async def classify(ctx: StepContext) -> dict[str, Any]:
    found: dict[str, dict[str, Any]] = {}
    for job in ctx.results["fetch"]["jobs"]:
        d = diagnose(job["log"])
        entry = found.setdefault(d.signature, {"kind": d.kind, "tests": d.tests, "errors": d.errors,
                                               "signature": d.signature, "title": d.title, "jobs": []})  # fmt: skip
        entry["jobs"].append(job["job"])
    kinds = sorted({f["kind"] for f in found.values()})
    ctx.progress(1.0, f"{len(found)} distinct failures: {', '.join(kinds)}" if found else "no failed job to read")
    return {"failures": list(found.values())}


def _diagnosis(found: dict[str, Any]) -> Diagnosis:
    return Diagnosis(found["kind"], found["tests"], found["errors"], found["signature"])


def _body(found: dict[str, Any], fetched: dict[str, Any]) -> str:
    run = fetched["run"]
    lines = [f"CI run {run['id']} ({run['name']}) failed on `{run['head_branch']}` at {run['head_sha'][:12]}.",
             f"Class: **{found['kind']}**; jobs: {', '.join(found['jobs'])}.", ""]  # fmt: skip
    if run.get("url"):
        lines.insert(1, run["url"])
    if found["tests"]:
        lines += ["Failing tests:", *[f"- `{t}`" for t in found["tests"][:20]], ""]
    if found["errors"]:
        lines += ["First errors:", "```", *found["errors"], "```", ""]
    suspects = fetched["suspects"]
    if suspects:
        lines += [f"Commits since the last green run ({fetched['green'][:12]}):", *[f"- {c}" for c in suspects]]
    elif fetched.get("green") is None:
        lines.append("No earlier green run is known: no suspects listed.")
    return "\n".join(lines)


async def file(ctx: StepContext) -> dict[str, Any]:
    fetched, failures = ctx.results["fetch"], ctx.results["classify"]["failures"]
    if fetched["run"] is None:
        return {"filed": [], "updated": [], "flaky": []}
    assert ctx.project is not None
    project, run, sha = ctx.project.id, int(fetched["run"]["id"]), str(fetched["run"]["head_sha"])
    ledger = ctx.use(FailureLedger)
    connectors = ctx.use(Connectors)
    tracker = connectors.tracker(project) if ctx.params.file_issues else None
    filed, updated, flaky = [], [], []
    fixing: dict[str, int] = {}  # issue -> the bug_fix_workflow flow handed it
    for found in failures:
        known = await ledger.get(project, found["signature"])
        issue = known.issue if known else None
        if fetched["flaky"] or (known is not None and known.flaky):
            flaky.append(found["signature"])  # marked flaky, not filed again
            if tracker is not None and issue is not None and not (known is not None and known.flaky):
                await tracker.add_labels(issue, ["flaky"])  # adding it twice changes nothing
                await _say(ctx, tracker, issue, f"flaky-{found['signature']}", _FLAKY.format(**fetched["run"]))
        elif tracker is not None and issue is None:
            issue = await _create(ctx, tracker, connectors.team(project), found, fetched)
            filed.append(issue)
            if ctx.params.fix:
                fixing[issue] = await _hand_over(ctx, issue, found["signature"])
        elif tracker is not None and issue is not None and (known is None or known.last_run != run):
            await _comment(ctx, tracker, issue, found, fetched)
            updated.append(issue)
        await ledger.seen(project, _diagnosis(found), run, sha, bool(fetched["flaky"]), issue)
    fixing_text = f", {len(fixing)} handed to bug_fix_workflow" if fixing else ""
    ctx.progress(1.0, f"{len(filed)} filed, {len(updated)} updated, {len(flaky)} flaky{fixing_text}")
    return {"filed": filed, "updated": updated, "flaky": flaky, "fixing": fixing}


async def _hand_over(ctx: StepContext, issue: str, signature: str) -> int:
    """A bug_fix_workflow for the issue: a test that reproduces it, then the fix (keyed: started once)."""
    assert ctx.project is not None
    request = StartWork(project=ctx.project.id, requirements="", flow="bug_fix_workflow", bug=issue,
                        key=f"ci-fix:{ctx.project.id}:{signature}")  # fmt: skip

    async def perform(_effect_key: str) -> int:
        return (await ctx.use(WorkStarter).start(request)).id

    async def find(_effect_key: str) -> None:
        return None  # the start's own key makes a second start return the first flow

    started: int = await ctx.effect(f"fix-{signature}", perform, find)
    return started


async def _create(ctx: StepContext, tracker: Tracker, team: str | None, found: dict[str, Any],
                  fetched: dict[str, Any]) -> str:  # fmt: skip
    assert ctx.project is not None
    # Keyed by the failure, not the run: two runs of the same failure file one issue, whatever crashes.
    return await file_once(ctx, tracker, f"ci-failure:{ctx.project.id}:{found['signature']}", f"CI: {found['title']}",
                           _body(found, fetched), ["ci-failure", found["kind"]], team,
                           f"issue-{found['signature']}")  # fmt: skip


_FLAKY = ("Flaky: CI run {id} failed this way at {head_sha}, and the same commit passed when run again. "
          "Its recurrences are no longer filed or commented on.")  # fmt: skip


async def _comment(ctx: StepContext, tracker: Tracker, issue: str, found: dict[str, Any],
                   fetched: dict[str, Any]) -> None:  # fmt: skip
    run = fetched["run"]
    text = f"Seen again in CI run {run['id']} at {run['head_sha'][:12]} ({', '.join(found['jobs'])})."
    if fetched["suspects"]:
        text += "\n\nCommits since the last green run:\n" + "\n".join(f"- {c}" for c in fetched["suspects"])
    await _say(ctx, tracker, issue, f"comment-{found['signature']}", text)


async def _say(ctx: StepContext, tracker: Tracker, issue: str, effect: str, text: str) -> None:
    """A comment on the issue, once, whatever crashes and retries happen."""

    async def perform(_effect_key: str) -> None:
        await tracker.comment(issue, text)

    async def find(_effect_key: str) -> bool | None:
        return True if any(c == text for c in await tracker.comments(issue)) else None

    await ctx.effect(effect, perform, find)


FLOW = FlowSpec(
    needs=(Connectors, FailureLedger, WorkStarter),
    name="failure_analysis",
    description="Why CI failed: class, failing tests, first errors, suspect commits; one issue per failure.",
    params=FailureParams,
    plan=lambda _params: [
        StepSpec("fetch", fetch),
        StepSpec("classify", classify, after=("fetch",)),
        StepSpec("file", file, after=("classify",), side_effects=True),
    ],
    category="ci",
)
