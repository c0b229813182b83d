"""`code_review_automation`: a review of an open pull request, posted on it.

What it reads: the change (size, files, scope), what it does to the code (the analysis at the base and at
the head: functions made more complex, duplicated blocks brought in, dead code left; analysis.review), its
blast radius (the symbols it touches and their callers), the tests that reach the changed files through
the import graph and whether a recorded run at the head ran them (test_optimization's history) or the
head's checks passed, and security findings in the lines it adds (risky code by tree-sitter; secrets).

By rule it approves or requests changes: a security finding at `block_severity` or worse, a leaked secret,
more added complexity than `max_added_ccn`, a changed function over `[analysis.thresholds] max_ccn`, or a
change past `max_changed_lines` asks for changes; the rest informs. Findings on lines the diff shows are
line comments (GitHub's reviews API); locally, the forge has no reviews and the review is one comment. One
review per head commit: a new push is reviewed again, a retry is not."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.impact import changed_lines
from contexten.analysis.model import Impacted
from contexten.analysis.review import ReviewDelta, review_delta
from contexten.analysis.security.risky import scan_source
from contexten.analysis.security.secrets import scan_patch
from contexten.daemon.flows.project_forge import forge_of
from contexten.daemon.platform.config_supply import SEVERITIES
from contexten.daemon.platform.git import git
from contexten.daemon.slices.analysis.service import CodeAnalysis, NotAnalysable
from contexten.daemon.slices.ci.test_history import TestHistory
from contexten.daemon.slices.connectors.forge.port import Comparison, LineComment
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec

LISTED = 15


class ReviewParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: int = Field(ge=1, description="The pull request to review.")
    post: bool = Field(default=True, description="Post the review on the pull request.")
    approve: bool = Field(default=True, description="Approve when no rule asks for changes (else only comment).")
    max_added_ccn: int = Field(default=15, ge=0, description="Complexity a change may add before changes are asked.")
    max_changed_lines: int = Field(default=1000, ge=1, description="A change larger than this is asked to be split.")
    block_severity: str = Field(default="high", pattern="^(low|medium|high|critical)$")
    depth: int = Field(default=3, ge=0, le=10, description="How far the blast radius follows callers.")


async def read(ctx: StepContext) -> dict[str, Any]:
    forge = forge_of(ctx)
    pr = await forge.pull_request(ctx.params.number)
    comparison = await forge.compare(ctx.params.number)
    checks = await forge.checks(ctx.params.number)
    files = [{"path": f.path, "status": f.status, "additions": f.additions, "deletions": f.deletions}
             for f in comparison.files]  # fmt: skip
    added = sum(f.additions for f in comparison.files)
    removed = sum(f.deletions for f in comparison.files)
    ctx.progress(1.0, f"#{pr.number}: {len(files)} files, +{added} -{removed}")
    return {"pr": pr.model_dump(mode="json"), "files": files, "added": added, "removed": removed,
            "base": comparison.base, "head": comparison.head, "patches": _patches(comparison),
            "checks": [{"name": c.name, "conclusion": c.conclusion} for c in checks]}  # fmt: skip


def _patches(comparison: Comparison) -> list[tuple[str, str]]:
    return [(f.path, f.patch) for f in comparison.files if f.patch and f.status != "removed"]


async def assess(ctx: StepContext) -> dict[str, Any]:
    assert ctx.project is not None
    got = ctx.results["read"]
    patches = [(p, t) for p, t in got["patches"]]
    diff = "".join(f"--- a/{path}\n+++ b/{path}\n{patch}\n" for path, patch in patches)
    changed = changed_lines(diff)
    analysis = ctx.use(CodeAnalysis)
    delta, why = ReviewDelta(), None
    impacted: list[Impacted] = []
    try:
        analysis.root_of(ctx.project)
        ctx.progress(0.2, f"reading the code at {got['base']} and at {got['head']}")
        base, _ = await analysis.report_at(ctx.project, got["base"])
        head, impacted = await analysis.report_at(ctx.project, got["head"], patches, ctx.params.depth)
        delta = review_delta(base, head, changed)
    except NotAnalysable as exc:
        why = str(exc)
    ctx.progress(0.7, "looking for security findings in the added lines")
    security = await _security(ctx, got, changed, diff)
    ran = await ctx.use(TestHistory).at_sha(ctx.project.id, str(got["pr"]["head_sha"]))
    covering_ran = [(t, o) for t, f, o in ran if f in delta.tests]
    return {
        "analysed": why is None, "not_analysed": why,
        "complexity": [c.__dict__ | {"added": c.added} for c in delta.complexity], "added_ccn": delta.added_ccn,
        "duplicates": [d.__dict__ for d in delta.duplicates], "dead_code": [d.__dict__ for d in delta.dead_code],
        "tests": delta.tests, "tests_ran": [list(x) for x in covering_ran],
        "impact": {"changed": sum(1 for i in impacted if i.depth == 0),
                   "affected": sum(1 for i in impacted if i.depth > 0),
                   "symbols": [f"{i.file}:{i.name}" for i in impacted if i.depth > 0][:LISTED]},
        "security": security, "changed_lines": {p: sorted(n) for p, n in changed.items()},
    }  # fmt: skip


async def _security(
    ctx: StepContext, got: dict[str, Any], changed: dict[str, set[int]], diff: str
) -> list[dict[str, Any]]:
    """Risky code on the added lines (the file read at the head, so the queries see whole statements) and
    secrets in them (the same patch reading security_audit uses on history; kind and fingerprint only)."""
    assert ctx.project is not None
    out: list[dict[str, Any]] = [
        {"kind": "secret", "rule": s.kind, "severity": "critical", "path": s.path, "line": s.line,
         "fingerprint": s.fingerprint} for s in scan_patch(diff)
    ]  # fmt: skip
    if ctx.project.kind == "local":
        for path, numbers in changed.items():
            shown = await git(ctx.project.location, "show", f"{got['head']}:{path}")
            if not shown.ok:
                continue
            found = await asyncio.to_thread(scan_source, path, shown.out.encode())
            out += [{"kind": "code", "rule": r.rule, "severity": r.severity, "path": path, "line": r.line,
                     "snippet": r.snippet} for r in found if r.line in numbers]  # fmt: skip
    return out


async def decide(ctx: StepContext) -> dict[str, Any]:
    got, seen = ctx.results["read"], ctx.results["assess"]
    p = ctx.params
    max_ccn = ctx.config().analysis.thresholds.max_ccn
    asks: list[str] = []
    blocking = [s for s in seen["security"] if SEVERITIES.index(s["severity"]) >= SEVERITIES.index(p.block_severity)]
    if blocking:
        asks.append(f"{len(blocking)} security findings at {p.block_severity} or worse in the added lines")
    if seen["added_ccn"] > p.max_added_ccn:
        asks.append(f"it adds {seen['added_ccn']} to the complexity (the rule: at most {p.max_added_ccn})")
    over = [c for c in seen["complexity"] if max_ccn and c["after"] > max_ccn]
    if over:
        asks.append(f"{len(over)} changed functions are over CCN {max_ccn}")
    size = got["added"] + got["removed"]
    if size > p.max_changed_lines:
        asks.append(f"{size} changed lines: split it (the rule: at most {p.max_changed_lines})")
    verdict = "request_changes" if asks else ("approve" if p.approve else "comment")
    body, comments = _review(got, seen, asks, verdict)
    ctx.progress(1.0, f"{verdict.replace('_', ' ')}: " + ("; ".join(asks) if asks else "no rule asks for changes"))
    return {"verdict": verdict, "asks": asks, "body": body,
            "comments": [c.__dict__ for c in comments]}  # fmt: skip


def _review(got: dict[str, Any], seen: dict[str, Any], asks: list[str], verdict: str) -> tuple[str, list[LineComment]]:
    lines = [f"## contexten review: {verdict.replace('_', ' ')}", ""]
    lines += [f"- {a}" for a in asks] if asks else ["No rule asks for changes."]
    files = got["files"]
    lines += ["", f"**Size**: {len(files)} files, +{got['added']} -{got['removed']}; "
              f"scope: {', '.join(sorted({f['path'].split('/')[0] for f in files})[:8])}"]  # fmt: skip
    if not seen["analysed"]:
        lines.append(f"**Analysis**: not done ({seen['not_analysed']}).")
    else:
        impact = seen["impact"]
        lines.append(f"**Blast radius**: {impact['changed']} symbols changed, {impact['affected']} affected"
                     + (f" ({', '.join(impact['symbols'][:5])})" if impact["symbols"] else "") + ".")  # fmt: skip
        grew = seen["complexity"]
        lines.append(f"**Complexity**: +{seen['added_ccn']} CCN" + (": " + ", ".join(
            f"`{c['name']}` {c['before'] if c['before'] is not None else 'new'}→{c['after']}" for c in grew[:LISTED])
            if grew else ""))  # fmt: skip
        lines.append(f"**Duplication**: {len(seen['duplicates'])} new duplicated blocks; **dead code**: "
                     f"{len(seen['dead_code'])} new high-confidence findings.")  # fmt: skip
        tests, ran = seen["tests"], seen["tests_ran"]
        if not tests:
            lines.append("**Tests**: no test file reaches the changed code.")
        else:
            failing = sum(1 for _, o in ran if o == "failed")
            state = f"a recorded run at the head ran {len(ran)} of their tests, {failing} failing" if ran else (
                "no recorded test run at the head")  # fmt: skip
            lines.append(f"**Tests**: {len(tests)} test files reach the change ({', '.join(tests[:5])}); {state}.")
    checks = got["checks"]
    if checks:
        lines.append("**Checks**: " + ", ".join(f"{c['name']} {c['conclusion'] or 'pending'}" for c in checks) + ".")
    security = seen["security"]
    lines.append(f"**Security**: {len(security)} findings in the added lines." if security
                 else "**Security**: nothing found in the added lines.")  # fmt: skip
    changed = {p: set(n) for p, n in seen["changed_lines"].items()}
    comments = []
    for s in security:
        what = f"a leaked {s['rule']} (fingerprint {s['fingerprint']})" if s["kind"] == "secret" else s["rule"]
        comments.append(LineComment(s["path"], s["line"], f"**{s['severity']}**: {what}"))
    for c in seen["complexity"]:
        if c["line"] in changed.get(c["file"], set()):
            comments.append(LineComment(c["file"], c["line"], f"CCN {c['before'] or 'new'} → {c['after']}"))
    for d in seen["dead_code"]:
        if d["line"] in changed.get(d["file"], set()):
            comments.append(LineComment(d["file"], d["line"], f"dead code: {d['kind']} `{d['name']}` ({d['reason']})"))
    return "\n".join(lines), comments[:50]


async def post(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.post:
        return {"posted": False}
    got, decided = ctx.results["read"], ctx.results["decide"]
    forge = forge_of(ctx)
    comments = [LineComment(**c) for c in decided["comments"]]
    head = str(got["pr"]["head_sha"])
    marker = f"<!-- contexten-review {head} -->"
    if any(marker in body for body in await forge.reviews(ctx.params.number)):
        return {"posted": False, "reason": f"reviewed at {head[:12]} already", "verdict": decided["verdict"]}
    body = f"{decided['body']}\n\n{marker}"

    async def perform(_key: str) -> dict[str, Any]:
        await forge.review(ctx.params.number, body, decided["verdict"], comments)
        return {"posted": True, "verdict": decided["verdict"], "comments": len(comments), "head": head}

    async def find(_key: str) -> dict[str, Any] | None:
        posted = any(marker in b for b in await forge.reviews(ctx.params.number))
        return (
            {"posted": True, "verdict": decided["verdict"], "comments": len(comments), "head": head} if posted else None
        )

    result: dict[str, Any] = await ctx.effect(f"review-{head}", perform, find)
    return result


FLOW = FlowSpec(
    needs=(Connectors, CodeAnalysis, TestHistory),
    name="code_review_automation",
    description="Review a pull request: complexity, duplication, dead code, blast radius, tests, security; post it.",
    params=ReviewParams,
    plan=lambda _params: [
        StepSpec("read", read),
        StepSpec("assess", assess, after=("read",), timeout=1800),
        StepSpec("decide", decide, after=("assess",)),
        StepSpec("post", post, after=("decide",), side_effects=True),
    ],
    category="ci",
)
