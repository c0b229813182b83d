"""What contexten writes: the main issue's body, the sub-issues', and the prompts agents get.

A prompt is self-contained: the issue, the requirements, what research found, and for a restructuring
attempt the gate that failed with its output and what the previous attempt's diff touched.
"""

from __future__ import annotations

from contexten.common.start_flow import GateResult, ItemKind, Plan, WorkFlow, WorkItem

PROTOCOL = """\
## How contexten carries this out
1. Each component gets a sub-issue of its own, after a research sub-issue that blocks it when it has one.
2. Each sub-issue goes to a coding agent on a branch of its own, made from the current default branch.
3. Nothing an agent says counts: research must leave findings, implementation a new commit with a change.
4. Every change is validated before it merges: the diff (and the paths it may touch), the change merged onto
   the default branch, the project's tests on that merge, each acceptance command, the forge's checks and the
   analysis thresholds. What passes is merged; what fails gets a restructuring sub-issue with the failure.
5. After the last allowed attempt, or past its deadline, an item is escalated to a person here.
6. When every implementation is merged, the whole is validated once more on the default branch."""


BUG_PROTOCOL = """\
## How contexten carries this out
1. A reproduction sub-issue: a coding agent writes a test that shows the bug. It is accepted only if the
   project's tests pass on the default branch without it and fail with it: the failure is the bug's.
2. A fix sub-issue: an agent fixes the bug on top of that test (which must stay as it is). It is accepted
   only if the tests, the reproducing test included, pass on the change merged onto the default branch.
3. The fix merges with its test. Nothing an agent says counts; a failed gate gets a restructuring
   sub-issue, and after the last attempt a person is asked here."""


def main_issue_body(flow: WorkFlow, plan: Plan) -> str:
    lines = [
        f"Planned by contexten (flow {flow.id}, planner `{plan.planner}`) from these requirements:",
        "",
        flow.requirements.strip(),
        "",
        "## Plan",
    ]
    for n, component in enumerate(plan.components, 1):
        research = "research, then implementation" if component.research else "implementation"
        if plan.shape == "bug_fix_workflow":
            research = "a test that reproduces it, then the fix"
        lines.append(f"{n}. **{component.title}** ({research})")
    lines += ["", "## Validation criteria"]
    for n, component in enumerate(plan.components, 1):
        accept = ", ".join(f"`{a}`" for a in component.accept) or "the project's tests"
        paths = f"; touching only {', '.join(f'`{p}`' for p in component.paths)}" if component.paths else ""
        lines.append(f"{n}. {component.title}: {accept}{paths}")
    lines += ["", BUG_PROTOCOL if plan.shape == "bug_fix_workflow" else PROTOCOL]
    return "\n".join(lines)


def item_body(item: WorkItem, plan: Plan) -> str:
    component = plan.components[item.component] if item.component is not None else None
    what = {
        ItemKind.RESEARCH: "Research what implementing this needs, and write the findings down.",
        ItemKind.REPRODUCTION: "Write a test that reproduces this bug: with the project's tests as they are it "
        "must fail because of the bug, and pass once the bug is fixed. Do not fix the bug: the fix comes next, "
        "on top of your test.",
        ItemKind.IMPLEMENTATION: "Fix this bug. The test that reproduces it is on your branch already: keep it "
        "as it is; the tests, that one included, must pass."
        if plan.shape == "bug_fix_workflow"
        else "Implement this component.",
        ItemKind.INTEGRATION: "Make the whole pass its final validation.",
    }[item.kind]
    lines = [what, "", component.body if component else item.body]
    if item.accept:
        lines += ["", "Accepted when these pass:", *(f"- `{a}`" for a in item.accept)]
    if item.paths:
        lines += ["", "The change may touch only:", *(f"- `{p}`" for p in item.paths)]
    return "\n".join(lines).strip()


def restructuring_body(item: WorkItem, failed: list[GateResult], touched: str, attempt: int) -> str:
    lines = [f"Attempt {attempt} of {item.max_attempts} at {item.issue} ({item.title}) failed validation.", ""]
    for gate in failed:
        lines += [f"### Gate `{gate.name}` failed", "", "```", gate.output.strip() or "(no output)", "```", ""]
    if touched:
        lines += ["### What the attempt's diff touched", "", "```", touched.strip(), "```", ""]
    lines.append("The next attempt starts fresh from the default branch, with this failure in its prompt.")
    return "\n".join(lines)


def prompt(flow: WorkFlow, item: WorkItem, findings: list[tuple[str, str]], failure: str | None) -> str:
    plan = flow.plan
    assert plan is not None
    kind = _kind(item, failure)
    lines = [f"You are working on {item.issue}: {item.title}", f"Kind: {kind}. Attempt {item.attempt}.", ""]
    if item.kind is ItemKind.RESEARCH:
        lines += [
            "Research only: do not change the code. Read the repository and write what an implementer",
            "needs (where the change goes, what it touches, the risks) to the file named by",
            "$CONTEXTEN_RESULT_FILE (or print it).",
            "",
        ]
    else:
        lines += [
            "Make the change in this working tree and commit it (what you leave uncommitted is committed",
            "for you). The change is validated by running the tests and the acceptance commands below on",
            "it merged onto the default branch; nothing you say is taken as success.",
            "",
        ]
    lines += ["## The sub-issue", item_body(item, plan), "", "## The requirements", flow.requirements.strip()]
    for issue, text in findings:
        lines += ["", f"## Research findings ({issue})", text.strip()]
    if failure:
        lines += ["", "## What failed in the previous attempt (fix this)", failure.strip()]
    return "\n".join(lines) + "\n"


def _kind(item: WorkItem, failure: str | None) -> str:
    if item.kind is ItemKind.RESEARCH:
        return "research"
    if failure or item.kind is ItemKind.INTEGRATION:
        return "restructuring"
    return "reproduction" if item.kind is ItemKind.REPRODUCTION else "implementation"


def agent_kind(item: WorkItem) -> str:
    """CONTEXTEN_ISSUE_KIND: research, implementation, or restructuring (a later attempt, or the integration)."""
    if item.kind is ItemKind.RESEARCH:
        return "research"
    if item.restructuring or item.kind is ItemKind.INTEGRATION:
        return "restructuring"
    return "reproduction" if item.kind is ItemKind.REPRODUCTION else "implementation"
