"""`security_audit`: what is known to be unsafe in a project. Three readings of its work tree:

- **vulnerabilities** of the locked dependency set (every lockfile and exact pin the inventory reads),
  asked of OSV in batches, each advisory's record then fetched (kept while its `modified` is unchanged),
  with its severity and the version that fixes it; one advisory known under several ids (`aliases`) is
  one finding;
- **secrets** in the tree and in the lines the recent commits added (patterns and entropy; a finding
  holds a fingerprint, never the secret);
- **risky code** by tree-sitter queries in every analysed language.

Each finding is recorded (one row per finding across runs; those no longer found are marked fixed), and
those at or above `issue_severity` get one tracker issue each (labelled by severity; never a second). The
run fails when an open finding reaches `[security] fail_on`, naming how many and the worst."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.deps.inventory import read_inventory
from contexten.analysis.deps.model import CRATES, GO, NPM, PYPI, Dependency
from contexten.analysis.security.scan import scan_history, scan_tree
from contexten.analysis.security.secrets import SecretFinding
from contexten.daemon.flows.filing import file_once
from contexten.daemon.flows.work_tree import work_tree
from contexten.daemon.platform.config_supply import SEVERITIES
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.connectors.advisories.port import AdvisoryRef, PackageQuery
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec
from contexten.daemon.slices.security.ledger import Finding, FindingLedger
from contexten.daemon.slices.security.vulnerabilities import Vulnerability, vulnerability

AUDITED = (PYPI, NPM, GO, CRATES)
RECORDS_AT_ONCE = 8


class AuditParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vulnerabilities: bool = Field(default=True, description="Ask OSV about the locked dependencies.")
    secrets: bool = Field(default=True, description="Search the tree and recent history for leaked secrets.")
    code: bool = Field(default=True, description="Search the code for risky constructs.")
    history_commits: int | None = Field(
        default=None, ge=0, le=100_000, description="Commits searched (default: [security] history_commits)."
    )
    file_issues: bool = Field(default=True, description="File a tracker issue per finding at issue_severity or worse.")
    issue_severity: str = Field(default="high", pattern="^(low|medium|high|critical)$")


async def inventory(ctx: StepContext) -> dict[str, Any]:
    root = work_tree(ctx)
    inv = await asyncio.to_thread(read_inventory, Path(root))
    audited = [d for d in inv.audit_set() if d.ecosystem in AUDITED]
    ctx.progress(1.0, f"{len(audited)} locked packages in {len(inv.files)} manifests")
    return {"files": inv.files, "problems": inv.problems,
            "packages": [_dep(d) for d in audited]}  # fmt: skip


async def vulnerabilities(ctx: StepContext) -> dict[str, Any]:
    packages = [Dependency(**p) for p in ctx.results["inventory"]["packages"]]
    if not ctx.params.vulnerabilities or not packages:
        return {"vulnerabilities": [], "asked": 0, "records": 0}
    advisories = ctx.use(Connectors).advisories()
    ctx.progress(0.1, f"asking OSV about {len(packages)} packages")
    found = await advisories.affecting([PackageQuery(d.ecosystem, d.name, str(d.version)) for d in packages])
    refs = {ref.id: ref for refs in found for ref in refs}
    ctx.progress(0.5, f"{len(refs)} advisories; reading their records")
    gate = asyncio.Semaphore(RECORDS_AT_ONCE)

    async def fetch(ref: AdvisoryRef) -> tuple[str, dict[str, Any]]:
        async with gate:
            return ref.id, await advisories.record(ref)

    records = dict(await asyncio.gather(*(fetch(r) for r in refs.values())))
    out: list[Vulnerability] = []
    for dep, dep_refs in zip(packages, found, strict=True):
        known: set[str] = set()
        for ref in dep_refs:
            record = records[ref.id]
            names = {ref.id, *(str(a) for a in record.get("aliases") or [])}
            if names & known:
                continue  # the same advisory under another id (PYSEC-… and GHSA-…)
            known |= names
            out.append(vulnerability(record, dep))
    ctx.progress(1.0, f"{len(out)} known vulnerabilities in {len({(v.package, v.version) for v in out})} packages")
    return {"vulnerabilities": [v.__dict__ | {"aliases": list(v.aliases)} for v in out], "asked": len(packages),
            "records": len(records)}  # fmt: skip


async def scan(ctx: StepContext) -> dict[str, Any]:
    root = work_tree(ctx)
    excluded = tuple(ctx.config().analysis.exclude)
    max_bytes = ctx.config().analysis.max_file_bytes
    commits = ctx.params.history_commits
    commits = ctx.config().security.history_commits if commits is None else commits
    ctx.progress(0.1, "reading the tree")
    tree = await asyncio.to_thread(scan_tree, root, excluded, max_bytes, ctx.params.secrets, ctx.params.code)
    history = await asyncio.to_thread(scan_history, root, commits) if ctx.params.secrets else []
    secrets: dict[str, SecretFinding] = {}
    for s in [*tree.secrets, *history] if ctx.params.secrets else []:
        # One finding per leaked value: where it is now, else the commit that added it.
        if s.fingerprint not in secrets or (secrets[s.fingerprint].commit and not s.commit):
            secrets[s.fingerprint] = s
    risky = tree.risky if ctx.params.code else []
    ctx.progress(1.0, f"{tree.files} files: {len(secrets)} secrets, {len(risky)} risky constructs")
    return {"files": tree.files, "secrets": [s.__dict__ for s in secrets.values()],
            "code": [r.__dict__ for r in risky]}  # fmt: skip


def findings(ctx: StepContext) -> list[Finding]:
    unknown = ctx.config().security.unknown_severity
    out = []
    for v in ctx.results["vulnerabilities"]["vulnerabilities"]:
        fix = f"fixed in {v['fixed']}" if v["fixed"] else "no fixed version yet"
        out.append(Finding(
            f"vuln:{v['ecosystem']}:{v['package']}:{v['version']}:{v['id']}", "vulnerability",
            unknown if v["severity"] == "unknown" else v["severity"],
            f"{v['id']}: {v['package']} {v['version']} ({fix})", f"{v['package']} {v['version']} ({v['source']})",
            {k: v[k] for k in ("id", "aliases", "summary", "ecosystem", "package", "version", "fixed", "score", "url",
                               "severity")},
        ))  # fmt: skip
    for s in ctx.results["scan"]["secrets"]:
        where = f"{s['path']}:{s['line']}"
        out.append(Finding(f"secret:{s['fingerprint']}", "secret", "critical" if s["commit"] is None else "high",
                           f"Leaked {s['kind']} in {s['path']}", where,
                           {"kind": s["kind"], "fingerprint": s["fingerprint"], "commit": s["commit"],
                            "in_tree": s["commit"] is None}))  # fmt: skip
    for r in ctx.results["scan"]["code"]:
        digest = hashlib.sha256(r["snippet"].encode()).hexdigest()[:12]
        out.append(Finding(f"code:{r['rule']}:{r['path']}:{digest}", "code", r["severity"],
                           f"{r['rule']} in {r['path']}", f"{r['path']}:{r['line']}",
                           {"rule": r["rule"], "snippet": r["snippet"]}))  # fmt: skip
    return out


async def record(ctx: StepContext) -> dict[str, Any]:
    assert ctx.project is not None
    project = ctx.project.id
    found = findings(ctx)
    fail_on = ctx.config().security.fail_on
    failing = [f for f in found if fail_on != "never" and _rank(f.severity) >= _rank(fail_on)]
    by = {f"{kind}:{sev}": sum(1 for f in found if f.kind == kind and f.severity == sev)
          for kind in ("vulnerability", "secret", "code") for sev in SEVERITIES}  # fmt: skip
    worst = max(failing, key=lambda f: _rank(f.severity), default=None)
    summary = {"findings": len(found), "by": {k: n for k, n in by.items() if n}, "failing": len(failing),
               "fail_on": fail_on, "passed": not failing,
               "worst": f"{worst.severity} {worst.title} at {worst.location}" if worst else None}  # fmt: skip
    ledger = ctx.use(FindingLedger)
    looked = {"vulnerability": ctx.params.vulnerabilities, "secret": ctx.params.secrets, "code": ctx.params.code}
    fresh = await ledger.record(project, ctx.run.id, found, summary, frozenset(k for k, on in looked.items() if on))
    filed = await _file(ctx, ledger) if ctx.params.file_issues else []
    ctx.progress(1.0, f"{len(found)} findings ({len(fresh)} new), {len(filed)} issues filed, "
                      f"{'passed' if not failing else f'{len(failing)} at or above {fail_on}'}")  # fmt: skip
    return {**summary, "new": [f.key for f in fresh], "filed": filed}


async def verdict(ctx: StepContext) -> dict[str, Any]:
    result = ctx.results["record"]
    if not result["passed"]:
        raise ValidationFailed(f"{result['failing']} findings at or above {result['fail_on']}; the worst: "
                               f"{result['worst']}")  # fmt: skip
    return {"passed": True}


async def _file(ctx: StepContext, ledger: FindingLedger) -> list[str]:
    assert ctx.project is not None
    project = ctx.project.id
    connectors = ctx.use(Connectors)
    tracker = connectors.tracker(project)
    if tracker is None:
        return []
    filed = []
    for known in await ledger.of(project, "open"):
        f = known.finding
        if known.issue is not None or _rank(f.severity) < _rank(ctx.params.issue_severity):
            continue
        digest = hashlib.sha256(f.key.encode()).hexdigest()[:16]
        issue = await file_once(ctx, tracker, f"security:{project}:{digest}", f"Security ({f.severity}): {f.title}",
                                _body(f), ["security", f"severity:{f.severity}", f.kind],
                                connectors.team(project), f"issue-{digest}")  # fmt: skip
        await ledger.filed(project, f.key, issue)
        filed.append(issue)
    return filed


def _body(f: Finding) -> str:
    d = f.detail
    lines = [f"Found by contexten's security_audit: **{f.severity}** {f.kind} at `{f.location}`.", ""]
    if f.kind == "vulnerability":
        also = f" (also {', '.join(d['aliases'])})" if d.get("aliases") else ""
        fix = f"Fix: upgrade {d['package']} to {d['fixed']} or later." if d.get("fixed") else "No fixed version yet."
        lines += [str(d.get("summary", "")), "", f"Advisory: {d['url']}{also}", fix]
    elif f.kind == "secret":
        lines += [
            f"A {d['kind']} (fingerprint {d['fingerprint']}; the value is not repeated here).",
            "Revoke it at its issuer first: removing it from the code does not remove it from the history.",
        ]
        if d.get("commit"):
            lines.append(f"Added in commit {d['commit']}; no longer in the tree.")
    else:
        lines += ["```", str(d.get("snippet", "")), "```"]
    return "\n".join(lines)


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _dep(d: Dependency) -> dict[str, Any]:
    return {"ecosystem": d.ecosystem, "name": d.name, "version": d.version, "spec": d.spec, "source": d.source,
            "line": d.line, "direct": d.direct}  # fmt: skip


FLOW = FlowSpec(
    needs=(Connectors, FindingLedger),
    name="security_audit",
    description="Known vulnerabilities (OSV), leaked secrets and risky code; issues by severity; fails on fail_on.",
    params=AuditParams,
    plan=lambda _params: [
        StepSpec("inventory", inventory),
        StepSpec("vulnerabilities", vulnerabilities, after=("inventory",), timeout=1800),
        StepSpec("scan", scan, timeout=1800),
        StepSpec("record", record, after=("vulnerabilities", "scan"), side_effects=True),
        StepSpec("verdict", verdict, after=("record",)),
    ],
    category="security",
)
