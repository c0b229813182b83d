"""`dependency_management`: what is outdated, and a tested pull request for the safe part.

The inventory (every manifest and lockfile of the work tree) gives each direct dependency's version in
use; the registries (`[registries]`: PyPI's JSON API and the npm registry, conditional requests through
the HTTP cache, each behind its breaker) say what was published since. Updates are grouped by SemVer
step (patch / minor / major; for 0.x a minor is major). With `propose`, the group at most `group` is
applied on a branch: exact pins rewritten and ranges' floors moved in place, the project's
`lock_command` run when a lockfile holds the version, then the project's tests; only if they pass is
the branch proposed as a pull request (as dead_code_cleanup does)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.analysis.deps.inventory import read_inventory
from contexten.analysis.deps.model import Dependency
from contexten.analysis.deps.updates import Update, apply
from contexten.analysis.deps.versions import STEPS, newest_by_step
from contexten.daemon.flows.tested_branch import forge_and_tests, propose_once, tested_branch
from contexten.daemon.flows.work_tree import work_tree
from contexten.daemon.platform.failures import ValidationFailed
from contexten.daemon.slices.connectors.hub import Connectors
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec


class DependencyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    propose: bool = Field(default=False, description="Apply the safe group on a tested branch and open a PR.")
    group: str = Field(default="minor", pattern="^(patch|minor|major)$",
                       description="The largest step proposed (minor includes patch).")  # fmt: skip
    branch: str = Field(default="contexten/dependency-updates", min_length=1, max_length=200,
                        pattern=r"^[A-Za-z0-9._/-]+$")  # fmt: skip
    test_timeout_seconds: float = Field(default=1800, gt=0, le=7200)


async def outdated(ctx: StepContext) -> dict[str, Any]:
    root = work_tree(ctx)
    inv = await asyncio.to_thread(read_inventory, Path(root))
    connectors = ctx.use(Connectors)
    deps = [d for d in inv.in_use() if connectors.registry(d.ecosystem) is not None]
    names = sorted({d.key for d in deps})
    ctx.progress(0.1, f"asking the registries about {len(names)} packages")
    gate = asyncio.Semaphore(ctx.config().registries.max_concurrent)

    async def ask(key: tuple[str, str]) -> tuple[tuple[str, str], list[str] | None]:
        registry = connectors.registry(key[0])
        assert registry is not None
        async with gate:
            return key, await registry.versions(key[1])

    published: dict[tuple[str, str], list[str] | None] = dict(await asyncio.gather(*(ask(k) for k in names)))
    updates: list[dict[str, Any]] = []
    unknown: set[str] = set()
    current = 0
    for d in deps:
        versions = published[d.key]
        if versions is None:
            unknown.add(d.name)
            continue
        newest = newest_by_step(d.ecosystem, str(d.version), versions)
        if not newest:
            current += 1
            continue
        updates.append({**_dep(d), **{s: newest.get(s) for s in STEPS},
                        "step": min((s for s in STEPS if s in newest), key=STEPS.index)})  # fmt: skip
    by = {s: sum(1 for u in updates if u["step"] == s) for s in STEPS}
    ctx.progress(1.0, f"{len(updates)} outdated ({by['patch']} patch, {by['minor']} minor, {by['major']} major), "
                      f"{current} current, {len(unknown)} not on a registry")  # fmt: skip
    return {"updates": updates, "by_step": by, "current": current, "unknown": sorted(unknown),
            "problems": inv.problems, "files": inv.files}  # fmt: skip


async def propose(ctx: StepContext) -> dict[str, Any]:
    if not ctx.params.propose:
        return {"proposed": False}
    assert ctx.project is not None
    group = ctx.params.group
    wanted = [Update(Dependency(**{k: u[k] for k in _FIELDS}), u[group], _step_of(u, group))
              for u in ctx.results["outdated"]["updates"] if u.get(group)]  # fmt: skip
    if not wanted:
        return {"proposed": False, "reason": f"nothing to update within a {group} step"}
    forge, command = forge_and_tests(ctx, "a dependency update")
    lock = ctx.config().project(ctx.project.id).lock_command
    # A version a lockfile holds moves only with the lock: without a lock command, leave those alone.
    ready = [u for u in wanted if u.dependency.spec and (lock or _pinned(u.dependency))]
    skipped = [u.dependency.name for u in wanted if u not in ready]
    if not ready:
        raise ValidationFailed(f"{', '.join(skipped)}: their versions are held by a lockfile; set "
                               f"[projects.{ctx.project.id}] lock_command to update them")  # fmt: skip
    made: list[Update] = []

    async def edit(workdir: Path) -> None:
        by_file: dict[str, list[Update]] = defaultdict(list)
        for u in ready:
            by_file[u.dependency.source].append(u)
        for source, updates in by_file.items():
            target = workdir / source
            try:
                text = target.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue  # not on the default branch (an uncommitted manifest): leave it
            edited, done = apply(text, updates)
            if done:
                target.write_text(edited, encoding="utf-8")
                made.extend(done)
        if not made:
            raise ValidationFailed("no manifest line could be updated as read")

    async def build(base: str) -> tuple[str, str, dict[str, Any]]:
        await tested_branch(ctx, work_tree(ctx), ctx.params.branch, base, edit, command,
                            f"Update {len(ready)} dependencies ({group} and smaller)", ctx.params.test_timeout_seconds,
                            after_edit=lock or None)  # fmt: skip
        rows = [f"| `{u.dependency.name}` | {u.dependency.version} | {u.to} | {u.step} | `{u.dependency.source}` |"
                for u in made]  # fmt: skip
        head = ["Proposed by contexten's dependency_management; the project's tests pass on this branch.", "",
                "| package | from | to | step | manifest |", "| --- | --- | --- | --- | --- |"]  # fmt: skip
        body = "\n".join([*head, *rows])
        if skipped:
            body += "\n\nLeft alone (their lockfile holds them; set `lock_command`): " + ", ".join(skipped)
        facts = {"updated": [f"{u.dependency.name} {u.dependency.version} -> {u.to}" for u in made]}
        return f"Update {len(made)} dependencies ({group} and smaller)", body, facts

    result = await propose_once(ctx, forge, ctx.params.branch, build)
    return {**result, "skipped": skipped}


_FIELDS = ("ecosystem", "name", "version", "spec", "source", "line", "direct")


def _pinned(d: Dependency) -> bool:
    """Its manifest pins it exactly: the manifest is where the version lives."""
    return d.version is not None and d.spec.lstrip("=") == d.version


def _step_of(u: dict[str, Any], group: str) -> str:
    return next(s for s in STEPS if u.get(s) == u[group])


def _dep(d: Dependency) -> dict[str, Any]:
    return {k: getattr(d, k) for k in _FIELDS}


FLOW = FlowSpec(
    needs=(Connectors,),
    name="dependency_management",
    description="Outdated dependencies by step (registries); a tested pull request for the safe group.",
    params=DependencyParams,
    plan=lambda _params: [
        StepSpec("outdated", outdated, timeout=900),
        StepSpec("propose", propose, after=("outdated",), side_effects=True, timeout=7200),
    ],
    category="security",
)
